//! The session-description door (issue 32, 4 and 5): one channel guest got
//! 20 video sections accepted by marking them `bundle-only` on port 0, and
//! two got 76,500 ICE candidates accepted inside offers sent 8 a second,
//! which took most of a core. Each offer here is a real one (made by the
//! WebRTC stack the server uses), changed as the prober changed it.

use crate::support::{SignalSocket, TestServer};
use anteroom_app::protocol::signal::SignalEvent;
use std::sync::Arc;
use webrtc::api::APIBuilder;
use webrtc::api::media_engine::{MIME_TYPE_OPUS, MIME_TYPE_VP8, MediaEngine};
use webrtc::peer_connection::configuration::RTCConfiguration;
use webrtc::rtp_transceiver::rtp_codec::RTCRtpCodecCapability;
use webrtc::track::track_local::track_local_static_sample::TrackLocalStaticSample;

/// A browser-like offer publishing a microphone and a camera.
async fn real_offer() -> String {
    let mut media = MediaEngine::default();
    media.register_default_codecs().unwrap();
    let api = APIBuilder::new().with_media_engine(media).build();
    let pc = api.new_peer_connection(RTCConfiguration::default()).await.unwrap();
    for (mime, id) in [(MIME_TYPE_OPUS, "mic"), (MIME_TYPE_VP8, "camera")] {
        let codec = RTCRtpCodecCapability { mime_type: mime.to_owned(), ..Default::default() };
        pc.add_track(Arc::new(TrackLocalStaticSample::new(codec, id.into(), "stream".into()))).await.unwrap();
    }
    let offer = pc.create_offer(None).await.unwrap();
    pc.close().await.unwrap();
    offer.sdp
}

/// `offer` with `extra` more video sections, port 0 and `bundle-only`:
/// live on the bundle's transport, and uncounted before the fix.
fn with_bundle_only_video(offer: &str, extra: usize) -> String {
    let video = &offer[offer.find("m=video").expect("a video section")..];
    let mut sdp = offer.to_string();
    let mut mids = String::new();
    for n in 0..extra {
        let mid = format!("x{n}");
        let section: String = video
            .lines()
            .filter(|line| !line.starts_with("a=ssrc") && !line.starts_with("a=msid"))
            .map(|line| match line {
                _ if line.starts_with("m=video 9") => line.replacen("m=video 9", "m=video 0", 1) + "\r\na=bundle-only",
                _ if line.starts_with("a=mid:") => format!("a=mid:{mid}"),
                _ => line.to_string(),
            })
            .map(|line| line + "\r\n")
            .collect();
        sdp += &section;
        mids += &format!(" {mid}");
    }
    let group = sdp.lines().find(|line| line.starts_with("a=group:BUNDLE")).expect("a bundle group").to_string();
    sdp.replacen(&group, &format!("{group}{mids}"), 1)
}

/// `offer` with `count` distinct host candidates in its first section.
fn with_candidates(offer: &str, count: usize) -> String {
    let candidates: String =
        (0..count).map(|n| format!("a=candidate:{n} 1 udp 1 127.0.0.1 {} typ host\r\n", 40000 + n)).collect();
    let first = offer.find("m=").expect("a media section");
    let second = offer[first..].find("\r\nm=").map_or(offer.len(), |at| first + at + 2);
    format!("{}{candidates}{}", &offer[..second], &offer[second..])
}

async fn send_offer(socket: &mut SignalSocket, sdp: &str) {
    let offer = serde_json::json!({ "type": "publish_offer", "sdp": sdp, "screen_stream": null });
    socket.send_text(&offer.to_string()).await;
}

/// The server's answer to an offer: `Ok` with an answer, `Err` with a refusal.
async fn outcome(socket: &mut SignalSocket) -> Result<(), String> {
    match socket.wait_for(|e| matches!(e, SignalEvent::PublishAnswer { .. } | SignalEvent::Error { .. })).await {
        SignalEvent::Error { reason } => Err(reason),
        _ => Ok(()),
    }
}

#[tokio::test]
async fn video_sections_marked_bundle_only_count_as_tracks() {
    let server = TestServer::with_demo().await;
    let (mut adas, mut graces) = super::two_in_a_call(&server).await;
    let offer = real_offer().await;

    send_offer(&mut graces, &with_bundle_only_video(&offer, 20)).await;
    assert_eq!(outcome(&mut graces).await, Err("A call can carry at most 2 audio and 2 video tracks from you.".into()));
    // One camera more (a screen share) is what a call takes.
    send_offer(&mut graces, &with_bundle_only_video(&offer, 1)).await;
    assert_eq!(outcome(&mut graces).await, Ok(()));

    adas.send_text(r#"{"type":"chat","text":"still fine"}"#).await;
    adas.wait_for(|e| matches!(e, SignalEvent::Chat { message } if message.text == "still fine")).await;
    server.stop().await;
}

#[tokio::test]
async fn candidates_inside_offers_and_renegotiations_are_bounded() {
    let server = TestServer::with_demo().await;
    let (mut adas, mut graces) = super::two_in_a_call(&server).await;
    let offer = real_offer().await;

    // The prober's offer: 1,020 candidates.
    send_offer(&mut graces, &with_candidates(&offer, 1020)).await;
    assert_eq!(
        outcome(&mut graces).await,
        Err("Your browser listed 1020 network candidates; at most 64 are taken.".into())
    );
    // A dozen, as a laptop on a VPN lists, are taken, and taken again as
    // renegotiations repeat them.
    let dozen = with_candidates(&offer, 12);
    send_offer(&mut graces, &dozen).await;
    assert_eq!(outcome(&mut graces).await, Ok(()));

    // Renegotiating as fast as the socket allows: the link takes ten at
    // once (one was spent above), then refuses until time has passed.
    let mut taken = 1;
    let refusal = loop {
        send_offer(&mut graces, &dozen).await;
        match outcome(&mut graces).await {
            Ok(()) => taken += 1,
            Err(reason) => break reason,
        }
        assert!(taken <= 11, "renegotiations are bounded");
    };
    assert_eq!(refusal, "Your browser is renegotiating too often: that offer was not taken. Wait a moment.");
    assert!(taken >= 10, "a browser's own renegotiations pass: {taken}");

    adas.send_text(r#"{"type":"chat","text":"still fine"}"#).await;
    adas.wait_for(|e| matches!(e, SignalEvent::Chat { message } if message.text == "still fine")).await;
    server.stop().await;
}
