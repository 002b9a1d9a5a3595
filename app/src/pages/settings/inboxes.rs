//! Workspace Settings > Inbox: workspace admins see every inbox, create and
//! delete them, and open any of them to manage it.

use crate::api::inboxes::{CreateInbox, DeleteInbox, SetMailDomains, all_inboxes, mail_domains};
use crate::components::confirm::ConfirmButton;
use crate::components::form::{ErrorLine, ErrorText, Field, FormError, action_error, submitted};
use crate::json::load;
use leptos::prelude::*;
use leptos::server_fn::ServerFn as _;

#[component]
pub fn InboxAdmin() -> impl IntoView {
    let create = ServerAction::<CreateInbox>::new();
    let delete = ServerAction::<DeleteInbox>::new();
    let inboxes = load(move || (create.version().get(), delete.version().get()), |_| all_inboxes());
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
            <MailDomains />
            <h3>"Create an inbox"</h3>
            <form action=CreateInbox::url() method="post" novalidate class="stack" on:submit=move |ev| {
                ev.prevent_default();
                create.dispatch(CreateInbox { name: submitted(&ev, "name"), addresses: submitted(&ev, "addresses") });
            }>
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
            </form>
        </section>
    }
    .into_any()
}

/// The domains inbox addresses may be at, so no inbox can send as another
/// organisation's address.
#[component]
fn MailDomains() -> impl IntoView {
    let save = ServerAction::<SetMailDomains>::new();
    let current = load(|| (), |_| mail_domains());
    let error = action_error(save);
    let saved = move || {
        save.value().get().and_then(Result::ok).map(|domains| {
            if domains.is_empty() {
                "No mail domains: new inbox addresses cannot be added until you list one.".to_string()
            } else {
                format!("Inbox addresses may now be at {}.", domains.join(", "))
            }
        })
    };
    view! {
        <h3>"Mail domains"</h3>
        <Suspense fallback=|| view! { <p class="muted">"Loading mail domains…"</p> }>
            {move || Suspend::new(async move {
                let text = RwSignal::new(current.await.unwrap_or_default().join(", "));
                view! {
                    <form action=SetMailDomains::url() method="post" novalidate class="stack" on:submit=move |ev| {
                        ev.prevent_default();
                        save.dispatch(SetMailDomains { domains: submitted(&ev, "domains") });
                    }>
                        <FormError error />
                        <Field
                            label="Mail domains"
                            name="domains"
                            bind=text
                            hint="Inbox addresses must be at one of these, for example acme.com. Separate them with commas."
                            error
                        />
                        <button type="submit" disabled=move || save.pending().get()>"Save domains"</button>
                        <p class="form-success" role="status">{saved}</p>
                    </form>
                }
            })}
        </Suspense>
    }
    .into_any()
}
