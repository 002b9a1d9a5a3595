//! The WebRTC engine shared by every peer connection: codecs, interceptors
//! (NACK, RTCP reports), and the one UDP socket all ICE traffic goes through.
//! Subscribers' media skips the crate on its way out (`transmit`).

use super::workers::Workers;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsFd;
use std::sync::Arc;
use tokio::net::UdpSocket;
use webrtc::api::interceptor_registry::configure_twcc_receiver_only;
use webrtc::api::media_engine::{MIME_TYPE_OPUS, MIME_TYPE_VP8, MediaEngine};
use webrtc::api::setting_engine::SettingEngine;
use webrtc::api::{API, APIBuilder};
use webrtc::ice::mdns::MulticastDnsMode;
use webrtc::ice::network_type::NetworkType;
use webrtc::ice::udp_mux::{UDPMux, UDPMuxDefault, UDPMuxParams};
use webrtc::ice::udp_network::UDPNetwork;
use webrtc::ice_transport::ice_candidate_type::RTCIceCandidateType;
use webrtc::interceptor::nack::generator::Generator;
use webrtc::interceptor::registry::Registry;
use webrtc::interceptor::report::receiver::ReceiverReport;
use webrtc::rtp_transceiver::RTCPFeedback;
use webrtc::rtp_transceiver::rtp_codec::{
    RTCRtpCodecCapability, RTCRtpCodecParameters, RTCRtpHeaderExtensionCapability, RTPCodecType,
};
use webrtc::sdp::extmap::{SDES_MID_URI, SDES_RTP_STREAM_ID_URI};

/// Opus for sound and VP8 for pictures: every browser has both (they are
/// WebRTC's mandatory codecs), and with one video codec the SFU can find
/// the keyframes it switches simulcast layers at. The media id and RTP
/// stream id header extensions tell a publisher's simulcast layers apart.
fn codecs() -> Result<MediaEngine, webrtc::Error> {
    let mut media = MediaEngine::default();
    let opus = RTCRtpCodecCapability {
        mime_type: MIME_TYPE_OPUS.to_owned(),
        clock_rate: 48000,
        channels: 2,
        sdp_fmtp_line: "minptime=10;useinbandfec=1".to_owned(),
        rtcp_feedback: vec![],
    };
    media.register_codec(
        RTCRtpCodecParameters { capability: opus, payload_type: 111, ..Default::default() },
        RTPCodecType::Audio,
    )?;
    let feedback = |typ: &str, parameter: &str| RTCPFeedback { typ: typ.into(), parameter: parameter.into() };
    let vp8 = RTCRtpCodecCapability {
        mime_type: MIME_TYPE_VP8.to_owned(),
        clock_rate: 90000,
        channels: 0,
        sdp_fmtp_line: String::new(),
        // NACK is added with the interceptors.
        rtcp_feedback: vec![feedback("goog-remb", ""), feedback("ccm", "fir")],
    };
    media.register_codec(
        RTCRtpCodecParameters { capability: vp8, payload_type: 96, ..Default::default() },
        RTPCodecType::Video,
    )?;
    for uri in [SDES_MID_URI, SDES_RTP_STREAM_ID_URI] {
        media.register_header_extension(
            RTCRtpHeaderExtensionCapability { uri: uri.to_owned() },
            RTPCodecType::Video,
            None,
        )?;
    }
    Ok(media)
}

/// Which way a peer connection carries media: each kind gets only the
/// interceptors it uses, since every interceptor costs each connection a
/// task, channels and state (memory per subscriber).
#[derive(Clone, Copy)]
enum Direction {
    /// Receives a participant's media: asks for retransmissions (NACK),
    /// sends receiver reports and TWCC feedback.
    Publish,
    /// Sends others' media to a participant. It needs no interceptor:
    /// what is sent on it goes around them (`transmit`), and the SFU
    /// retransmits and reports itself (`outgoing`).
    Subscribe,
}

/// The codecs and interceptors for one direction. Both directions offer
/// the same feedback (NACK, PLI, TWCC), so the descriptions stay alike.
fn engine_parts(direction: Direction) -> Result<(MediaEngine, Registry), webrtc::Error> {
    let mut media = codecs()?;
    for parameter in ["", "pli"] {
        media.register_feedback(RTCPFeedback { typ: "nack".into(), parameter: parameter.into() }, RTPCodecType::Video);
    }
    let mut registry = Registry::new();
    match direction {
        Direction::Publish => {
            registry.add(Box::new(Generator::builder()));
            registry.add(Box::new(ReceiverReport::builder()));
            registry = configure_twcc_receiver_only(registry, &mut media)?;
        }
        Direction::Subscribe => {
            // Only for the description: the feedback and header extension
            // it registers; its interceptor has nothing to do here.
            let _ = configure_twcc_receiver_only(Registry::new(), &mut media)?;
        }
    }
    Ok((media, registry))
}

