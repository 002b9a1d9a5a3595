//! The track one subscriber's copy of a published track goes out on: what
//! the `webrtc` crate binds to that subscriber's sender.
//!
//! The crate's own `TrackLocalStaticRTP` serves any number of senders: for
//! every packet it takes an async lock, copies the list of its bindings and
//! copies the packet once more. A downtrack has exactly one sender, and its
//! packets are already the subscriber's own copies (`layers`), so this keeps
//! that one binding where a packet reaches it with neither lock nor copy:
//! the SFU's hot path, once per packet per subscriber.

use arc_swap::ArcSwapOption;
use async_trait::async_trait;
use bytes::Bytes;
use std::any::Any;
use std::sync::Arc;
use webrtc::interceptor::Attributes;
use webrtc::rtp::packet::Packet;
use webrtc::rtp_transceiver::rtp_codec::{RTCRtpCodecCapability, RTCRtpCodecParameters, RTPCodecType};
use webrtc::sdp::extmap::SDES_MID_URI;
use webrtc::track::track_local::{TrackLocal, TrackLocalContext, TrackLocalWriter};

pub struct OutgoingTrack {
    codec: RTCRtpCodecCapability,
    kind: RTPCodecType,
    id: String,
    stream_id: String,
    binding: ArcSwapOption<Binding>,
}

/// The sender the track is bound to, once the subscriber's link has one.
struct Binding {
    /// The crate's name for the binding (unbinding names it).
    context: String,
    ssrc: u32,
    payload_type: u8,
    /// The media id header extension (its id and value), when negotiated:
    /// it tells the browser which transceiver a packet is for.
    mid: Option<(u8, Bytes)>,
    writer: Arc<dyn TrackLocalWriter + Send + Sync>,
}

impl OutgoingTrack {
    pub fn new(codec: RTCRtpCodecCapability, kind: RTPCodecType, id: String, stream_id: String) -> Self {
        OutgoingTrack { codec, kind, id, stream_id, binding: ArcSwapOption::empty() }
    }

    /// Sends `packet` (the subscriber's own copy) on the bound sender, if
    /// any yet; packets before that have nowhere to go and are dropped.
    pub async fn write(&self, mut packet: Packet) -> Result<(), webrtc::Error> {
        let Some(binding) = self.binding.load_full() else { return Ok(()) };
        packet.header.ssrc = binding.ssrc;
        packet.header.payload_type = binding.payload_type;
        if let Some((id, mid)) = &binding.mid {
            packet.header.set_extension(*id, mid.clone())?;
        }
        binding.writer.write_rtp_with_attributes(&packet, &Attributes::new()).await?;
        Ok(())
    }
}

#[async_trait]
impl TrackLocal for OutgoingTrack {
    async fn bind(&self, context: &TrackLocalContext) -> Result<RTCRtpCodecParameters, webrtc::Error> {
        let codec = context
            .codec_parameters()
            .iter()
            .find(|c| {
                c.capability.mime_type.eq_ignore_ascii_case(&self.codec.mime_type)
                    && c.capability.clock_rate == self.codec.clock_rate
            })
            .cloned()
            .ok_or(webrtc::Error::ErrUnsupportedCodec)?;
        let mid = context
            .header_extensions()
            .iter()
            .find(|e| e.uri == SDES_MID_URI)
            .zip(context.mid())
            .map(|(extension, mid)| (extension.id as u8, Bytes::copy_from_slice(mid.as_bytes())));
        self.binding.store(Some(Arc::new(Binding {
            context: context.id(),
            ssrc: context.ssrc(),
            payload_type: codec.payload_type,
            mid,
            writer: context.write_stream(),
        })));
        Ok(codec)
    }

    async fn unbind(&self, context: &TrackLocalContext) -> Result<(), webrtc::Error> {
        let bound_here = self.binding.load().as_ref().is_some_and(|b| b.context == context.id());
        if !bound_here {
            return Err(webrtc::Error::ErrUnbindFailed);
        }
        self.binding.store(None);
        Ok(())
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn rid(&self) -> Option<&str> {
        None
    }

    fn stream_id(&self) -> &str {
        &self.stream_id
    }

    fn kind(&self) -> RTPCodecType {
        self.kind
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
