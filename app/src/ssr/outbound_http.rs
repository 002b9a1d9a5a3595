//! Outgoing HTTP (to the speech engine, and from tests and benches): one
//! place that sets reqwest up. TLS is rustls with the ring crypto provider,
//! as the mail relay has it; reqwest is built without a provider of its
//! own, so one must be installed before any client is made, which this
//! does.

/// A reqwest client builder, with TLS ready.
pub fn client_builder() -> reqwest::ClientBuilder {
    // Installing twice is refused, harmlessly: the first one stays.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

/// The URL of `path` ("audio/transcriptions") of an OpenAI-compatible API
/// whose base URL was given with or without its "/v1", as people copy it
/// from the docs of Ollama, vLLM or a hosted service.
pub fn api_url(base: &str, path: &str) -> String {
    let base = base.trim_end_matches('/');
    let base = base.strip_suffix("/v1").unwrap_or(base);
    format!("{base}/v1/{path}")
}

/// Why an answer's body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("{0}")]
    Http(#[from] reqwest::Error),
    #[error("the answer is longer than {0} bytes")]
    TooLong(usize),
}

/// An answer's body, read no further than `max` bytes.
pub async fn read_body(response: &mut reqwest::Response, max: usize) -> Result<Vec<u8>, BodyError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > max {
            return Err(BodyError::TooLong(max));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// An OpenAI-style error answer: `{"error": {"message": …}}`.
#[derive(serde::Deserialize)]
struct ErrorAnswer {
    error: ErrorBody,
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    message: String,
}

/// What a refusing API said: its error message, or else the start of its
/// answer as text.
pub fn error_message(body: &[u8]) -> String {
    serde_json::from_slice::<ErrorAnswer>(body)
        .map(|answer| answer.error.message)
        .unwrap_or_else(|_| String::from_utf8_lossy(body).chars().take(300).collect())
}

/// The innermost cause of a failed request, which says what happened
/// ("Connection refused") where the outer ones only say where.
pub fn innermost_cause(error: &reqwest::Error) -> String {
    let mut reason = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        reason = cause.to_string();
        source = cause.source();
    }
    reason
}

#[cfg(test)]
mod tests {
    use super::api_url;

    #[test]
    fn a_base_url_works_with_or_without_its_v1() {
        for base in ["http://box:8000", "http://box:8000/", "http://box:8000/v1", "http://box:8000/v1/"] {
            assert_eq!(api_url(base, "chat/completions"), "http://box:8000/v1/chat/completions", "{base}");
        }
    }
}
