//! The sidebar of a member's pages: the workspace's channels and the
//! inboxes they take part in (kept current by the live socket).

use crate::components::message_search::MessageSearch;
use crate::model::{Channel, ChannelId, ChannelKind, InboxId, MyInbox};
use crate::protocol::live::ChannelCall;
use leptos::prelude::*;
use std::collections::HashMap;

#[component]
pub fn ChannelSidebar(
    /// The workspace's channels (kept current by the live socket).
    channels: RwSignal<Vec<Channel>>,
    inboxes: RwSignal<Vec<MyInbox>>,
    /// The inbox being shown, if any.
    #[prop(into, default = Signal::stored(None))]
    current: Signal<Option<InboxId>>,
    /// The channel being shown, if any.
    #[prop(into, default = Signal::stored(None))]
    current_channel: Signal<Option<ChannelId>>,
    /// Meeting channels' calls going on, to mark them live.
    #[prop(optional)]
    calls: Option<RwSignal<Vec<ChannelCall>>>,
    /// Unread messages per channel.
    #[prop(optional)]
    unread: Option<RwSignal<HashMap<ChannelId, i64>>>,
    /// The Files page is being shown.
    #[prop(optional)]
    files_current: bool,
) -> impl IntoView {
    let unread_badge = move |id: ChannelId| {
        move || {
            let count = unread.map_or(0, |unread| unread.with(|unread| unread.get(&id).copied().unwrap_or(0)));
            (count > 0).then(|| {
                let text = if count == 1 { "1 unread message".to_string() } else { format!("{count} unread messages") };
                let title = text.clone();
                view! {
                    <span class="unread" title=title>
                        <span class="visually-hidden">{text}</span>
                        <span aria-hidden="true">{count}</span>
                    </span>
                }
            })
        }
    };
    let list = move |title: &'static str, channels: Vec<Channel>| {
        view! {
            <h2 class="sidebar-heading">{title}</h2>
            <ul class="channel-list">
                {channels
                    .into_iter()
                    .map(|channel| {
                        let id = channel.id;
                        let (icon, name) = match channel.kind {
                            // Meeting channels open their page with the call.
                            ChannelKind::Meeting => (
                                "▶",
                                view! {
                                    <a
                                        href=format!("/channel/{id}")
                                        aria-current=move || (current_channel.get() == Some(id)).then_some("page")
                                    >
                                        {channel.name}
                                        <span class="visually-hidden">" (meeting channel)"</span>
                                    </a>
                                    {unread_badge(id)}
                                    {move || {
                                        let count = calls
                                            .map(|calls| {
                                                calls.with(|list| {
                                                    list.iter().find(|c| c.channel == id).map_or(0, |c| c.people.len())
                                                })
                                            })
                                            .unwrap_or(0);
                                        (count > 0)
                                            .then(|| {
                                                view! {
                                                    <span class="call-live" title=format!("{count} in the call")>
                                                        <span class="visually-hidden">{format!("{count} in the call")}</span>
                                                        <span aria-hidden="true">{count}</span>
                                                    </span>
                                                }
                                            })
                                    }}
                                }
                                    .into_any(),
                            ),
                            ChannelKind::Text => (
                                "#",
                                view! {
                                    <a
                                        href=format!("/channel/{id}")
                                        aria-current=move || (current_channel.get() == Some(id)).then_some("page")
                                    >
                                        {channel.name}
                                        <span class="visually-hidden">" (text channel)"</span>
                                    </a>
                                    {unread_badge(id)}
                                }
                                    .into_any(),
                            ),
                        };
                        view! {
                            <li class="channel">
                                <span class="channel-icon" aria-hidden="true">{icon}</span>
                                {name}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
    };
    view! {
        <nav class="sidebar" aria-label="Channels">
            <MessageSearch />
            <a class="sidebar-link" href="/files" aria-current=files_current.then_some("page")>
                <span class="channel-icon" aria-hidden="true">"\u{25a4}"</span>
                "Files"
            </a>
            {move || {
                let (meetings, texts): (Vec<Channel>, Vec<Channel>) =
                    channels.get().into_iter().partition(|channel| channel.kind == ChannelKind::Meeting);
                view! {
                    {list("Meeting channels", meetings)}
                    {list("Text channels", texts)}
                }
            }}
            <Show when=move || !inboxes.with(Vec::is_empty)>
                <h2 class="sidebar-heading">"Inboxes"</h2>
                <ul class="channel-list" aria-label="Inboxes">
                    // Drawn whole when the list changes (seldom): a keyed list
                    // is code of its own per item type in every download.
                    {move || {
                        inboxes
                            .get()
                            .into_iter()
                            .map(|inbox| {
                                view! {
                                    <li class="channel">
                                        <span class="channel-icon" aria-hidden="true">"✉"</span>
                                        <a
                                            href=format!("/inbox/{}", inbox.id)
                                            aria-current=move || (current.get() == Some(inbox.id)).then_some("page")
                                        >
                                            {inbox.name.clone()}
                                        </a>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
            </Show>
        </nav>
    }
    .into_any()
}
