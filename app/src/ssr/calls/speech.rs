//! The speech engine as the server sees it: anything that answers the
//! OpenAI-compatible `POST /v1/audio/transcriptions` (the embedded worker,
//! a GPU box, a hosted service). One recording goes in; its segments, with
//! times from the start of the recording, come out.

use super::speech_worker::Worker;
use crate::ssr::outbound_http::{BodyError, api_url, error_message, innermost_cause, read_body};
use serde::Deserialize;
use std::path::Path;
use std::time::Duration;

/// However short the audio, the engine gets this long to answer.
const BASE_TIMEOUT: Duration = Duration::from_secs(60);
/// And one more second for every this many bytes of Ogg Opus (about 2 s of
/// speech: CPU engines run at a fifth of real time or faster).
const BYTES_PER_EXTRA_SECOND: u64 = 8_000;
/// Recordings larger than this are not sent: the recorder stops each at
/// this size, so only a file it did not write can be larger.
const MAX_RECORDING_BYTES: u64 = super::recordings::MAX_RECORDING_BYTES;
/// The most of an answer read: a transcript of hours is well under this.
const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;
/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the engine is: a fixed URL, or the embedded worker.
#[derive(Clone)]
pub enum Endpoint {
    Fixed(String),
    Embedded(Worker),
}

/// One stretch of speech, seconds from the start of the recording.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Segment {
    pub start: f64,
    pub end: f64,
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SpeechError {
    #[error("the embedded speech engine is not running: {0} (scripts/setup installs it; the server log says more)")]
    NotRunning(String),
    #[error("the speech engine at {url} did not answer ({reason})")]
    Unreachable { url: String, reason: String },
    #[error("the speech engine took longer than {0} s")]
    TimedOut(u64),
    #[error("the speech engine refused the audio (HTTP {status}): {message}")]
    Refused { status: u16, message: String },
    #[error("the speech engine's answer could not be read: {0}")]
    BadAnswer(String),
    #[error("the recording could not be read: {0}")]
    Recording(String),
}

impl SpeechError {
    /// Whether trying again later may help: the engine down, slow or
    /// overloaded, not the audio refused or missing.
    pub fn is_worth_retrying(&self) -> bool {
        match self {
            SpeechError::Refused { status, .. } => *status == 408 || *status == 429 || *status >= 500,
            SpeechError::Recording(_) => false,
            _ => true,
        }
    }
}

#[derive(Clone)]
pub struct SpeechEngine {
    endpoint: Endpoint,
    /// Sent as a bearer token to a fixed endpoint, for hosted engines (the
    /// embedded worker gets its own token).
    api_key: Option<String>,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct Transcription {
    #[serde(default)]
    segments: Vec<Segment>,
    #[serde(default)]
    text: String,
}

impl SpeechEngine {
    pub fn new(endpoint: Endpoint, api_key: Option<String>) -> Self {
        let http = crate::ssr::outbound_http::client_builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .expect("an HTTP client");
        SpeechEngine { endpoint, api_key, http }
    }

    /// Where the engine is now, and the bearer token it wants, if any.
    async fn current(&self) -> Result<(String, Option<String>), SpeechError> {
        match &self.endpoint {
            Endpoint::Fixed(url) => Ok((url.clone(), self.api_key.clone())),
            Endpoint::Embedded(worker) => {
                let address = worker.address().await.map_err(SpeechError::NotRunning)?;
                Ok((address.url, Some(address.token)))
            }
        }
    }

    /// Transcribes one Ogg Opus recording.
    pub async fn transcribe(&self, file: &Path) -> Result<Vec<Segment>, SpeechError> {
        let (base, key) = self.current().await?;
        let url = api_url(&base, "audio/transcriptions");
        let audio = read_recording(file).await?;
        let timeout = BASE_TIMEOUT + Duration::from_secs(audio.len() as u64 / BYTES_PER_EXTRA_SECOND);
        let part = reqwest::multipart::Part::bytes(audio)
            .file_name("audio.ogg")
            .mime_str("audio/ogg")
            .expect("a valid mime type");
        let form = reqwest::multipart::Form::new()
            .part("file", part)
            .text("model", "whisper-1")
            .text("language", "en")
            .text("response_format", "verbose_json");
        let mut request = self.http.post(&url).multipart(form).timeout(timeout);
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        let mut response = request.send().await.map_err(|error| describe(&url, timeout, &error))?;
        let status = response.status();
        let body = read_body(&mut response, MAX_ANSWER_BYTES).await.map_err(|error| match error {
            BodyError::Http(error) => describe(&url, timeout, &error),
            too_long => SpeechError::BadAnswer(too_long.to_string()),
        })?;
        if !status.is_success() {
            let message = error_message(&body);
            return Err(SpeechError::Refused { status: status.as_u16(), message });
        }
        let answer: Transcription =
            serde_json::from_slice(&body).map_err(|error| SpeechError::BadAnswer(error.to_string()))?;
        if answer.segments.is_empty() && !answer.text.trim().is_empty() {
            // An engine that ignores verbose_json: the whole text, untimed.
            return Ok(vec![Segment { start: 0.0, end: 0.0, text: answer.text.trim().to_string() }]);
        }
        Ok(answer.segments.into_iter().filter(|s| !s.text.trim().is_empty()).collect())
    }
}

/// The recording's bytes. Its path is left out of the error, which the
/// transcript shows (the log has it).
async fn read_recording(file: &Path) -> Result<Vec<u8>, SpeechError> {
    let unreadable = |error: std::io::Error| SpeechError::Recording(error.to_string());
    let size = tokio::fs::metadata(file).await.map_err(unreadable)?.len();
    if size > MAX_RECORDING_BYTES {
        let limit = MAX_RECORDING_BYTES / (1024 * 1024);
        return Err(SpeechError::Recording(format!(
            "it is {} MiB, over the {limit} MiB limit",
            size.div_ceil(1024 * 1024)
        )));
    }
    tokio::fs::read(file).await.map_err(unreadable)
}

fn describe(url: &str, timeout: Duration, error: &reqwest::Error) -> SpeechError {
    if error.is_timeout() {
        return SpeechError::TimedOut(timeout.as_secs());
    }
    SpeechError::Unreachable { url: url.to_string(), reason: innermost_cause(error) }
}
