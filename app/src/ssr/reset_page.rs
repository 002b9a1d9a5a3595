//! The page a password reset link opens, `/reset-password/<token>`: the new
//! password twice, then the office. It is plain HTML rendered here, with
//! the app's stylesheet, not a page of the app: it needs no script at all
//! (the form posts back to its own address), and so adds nothing to the
//! WebAssembly every browser downloads. A used, expired or unknown link
//! says so, and how to get a new one.

use super::password_resets::{self, LinkProblem};
use super::state::AppState;
use crate::error::AppError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use leptos::prelude::*;
use leptos_meta::HashedStylesheet;

/// The route, in axum's syntax.
pub const ROUTE: &str = "/reset-password/{token}";

/// Scripts: none. Styles and the icon: ours. The form posts only to us.
const POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                      frame-ancestors 'none'; base-uri 'none'";

/// What the form sends.
#[derive(Debug, serde::Deserialize)]
pub struct Submitted {
    #[serde(default)]
    pub new_password: String,
    #[serde(default)]
    pub repeat_password: String,
}

/// GET: the form, or why the link does not work.
pub async fn show(state: &AppState, options: &LeptosOptions, token: &str) -> Response {
    match password_resets::email_of_link(&state.db, token).await {
        Ok(Ok(email)) => form_page(options, StatusCode::OK, &email, None),
        Ok(Err(problem)) => dead_link(options, problem),
        Err(error) => fault(options, error.into()),
    }
}

/// POST: sets the password and goes to the office signed in, or shows the
/// form again with what to correct.
pub async fn submit(state: &AppState, options: &LeptosOptions, token: &str, form: Submitted) -> Response {
    match password_resets::choose_password(state, token, &form.new_password, &form.repeat_password).await {
        Ok(Ok(session)) => {
            let cookie = session.set_cookie(state.settings.secure_cookies());
            let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, "/office")]).into_response();
            match HeaderValue::from_str(&cookie) {
                Ok(value) => response.headers_mut().append(header::SET_COOKIE, value),
                Err(_) => return fault(options, AppError::Internal),
            };
            response
        }
        Ok(Err(problem)) => dead_link(options, problem),
        Err(error) => match password_resets::email_of_link(&state.db, token).await {
            Ok(Ok(email)) => {
                let status = StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
                form_page(options, status, &email, Some(&error))
            }
            Ok(Err(problem)) => dead_link(options, problem),
            Err(fault_of_db) => fault(options, fault_of_db.into()),
        },
    }
}

fn form_page(options: &LeptosOptions, status: StatusCode, email: &str, error: Option<&AppError>) -> Response {
    let general = error.filter(|e| e.field().is_none()).map(|e| e.to_string());
    let body = format!(
        r#"<p class="muted">For {email}. Setting it signs this account out on every device.</p>
<form method="post" class="stack" novalidate>
<p class="form-error" role="alert"{hidden}>{general}</p>
<input type="email" autocomplete="username" value="{email}" hidden readonly>
{new}
{repeat}
<button type="submit" class="primary">Set password and sign in</button>
</form>"#,
        email = escape(email),
        hidden = if general.is_some() { "" } else { " hidden" },
        general = escape(general.as_deref().unwrap_or_default()),
        new = field("New password", "new_password", Some("At least 8 characters."), error),
        repeat = field("New password again", "repeat_password", None, error),
    );
    document(options, status, &body)
}

/// A labelled password box with its hint, or the error about it (as the
/// app's `Field` draws one).
fn field(label: &str, name: &str, hint: Option<&str>, error: Option<&AppError>) -> String {
    let problem = error.filter(|e| e.field() == Some(name)).map(|e| e.to_string());
    let message = problem.as_deref().or(hint).unwrap_or_default();
    format!(
        r#"<div class="field"><label for="field-{name}">{label}</label>
<input id="field-{name}" type="password" name="{name}" autocomplete="new-password" aria-invalid="{invalid}" aria-describedby="field-{name}-message">
<p class="field-message{class}" id="field-{name}-message">{message}</p></div>"#,
        invalid = problem.is_some(),
        class = if problem.is_some() { " field-error" } else { "" },
        message = escape(message),
    )
}

fn dead_link(options: &LeptosOptions, problem: LinkProblem) -> Response {
    let body = format!(
        r#"<p role="alert">{}</p>
<a href="/signin" class="button primary">Go to sign in</a>"#,
        problem.message()
    );
    document(options, StatusCode::from_u16(problem.http_status()).unwrap_or(StatusCode::NOT_FOUND), &body)
}

fn fault(options: &LeptosOptions, error: AppError) -> Response {
    let body = format!(r#"<p role="alert">{}</p>"#, escape(&error.to_string()));
    document(options, StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), &body)
}

/// The whole page around `body`, as the app's pages look.
fn document(options: &LeptosOptions, status: StatusCode, body: &str) -> Response {
    let stylesheet = view! { <HashedStylesheet options=options.clone() id="leptos" /> }.to_html();
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<link rel="icon" type="image/svg+xml" href="/favicon.svg">
{stylesheet}
<title>Choose a new password · Anteroom</title></head>
<body><main class="centered-page"><section class="card narrow" aria-labelledby="reset-title">
<div class="brand-mark large" aria-hidden="true"></div>
<h1 id="reset-title">Choose a new password</h1>
{body}
</section></main></body></html>"#
    );
    let headers = [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CONTENT_SECURITY_POLICY, POLICY),
        // The token is in the address: no cache keeps the page.
        (header::CACHE_CONTROL, "no-store"),
    ];
    (status, headers, html).into_response()
}

/// Text made safe to put in HTML, in an element or a quoted attribute.
fn escape(text: &str) -> String {
    let mut safe = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => safe.push_str("&amp;"),
            '<' => safe.push_str("&lt;"),
            '>' => safe.push_str("&gt;"),
            '"' => safe.push_str("&quot;"),
            '\'' => safe.push_str("&#39;"),
            c => safe.push(c),
        }
    }
    safe
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_person_typed_is_escaped_and_errors_sit_under_their_field() {
        assert_eq!(escape(r#"<a href="x">&'"#), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        let short = AppError::invalid("new_password", "Password must be at least 8 characters.");
        let html = field("New password", "new_password", Some("At least 8 characters."), Some(&short));
        assert!(html.contains(r#"aria-invalid="true""#) && html.contains("field-error"), "{html}");
        assert!(html.contains("at least 8 characters.") && !html.contains("At least 8"), "{html}");
        let other = field("New password again", "repeat_password", None, Some(&short));
        assert!(other.contains(r#"aria-invalid="false""#) && !other.contains("field-error"), "{other}");
    }
}
