//! A button for something that cannot be undone: the first press asks, a
//! second (on the red button) does it, "Keep it" backs out. The first
//! button stays where it was while asking (pressed again, it backs out
//! too), so the keyboard's focus stays on it and Tab reaches the red
//! button next.

use leptos::prelude::*;

#[component]
pub fn ConfirmButton(
    /// The first button's text, e.g. "Delete".
    label: &'static str,
    /// Its accessible name when the text alone is ambiguous ("Delete Sales").
    #[prop(optional, into)]
    aria_label: Option<String>,
    /// What will happen, shown while asking.
    warning: &'static str,
    /// The red button's text, e.g. "Delete for good".
    confirm: &'static str,
    on_confirm: Callback<()>,
    /// Extra classes for all three buttons ("small").
    #[prop(optional)]
    class: &'static str,
) -> impl IntoView {
    let asking = RwSignal::new(false);
    view! {
        <button
            class=format!("quiet {class}")
            aria-label=aria_label
            aria-expanded=move || asking.get().to_string()
            on:click=move |_| asking.update(|asking| *asking = !*asking)
        >
            {label}
        </button>
        <Show when=move || asking.get()>
            <span class="small">{warning}</span>
            <button
                class=format!("danger {class}")
                on:click=move |_| {
                    asking.set(false);
                    on_confirm.run(());
                }
            >
                {confirm}
            </button>
            <button class=format!("quiet {class}") on:click=move |_| asking.set(false)>"Keep it"</button>
        </Show>
    }
    .into_any()
}
