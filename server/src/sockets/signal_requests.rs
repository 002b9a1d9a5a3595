//! Reading one message from a participant's signalling socket: its size,
//! its shape and the limits on what it asks are all checked here, before
//! anything acts on it, so the handlers only ever see requests in bounds.
//! A refusal is the sentence sent back to the sender.

use crate::sfu::descriptions;
use anteroom_app::protocol::signal::{MAX_CHAT_CHARS, MAX_SIGNAL_MESSAGE_BYTES, SignalRequest};

/// Longest ICE candidate line (real ones are under 200 bytes).
pub const MAX_CANDIDATE_BYTES: usize = 512;
/// Longest media id a candidate may name (browsers use "0", "1", ...).
pub const MAX_MEDIA_ID_BYTES: usize = 64;
/// Longest stream id a tile size may name (ours are "p12-camera-0a1b2c3d").
pub const MAX_STREAM_ID_BYTES: usize = 64;

/// The request in `text`, checked; chat text comes back trimmed.
pub fn read_request(text: &str) -> Result<SignalRequest, String> {
    if text.len() > MAX_SIGNAL_MESSAGE_BYTES {
        return Err(format!(
            "That message is too large ({} bytes; the limit is {MAX_SIGNAL_MESSAGE_BYTES}).",
            text.len()
        ));
    }
    let request =
        serde_json::from_str::<SignalRequest>(text).map_err(|error| format!("Could not read that message: {error}"))?;
    match request {
        SignalRequest::PublishOffer { sdp, screen_stream } => match descriptions::shape(&sdp).publish_problem() {
            Some(problem) => Err(problem),
            None => Ok(SignalRequest::PublishOffer { sdp, screen_stream }),
        },
        SignalRequest::SubscribeAnswer { sdp } => match descriptions::shape(&sdp).candidates_problem() {
            Some(problem) => Err(problem),
            None => Ok(SignalRequest::SubscribeAnswer { sdp }),
        },
        SignalRequest::Candidate { candidate, .. }
            if candidate.candidate.len() > MAX_CANDIDATE_BYTES
                || candidate.sdp_mid.as_ref().is_some_and(|id| id.len() > MAX_MEDIA_ID_BYTES) =>
        {
            Err("That ICE candidate is too long.".into())
        }
        SignalRequest::TileSize { stream, .. } if stream.len() > MAX_STREAM_ID_BYTES => {
            Err("That stream id is too long.".into())
        }
        SignalRequest::Chat { text } => {
            let text = text.trim();
            if text.is_empty() {
                Err("Type a message first.".into())
            } else if text.chars().count() > MAX_CHAT_CHARS {
                Err(format!("Chat messages can be at most {MAX_CHAT_CHARS} characters."))
            } else {
                Ok(SignalRequest::Chat { text: text.to_string() })
            }
        }
        request => Ok(request),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anteroom_app::protocol::signal::{IceCandidate, Link};
    use proptest::prelude::*;

    #[test]
    fn requests_out_of_bounds_are_refused_with_a_reason() {
        let long_chat = serde_json::json!({ "type": "chat", "text": "x".repeat(MAX_CHAT_CHARS + 1) }).to_string();
        let long_candidate = serde_json::json!({
            "type": "candidate", "link": "publish", "candidate": { "candidate": "c".repeat(600) }
        })
        .to_string();
        let cases = [
            ("x".repeat(MAX_SIGNAL_MESSAGE_BYTES + 1), "too large"),
            (r#"{"type":"become_admin"}"#.to_string(), "Could not read"),
            (r#"{"type":"chat","text":"   "}"#.to_string(), "Type a message first"),
            (long_chat, "at most 2000 characters"),
            (long_candidate, "too long"),
        ];
        for (text, reason) in cases {
            let refusal = read_request(&text).unwrap_err();
            assert!(refusal.contains(reason), "{refusal} should say {reason}");
        }
        let chat = read_request(r#"{"type":"chat","text":"  hi  "}"#).unwrap();
        assert_eq!(chat, SignalRequest::Chat { text: "hi".into() });
    }

    /// Messages of every kind with arbitrary field values, and arbitrary text.
    fn message() -> impl Strategy<Value = String> {
        let sdp = proptest::collection::vec(
            prop_oneof![
                Just("m=audio 9 UDP/TLS/RTP/SAVPF 111".to_string()),
                Just("m=video 9 UDP/TLS/RTP/SAVPF 96".to_string()),
                Just("m=video 0 UDP/TLS/RTP/SAVPF 96".to_string()),
                Just("a=bundle-only".to_string()),
                Just("a=inactive".to_string()),
                Just("a=sendonly".to_string()),
                (0..80u32).prop_map(|n| format!("a=candidate:{n} 1 udp 2122260223 127.0.0.1 {n} typ host")),
                "[ -~]{0,40}",
            ],
            0..160,
        )
        .prop_map(|lines| lines.join("\r\n"));
        let candidate = (".{0,700}", proptest::option::of(".{0,80}"), proptest::option::of(any::<u16>()))
            .prop_map(|(candidate, sdp_mid, sdp_mline_index)| IceCandidate { candidate, sdp_mid, sdp_mline_index });
        let request = prop_oneof![
            (sdp.clone(), proptest::option::of(".{0,20}"))
                .prop_map(|(sdp, screen_stream)| SignalRequest::PublishOffer { sdp, screen_stream }),
            sdp.prop_map(|sdp| SignalRequest::SubscribeAnswer { sdp }),
            (prop_oneof![Just(Link::Publish), Just(Link::Subscribe)], candidate)
                .prop_map(|(link, candidate)| SignalRequest::Candidate { link, candidate }),
            (any::<bool>(), any::<bool>()).prop_map(|(audio, video)| SignalRequest::Mute { audio, video }),
            Just(SignalRequest::StopScreen),
            (".{0,80}", any::<u16>()).prop_map(|(stream, height)| SignalRequest::TileSize { stream, height }),
            "(?s).{0,2100}".prop_map(|text| SignalRequest::Chat { text }),
        ];
        prop_oneof![
            request.prop_map(|request| serde_json::to_string(&request).unwrap()),
            "(?s).{0,300}",
            r#"\{"type":"[a-z_]{0,12}"(,"[a-z]{1,6}":("[ -~]{0,10}"|[0-9]{1,5}|true|null))*\}"#,
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// Whatever arrives, reading it never panics, and every request let
        /// through is within its limits.
        #[test]
        fn only_requests_within_bounds_get_through(text in message()) {
            match read_request(&text) {
                Err(reason) => prop_assert!(!reason.is_empty()),
                Ok(SignalRequest::PublishOffer { sdp, .. }) => {
                    let shape = descriptions::shape(&sdp);
                    prop_assert!(shape.sending_audio <= descriptions::MAX_TRACKS_PER_KIND);
                    prop_assert!(shape.sending_video <= descriptions::MAX_TRACKS_PER_KIND);
                    prop_assert!(shape.sections <= descriptions::MAX_MEDIA_SECTIONS);
                    prop_assert!(shape.candidates <= descriptions::MAX_CANDIDATES);
                }
                Ok(SignalRequest::SubscribeAnswer { sdp }) => {
                    prop_assert!(descriptions::shape(&sdp).candidates <= descriptions::MAX_CANDIDATES);
                }
                Ok(SignalRequest::Candidate { candidate, .. }) => {
                    prop_assert!(candidate.candidate.len() <= MAX_CANDIDATE_BYTES);
                    prop_assert!(candidate.sdp_mid.map_or(0, |id| id.len()) <= MAX_MEDIA_ID_BYTES);
                }
                Ok(SignalRequest::TileSize { stream, .. }) => prop_assert!(stream.len() <= MAX_STREAM_ID_BYTES),
                Ok(SignalRequest::Chat { text }) => {
                    prop_assert!(!text.is_empty() && text == text.trim());
                    prop_assert!(text.chars().count() <= MAX_CHAT_CHARS);
                }
                Ok(_) => {}
            }
        }
    }
}
