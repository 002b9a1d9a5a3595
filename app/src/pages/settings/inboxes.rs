//! Workspace Settings > Inbox: workspace admins see every inbox, create and
//! delete them, and open any of them to manage it.

use crate::api::inboxes::{CreateInbox, DeleteInbox, all_inboxes};
use crate::components::confirm::ConfirmButton;
use crate::components::form::{ErrorLine, ErrorText, Field, FormError, action_error};
use leptos::prelude::*;

#[component]
pub fn InboxAdmin() -> impl IntoView {
    let create = ServerAction::<CreateInbox>::new();
    let delete = ServerAction::<DeleteInbox>::new();
    let inboxes = Resource::new(move || (create.version().get(), delete.version().get()), |_| all_inboxes());
    let error = action_error(create);
    let delete_error = action_error(delete);
    view! {
        <section class="card" aria-labelledby="inboxes-title">
            <h2 id="inboxes-title">"Inbox"</h2>
            <p class="muted small">
                "Every shared inbox of the workspace. Only their participants see them in the sidebar; as a workspace admin you can open and manage each one."
            </p>
            <ErrorLine error=delete_error />
            <Transition fallback=|| view! { <p class="muted">"Loading inboxes…"</p> }>
                {move || Suspend::new(async move {
                    match inboxes.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No inboxes yet."</p> }.into_any(),
                        Ok(list) => {
                            view! {
                                <ul class="inbox-admin-list" aria-label="All inboxes">
                                    {list
                                        .into_iter()
                                        .map(|inbox| {
                                            let id = inbox.id;
                                            let name = inbox.name.clone();
                                            view! {
                                                <li>
                                                    <a href=format!("/inbox/{id}")>{inbox.name.clone()}</a>
                                                    <ConfirmButton
                                                        label="Delete"
                                                        aria_label=format!("Delete {name}")
                                                        warning="Its conversations go too."
                                                        confirm="Delete for good"
                                                        class="small"
                                                        on_confirm=Callback::new(move |_| {
                                                            delete.dispatch(DeleteInbox { inbox: id });
                                                        })
                                                    />
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                        Err(error) => view! { <ErrorText error /> }.into_any(),
                    }
                })}
            </Transition>
            <h3>"Create an inbox"</h3>
            <ActionForm action=create attr:novalidate=true attr:class="stack">
                <FormError error />
                <Field label="Inbox name" name="name" id="new-inbox-name" error />
                <Field
                    label="Email addresses"
                    name="addresses"
                    id="new-inbox-addresses"
                    kind="text"
                    hint="One or more, separated by commas. Replies go out from the first."
                    error
                />
                <button type="submit" class="primary" disabled=move || create.pending().get()>"Create inbox"</button>
            </ActionForm>
        </section>
    }
    .into_any()
}
