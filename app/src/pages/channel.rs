//! A channel's page (`/channel/:id`). A text channel's is its
//! conversation. A meeting channel's has its header with the Channel
//! Details dialog, its call (any member joins with one click, guests
//! through the external link), its past calls and its history, where each
//! call's chat is kept.

use crate::api::channels::open_channel;
use crate::api::messages::open_conversation;
use crate::components::channel_conversation::ChannelConversation;
use crate::components::channel_details::{ChannelDetailsDialog, DetailsTab};
use crate::components::conference::Conference;
use crate::components::form::ErrorText;
use crate::components::member_page::{NotFoundCard, WithOffice};
use crate::components::past_calls::PastCalls;
use crate::components::sidebar::ChannelSidebar;
use crate::components::top_bar::TopBar;
use crate::error::AppError;
use crate::json::load;
use crate::live_state::LiveState;
use crate::model::ConferenceId;
use crate::model::{ChannelDetails, ChannelId, ChannelKind, MemberId, MessageId, Office, OpenedChannel, shown_name};
use crate::protocol::live::InCall;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn ChannelPage() -> impl IntoView {
    let params = use_params_map();
    let channel = Memo::new(move |_| params.read().get("id").and_then(|id| id.parse::<i64>().ok()).map(ChannelId));
    // `?message=` names a message to open the history at (a search result).
    let query = use_query_map();
    let focus = Memo::new(move |_| query.read().get("message").and_then(|id| id.parse::<i64>().ok()).map(MessageId));
    view! { <WithOffice page=move |office| view! { <ChannelShell office channel focus /> }.into_any() /> }
}

/// What survives reading the channel again: whether the member is in the
/// call, and the details dialog with its tab.
#[derive(Clone, Copy)]
struct PageState {
    in_call: RwSignal<bool>,
    details_open: RwSignal<bool>,
    tab: RwSignal<DetailsTab>,
    changed: RwSignal<u32>,
}

#[component]
fn ChannelShell(office: Office, channel: Memo<Option<ChannelId>>, focus: Memo<Option<MessageId>>) -> impl IntoView {
    let Office { workspace_name, me, channels, people, inboxes, .. } = office;
    let live = LiveState::new(people, channels, inboxes);
    live.listen(me.id);
    let page = PageState {
        in_call: RwSignal::new(false),
        details_open: RwSignal::new(false),
        tab: RwSignal::new(DetailsTab::About),
        changed: RwSignal::new(0),
    };
    // Another channel: out of this call, dialog closed.
    Effect::new(move |_| {
        channel.track();
        page.in_call.set(false);
        page.details_open.set(false);
    });
    // Who is in this channel's call right now (kept current by the live socket).
    let in_call = Signal::derive(move || {
        let here = channel.get();
        live.calls
            .with(|calls| calls.iter().find(|c| Some(c.channel) == here).map(|c| c.people.clone()).unwrap_or_default())
    });
    // A text channel's page is its conversation; the workspace's channel
    // list (from the page and the live socket) says which kind this is.
    let text = Memo::new(move |_| {
        let here = channel.get();
        live.channels.with(|list| list.iter().any(|c| Some(c.id) == here && c.kind == ChannelKind::Text))
    });
    let details = load(
        move || (channel.get(), page.changed.get(), text.get()),
        |(channel, _, text)| async move {
            match channel {
                Some(channel) if !text => open_channel(channel).await,
                _ => Err(AppError::NotFound("That meeting channel".into())),
            }
        },
    );
    let me_id = me.id;
    view! {
        <div class="app-shell">
            <TopBar workspace_name me />
            <ChannelSidebar
                channels=live.channels
                inboxes=live.inboxes
                current_channel=channel
                calls=live.calls
                unread=live.unread
            />
            <main class="channel-page">
                <Show
                    when=move || text.get()
                    fallback=move || view! {
                        <Transition fallback=|| view! { <p class="muted">"Loading the channel…"</p> }>
                            {move || Suspend::new(async move {
                                match details.await {
                                    Ok(details) => view! { <ChannelView details page in_call me=me_id live focus /> }.into_any(),
                                    Err(AppError::NotFound(_)) => view! { <NotFoundCard heading="This meeting channel was not found" what="That meeting channel" /> }.into_any(),
                                    Err(error) => view! { <ErrorText error /> }.into_any(),
                                }
                            })}
                        </Transition>
                    }
                >
                    <ChannelHistory channel me=me_id live focus in_meeting=false />
                </Show>
            </main>
        </div>
    }
    .into_any()
}

