//! The WebRTC engine shared by every peer connection: codecs, interceptors
//! (NACK, RTCP reports), and the one UDP socket all ICE traffic goes through.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use tokio::net::UdpSocket;
use webrtc::api::interceptor_registry::{configure_rtcp_reports, configure_twcc_receiver_only};
use webrtc::api::media_engine::MediaEngine;
use webrtc::api::setting_engine::SettingEngine;
use webrtc::api::{API, APIBuilder};
use webrtc::ice::mdns::MulticastDnsMode;
use webrtc::ice::network_type::NetworkType;
use webrtc::ice::udp_mux::{UDPMux, UDPMuxDefault, UDPMuxParams};
use webrtc::ice::udp_network::UDPNetwork;
use webrtc::ice_transport::ice_candidate_type::RTCIceCandidateType;
use webrtc::interceptor::nack::generator::Generator;
use webrtc::interceptor::nack::responder::Responder;
use webrtc::interceptor::registry::Registry;
use webrtc::rtp_transceiver::RTCPFeedback;
use webrtc::rtp_transceiver::rtp_codec::RTPCodecType;

/// Packets the NACK responder keeps per sent stream for retransmission:
/// 512 is seconds of video, far more than a retransmission can wait. The
/// crate's default (8,192 packets, about 9 MB per video stream at full
/// size) would cost every subscriber megabytes per track.
const NACK_HISTORY_LOG2: u8 = 9;

/// The crate's default interceptors (NACK both ways, RTCP sender and
/// receiver reports, TWCC feedback for what we receive), with a bounded
/// retransmission history.
fn interceptors(media: &mut MediaEngine) -> Result<Registry, webrtc::Error> {
    for parameter in ["", "pli"] {
        media.register_feedback(RTCPFeedback { typ: "nack".into(), parameter: parameter.into() }, RTPCodecType::Video);
    }
    let mut registry = Registry::new();
    registry.add(Box::new(Responder::builder().with_log2_size(NACK_HISTORY_LOG2)));
    registry.add(Box::new(Generator::builder()));
    registry = configure_rtcp_reports(registry);
    configure_twcc_receiver_only(registry, media)
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
    #[error("could not set up the WebRTC engine: {0}")]
    Engine(#[from] webrtc::Error),
}

pub(super) struct Engine {
    pub api: API,
    mux: Arc<UDPMuxDefault>,
    pub media_address: SocketAddr,
    pub ice_servers: Vec<String>,
    /// Only loopback candidates are used, ours and the browsers'.
    pub loopback_only: bool,
}

impl Engine {
    pub async fn start(config: &MediaConfig) -> Result<Self, MediaError> {
        let mut media = MediaEngine::default();
        media.register_default_codecs()?;
        let interceptors = interceptors(&mut media)?;

        let socket =
            UdpSocket::bind(config.bind).await.map_err(|source| MediaError::Bind { address: config.bind, source })?;
        let media_address = socket.local_addr().map_err(|source| MediaError::Bind { address: config.bind, source })?;
        let mux = UDPMuxDefault::new(UDPMuxParams::new(socket));

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
        let api = APIBuilder::new()
            .with_media_engine(media)
            .with_interceptor_registry(interceptors)
            .with_setting_engine(settings)
            .build();
        Ok(Engine {
            api,
            mux,
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
