use super::avatar::Avatar;
use crate::api::accounts::SignOut;
use crate::model::MemberSummary;
use leptos::prelude::*;
use leptos::server_fn::ServerFn as _;
use leptos_router::components::A;

/// The bar across the top of every member page: workspace, navigation, who
/// is signed in, and Sign out.
#[component]
pub fn TopBar(workspace_name: String, me: MemberSummary) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    let is_admin = me.is_admin;
    view! {
        <header class="top-bar">
            <a class="brand" href="/office">
                <span class="brand-mark" aria-hidden="true"></span>
                <span class="workspace-name">{workspace_name}</span>
            </a>
            <nav class="top-nav" aria-label="Main">
                <A href="/office">"Office"</A>
                <A href="/settings/workspace">{if is_admin { "Workspace settings" } else { "Members" }}</A>
            </nav>
            <div class="me">
                <A href="/settings/account" attr:class="me-link" attr:title="Your account">
                    <Avatar member=me.clone() />
                    <span class="me-name">{me.name.clone()}</span>
                </A>
                <form action=SignOut::url() method="post" on:submit=move |ev| { ev.prevent_default(); sign_out.dispatch(SignOut {}); }>
                    <button type="submit" class="quiet">"Sign out"</button>
                </form>
            </div>
        </header>
    }
    .into_any()
}
