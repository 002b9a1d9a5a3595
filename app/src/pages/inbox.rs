//! An inbox page (`/inbox/:id`): the inbox's header with the Channel
//! Overview, and its conversations. An inbox the member may not read shows
//! exactly what an inbox that does not exist shows.

use crate::api::inboxes::inbox_overview;
use crate::components::conversations::Conversations;
use crate::components::form::ErrorText;
use crate::components::inbox_overview::InboxOverviewDialog;
use crate::components::member_page::{NotFoundCard, WithOffice};
use crate::components::sidebar::ChannelSidebar;
use crate::components::top_bar::TopBar;
use crate::error::AppError;
use crate::json::load;
use crate::live_state::LiveState;
use crate::model::{InboxDetails, InboxId, Office, ThreadId};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn InboxPage() -> impl IntoView {
    let params = use_params_map();
    let inbox = Memo::new(move |_| params.read().get("id").and_then(|id| id.parse::<i64>().ok()).map(InboxId));
    view! { <WithOffice page=move |office| view! { <InboxShell office inbox /> }.into_any() /> }
}

#[component]
fn InboxShell(office: Office, inbox: Memo<Option<InboxId>>) -> impl IntoView {
    let Office { workspace_name, me, channels, people, inboxes, .. } = office;
    let live = LiveState::new(people, channels, inboxes);
    live.listen(me.id);
    // Bumped after the member changes something in the overview.
    let changed = RwSignal::new(0u32);
    // Kept here so the overview stays open while the inbox is read again.
    let overview_open = RwSignal::new(false);
    let mail_news = Signal::derive(move || live.mail.with(|(_, count)| *count));
    let selected = RwSignal::new(None::<ThreadId>);
    // Read again whenever the sidebar list (with the member's role) changes,
    // so a new role shows without a reload, and a lost one hides the inbox.
    let details = load(
        move || (inbox.get(), live.inboxes.get(), changed.get()),
        |(inbox, _, _)| async move {
            match inbox {
                Some(inbox) => inbox_overview(inbox).await,
                None => Err(AppError::NotFound("That inbox".into())),
            }
        },
    );
    view! {
        <div class="app-shell">
            <TopBar workspace_name me />
            <ChannelSidebar channels=live.channels inboxes=live.inboxes current=inbox calls=live.calls unread=live.unread />
            <main class="inbox-page">
                <Transition fallback=|| view! { <p class="muted">"Loading the inbox…"</p> }>
                    {move || Suspend::new(async move {
                        match details.await {
                            Ok(details) => view! { <InboxView details changed overview_open mail_news selected /> }.into_any(),
                            Err(AppError::NotFound(_)) => view! { <NotFoundCard heading="This inbox was not found" what="That inbox" /> }.into_any(),
                            Err(error) => view! { <ErrorText error /> }.into_any(),
                        }
                    })}
                </Transition>
            </main>
        </div>
    }
    .into_any()
}

#[component]
fn InboxView(
    details: InboxDetails,
    changed: RwSignal<u32>,
    overview_open: RwSignal<bool>,
    mail_news: Signal<u32>,
    selected: RwSignal<Option<ThreadId>>,
) -> impl IntoView {
    let role_text = match details.my_role {
        Some(role) if details.can_send => format!("You are {}: you can read and reply.", role.label()),
        Some(role) => format!("You are {}: you can read conversations but not reply.", role.label()),
        None => "You oversee this inbox as a workspace admin.".to_string(),
    };
    let name = details.name.clone();
    let settings_label = format!("Settings of {name}");
    view! {
        <Title text=name.clone() />
        <header class="inbox-header">
            <h1>
                <button class="inbox-title" aria-haspopup="dialog" on:click=move |_| overview_open.set(true)>
                    {name.clone()}
                </button>
            </h1>
            <button
                class="icon-button"
                aria-label=settings_label.clone()
                title=settings_label
                aria-haspopup="dialog"
                on:click=move |_| overview_open.set(true)
            >
                "⚙"
            </button>
            <p class="muted small inbox-addresses">{details.addresses.join(", ")}</p>
        </header>
        <p class="muted small inbox-role" data-can-send=details.can_send.to_string()>{role_text}</p>
        <Conversations inbox=details.id can_send=details.can_send mail_news selected />
        <Show when=move || overview_open.get()>
            <InboxOverviewDialog
                details=details.clone()
                close=Callback::new(move |_| overview_open.set(false))
                changed=Callback::new(move |_| changed.update(|n| *n += 1))
            />
        </Show>
    }
    .into_any()
}
