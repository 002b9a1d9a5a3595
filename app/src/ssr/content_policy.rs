//! The Content-Security-Policy of our pages, sent as a header while the
//! page renders. Scripts run only from our own origin or with this
//! response's nonce (Leptos puts it on its own inline scripts), WebAssembly
//! may compile, nothing may frame us, and forms post only to us. Styles
//! allow inline `style` attributes: the office map places rooms with them.

use leptos::prelude::*;

/// The policy for a page whose inline scripts carry `nonce`. `live_reload`
/// (development only) also lets the page reach cargo-leptos' reload socket
/// on its own port.
pub fn page_policy(nonce: &str, live_reload: bool) -> String {
    let reload = if live_reload { " ws:" } else { "" };
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'nonce-{nonce}'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; \
         connect-src 'self'{reload}; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// Sets the policy header on the page being rendered.
pub fn set_for_page(options: &LeptosOptions) {
    let (Some(nonce), Some(response)) = (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>())
    else {
        tracing::error!("a page rendered without its nonce or response options: no Content-Security-Policy");
        return;
    };
    let live_reload = options.env == leptos::config::Env::DEV;
    match http::HeaderValue::from_str(&page_policy(&nonce, live_reload)) {
        Ok(value) => response.insert_header(http::header::CONTENT_SECURITY_POLICY, value),
        Err(error) => tracing::error!(%error, "the Content-Security-Policy is not a valid header"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_need_our_origin_or_the_nonce() {
        let policy = page_policy("abc123", false);
        assert!(policy.contains("script-src 'self' 'wasm-unsafe-eval' 'nonce-abc123';"));
        assert!(policy.contains("frame-ancestors 'none'"));
        let scripts = policy.split(';').find(|d| d.trim().starts_with("script-src")).unwrap();
        assert!(!scripts.contains("'unsafe-inline'") && !scripts.contains("'unsafe-eval'"));
        assert!(!policy.contains("ws:"));
        assert!(page_policy("abc123", true).contains("connect-src 'self' ws:;"));
    }
}
