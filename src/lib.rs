//! The WebAssembly entry point: hydrates the page the server rendered.
//!
//! The limit matches `anteroom_app`'s; its crate docs say why it is enough.
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(anteroom_app::App);
    // A flag the browser tests wait for: after it, clicks reach Rust handlers.
    if let Some(window) = web_sys::window() {
        let _ = js_sys::Reflect::set(&window, &"__anteroomHydrated".into(), &true.into());
    }
}
