//! Tabs of a dialog: one button per tab, the selected one marked for
//! assistive tech.

use leptos::prelude::*;

/// The button that shows tab `which` when pressed.
pub fn tab_button<T>(tab: RwSignal<T>, which: T, label: &'static str) -> impl IntoView
where
    T: Copy + PartialEq + Send + Sync + 'static,
{
    view! {
        <button
            role="tab"
            class="tab"
            aria-selected=move || (tab.get() == which).to_string()
            on:click=move |_| tab.set(which)
        >
            {label}
        </button>
    }
}
