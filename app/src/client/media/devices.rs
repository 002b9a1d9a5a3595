//! Asking the browser for camera, microphone and screen.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DisplayMediaStreamConstraints, MediaStream, MediaStreamConstraints, MediaStreamTrack};

/// What the browser gave us, and what it refused (as a sentence to show).
pub struct LocalMedia {
    pub stream: MediaStream,
    pub problem: Option<String>,
}

/// Camera and microphone; falls back to whichever works, and says why.
pub async fn camera_and_microphone() -> LocalMedia {
    match request(true, true).await {
        Ok(stream) => LocalMedia { stream, problem: None },
        Err(both) => match request(true, false).await {
            Ok(stream) => {
                LocalMedia { stream, problem: Some(format!("Camera unavailable ({both}). Others hear you only.")) }
            }
            Err(_) => match request(false, true).await {
                Ok(stream) => LocalMedia {
                    stream,
                    problem: Some(format!("Microphone unavailable ({both}). Others see you only.")),
                },
                Err(_) => LocalMedia {
                    stream: MediaStream::new().expect("an empty MediaStream"),
                    problem: Some(format!(
                        "Camera and microphone are blocked ({both}). Allow them in the address bar, then rejoin."
                    )),
                },
            },
        },
    }
}

/// The camera and microphone this page already holds (the guest's preview
/// hands its stream, with its mute choices, to the call), or new ones; asks
/// again when the held stream has nothing in it, so a refusal is explained.
pub async fn held_or_new_camera_and_microphone() -> LocalMedia {
    if let Some(stream) = super::streams::get(super::streams::LOCAL).filter(|stream| !tracks(stream).is_empty()) {
        return LocalMedia { stream, problem: None };
    }
    if let Some(stream) = early_camera().await {
        return LocalMedia { stream, problem: None };
    }
    camera_and_microphone().await
}

/// The stream the page asked for while it was still loading
/// (media/early_camera.js), taken once; None if there is none or the
/// browser refused it.
async fn early_camera() -> Option<MediaStream> {
    let window = web_sys::window()?;
    let key = wasm_bindgen::JsValue::from_str("__anteroomEarlyMedia");
    let promise = js_sys::Reflect::get(&window, &key).ok()?.dyn_into::<js_sys::Promise>().ok()?;
    let _ = js_sys::Reflect::delete_property(&window, &key);
    let stream = JsFuture::from(promise).await.ok()?.dyn_into::<MediaStream>().ok()?;
    (!tracks(&stream).is_empty()).then_some(stream)
}

/// Whether the stream has a track of `kind` ("audio" or "video") that is on.
pub fn is_on(stream: &MediaStream, kind: &str) -> bool {
    tracks(stream).iter().any(|t| t.kind() == kind && t.enabled())
}

fn media_devices() -> Result<web_sys::MediaDevices, String> {
    web_sys::window()
        .ok_or("no window")?
        .navigator()
        .media_devices()
        .map_err(|_| "this browser gives no access to cameras, microphones or screens".to_string())
}

async fn request(audio: bool, video: bool) -> Result<MediaStream, String> {
    let devices = media_devices()?;
    let constraints = MediaStreamConstraints::new();
    constraints.set_audio_bool(audio);
    constraints.set_video_bool(video);
    let promise = devices.get_user_media_with_constraints(&constraints).map_err(describe)?;
    JsFuture::from(promise).await.map_err(describe)?.dyn_into::<MediaStream>().map_err(describe)
}

/// A screen or window chosen by the person.
pub async fn screen() -> Result<MediaStream, String> {
    let devices = media_devices()?;
    let constraints = DisplayMediaStreamConstraints::new();
    constraints.set_video_bool(true);
    let promise = devices.get_display_media_with_constraints(&constraints).map_err(describe)?;
    JsFuture::from(promise).await.map_err(describe)?.dyn_into::<MediaStream>().map_err(describe)
}

pub fn tracks(stream: &MediaStream) -> Vec<MediaStreamTrack> {
    stream.get_tracks().iter().filter_map(|t| t.dyn_into::<MediaStreamTrack>().ok()).collect()
}

pub fn stop_all(stream: &MediaStream) {
    for track in tracks(stream) {
        track.stop();
    }
}

/// A JavaScript error's name and message, e.g. "NotAllowedError: Permission denied".
pub fn describe(error: impl Into<wasm_bindgen::JsValue>) -> String {
    let error = error.into();
    match error.dyn_ref::<js_sys::Error>() {
        Some(error) => format!("{}: {}", String::from(error.name()), String::from(error.message())),
        None => error.as_string().unwrap_or_else(|| format!("{error:?}")),
    }
}

/// Enables or disables this browser's own camera-stream tracks of `kind`
/// ("audio" or "video"); disabled tracks send silence or black.
pub fn enable_local(kind: &str, on: bool) {
    if let Some(stream) = super::streams::get(super::streams::LOCAL) {
        for track in tracks(&stream).iter().filter(|t| t.kind() == kind) {
            track.set_enabled(on);
        }
    }
}
