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

/// Room for a packet as sent, with its authentication tag: what the SFU
/// forwards came in datagrams of at most 1,460 bytes, and gains only a
/// media id header extension on the way.
const MAX_DATAGRAM: usize = 1_600;

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
        if let Some(waiting) = self.try_send(packet, *browser)? {
            self.socket.send_to(&waiting, *browser).await?;
        }
        Ok(())
    }

    /// Encrypts `packet` on the stack and sends it if the socket takes it
    /// now; if not, the datagram to wait with. Not part of `send`'s own
    /// future: a buffer there would be held by every task that may send,
    /// a subscriber's reading of its reports among them.
    fn try_send(&self, packet: &Packet, browser: SocketAddr) -> Result<Option<Vec<u8>>, TransmitError> {
        let mut datagram = [0u8; MAX_DATAGRAM];
        let len = self.srtp()?.encrypt_rtp_into(packet, &mut datagram)?;
        match self.socket.try_send_to(&datagram[..len], browser) {
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => Ok(Some(datagram[..len].to_vec())),
            sent => sent.map(|_| None).map_err(TransmitError::from),
        }
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

#[cfg(test)]
mod tests {
    use webrtc::srtp::context::Context;
    use webrtc::srtp::protection_profile::ProtectionProfile;
    use webrtc::util::marshal::Marshal;

    /// Encrypting in place (the vendored patch) must make the very bytes
    /// the crate's own encryption makes, for the AEAD profile browsers
    /// choose and for the one that takes the patch's fallback.
    #[test]
    fn a_packet_encrypted_in_place_is_the_one_the_crate_makes_and_decrypts() {
        for profile in [ProtectionProfile::AeadAes128Gcm, ProtectionProfile::Aes128CmHmacSha1_80] {
            let key: Vec<u8> = (1..=profile.key_len() as u8).collect();
            let salt: Vec<u8> = (100..100 + profile.salt_len() as u8).collect();
            let context = || Context::new(&key, &salt, profile, None, None).expect("a context");
            let mut packet = webrtc::rtp::packet::Packet::default();
            packet.header.version = 2;
            packet.header.ssrc = 0x1234_5678;
            packet.header.payload_type = 96;
            packet.header.set_extension(4, bytes::Bytes::from_static(b"1")).expect("an extension");
            for sequence_number in [1, 2, 65_535, 0] {
                packet.header.sequence_number = sequence_number;
                packet.payload = bytes::Bytes::from(vec![sequence_number as u8; 1_200]);
                let raw = packet.marshal().expect("marshals");
                let expected = context().encrypt_rtp(&raw).expect("the crate encrypts");

                let mut datagram = [0u8; super::MAX_DATAGRAM];
                datagram[..raw.len()].copy_from_slice(&raw);
                let len = context()
                    .encrypt_rtp_in_place(&mut datagram, raw.len(), &packet.header)
                    .expect("encrypts in place");
                assert_eq!(&datagram[..len], &expected[..], "{profile:?}, packet {sequence_number}");
                assert_eq!(context().decrypt_rtp(&datagram[..len]).expect("decrypts"), raw);
            }
        }
    }
}
