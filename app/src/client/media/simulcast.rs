//! Sending the camera in simulcast: the browser encodes it at up to three
//! sizes, and the SFU gives each subscriber the one its link and tile can
//! take. The SFU says which sizes anyone is sent; the others are paused
//! here, which spares this machine's encoder and uplink.

use crate::call_state::LOCAL_STREAM;
use crate::protocol::signal::{SIMULCAST_LAYERS, layer_rank};
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{MediaStreamTrack, RtcPeerConnection, RtcRtpEncodingParameters, RtcRtpTransceiver};

/// The most each layer may use, bits per second (lowest layer first):
/// enough for a sharp picture at its size, no more.
const MAX_BITRATES: [u32; 3] = [150_000, 450_000, 1_500_000];

/// How many layers a camera picture this tall is worth: layers smaller
/// than 120 lines are not worth encoding, and browsers refuse to send many
/// layers of a small picture anyway.
fn layer_count(height: i32) -> usize {
    match height {
        540.. => 3,
        240.. => 2,
        _ => 1,
    }
}

/// The encodings to send a camera track in, lowest first; None for a
/// picture too small for more than one.
pub fn camera_encodings(track: &MediaStreamTrack) -> Option<js_sys::Array> {
    let height = track.get_settings().get_height().unwrap_or(0);
    let count = layer_count(height);
    if count < 2 {
        return None;
    }
    let first = SIMULCAST_LAYERS.len() - count;
    let encodings = js_sys::Array::new();
    for (rank, (rid, scale)) in SIMULCAST_LAYERS.iter().enumerate().skip(first) {
        let encoding = RtcRtpEncodingParameters::new();
        encoding.set_rid(rid);
        encoding.set_scale_resolution_down_by(*scale);
        encoding.set_max_bitrate(MAX_BITRATES[rank]);
        encodings.push(&encoding);
    }
    Some(encodings)
}

/// Sends the layers of the track in media section `mid` up to `top` and
/// pauses the ones above it (never the lowest: somebody may join).
pub async fn send_layers_up_to(publish: &RtcPeerConnection, mid: &str, top: u8) {
    let Some(transceiver) = publish
        .get_transceivers()
        .iter()
        .filter_map(|t| t.dyn_into::<RtcRtpTransceiver>().ok())
        .find(|t| t.mid().as_deref() == Some(mid))
    else {
        return;
    };
    let sender = transceiver.sender();
    let parameters = sender.get_parameters();
    let Some(encodings) = parameters.get_encodings() else { return };
    let mut changed = false;
    for (index, encoding) in encodings.iter().enumerate() {
        let encoding: RtcRtpEncodingParameters = encoding.unchecked_into();
        let Some(rid) = encoding.get_rid() else { continue };
        let active = index == 0 || layer_rank(&rid) <= top;
        if encoding.get_active() != Some(active) {
            encoding.set_active(active);
            changed = true;
        }
    }
    if changed && let Err(error) = JsFuture::from(sender.set_parameters_with_parameters(&parameters)).await {
        leptos::logging::warn!("could not change the layers sent: {}", super::devices::describe(error));
    }
}

/// How tall each remote video is shown, in device pixels, as last told
/// to the SFU: it sends no larger layer than a tile needs.
#[derive(Default)]
pub struct ShownHeights(RefCell<HashMap<String, u16>>);

impl ShownHeights {
    /// The streams whose shown height changed since the last call.
    pub fn changes(&self) -> Vec<(String, u16)> {
        let now = shown_heights();
        let mut told = self.0.borrow_mut();
        let changed = now.iter().filter(|(stream, height)| told.get(*stream) != Some(height));
        let changed = changed.map(|(stream, height)| (stream.clone(), *height)).collect();
        *told = now;
        changed
    }

    /// A new call session knows nothing yet: tell it everything again.
    pub fn forget(&self) {
        self.0.borrow_mut().clear();
    }
}

/// The shown height of every remote tile's video (tiles carry their
/// stream id in `data-stream`).
fn shown_heights() -> HashMap<String, u16> {
    let mut heights = HashMap::new();
    let Some(window) = web_sys::window() else { return heights };
    let ratio = window.device_pixel_ratio();
    let Some(tiles) = window.document().and_then(|d| d.query_selector_all("figure[data-stream]").ok()) else {
        return heights;
    };
    for index in 0..tiles.length() {
        let Some(tile) = tiles.item(index).and_then(|node| node.dyn_into::<web_sys::Element>().ok()) else { continue };
        let stream = tile.get_attribute("data-stream").unwrap_or_default();
        if stream.is_empty() || stream == LOCAL_STREAM {
            continue;
        }
        if let Ok(Some(video)) = tile.query_selector("video") {
            let height = (f64::from(video.client_height()) * ratio).round().clamp(0.0, f64::from(u16::MAX));
            heights.insert(stream, height as u16);
        }
    }
    heights
}

#[cfg(test)]
mod tests {
    use super::layer_count;

    #[test]
    fn small_pictures_get_fewer_layers() {
        assert_eq!(layer_count(720), 3);
        assert_eq!(layer_count(480), 2);
        assert_eq!(layer_count(180), 1);
        assert_eq!(layer_count(0), 1);
    }
}