/// How the SFU reaches browsers.
#[derive(Debug, Clone)]
pub struct MediaConfig {
    /// UDP address for all media; port 0 picks a free one.
    pub bind: SocketAddr,
    /// The address browsers should send media to, when the server is behind
    /// NAT (its public IP). None advertises the machine's own addresses.
    pub public_ip: Option<IpAddr>,
    /// Offer only loopback candidates (a server that only listens on
    /// 127.0.0.1 is only reachable from this machine anyway).
    pub loopback_only: bool,
    /// STUN/TURN URLs handed to browsers, for clients behind strict NATs.
    pub ice_servers: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("could not open the media UDP port {address}: {source}. Set ANTEROOM_MEDIA_PORT to a free port.")]
    Bind { address: SocketAddr, source: std::io::Error },
    #[error("could not start the media worker threads: {0}")]
    Workers(std::io::Error),
    #[error("could not set up the WebRTC engine: {0}")]
    Engine(#[from] webrtc::Error),
}

pub(super) struct Engine {
    /// For the links that receive participants' media (each participant
    /// keeps it, to make its link with its first offer).
    pub publish_api: Arc<API>,
    /// For the links that send participants others' media.
    pub subscribe_api: API,
    mux: Arc<UDPMuxDefault>,
    /// A second handle on the media socket, that subscribers' packets are
    /// sent through.
    pub media_socket: Arc<UdpSocket>,
    pub media_address: SocketAddr,
    pub ice_servers: Vec<String>,
    /// Only loopback candidates are used, ours and the browsers'.
    pub loopback_only: bool,
}

impl Engine {
    /// Opens the media socket on the first of `workers`: its reading task
    /// runs there and its readiness wakes that worker (see `workers`).
    pub async fn start(config: &MediaConfig, workers: &Workers) -> Result<Self, MediaError> {
        let bind = config.bind;
        let (mux, media_socket, media_address) = workers
            .run_on_first(async move {
                let socket = UdpSocket::bind(bind).await?;
                let address = socket.local_addr()?;
                // A duplicate descriptor of the same socket, already
                // non-blocking as tokio set it.
                let sending = std::net::UdpSocket::from(socket.as_fd().try_clone_to_owned()?);
                let sending = Arc::new(UdpSocket::from_std(sending)?);
                Ok::<_, std::io::Error>((UDPMuxDefault::new(UDPMuxParams::new(socket)), sending, address))
            })
            .await
            .map_err(|source| MediaError::Bind { address: bind, source })?;

        let mut settings = SettingEngine::default();
        settings.set_udp_network(UDPNetwork::Muxed(mux.clone()));
        settings.set_network_types(vec![NetworkType::Udp4]);
        // ICE lite, as SFUs with a reachable address do (mediasoup, Janus'
        // option): the browser runs the checks and nominates at once, while
        // a full agent here would nominate only at its next 200 ms tick and
        // then start the link's DTLS, which made first frames wait.
        settings.set_lite(true);
        // mDNS would open a socket per connection and is useless to a server.
        settings.set_ice_multicast_dns_mode(MulticastDnsMode::Disabled);
        if let Some(ip) = config.public_ip {
            settings.set_nat_1to1_ips(vec![ip.to_string()], RTCIceCandidateType::Host);
        }
        if config.loopback_only {
            settings.set_include_loopback_candidate(true);
            settings.set_ip_filter(Box::new(|ip: IpAddr| ip.is_loopback()));
        } else if !config.bind.ip().is_unspecified() {
            let only = config.bind.ip();
            settings.set_ip_filter(Box::new(move |ip: IpAddr| ip == only));
        }
        let api = |direction| -> Result<API, webrtc::Error> {
            let (media, interceptors) = engine_parts(direction)?;
            Ok(APIBuilder::new()
                .with_media_engine(media)
                .with_interceptor_registry(interceptors)
                .with_setting_engine(settings.clone())
                .build())
        };
        Ok(Engine {
            publish_api: Arc::new(api(Direction::Publish)?),
            subscribe_api: api(Direction::Subscribe)?,
            mux,
            media_socket,
            media_address,
            ice_servers: config.ice_servers.clone(),
            loopback_only: config.loopback_only,
        })
    }

    pub async fn close(&self) {
        if let Err(error) = self.mux.close().await {
            tracing::debug!(%error, "closing the media socket");
        }
    }
}