/// A channel's conversation: a text channel's whole page, under its name,
/// or a meeting channel's history, under its past calls (`in_meeting`).
#[component]
fn ChannelHistory(
    #[prop(into)] channel: Signal<Option<ChannelId>>,
    me: MemberId,
    live: LiveState,
    focus: Memo<Option<MessageId>>,
    in_meeting: bool,
) -> impl IntoView {
    let opened = load(
        move || (channel.get(), focus.get()),
        |(channel, at)| async move {
            match channel {
                Some(channel) => open_conversation(channel, at).await,
                None => Err(AppError::NotFound("That channel".into())),
            }
        },
    );
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading the messages…"</p> }>
            {move || Suspend::new(async move {
                match opened.await {
                    Ok(OpenedChannel { channel, may_moderate, max_file_bytes, history }) => {
                        let name = channel.name.clone();
                        let conversation = view! {
                            <ChannelConversation
                                channel=channel.id
                                name=channel.name
                                me
                                may_moderate
                                history
                                live
                                focus=focus.get_untracked()
                                max_file_bytes
                            />
                        };
                        if in_meeting {
                            view! {
                                <section class="card" aria-label="History">
                                    <h2>"History"</h2>
                                    {conversation}
                                </section>
                            }
                            .into_any()
                        } else {
                            view! {
                                <Title text=format!("#{name}") />
                                <header class="channel-header">
                                    <h1>
                                        <span class="channel-icon" aria-hidden="true">"#"</span>
                                        {name.clone()}
                                    </h1>
                                </header>
                                {conversation}
                            }
                            .into_any()
                        }
                    }
                    Err(AppError::NotFound(_)) if !in_meeting => view! { <NotFoundCard heading="This channel was not found" what="That channel" /> }.into_any(),
                    Err(error) => view! { <ErrorText error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ChannelView(
    details: ChannelDetails,
    page: PageState,
    in_call: Signal<Vec<InCall>>,
    me: MemberId,
    live: LiveState,
    focus: Memo<Option<MessageId>>,
) -> impl IntoView {
    let name = details.name.clone();
    let id = details.id;
    let open_details = move |tab: DetailsTab| {
        page.tab.set(tab);
        page.details_open.set(true);
    };
    let settings_label = format!("Details of {name}");
    let link_text = if details.external_link.is_some() {
        "Guests can join with the external link."
    } else {
        "No external link: only members can join."
    };
    let call_name = name.clone();
    view! {
        <Title text=name.clone() />
        <header class="channel-header">
            <h1>
                <span class="channel-icon" aria-hidden="true">"▶"</span>
                <button
                    class="inbox-title"
                    aria-haspopup="dialog"
                    on:click=move |_| open_details(DetailsTab::About)
                >
                    {name.clone()}
                </button>
            </h1>
            <button
                class="icon-button"
                aria-label=settings_label.clone()
                title=settings_label
                aria-haspopup="dialog"
                on:click=move |_| open_details(DetailsTab::About)
            >
                "⚙"
            </button>
        </header>
        <Show
            when=move || page.in_call.get()
            fallback=move || {
                view! {
                    <section class="card channel-lobby" aria-label="The channel's call">
                        <h2>"Meeting"</h2>
                        <p>"Join the call with your camera and microphone. Everyone in the workspace can join."</p>
                        <p class="in-call" role="status" aria-live="polite">{move || in_call_text(&in_call.get())}</p>
                        <p class="muted small">
                            {link_text} " "
                            <button class="link-button" on:click=move |_| open_details(DetailsTab::ExternalLink)>
                                "External link settings"
                            </button>
                        </p>
                        <button class="primary" on:click=move |_| page.in_call.set(true)>"Join call"</button>
                    </section>
                    <PastCalls channel=id />
                    <ChannelHistory channel=Signal::stored(Some(id)) me live focus in_meeting=true />
                }
            }
        >
            <Conference
                conference=ConferenceId::Channel(id)
                title=call_name.clone()
                may_remove_guests=details.can_manage
                on_hang_up=Callback::new(move |_| page.in_call.set(false))
            >
                <button class="call-header-button" on:click=move |_| open_details(DetailsTab::ExternalLink)>
                    "Invite guests"
                </button>
            </Conference>
        </Show>
        <Show when=move || page.details_open.get()>
            <ChannelDetailsDialog
                details=details.clone()
                tab=page.tab
                close=Callback::new(move |_| page.details_open.set(false))
                changed=Callback::new(move |_| page.changed.update(|n| *n += 1))
            />
        </Show>
    }
    .into_any()
}

/// "In the call: Ada Lovelace, Lin Park (guest)", or that nobody is.
fn in_call_text(people: &[InCall]) -> String {
    if people.is_empty() {
        return "Nobody is in the call right now.".to_string();
    }
    let names: Vec<String> = people.iter().map(|p| shown_name(&p.name, p.guest)).collect();
    format!("In the call: {}", names.join(", "))
}
