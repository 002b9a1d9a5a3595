//! Workspace Settings > Channels: workspace admins see every channel,
//! create meeting and text channels, rename and delete them.

use crate::api::channels::{CreateChannel, DeleteChannel, list_channels, rename_channel};
use crate::components::confirm::ConfirmButton;
use crate::components::form::{ErrorLine, ErrorText, Field, FormError, action_error, submitted};
use crate::components::rename::InlineRename;
use crate::json::load;
use crate::model::{Channel, ChannelKind};
use leptos::prelude::*;
use leptos::server_fn::ServerFn as _;

#[component]
pub fn ChannelAdmin() -> impl IntoView {
    let create = ServerAction::<CreateChannel>::new();
    let delete = ServerAction::<DeleteChannel>::new();
    let renamed = RwSignal::new(0u32);
    let channels = load(move || (create.version().get(), delete.version().get(), renamed.get()), |_| list_channels());
    let error = action_error(create);
    let delete_error = action_error(delete);
    let created = move || create.value().get().and_then(Result::ok);
    view! {
        <section class="card" aria-labelledby="channels-title">
            <h2 id="channels-title">"Channels"</h2>
            <p class="muted small">
                "Meeting channels have a call that members join from anywhere and guests join through the channel's external link."
            </p>
            <ErrorLine error=delete_error />
            <Transition fallback=|| view! { <p class="muted">"Loading channels…"</p> }>
                {move || Suspend::new(async move {
                    match channels.await {
                        Ok(list) => {
                            view! {
                                <ul class="inbox-admin-list" aria-label="All channels">
                                    {list
                                        .into_iter()
                                        .map(|channel| view! { <ChannelRow channel delete renamed /> })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                        Err(error) => view! { <ErrorText error /> }.into_any(),
                    }
                })}
            </Transition>
            <h3>"Create a channel"</h3>
            <form action=CreateChannel::url() method="post" novalidate class="stack" on:submit=move |ev| {
                ev.prevent_default();
                let kind = if submitted(&ev, "kind") == "Text" { ChannelKind::Text } else { ChannelKind::Meeting };
                create.dispatch(CreateChannel { name: submitted(&ev, "name"), kind });
            }>
                <FormError error />
                <Field
                    label="Channel name"
                    name="name"
                    id="new-channel-name"
                    hint="Lower case, words joined by hyphens: \"Client Calls\" becomes client-calls."
                    error
                />
                <div class="field">
                    <label for="new-channel-kind">"Kind"</label>
                    <select id="new-channel-kind" name="kind">
                        <option value="Meeting" selected=true>"Meeting channel (a call guests can join)"</option>
                        <option value="Text">"Text channel (members only)"</option>
                    </select>
                </div>
                <button type="submit" class="primary" disabled=move || create.pending().get()>"Create channel"</button>
                <p class="form-success" role="status">
                    {move || created().map(|channel| format!("{} was created.", channel.name))}
                </p>
            </form>
        </section>
    }
    .into_any()
}

/// One channel in the list: its name (a link for meeting channels), its
/// kind, Rename (an inline form) and Delete.
#[component]
fn ChannelRow(channel: Channel, delete: ServerAction<DeleteChannel>, renamed: RwSignal<u32>) -> impl IntoView {
    let Channel { id, name, kind } = channel;
    let kind_text = match kind {
        ChannelKind::Meeting => "meeting channel",
        ChannelKind::Text => "text channel",
    };
    let title = match kind {
        ChannelKind::Meeting => view! { <a href=format!("/channel/{id}")>{name.clone()}</a> }.into_any(),
        ChannelKind::Text => view! { <span>{name.clone()}</span> }.into_any(),
    };
    view! {
        <li>
            {title}
            <span class="muted small">{kind_text}</span>
            <InlineRename
                name=name.clone()
                save=move |new_name| rename_channel(id, new_name)
                saved=Callback::new(move |_| renamed.update(|n| *n += 1))
            />
            <ConfirmButton
                label="Delete"
                aria_label=format!("Delete {name}")
                warning="Its link, schedules and history go too."
                confirm="Delete for good"
                class="small"
                on_confirm=Callback::new(move |_| {
                    delete.dispatch(DeleteChannel { channel: id });
                })
            />
        </li>
    }
    .into_any()
}
