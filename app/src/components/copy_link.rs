//! A link to hand on: a read-only field with the link, a Copy link button,
//! and what happened when it was pressed.

use crate::components::form::ErrorLine;
use crate::error::AppError;
use leptos::prelude::*;

#[component]
pub fn CopyLink(
    /// The input's id (its label points at it).
    id: &'static str,
    label: &'static str,
    /// `None` while the link is being made.
    link: Signal<Option<String>>,
    #[prop(optional)] autofocus: bool,
) -> impl IntoView {
    let copied = RwSignal::new(false);
    let error = RwSignal::new(None::<AppError>);
    // A new link has not been copied yet.
    Effect::new(move |_| {
        link.track();
        copied.set(false);
    });
    let copy = move |_| {
        let Some(url) = link.get_untracked() else { return };
        copy_to_clipboard(url, copied, error);
    };
    view! {
        <label for=id class="field-label">{label}</label>
        <div class="copy-row">
            <input
                id=id
                type="text"
                readonly=true
                prop:value=move || link.get().unwrap_or_else(|| "Creating the link…".into())
            />
            <button class="primary" on:click=copy disabled=move || link.get().is_none() autofocus=autofocus>
                {move || if copied.get() { "Copied" } else { "Copy link" }}
            </button>
        </div>
        <p class="form-success" role="status">{move || copied.get().then_some("Link copied to the clipboard.")}</p>
        <ErrorLine error=error />
    }
    .into_any()
}

/// Writes `text` to the clipboard and reports back through the signals.
fn copy_to_clipboard(text: String, copied: RwSignal<bool>, error: RwSignal<Option<AppError>>) {
    #[cfg(feature = "hydrate")]
    {
        let clipboard = window().navigator().clipboard();
        leptos::task::spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(clipboard.write_text(&text)).await {
                Ok(_) => {
                    error.set(None);
                    copied.set(true);
                }
                Err(_) => error.set(Some(AppError::invalid(
                    "link",
                    "The browser did not allow copying. Select the link and copy it by hand.",
                ))),
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (text, copied, error);
}
