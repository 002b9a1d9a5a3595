//! The synthetic WebRTC peers both SFUs are driven with: a publisher's
//! synthetic VP8 camera, and a subscriber's packet counter.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use webrtc::api::interceptor_registry::register_default_interceptors;
use webrtc::api::media_engine::{MIME_TYPE_VP8, MediaEngine};
use webrtc::api::setting_engine::SettingEngine;
use webrtc::api::{API, APIBuilder};
use webrtc::ice::mdns::MulticastDnsMode;
use webrtc::ice::network_type::NetworkType;
use webrtc::interceptor::registry::Registry;
use webrtc::rtp::packet::Packet;
use webrtc::rtp_transceiver::rtp_codec::RTCRtpCodecCapability;
use webrtc::track::track_local::TrackLocalWriter;
use webrtc::track::track_local::track_local_static_rtp::TrackLocalStaticRTP;
use webrtc::track::track_remote::TrackRemote;

/// Synthetic video: 30 frames a second, 3 packets of 1,100 bytes each
/// (about 800 kbit/s, a typical 360p camera).
const FRAME_INTERVAL: Duration = Duration::from_millis(33);
const PACKETS_PER_FRAME: u16 = 3;
const PAYLOAD_BYTES: usize = 1100;

/// What one synthetic subscriber saw.
#[derive(Default)]
pub struct Received {
    pub packets: AtomicU64,
    pub bytes: AtomicU64,
    /// Per track: (first extended sequence number, highest, packets counted).
    pub tracks: Mutex<Vec<(u64, u64, u64)>>,
    pub first_packet: OnceLock<Duration>,
}

impl Received {
    /// Tracks that have delivered at least one packet.
    pub fn flowing_tracks(&self) -> usize {
        self.tracks.lock().unwrap().iter().filter(|t| t.2 > 0).count()
    }
}

/// The clients' WebRTC engine: only loopback, or only `client_ip`.
pub fn client_api(client_ip: Option<IpAddr>) -> API {
    let mut media = MediaEngine::default();
    media.register_default_codecs().expect("codecs");
    let interceptors = register_default_interceptors(Registry::new(), &mut media).expect("interceptors");
    let mut settings = SettingEngine::default();
    settings.set_network_types(vec![NetworkType::Udp4]);
    settings.set_ice_multicast_dns_mode(MulticastDnsMode::Disabled);
    match client_ip {
        Some(only) => settings.set_ip_filter(Box::new(move |ip: IpAddr| ip == only)),
        None => {
            settings.set_include_loopback_candidate(true);
            settings.set_ip_filter(Box::new(|ip: IpAddr| ip.is_loopback()));
        }
    }
    APIBuilder::new()
        .with_media_engine(media)
        .with_interceptor_registry(interceptors)
        .with_setting_engine(settings)
        .build()
}

pub fn camera_track() -> Arc<TrackLocalStaticRTP> {
    Arc::new(TrackLocalStaticRTP::new(
        RTCRtpCodecCapability { mime_type: MIME_TYPE_VP8.to_string(), clock_rate: 90000, ..Default::default() },
        "video".into(),
        "bench-camera".into(),
    ))
}

/// Sends synthetic VP8 frames until the track can no longer be written.
pub async fn send_video(track: Arc<TrackLocalStaticRTP>) {
    let mut ticker = tokio::time::interval(FRAME_INTERVAL);
    let (mut sequence, mut timestamp) = (0u16, 0u32);
    // Each packet reads as the start of a VP8 keyframe (descriptor 0x10:
    // start of partition 0; frame byte 0x10: key frame), so a subscriber's
    // stream starts at the first packet, as it would at a real keyframe.
    let payload = bytes::Bytes::from(vec![0x10u8; PAYLOAD_BYTES]);
    loop {
        ticker.tick().await;
        for index in 0..PACKETS_PER_FRAME {
            let mut packet = Packet { payload: payload.clone(), ..Default::default() };
            packet.header.version = 2;
            packet.header.sequence_number = sequence;
            packet.header.timestamp = timestamp;
            packet.header.marker = index + 1 == PACKETS_PER_FRAME;
            sequence = sequence.wrapping_add(1);
            if track.write_rtp(&packet).await.is_err() {
                return;
            }
        }
        timestamp = timestamp.wrapping_add(3000);
    }
}

/// Counts packets and sequence-number coverage of one received track.
pub async fn count_packets(track: Arc<TrackRemote>, received: Arc<Received>, joined_at: Instant) {
    let mut buffer = vec![0u8; 1600];
    let slot = {
        let mut tracks = received.tracks.lock().unwrap();
        tracks.push((0, 0, 0));
        tracks.len() - 1
    };
    let mut last: Option<u64> = None;
    while let Ok((packet, _)) = track.read(&mut buffer).await {
        let _ = received.first_packet.set(joined_at.elapsed());
        received.packets.fetch_add(1, Ordering::Relaxed);
        received.bytes.fetch_add(packet.payload.len() as u64, Ordering::Relaxed);
        let extended = extend(last, packet.header.sequence_number);
        let mut tracks = received.tracks.lock().unwrap();
        let entry = &mut tracks[slot];
        if last.is_none() {
            *entry = (extended, extended, 0);
        }
        entry.1 = entry.1.max(extended);
        entry.2 += 1;
        last = Some(last.map_or(extended, |l| l.max(extended)));
    }
}

/// Unwraps a 16-bit sequence number into a 64-bit one, relative to the
/// highest seen so far.
fn extend(highest: Option<u64>, sequence: u16) -> u64 {
    let Some(highest) = highest else { return u64::from(sequence) };
    let candidate = (highest & !0xffff) | u64::from(sequence);
    if candidate + 0x8000 < highest {
        candidate + 0x10000
    } else if candidate > highest + 0x8000 && candidate >= 0x10000 {
        candidate - 0x10000
    } else {
        candidate
    }
}
