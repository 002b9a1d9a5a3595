//! Sends a subscriber's RTP straight to its browser: encrypted with its
//! subscribe link's SRTP session and written to the shared media socket,
//! to the address its browser nominated.
//!
//! The `webrtc` crate's own way for a sent packet runs through its
//! interceptors (statistics, sender reports, retransmission history), a
//! writer that waits for SRTP, the SRTP session, and then five layers of
//! connection (mux endpoint, ICE agent, candidate pair, candidate, UDP mux)
//! down to the socket: each an asynchronous call that allocates, several
//! behind a lock. In a meeting that ran for every packet of every
//! subscriber. What a subscriber needs of it is kept next to the track
//! (`outgoing`: retransmission and the counts sender reports are made of).

use arc_swap::ArcSwapOption;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use tokio::net::UdpSocket;
use webrtc::dtls_transport::RTCDtlsTransport;
use webrtc::ice_transport::ice_candidate_pair::RTCIceCandidatePair;
use webrtc::rtp::packet::Packet;
use webrtc::srtp::session::Session;

/// One subscribe link's way to its browser.
pub struct Transmitter {
    /// The media socket (a second handle on the one the ICE mux reads).
    socket: Arc<UdpSocket>,
    dtls: Arc<RTCDtlsTransport>,
    /// Taken from `dtls` with the first packet after its handshake.
    srtp: OnceLock<Arc<Session>>,
    /// Where the browser's nominated ICE pair ends.
    browser: ArcSwapOption<SocketAddr>,
}

#[derive(Debug, thiserror::Error)]
pub enum TransmitError {
    #[error("the link is not connected yet")]
    NotConnected,
    #[error("could not mark a packet with its media id: {0}")]
    Header(#[from] webrtc::rtp::Error),
    #[error("could not encrypt a packet: {0}")]
    Encrypt(#[from] webrtc::srtp::Error),
    #[error("could not send a packet: {0}")]
    Send(#[from] std::io::Error),
}

impl Transmitter {
    /// The transmitter of the link whose DTLS transport is `dtls`; it
    /// follows the ICE pair the browser nominates on it.
    pub fn new(socket: Arc<UdpSocket>, dtls: Arc<RTCDtlsTransport>) -> Arc<Self> {
        let transmitter =
            Arc::new(Transmitter { socket, dtls, srtp: OnceLock::new(), browser: ArcSwapOption::empty() });
        let weak = Arc::downgrade(&transmitter);
        transmitter.dtls.ice_transport().on_selected_candidate_pair_change(Box::new(
            move |pair: RTCIceCandidatePair| {
                if let Some(transmitter) = weak.upgrade() {
                    transmitter.follow(&pair);
                }
                Box::pin(async {})
            },
        ));
        transmitter
    }

    fn follow(&self, pair: &RTCIceCandidatePair) {
        match pair.remote.address.parse::<IpAddr>() {
            Ok(ip) => self.browser.store(Some(Arc::new(SocketAddr::new(ip, pair.remote.port)))),
            Err(error) => {
                tracing::warn!(address = %pair.remote.address, %error, "a nominated ICE pair without an IP address")
            }
        }
    }

    /// Encrypts `packet` and sends it. A full socket buffer is waited for
    /// (a burst of keyframes to many subscribers), not dropped.
    pub async fn send(&self, packet: &Packet) -> Result<(), TransmitError> {
        let Some(browser) = self.browser.load_full() else { return Err(TransmitError::NotConnected) };
        let datagram = self.srtp()?.encrypt_rtp(packet)?;
        match self.socket.try_send_to(&datagram, *browser) {
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {
                self.socket.send_to(&datagram, *browser).await?;
            }
            sent => {
                sent?;
            }
        }
        Ok(())
    }

    /// Whether packets can reach the browser: it nominated an address and
    /// the link's SRTP is set up.
    pub fn is_ready(&self) -> bool {
        self.browser.load().is_some() && self.srtp().is_ok()
    }

    fn srtp(&self) -> Result<&Arc<Session>, TransmitError> {
        if let Some(session) = self.srtp.get() {
            return Ok(session);
        }
        let session = self.dtls.srtp_session_if_ready().ok_or(TransmitError::NotConnected)?;
        Ok(self.srtp.get_or_init(|| session))
    }
}
