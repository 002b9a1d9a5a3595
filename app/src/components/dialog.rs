//! A modal dialog: a backdrop that closes it, Escape that closes it, and a
//! labelled box for the content.

use leptos::prelude::*;

#[component]
pub fn Dialog(
    /// The id of the heading inside that names the dialog.
    title_id: &'static str,
    close: Callback<()>,
    #[prop(optional)] class: &'static str,
    children: Children,
) -> impl IntoView {
    // Escape closes the dialog wherever the focus is.
    let escape = window_event_listener(leptos::ev::keydown, move |event| {
        if event.key() == "Escape" {
            close.run(());
        }
    });
    on_cleanup(move || escape.remove());
    view! {
        <div class="dialog-backdrop" on:click=move |_| close.run(())></div>
        <div class=format!("dialog {class}") role="dialog" aria-modal="true" aria-labelledby=title_id>
            {children()}
        </div>
    }
    .into_any()
}
