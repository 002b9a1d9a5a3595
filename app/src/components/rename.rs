//! "Rename" beside a name in an admin list: it opens an inline form with
//! the name to edit, Save and Cancel; the server's refusal (a taken or
//! empty name) shows under it, and what was typed stays.

use crate::components::form::ErrorLine;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::future::Future;

#[component]
pub fn InlineRename<Save, Saving>(
    /// The name as it is now (it may change while the form stays, as a
    /// room's does on the office map).
    #[prop(into)]
    name: Signal<String>,
    /// Saves a new name (a server function call).
    save: Save,
    /// Told after a name is saved (to load the list again).
    saved: Callback<()>,
) -> impl IntoView
where
    Save: Fn(String) -> Saving + Copy + Send + Sync + 'static,
    Saving: Future<Output = Result<(), AppError>> + 'static,
{
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(name.get_untracked());
    let error = RwSignal::new(None::<AppError>);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let new_name = draft.get_untracked();
        spawn_local(async move {
            // The form may be gone by the time the server answers (build
            // mode left, its list drawn anew): setting its own signals then
            // does nothing, and `saved` is told only if its owner remains.
            match save(new_name).await {
                Ok(()) => {
                    error.set(None);
                    editing.set(false);
                    saved.try_run(());
                }
                Err(problem) => error.set(Some(problem)),
            }
        });
    };
    // Opening starts from the name as it is now, not as it was once typed.
    let open = move |_: leptos::ev::MouseEvent| {
        draft.set(name.get_untracked());
        editing.set(true);
    };
    view! {
        <Show
            when=move || editing.get()
            fallback=move || {
                view! {
                    <button class="quiet small" aria-label=move || format!("Rename {}", name.get()) on:click=open>
                        "Rename"
                    </button>
                }
            }
        >
            <form class="inline-form" on:submit=submit>
                <input
                    type="text"
                    aria-label=move || format!("New name for {}", name.get())
                    prop:value=move || draft.get()
                    on:input=move |e| draft.set(event_target_value(&e))
                />
                <button type="submit" class="primary small">"Save"</button>
                <button type="button" class="quiet small" on:click=move |_| editing.set(false)>"Cancel"</button>
            </form>
        </Show>
        <ErrorLine error=error />
    }
}
