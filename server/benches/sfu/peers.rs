//! The synthetic WebRTC peers both SFUs are driven with: a publisher's
//! synthetic VP8 camera (and Opus microphone), and a subscriber's packet
//! counters.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use webrtc::api::interceptor_registry::register_default_interceptors;
use webrtc::api::media_engine::{MIME_TYPE_OPUS, MIME_TYPE_VP8, MediaEngine};
use webrtc::api::setting_engine::SettingEngine;
use webrtc::api::{API, APIBuilder};
use webrtc::ice::mdns::MulticastDnsMode;
use webrtc::ice::network_type::NetworkType;
use webrtc::ice::udp_network::{EphemeralUDP, UDPNetwork};
use webrtc::interceptor::registry::Registry;
use webrtc::peer_connection::RTCPeerConnection;
use webrtc::rtp::packet::Packet;
use webrtc::rtp_transceiver::rtp_codec::{RTCRtpCodecCapability, RTCRtpHeaderExtensionCapability, RTPCodecType};
use webrtc::sdp::extmap::{SDES_MID_URI, SDES_RTP_STREAM_ID_URI};
use webrtc::track::track_local::TrackLocalWriter;
use webrtc::track::track_local::track_local_static_rtp::TrackLocalStaticRTP;
use webrtc::track::track_remote::TrackRemote;

/// Synthetic video at 30 frames a second, in three simulcast layers as
/// browsers send it: (stream id, picture height, packets a frame, bytes a
/// packet). The full layer is about 800 kbit/s (a typical 360p camera), the
/// half one about 240, the quarter one about 70.
const FRAME_INTERVAL: Duration = Duration::from_millis(33);
pub const LAYERS: [(&str, u16, u16, usize); 3] = [("q", 90, 1, 300), ("h", 180, 1, 1000), ("f", 360, 3, 1100)];

/// Synthetic speech: one Opus packet every 20 ms, of the size a voice at
/// about 32 kbit/s gives.
const AUDIO_INTERVAL: Duration = Duration::from_millis(20);
const AUDIO_PACKET_BYTES: usize = 80;

/// What one synthetic subscriber saw.
#[derive(Default)]
pub struct Received {
    /// Video packets (audio ones are counted apart).
    pub packets: AtomicU64,
    pub audio_packets: AtomicU64,
    pub bytes: AtomicU64,
    /// Per track: (first extended sequence number, highest, packets counted).
    pub tracks: Mutex<Vec<(u64, u64, u64)>>,
    pub first_packet: OnceLock<Duration>,
    /// Frames that arrived whole (every packet, in order after the last).
    pub frames: AtomicU64,
}

impl Received {
    /// Tracks that have delivered at least one packet.
    pub fn flowing_tracks(&self) -> usize {
        self.tracks.lock().unwrap().iter().filter(|t| t.2 > 0).count()
    }
}

/// The clients' WebRTC engine: only loopback, or only `client_ip`; on UDP
/// port `port` alone when given (so that a test can cap that port).
pub fn client_api(client_ip: Option<IpAddr>, port: Option<u16>) -> API {
    let mut media = MediaEngine::default();
    media.register_default_codecs().expect("codecs");
    // Simulcast layers are told apart by these header extensions.
    for uri in [SDES_MID_URI, SDES_RTP_STREAM_ID_URI] {
        let extension = RTCRtpHeaderExtensionCapability { uri: uri.to_owned() };
        media.register_header_extension(extension, RTPCodecType::Video, None).expect("header extension");
    }
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
    if let Some(port) = port {
        let ports = EphemeralUDP::new(port, port).expect("a port range");
        settings.set_udp_network(UDPNetwork::Ephemeral(ports));
    }
    APIBuilder::new()
        .with_media_engine(media)
        .with_interceptor_registry(interceptors)
        .with_setting_engine(settings)
        .build()
}

/// A synthetic camera: one track per simulcast layer, lowest first, all
/// in one media section.
pub fn camera_layers() -> Vec<Arc<TrackLocalStaticRTP>> {
    let codec = RTCRtpCodecCapability { mime_type: MIME_TYPE_VP8.to_string(), clock_rate: 90000, ..Default::default() };
    LAYERS
        .iter()
        .map(|(rid, ..)| {
            Arc::new(TrackLocalStaticRTP::new_with_rid(
                codec.clone(),
                "video".into(),
                (*rid).into(),
                "bench-camera".into(),
            ))
        })
        .collect()
}

/// Adds the camera's layers to `pc` as one simulcast sender.
pub async fn add_camera(pc: &RTCPeerConnection, layers: &[Arc<TrackLocalStaticRTP>]) {
    let sender = pc.add_track(layers[0].clone()).await.expect("camera track");
    for layer in &layers[1..] {
        sender.add_encoding(layer.clone()).await.expect("simulcast layer");
    }
}

/// A synthetic microphone (Opus, as browsers send it).
pub fn microphone() -> Arc<TrackLocalStaticRTP> {
    let codec = RTCRtpCodecCapability {
        mime_type: MIME_TYPE_OPUS.to_string(),
        clock_rate: 48000,
        channels: 2,
        sdp_fmtp_line: "minptime=10;useinbandfec=1".into(),
        ..Default::default()
    };
    Arc::new(TrackLocalStaticRTP::new(codec, "audio".into(), "bench-camera".into()))
}

