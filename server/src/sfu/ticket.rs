//! The call ticket: the one thing the media plane takes on trust. The
//! control plane (`sockets::signal`) decides who may join which call and,
//! when it admits someone, issues a ticket naming the call, the holder (a
//! member or a guest, with the name the others see) and a deadline a few
//! seconds away. The SFU checks the ticket's signature and deadline and
//! nothing else: it never reads the database, the sessions or the policy.
//!
//! The ticket is signed (HMAC-SHA-256) even though today both planes share
//! a process, so that a later step with several nodes can let any node
//! admit and the node carrying the media verify, with a key they share.

use anteroom_app::model::{ConferenceId, GuestId, MemberId};
use ring::hmac;
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long an issued ticket may wait before it is used to join: the
/// socket that asked for it joins at once, so seconds are plenty, and a
/// ticket that leaked is worthless soon after.
pub const TICKET_LIFETIME: Duration = Duration::from_secs(30);

/// Who a ticket admits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Holder {
    Member {
        id: MemberId,
        name: String,
    },
    /// `email`: what the guest typed in the lobby, for the call's notes.
    Guest {
        id: GuestId,
        name: String,
        email: Option<String>,
    },
}

impl Holder {
    pub fn name(&self) -> &str {
        match self {
            Holder::Member { name, .. } | Holder::Guest { name, .. } => name,
        }
    }

    pub fn guest(&self) -> Option<GuestId> {
        match self {
            Holder::Guest { id, .. } => Some(*id),
            Holder::Member { .. } => None,
        }
    }
}

/// Admits `holder` to `conference`'s call until `expires` (unix ms).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallTicket {
    pub conference: ConferenceId,
    pub holder: Holder,
    pub expires: u64,
}

/// A ticket as it travels: its bytes and their signature.
#[derive(Debug, Clone)]
pub struct SignedTicket {
    payload: Vec<u8>,
    tag: Vec<u8>,
}

/// Why a ticket opens nothing.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TicketError {
    #[error("This call ticket was not issued by this server. Join the call again.")]
    Forged,
    #[error("This call ticket has expired. Join the call again.")]
    Expired,
}

/// The key both planes hold: the control plane signs with it, the SFU
/// verifies.
#[derive(Clone)]
pub struct TicketKey(hmac::Key);

impl TicketKey {
    /// A key of this process's own (one node; tickets die with it).
    pub fn random() -> Self {
        let rng = ring::rand::SystemRandom::new();
        TicketKey(hmac::Key::generate(hmac::HMAC_SHA256, &rng).expect("the system's random numbers"))
    }

    /// Signs a ticket for `holder` to join `conference` from now on, for
    /// `TICKET_LIFETIME`.
    pub fn issue(&self, conference: ConferenceId, holder: Holder) -> SignedTicket {
        let expires = unix_millis(SystemTime::now() + TICKET_LIFETIME);
        let ticket = CallTicket { conference, holder, expires };
        let payload = serde_json::to_vec(&ticket).expect("a ticket is plain data");
        let tag = hmac::sign(&self.0, &payload).as_ref().to_vec();
        SignedTicket { payload, tag }
    }

    /// The ticket, if this key signed it and its time has not run out.
    pub fn verify(&self, signed: &SignedTicket) -> Result<CallTicket, TicketError> {
        hmac::verify(&self.0, &signed.payload, &signed.tag).map_err(|_| TicketError::Forged)?;
        let ticket: CallTicket = serde_json::from_slice(&signed.payload).map_err(|_| TicketError::Forged)?;
        if unix_millis(SystemTime::now()) >= ticket.expires {
            return Err(TicketError::Expired);
        }
        Ok(ticket)
    }
}

fn unix_millis(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use anteroom_app::model::RoomId;

    fn ada() -> Holder {
        Holder::Member { id: MemberId(1), name: "Ada".into() }
    }

    #[test]
    fn a_ticket_opens_its_call_for_its_holder() {
        let key = TicketKey::random();
        let ticket = key.verify(&key.issue(ConferenceId::Room(RoomId(3)), ada())).unwrap();
        assert_eq!(ticket.conference, ConferenceId::Room(RoomId(3)));
        assert_eq!(ticket.holder, ada());
    }

    #[test]
    fn a_changed_ticket_or_another_keys_ticket_is_forged() {
        let key = TicketKey::random();
        let mut signed = key.issue(ConferenceId::Room(RoomId(3)), ada());
        assert_eq!(TicketKey::random().verify(&signed), Err(TicketError::Forged));
        // Pointing it at another room breaks the signature.
        let text = String::from_utf8(signed.payload.clone()).unwrap().replace("\"id\":3", "\"id\":4");
        signed.payload = text.into_bytes();
        assert_eq!(key.verify(&signed), Err(TicketError::Forged));
    }

    #[test]
    fn an_old_ticket_has_expired() {
        let key = TicketKey::random();
        let ticket = CallTicket { conference: ConferenceId::Room(RoomId(3)), holder: ada(), expires: 1 };
        let payload = serde_json::to_vec(&ticket).unwrap();
        let tag = hmac::sign(&key.0, &payload).as_ref().to_vec();
        assert_eq!(key.verify(&SignedTicket { payload, tag }), Err(TicketError::Expired));
    }
}
