//! Form fields that show the server's verdict next to the input it is about.

use crate::error::AppError;
use leptos::html::ElementType;
use leptos::prelude::*;
use leptos::web_sys::{HtmlInputElement, HtmlTextAreaElement};

/// An input or a text area: what [`keep_in_step`] reads and writes.
trait TextControl {
    fn text(&self) -> String;
    fn set_text(&self, text: &str);
}

impl TextControl for HtmlInputElement {
    fn text(&self) -> String {
        self.value()
    }
    fn set_text(&self, text: &str) {
        self.set_value(text);
    }
}

impl TextControl for HtmlTextAreaElement {
    fn text(&self) -> String {
        self.value()
    }
    fn set_text(&self, text: &str) {
        self.set_value(text);
    }
}

/// Keeps a box and its signal in step without losing what was typed before
/// the page became interactive (on a slow link that is seconds): when the
/// page wakes up, the signal takes the text already in the box; from then
/// on the box shows the signal's changes (a form cleared after sending).
/// A `prop:value` binding would instead write the signal's empty start
/// over the typed text at hydration.
fn keep_in_step<E>(node: NodeRef<E>, bind: RwSignal<String>)
where
    E: ElementType,
    E::Output: TextControl + leptos::wasm_bindgen::JsCast + Clone + 'static,
{
    let woken = StoredValue::new(false);
    Effect::new(move |_| {
        let wanted = bind.get();
        let Some(element) = node.get() else { return };
        if !woken.get_value() {
            woken.set_value(true);
            let typed = element.text();
            if wanted.is_empty() && !typed.is_empty() {
                bind.set(typed);
                return;
            }
        }
        if element.text() != wanted {
            element.set_text(&wanted);
        }
    });
}

/// The text of the field `name` in the form that was submitted. Forms post
/// to their server function (so they work before the page wakes up too),
/// and once it has, their submit handler reads the fields here and
/// dispatches the action with typed arguments: Leptos' `ActionForm` reads
/// them into the arguments with serde_qs instead, and that is code of its
/// own for every form in every browser's download (BENCHMARKS.md, "The
/// bundle").
pub fn submitted(event: &leptos::ev::SubmitEvent, name: &str) -> String {
    use leptos::wasm_bindgen::JsCast;
    event
        .target()
        .and_then(|target| target.dyn_into::<leptos::web_sys::HtmlFormElement>().ok())
        .and_then(|form| leptos::web_sys::FormData::new_with_form(&form).ok())
        .and_then(|data| data.get(name).as_string())
        .unwrap_or_default()
}

/// A labelled input. When `error` names this field, its message appears
/// under the input and the input is marked invalid for assistive tech.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(into)] error: Signal<Option<AppError>>,
    /// Keeps the input's text in a signal (forms handled in the browser);
    /// without it the input is read by the form submission.
    #[prop(optional)]
    bind: Option<RwSignal<String>>,
    /// The input's id, when two forms on one page share a field name.
    #[prop(optional)]
    id: Option<&'static str>,
) -> impl IntoView {
    let id = id.map_or_else(|| format!("field-{name}"), str::to_string);
    let message_id = format!("{id}-message");
    let message = move || error.get().filter(|e| e.field() == Some(name)).map(|e| e.to_string());
    let node = NodeRef::<leptos::html::Input>::new();
    if let Some(bind) = bind {
        keep_in_step(node, bind);
    }
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                node_ref=node
                id=id
                type=kind
                name=name
                autocomplete=autocomplete
                aria-invalid=move || message().is_some().to_string()
                aria-describedby=message_id.clone()
                on:input=move |event| {
                    if let Some(value) = bind {
                        value.set(event_target_value(&event));
                    }
                }
            />
            <p class="field-message" id=message_id class:field-error=move || message().is_some()>
                {move || message().or(hint.map(str::to_string))}
            </p>
        </div>
    }
    .into_any()
}

/// A labelled multi-line text box bound to a signal; shows the error about
/// the `name` field under it.
#[component]
pub fn TextBox(
    label: &'static str,
    name: &'static str,
    id: &'static str,
    #[prop(default = 4)] rows: u32,
    bind: RwSignal<String>,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let message_id = format!("{id}-message");
    let message = move || error.get().filter(|e| e.field() == Some(name)).map(|e| e.to_string());
    let node = NodeRef::<leptos::html::Textarea>::new();
    keep_in_step(node, bind);
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <textarea
                node_ref=node
                id=id
                name=name
                rows=rows
                aria-invalid=move || message().is_some().to_string()
                aria-describedby=message_id.clone()
                on:input=move |e| bind.set(event_target_value(&e))
            ></textarea>
            <p class="field-message field-error" id=message_id>{message}</p>
        </div>
    }
    .into_any()
}

/// The error of a form that is not about one field, announced when it appears.
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    let message = move || error.get().filter(|e| e.field().is_none()).map(|e| e.to_string());
    view! {
        <p class="form-error" role="alert" hidden=move || message().is_none()>
            {message}
        </p>
    }
    .into_any()
}

/// The latest error of an action that is not a form submission (a button,
/// a toggle), announced when it appears and hidden while there is none.
#[component]
pub fn ErrorLine(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    view! {
        <p class="form-error" role="alert" hidden=move || error.with(Option::is_none)>
            {move || error.get().map(|problem| problem.to_string())}
        </p>
    }
    .into_any()
}

/// An error shown where content could not load.
#[component]
pub fn ErrorText(error: AppError) -> impl IntoView {
    view! { <p class="form-error" role="alert">{error.to_string()}</p> }
}

/// The error of the last submission of `action`, if it failed.
pub fn action_error<S, T>(action: ServerAction<S>) -> Signal<Option<AppError>>
where
    S: leptos::server_fn::ServerFn<Output = T, Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
    T: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(Result::err))
}