/// Sends a synthetic Opus packet every 20 ms until the track can no longer
/// be written. The payload is not real speech: the SFU never decodes it,
/// it forwards and records it as it is.
pub async fn send_audio(track: Arc<TrackLocalStaticRTP>) {
    let mut ticker = tokio::time::interval(AUDIO_INTERVAL);
    let payload = bytes::Bytes::from(vec![0x78; AUDIO_PACKET_BYTES]);
    let (mut sequence, mut timestamp) = (0u16, 0u32);
    loop {
        ticker.tick().await;
        let mut packet = Packet { payload: payload.clone(), ..Default::default() };
        packet.header.version = 2;
        packet.header.sequence_number = sequence;
        packet.header.timestamp = timestamp;
        if track.write_rtp(&packet).await.is_err() {
            return;
        }
        sequence = sequence.wrapping_add(1);
        timestamp = timestamp.wrapping_add(960);
    }
}

/// Counts the packets of one received audio track.
pub async fn count_audio(track: Arc<TrackRemote>, received: Arc<Received>) {
    let mut buffer = vec![0u8; 1600];
    while track.read(&mut buffer).await.is_ok() {
        received.audio_packets.fetch_add(1, Ordering::Relaxed);
    }
}

/// Sends synthetic VP8 frames on every layer until a layer can no longer
/// be written.
pub async fn send_video(layers: Vec<Arc<TrackLocalStaticRTP>>) {
    let mut ticker = tokio::time::interval(FRAME_INTERVAL);
    let mut sequences = [0u16; LAYERS.len()];
    let mut timestamp = 0u32;
    let payloads = LAYERS.map(|(_, height, _, bytes)| keyframe_packets(height, bytes));
    loop {
        ticker.tick().await;
        for (index, track) in layers.iter().enumerate() {
            let packets = LAYERS[index].2;
            for n in 0..packets {
                let payload = if n == 0 { &payloads[index].0 } else { &payloads[index].1 };
                let mut packet = Packet { payload: payload.clone(), ..Default::default() };
                packet.header.version = 2;
                packet.header.sequence_number = sequences[index];
                packet.header.timestamp = timestamp;
                packet.header.marker = n + 1 == packets;
                sequences[index] = sequences[index].wrapping_add(1);
                if track.write_rtp(&packet).await.is_err() {
                    return;
                }
            }
        }
        timestamp = timestamp.wrapping_add(3000);
    }
}

/// The payloads of a synthetic VP8 keyframe `height` lines tall (16:9):
/// its first packet and the packets that continue it, `bytes` each. Every
/// frame is a keyframe, so a subscriber can start, or move to another
/// layer, at any frame; SFUs read these headers to find keyframes and the
/// picture size (RFC 7741 descriptor, then the VP8 key frame header).
fn keyframe_packets(height: u16, bytes: usize) -> (bytes::Bytes, bytes::Bytes) {
    let width = height / 9 * 16;
    // Descriptor: start of partition 0. Frame tag: key frame, version 0,
    // shown. Then the key frame start code and the picture size.
    let mut first = vec![0x10, 0x10, 0x00, 0x00, 0x9d, 0x01, 0x2a];
    first.extend_from_slice(&width.to_le_bytes());
    first.extend_from_slice(&height.to_le_bytes());
    first.resize(bytes, 0);
    // Descriptor: a continuation of the frame.
    let rest = vec![0x00; bytes];
    (first.into(), rest.into())
}

/// Counts packets, sequence-number coverage and whole frames of one
/// received track.
pub async fn count_packets(track: Arc<TrackRemote>, received: Arc<Received>, joined_at: Instant) {
    let mut buffer = vec![0u8; 1600];
    let slot = {
        let mut tracks = received.tracks.lock().unwrap();
        tracks.push((0, 0, 0));
        tracks.len() - 1
    };
    let mut last: Option<u64> = None;
    let mut frame = FrameAssembly::default();
    loop {
        let packet = match track.read(&mut buffer).await {
            Ok((packet, _)) => packet,
            Err(error) => {
                eprintln!("a received track ended: {error}");
                return;
            }
        };
        let _ = received.first_packet.set(joined_at.elapsed());
        received.packets.fetch_add(1, Ordering::Relaxed);
        received.bytes.fetch_add(packet.payload.len() as u64, Ordering::Relaxed);
        let extended = extend(last, packet.header.sequence_number);
        if frame.take(extended, packet.header.timestamp, packet.header.marker) {
            received.frames.fetch_add(1, Ordering::Relaxed);
        }
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

/// Follows one track's frames: a frame is whole when its packets follow
/// the previous frame's last packet without a gap, up to its marker.
#[derive(Default)]
struct FrameAssembly {
    timestamp: Option<u32>,
    /// The sequence number of the last frame's final (marker) packet.
    last_end: Option<u64>,
    first: u64,
    count: u64,
    whole_so_far: bool,
}

impl FrameAssembly {
    /// Takes one packet; true when it completes a whole frame.
    fn take(&mut self, sequence: u64, timestamp: u32, marker: bool) -> bool {
        if self.timestamp != Some(timestamp) {
            self.timestamp = Some(timestamp);
            self.whole_so_far = self.last_end.is_some_and(|end| end + 1 == sequence);
            (self.first, self.count) = (sequence, 0);
        }
        self.count += 1;
        if !marker {
            return false;
        }
        self.last_end = Some(sequence);
        self.whole_so_far && self.count == sequence - self.first + 1
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
