//! The sidebar of a member's pages: the workspace's channels and the
//! inboxes they take part in (kept current by the live socket).

use crate::model::{Channel, ChannelKind, InboxId, MyInbox};
use leptos::prelude::*;

#[component]
pub fn ChannelSidebar(
    channels: Vec<Channel>,
    inboxes: RwSignal<Vec<MyInbox>>,
    /// The inbox being shown, if any.
    #[prop(into, default = Signal::stored(None))]
    current: Signal<Option<InboxId>>,
) -> impl IntoView {
    let (meetings, texts): (Vec<Channel>, Vec<Channel>) =
        channels.into_iter().partition(|channel| channel.kind == ChannelKind::Meeting);
    let list = |title: &'static str, channels: Vec<Channel>| {
        view! {
            <h2 class="sidebar-heading">{title}</h2>
            <ul class="channel-list">
                {channels
                    .into_iter()
                    .map(|channel| {
                        let (icon, kind) = match channel.kind {
                            ChannelKind::Meeting => ("▶", "meeting channel"),
                            ChannelKind::Text => ("#", "text channel"),
                        };
                        view! {
                            <li class="channel">
                                <span class="channel-icon" aria-hidden="true">{icon}</span>
                                <span>{channel.name}</span>
                                <span class="visually-hidden">{format!(" ({kind})")}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
    };
    view! {
        <nav class="sidebar" aria-label="Channels">
            {list("Meeting channels", meetings)}
            {list("Text channels", texts)}
            <Show when=move || !inboxes.with(Vec::is_empty)>
                <h2 class="sidebar-heading">"Inboxes"</h2>
                <ul class="channel-list" aria-label="Inboxes">
                    <For each=move || inboxes.get() key=|inbox| inbox.id let(inbox)>
                        <li class="channel">
                            <span class="channel-icon" aria-hidden="true">"✉"</span>
                            <a
                                href=format!("/inbox/{}", inbox.id)
                                aria-current=move || (current.get() == Some(inbox.id)).then_some("page")
                            >
                                {inbox.name.clone()}
                            </a>
                        </li>
                    </For>
                </ul>
            </Show>
        </nav>
    }
}
