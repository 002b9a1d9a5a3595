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
//! For the same reason it opens a call once: the SFU's `TicketGate`
//! remembers each ticket it let in until the ticket's deadline, so a copy
//! that travelled (or was read on the way) cannot be used a second time.

use super::unix_millis;
use anteroom_app::model::{ConferenceId, GuestId, MemberId};
use ring::hmac;
use ring::rand::{self, SystemRandom};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

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

/// Admits `holder` to `conference`'s call once, until `expires` (unix
/// ms). `nonce` tells one ticket from another issued at the same moment
/// for the same holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallTicket {
    pub conference: ConferenceId,
    pub holder: Holder,
    pub expires: i64,
    pub nonce: u64,
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
    #[error("This call ticket was used already. Join the call again.")]
    Spent,
}

/// The key both planes hold: the control plane signs with it, the SFU
/// verifies.
#[derive(Clone)]
pub struct TicketKey(hmac::Key);

impl TicketKey {
    /// A key of this process's own (one node; tickets die with it).
    pub fn random() -> Self {
        TicketKey(hmac::Key::generate(hmac::HMAC_SHA256, &SystemRandom::new()).expect("the system's random numbers"))
    }

    /// Signs a ticket for `holder` to join `conference` from now on, for
    /// `TICKET_LIFETIME`.
    pub fn issue(&self, conference: ConferenceId, holder: Holder) -> SignedTicket {
        let expires = unix_millis() + TICKET_LIFETIME.as_millis() as i64;
        let nonce =
            u64::from_le_bytes(rand::generate(&SystemRandom::new()).expect("the system's random numbers").expose());
        let ticket = CallTicket { conference, holder, expires, nonce };
        let payload = serde_json::to_vec(&ticket).expect("a ticket is plain data");
        let tag = hmac::sign(&self.0, &payload).as_ref().to_vec();
        SignedTicket { payload, tag }
    }

    /// The ticket, if this key signed it and its time has not run out.
    pub fn verify(&self, signed: &SignedTicket) -> Result<CallTicket, TicketError> {
        hmac::verify(&self.0, &signed.payload, &signed.tag).map_err(|_| TicketError::Forged)?;
        let ticket: CallTicket = serde_json::from_slice(&signed.payload).map_err(|_| TicketError::Forged)?;
        if unix_millis() >= ticket.expires {
            return Err(TicketError::Expired);
        }
        Ok(ticket)
    }
}

/// The SFU's door: lets a ticket in if its key signed it, its time has not
/// run out and it was not let in before. It remembers each ticket only
/// until its deadline (after which `verify` refuses it anyway), so it
/// holds at most the joins of the last `TICKET_LIFETIME`, which the
/// control plane's limits bound.
pub struct TicketGate {
    key: TicketKey,
    /// Tickets let in, by nonce, with their deadlines.
    spent: Mutex<HashMap<u64, i64>>,
}

impl TicketGate {
    pub fn new(key: TicketKey) -> Self {
        TicketGate { key, spent: Mutex::default() }
    }

    /// The ticket, the first time it is shown, if it is genuine and in time.
    pub fn redeem(&self, signed: &SignedTicket) -> Result<CallTicket, TicketError> {
        let ticket = self.key.verify(signed)?;
        let now = unix_millis();
        let mut spent = self.spent.lock().expect("the spent tickets' lock");
        spent.retain(|_, expires| *expires > now);
        if spent.insert(ticket.nonce, ticket.expires).is_some() {
            return Err(TicketError::Spent);
        }
        Ok(ticket)
    }
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
        let ticket = CallTicket { conference: ConferenceId::Room(RoomId(3)), holder: ada(), expires: 1, nonce: 7 };
        let payload = serde_json::to_vec(&ticket).unwrap();
        let tag = hmac::sign(&key.0, &payload).as_ref().to_vec();
        assert_eq!(key.verify(&SignedTicket { payload, tag }), Err(TicketError::Expired));
    }

    #[test]
    fn a_ticket_opens_its_call_once() {
        let key = TicketKey::random();
        let gate = TicketGate::new(key.clone());
        let signed = key.issue(ConferenceId::Room(RoomId(3)), ada());
        assert_eq!(gate.redeem(&signed).unwrap().holder, ada());
        assert_eq!(gate.redeem(&signed), Err(TicketError::Spent));
        // Another ticket for the same holder and call is another ticket.
        assert!(gate.redeem(&key.issue(ConferenceId::Room(RoomId(3)), ada())).is_ok());
    }

    #[test]
    fn the_gate_forgets_tickets_whose_time_ran_out() {
        let key = TicketKey::random();
        let gate = TicketGate::new(key.clone());
        gate.spent.lock().unwrap().insert(1, 1);
        gate.redeem(&key.issue(ConferenceId::Room(RoomId(3)), ada())).unwrap();
        assert_eq!(gate.spent.lock().unwrap().len(), 1, "the expired entry is dropped");
    }
}
