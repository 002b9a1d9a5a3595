//! Meeting notes of a meeting channel's call: who took part and when, and
//! the in-call chat, written up when the call ends. A channel whose
//! "External users receive email summary" setting is on emails them to the
//! guests who gave an email address in the lobby.
//!
//! A meeting channel's link lets anyone into its call without asking, and
//! the lobby email is whatever they typed, so the notes must not become a
//! way to mail strangers: they go only after calls a member took part in,
//! never to a guest who was removed or stayed less than a minute (the
//! server's `--guest-notes-min-stay-secs`), at most once per call and
//! [`MAX_NOTES_PER_ADDRESS_PER_DAY`] a day to one address, to at most
//! [`MAX_GUEST_RECIPIENTS_PER_CALL`] guests a call and
//! [`MAX_GUEST_NOTES_PER_CHANNEL_PER_DAY`] a day through one channel, and
//! what guests wrote is quoted and marked as theirs. A guest gets only the
//! part of the call they were in: its chat, its transcript, who was there
//! then; the summary of the whole call only if they were there throughout
//! (issue 32: twelve one-second visitors got the whole call's notes).
//!
//! When the channel transcribes its calls, the notes carry the summary and
//! the transcript (server/src/transcripts makes them); otherwise they hold
//! what the server knows for certain.

pub mod sending;

use super::calls::transcript::Line;
use super::db::{Db, now};
use crate::dates::{clock_text, time_text};
use crate::model::ChannelId;
use crate::model::shown_name;
use crate::protocol::signal::{ChatMessage, ParticipantId};

/// Notes emails one address may receive in 24 hours, from all calls.
pub const MAX_NOTES_PER_ADDRESS_PER_DAY: i64 = 10;
/// Guests' addresses one call's notes go to at most (the first to arrive).
pub const MAX_GUEST_RECIPIENTS_PER_CALL: usize = 20;
/// Notes emails one channel may send in 24 hours, all calls together.
pub const MAX_GUEST_NOTES_PER_CHANNEL_PER_DAY: i64 = 50;
/// How near the call's start and end a guest must have been there for the
/// summary of the whole call to be theirs too.
const THROUGHOUT_SLACK_SECS: i64 = 120;

/// One stay in the call: a member's or a guest's tab, from joining to leaving.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendance {
    pub participant: ParticipantId,
    pub name: String,
    /// The guest's lobby email; `None` for members and guests who gave none.
    pub guest_email: Option<String>,
    pub guest: bool,
    /// A member removed this guest from the call.
    pub removed: bool,
    /// Unix seconds.
    pub joined_at: i64,
    pub left_at: i64,
}

/// A channel's call that has just ended (everyone left).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    pub channel: ChannelId,
    /// Unix seconds.
    pub started_at: i64,
    pub ended_at: i64,
    pub attendance: Vec<Attendance>,
    /// The chat as kept for the call (the newest messages, if it was long).
    pub chat: Vec<ChatMessage>,
}

impl CallRecord {
    /// Whether a member took part. The notes of a call only guests were in
    /// go to nobody: otherwise anyone with the link could have the company
    /// mail their words to an address of their choosing.
    pub fn had_member(&self) -> bool {
        self.attendance.iter().any(|stay| !stay.guest)
    }

    /// The guests to email the notes to, each address once, in order of
    /// arrival, at most [`MAX_GUEST_RECIPIENTS_PER_CALL`]: those who gave an
    /// email, were not removed and stayed `min_stay_secs` in all.
    pub fn guest_emails(&self, min_stay_secs: i64) -> Vec<String> {
        let removed: Vec<&str> =
            self.attendance.iter().filter(|stay| stay.removed).filter_map(|stay| stay.guest_email.as_deref()).collect();
        let mut emails: Vec<String> = Vec::new();
        for stay in self.attendance.iter().filter(|stay| stay.guest) {
            let Some(email) = stay.guest_email.as_deref() else { continue };
            if removed.contains(&email) || emails.iter().any(|known| known == email) {
                continue;
            }
            let stayed: i64 = self.stays_of(email).map(|stay| stay.left_at - stay.joined_at).sum();
            if stayed >= min_stay_secs {
                emails.push(email.to_string());
            }
        }
        emails.truncate(MAX_GUEST_RECIPIENTS_PER_CALL);
        emails
    }

    fn stays_of<'a>(&'a self, email: &'a str) -> impl Iterator<Item = &'a Attendance> + 'a {
        self.attendance.iter().filter(move |stay| stay.guest && stay.guest_email.as_deref() == Some(email))
    }

    /// When the guest with `email` was in the call: each stay, from and to.
    fn windows_of(&self, email: &str) -> Vec<(i64, i64)> {
        self.stays_of(email).map(|stay| (stay.joined_at, stay.left_at)).collect()
    }

    /// The part of the call the guest with `email` was in: the stays that
    /// overlapped theirs, the chat written while they were there, the call
    /// from their first arrival to their last leaving.
    pub fn attended_by(&self, email: &str) -> CallRecord {
        let windows = self.windows_of(email);
        let overlaps =
            |stay: &Attendance| windows.iter().any(|(from, to)| stay.joined_at <= *to && stay.left_at >= *from);
        CallRecord {
            channel: self.channel,
            started_at: windows.iter().map(|w| w.0).min().unwrap_or(self.started_at),
            ended_at: windows.iter().map(|w| w.1).max().unwrap_or(self.ended_at),
            attendance: self.attendance.iter().filter(|stay| overlaps(stay)).cloned().collect(),
            chat: self.chat.iter().filter(|message| during(&windows, message.sent_at / 1000)).cloned().collect(),
        }
    }

    /// The transcript lines said while the guest with `email` was there.
    pub fn lines_heard_by(&self, email: &str, lines: &[Line]) -> Vec<Line> {
        let windows = self.windows_of(email);
        lines.iter().filter(|line| during(&windows, line.said_at / 1000)).cloned().collect()
    }

    /// Whether `part` (from [`Self::attended_by`]) is the whole of this call,
    /// give or take a couple of minutes: then the summary is theirs too.
    pub fn throughout(&self, part: &CallRecord) -> bool {
        part.started_at <= self.started_at + THROUGHOUT_SLACK_SECS
            && part.ended_at >= self.ended_at - THROUGHOUT_SLACK_SECS
    }

    fn written_by_guest(&self, message: &ChatMessage) -> bool {
        self.attendance.iter().any(|stay| stay.participant == message.from && stay.guest)
    }

    /// The people who took part, each once, in order of first arrival.
    fn people(&self) -> Vec<String> {
        let mut people: Vec<String> = Vec::new();
        for stay in &self.attendance {
            let name = shown_name(&stay.name, stay.guest);
            if !people.contains(&name) {
                people.push(name);
            }
        }
        people
    }

    /// The notes email's text: the facts (when, who, how much chat), the
    /// summary of what was said, who took part, the transcript, the chat.
    pub fn notes_text(&self, workspace: &str, channel: &str, spoken: &Spoken) -> String {
        let minutes = ((self.ended_at - self.started_at + 59) / 60).max(1);
        let people = self.people();
        let mut text = format!(
            "Notes from the call in {channel} ({workspace}).\n\n\
             Summary\n\
             - {} to {} UTC, about {minutes} minute{}\n\
             - {} took part: {}\n\
             - {} chat message{}\n",
            time_text(self.started_at).trim_end_matches(" UTC"),
            clock_text(self.ended_at),
            if minutes == 1 { "" } else { "s" },
            people.len(),
            people.join(", "),
            self.chat.len(),
            if self.chat.len() == 1 { "" } else { "s" },
        );
        match spoken {
            Spoken::NotTranscribed => {}
            Spoken::Unavailable => {
                text.push_str("- Transcript unavailable: the speech engine could not make it in time.\n")
            }
            Spoken::Transcribed { summary: Some(summary), .. } => {
                text.push('\n');
                text.push_str(summary);
            }
            Spoken::Transcribed { summary: None, .. } => text.push_str(
                "- The summary of the whole call goes only to those who were there throughout: \
                 below is what was said while you were.\n",
            ),
        }
        text.push_str("\nWho took part\n");
        for stay in &self.attendance {
            let name = shown_name(&stay.name, stay.guest);
            text.push_str(&format!("- {name}: {} to {}\n", clock_text(stay.joined_at), clock_text(stay.left_at)));
        }
        if let Spoken::Transcribed { lines, .. } = spoken {
            text.push_str("\nTranscript (also attached)\n");
            text.push_str(&transcript_text(lines));
        }
        text.push_str("\nChat\n");
        if self.chat.is_empty() {
            text.push_str("Nobody wrote in the chat.\n");
        }
        let shown = chat_shown_in_notes(&self.chat);
        for message in &self.chat[..shown] {
            let at = clock_text(message.sent_at / 1000);
            if self.written_by_guest(message) {
                // Quoted line by line, so a guest's text cannot pass for ours.
                text.push_str(&format!("[{at}] {} wrote:\n", shown_name(&message.name, true)));
                for line in message.text.lines() {
                    text.push_str(&format!("    > {line}\n"));
                }
            } else {
                text.push_str(&format!("[{at}] {}: {}\n", shown_name(&message.name, false), message.text));
            }
        }
        if shown < self.chat.len() {
            let more = self.chat.len() - shown;
            text.push_str(&format!(
                "… and {more} more message{}: the whole chat is under Past calls in {channel}, in Anteroom.\n",
                if more == 1 { "" } else { "s" }
            ));
        }
        if self.attendance.iter().any(|stay| stay.guest) {
            text.push_str(&format!(
                "\nNames and lines marked (guest) were typed or said by guests, not by {workspace}.\n"
            ));
        }
        text
    }
}

/// Whether `at` (Unix seconds) falls in one of `windows`.
fn during(windows: &[(i64, i64)], at: i64) -> bool {
    windows.iter().any(|(from, to)| (*from..=*to).contains(&at))
}

/// The chat a notes email carries at most, in messages and bytes of text;
/// the rest is under Past calls. A call's whole chat (up to 512 KiB) in
/// every guest's mailbox would make each email a flood of its own.
pub const MAX_NOTES_CHAT_MESSAGES: usize = 200;
pub const MAX_NOTES_CHAT_BYTES: usize = 32 * 1024;

/// How many of the first messages of `chat` the notes show.
fn chat_shown_in_notes(chat: &[ChatMessage]) -> usize {
    let mut bytes = 0;
    chat.iter()
        .take(MAX_NOTES_CHAT_MESSAGES)
        .take_while(|message| {
            bytes += message.text.len();
            bytes <= MAX_NOTES_CHAT_BYTES
        })
        .count()
}

/// What the notes can say about what was said in the call.
pub enum Spoken<'a> {
    /// The channel does not transcribe its calls.
    NotTranscribed,
    /// It does, but the transcript could not be made (in time).
    Unavailable,
    Transcribed {
        /// `None` for a guest who was in part of the call only.
        summary: Option<&'a str>,
        lines: &'a [Line],
    },
}

/// A transcript as text: one line per thing said, `[14:02] Lin Park
/// (guest): ...`, in the order said (UTC clock).
pub fn transcript_text(lines: &[Line]) -> String {
    if lines.is_empty() {
        return "Nothing was heard in this call.\n".to_string();
    }
    lines
        .iter()
        .map(|line| {
            format!("[{}] {}: {}\n", clock_text(line.said_at / 1000), shown_name(&line.speaker, line.guest), line.text)
        })
        .collect()
}

/// Who an address belongs to, which decides its allowance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// Typed in a lobby by anyone with the link: held to a daily allowance,
    /// so the link cannot be used to flood someone's mailbox.
    Guest,
    /// A channel admin's or workspace admin's own address.
    Admin,
}

/// Whether `email` may get the notes of the call that started at
/// `started_at`: not sent them already, and, for a guest's address, under
/// the address's and the channel's daily allowances (the channel's counts
/// its admins' copies too).
pub async fn may_send(
    db: &Db,
    channel: ChannelId,
    started_at: i64,
    email: &str,
    reader: Reader,
) -> Result<bool, sqlx::Error> {
    let already: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM call_notes_sent WHERE channel_id = $1 AND call_started_at = $2 AND email = $3",
    )
    .bind(channel)
    .bind(started_at)
    .bind(email)
    .fetch_one(db)
    .await?;
    let today: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM call_notes_sent WHERE email = $1 AND sent_at > $2")
        .bind(email)
        .bind(now() - 24 * 60 * 60)
        .fetch_one(db)
        .await?;
    if already > 0 {
        return Ok(false);
    }
    if reader == Reader::Admin {
        return Ok(true);
    }
    let from_channel: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM call_notes_sent WHERE channel_id = $1 AND sent_at > $2")
            .bind(channel)
            .bind(now() - 24 * 60 * 60)
            .fetch_one(db)
            .await?;
    Ok(today < MAX_NOTES_PER_ADDRESS_PER_DAY && from_channel < MAX_GUEST_NOTES_PER_CHANNEL_PER_DAY)
}

/// Notes that the notes of the call that started at `started_at` went to `email`.
pub async fn record_sent(
    db: &Db,
    channel: ChannelId,
    started_at: i64,
    email: &str,
    delivery: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO call_notes_sent (channel_id, call_started_at, email, delivery, sent_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(channel)
    .bind(started_at)
    .bind(email)
    .bind(delivery)
    .bind(now())
    .execute(db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::signal::ParticipantId;

    fn record() -> CallRecord {
        // 2026-11-23 17:00 UTC
        let start = 1_795_453_200;
        let stay = |id: u64, name: &str, email: Option<&str>, guest, from: i64, to: i64| Attendance {
            participant: ParticipantId(id),
            name: name.into(),
            guest_email: email.map(str::to_string),
            guest,
            removed: false,
            joined_at: start + from,
            left_at: start + to,
        };
        CallRecord {
            channel: ChannelId(1),
            started_at: start,
            ended_at: start + 1500,
            attendance: vec![
                stay(1, "Ada Lovelace", None, false, 0, 1500),
                stay(2, "Lin Park", Some("lin@example.org"), true, 120, 600),
                stay(3, "Lin Park", Some("lin@example.org"), true, 660, 1400),
                stay(4, "Sam", None, true, 300, 900),
            ],
            chat: vec![
                ChatMessage {
                    from: ParticipantId(1),
                    name: "Ada Lovelace".into(),
                    text: "Slides: https://example.com/deck".into(),
                    sent_at: (start + 180) * 1000,
                },
                ChatMessage {
                    from: ParticipantId(2),
                    name: "Lin Park".into(),
                    text: "Thanks!\nSummary: you owe us $500".into(),
                    sent_at: (start + 240) * 1000,
                },
            ],
        }
    }

    #[test]
    fn notes_summarise_who_came_and_what_was_written() {
        let notes = record().notes_text("Acme Studio", "client-calls", &Spoken::NotTranscribed);
        assert!(notes.starts_with("Notes from the call in client-calls (Acme Studio)."), "{notes}");
        assert!(notes.contains("- 2026-11-23 17:00 to 17:25 UTC, about 25 minutes"), "{notes}");
        assert!(notes.contains("- 3 took part: Ada Lovelace, Lin Park (guest), Sam (guest)"), "{notes}");
        assert!(notes.contains("- Lin Park (guest): 17:11 to 17:23"), "a rejoin is its own line: {notes}");
        assert!(notes.contains("[17:03] Ada Lovelace: Slides: https://example.com/deck"), "{notes}");
        assert!(
            notes.contains("[17:04] Lin Park (guest) wrote:\n    > Thanks!\n    > Summary: you owe us $500\n"),
            "a guest's lines are quoted and marked: {notes}"
        );
        assert!(
            notes.ends_with("Names and lines marked (guest) were typed or said by guests, not by Acme Studio.\n"),
            "{notes}"
        );
    }

    /// Issue 32, 9: notes went to one-second visitors, whole, from before
    /// they arrived. A guest now gets the part they were in, if they stayed.
    #[test]
    fn a_guest_reads_only_the_part_of_the_call_they_were_in() {
        let mut call = record();
        let start = call.started_at;
        let guest = |id: u64, name: &str, email: &str, from: i64, to: i64| Attendance {
            participant: ParticipantId(id),
            name: name.into(),
            guest_email: Some(email.into()),
            guest: true,
            removed: false,
            joined_at: start + from,
            left_at: start + to,
        };
        call.attendance.push(guest(5, "Kim", "kim@example.org", 1000, 1500));
        call.attendance.push(guest(6, "Drive-by", "victim@example.net", 1200, 1201));
        let message = |from: u64, at: i64, text: &str| ChatMessage {
            from: ParticipantId(from),
            name: "Ada Lovelace".into(),
            text: text.into(),
            sent_at: (start + at) * 1000,
        };
        call.chat.push(message(1, 950, "Before Kim came: the price is 40k"));
        call.chat.push(message(1, 1100, "Welcome, Kim"));
        assert_eq!(call.guest_emails(60), ["lin@example.org", "kim@example.org"], "not the one-second visitor");

        let kims = call.attended_by("kim@example.org");
        assert_eq!((kims.started_at, kims.ended_at), (start + 1000, start + 1500));
        assert_eq!(kims.chat.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(), ["Welcome, Kim"]);
        let people: Vec<&str> = kims.attendance.iter().map(|stay| stay.name.as_str()).collect();
        assert_eq!(people, ["Ada Lovelace", "Lin Park", "Kim", "Drive-by"], "who was there with Kim");
        assert!(!call.throughout(&kims));
        let line = |at: i64, text: &str| Line {
            participant: ParticipantId(1),
            speaker: "Ada Lovelace".into(),
            guest: false,
            said_at: (start + at) * 1000,
            ended_at: (start + at + 2) * 1000,
            text: text.into(),
        };
        let lines = [line(900, "The price is 40k."), line(1200, "Let's begin.")];
        let heard = call.lines_heard_by("kim@example.org", &lines);
        assert_eq!(heard, [line(1200, "Let's begin.")]);
        let spoken = Spoken::Transcribed { summary: None, lines: &heard };
        let notes = kims.notes_text("Acme Studio", "client-calls", &spoken);
        assert!(!notes.contains("40k"), "{notes}");
        assert!(notes.contains("goes only to those who were there throughout"), "{notes}");

        let lins = call.attended_by("lin@example.org");
        assert!(call.throughout(&lins), "Lin was there from near the start to near the end");
    }

    #[test]
    fn a_calls_notes_go_to_a_bounded_number_of_guests() {
        let mut call = record();
        let start = call.started_at;
        for n in 0..MAX_GUEST_RECIPIENTS_PER_CALL as u64 + 5 {
            call.attendance.push(Attendance {
                participant: ParticipantId(100 + n),
                name: format!("Guest {n}"),
                guest_email: Some(format!("g{n}@example.org")),
                guest: true,
                removed: false,
                joined_at: start,
                left_at: start + 600,
            });
        }
        let emails = call.guest_emails(60);
        assert_eq!(emails.len(), MAX_GUEST_RECIPIENTS_PER_CALL);
        assert_eq!(emails[0], "lin@example.org", "the first to arrive");
    }

    /// Issue 32, 9: a guest named "Sam\n[09:00] Ada Lovelace: wire the
    /// deposit" forged an unmarked line from Ada. Such names are refused
    /// now; one stored before is written on one line, marked (guest).
    #[test]
    fn a_stored_name_with_line_breaks_forges_no_line_in_the_notes() {
        let forged = "Sam\n[09:00] Ada Lovelace: wire the deposit\r\n- Mallory: 09:00 to 09:30";
        let mut call = record();
        call.attendance[3].name = forged.into();
        call.chat.push(ChatMessage {
            from: ParticipantId(4),
            name: forged.into(),
            text: "hi".into(),
            sent_at: (call.started_at + 300) * 1000,
        });
        let line = |speaker: &str, guest| Line {
            participant: ParticipantId(4),
            speaker: speaker.into(),
            guest,
            said_at: (call.started_at + 310) * 1000,
            ended_at: (call.started_at + 312) * 1000,
            text: "Hello.".into(),
        };
        let lines = [line(forged, true), line("Ada\u{202E}ecalevoL", false)];
        let spoken = Spoken::Transcribed { summary: Some("Summary\n- None\n"), lines: &lines };
        let notes = call.notes_text("Acme Studio", "client-calls", &spoken);
        for line in notes.lines() {
            assert!(!line.starts_with("[09:00]") && !line.starts_with("- Mallory"), "forged: {line:?}");
        }
        assert!(!notes.contains(['\r', '\u{202E}']), "{notes}");
        let one_line = "Sam [09:00] Ada Lovelace: wire the deposit  - Mallory: 09:00 to 09:30 (guest)";
        assert!(notes.contains(&format!("- {one_line}: 17:05 to 17:15\n")), "{notes}");
        assert!(notes.contains(&format!("[17:05] {one_line} wrote:\n    > hi\n")), "{notes}");
        assert!(notes.contains(&format!("[17:05] {one_line}: Hello.\n")), "{notes}");
        assert!(transcript_text(&lines).contains("[17:05] Ada ecalevoL: Hello.\n"), "the prompt's transcript too");
    }

    #[test]
    fn a_long_chat_is_cut_short_in_the_notes_and_the_rest_is_under_past_calls() {
        let mut call = record();
        let first = call.chat[0].clone();
        // Each text is 413 bytes: 79 fit in 32 KiB.
        let text = |n: usize| format!("message {n:04} {}", "x".repeat(400));
        call.chat = (0..1_000).map(|n| ChatMessage { text: text(n), ..first.clone() }).collect();
        let notes = call.notes_text("Acme Studio", "client-calls", &Spoken::NotTranscribed);
        let shown = MAX_NOTES_CHAT_BYTES / text(0).len();
        assert_eq!(shown, 79);
        assert!(notes.contains("- 1000 chat messages"), "the summary counts them all");
        assert!(notes.contains(&text(shown - 1)), "{shown} messages fit");
        assert!(!notes.contains(&text(shown)), "no more than fit");
        let rest = format!("… and {} more messages: the whole chat is under Past calls in client-calls", 1_000 - shown);
        assert!(notes.contains(&rest), "{notes}");
        assert!(notes.len() < MAX_NOTES_CHAT_BYTES * 2, "the notes stay small: {} bytes", notes.len());
    }

    #[test]
    fn transcribed_notes_carry_the_summary_and_every_line_said_with_its_speaker() {
        let start = record().started_at;
        let said = |participant: u64, speaker: &str, guest, at: i64, text: &str| Line {
            participant: ParticipantId(participant),
            speaker: speaker.into(),
            guest,
            said_at: (start + at) * 1000,
            ended_at: (start + at + 3) * 1000,
            text: text.into(),
        };
        let lines = [
            said(1, "Ada Lovelace", false, 125, "The budget is approved."),
            said(2, "Lin Park", true, 130, "I'll send the contract on Friday."),
        ];
        let spoken = Spoken::Transcribed {
            summary: Some("Key points\n- Ada Lovelace: The budget is approved.\n"),
            lines: &lines,
        };
        let notes = record().notes_text("Acme Studio", "client-calls", &spoken);
        let summary = notes.find("Key points\n- Ada Lovelace: The budget is approved.\n").expect(&notes);
        let transcript = notes.find("\nTranscript (also attached)\n[17:02] Ada Lovelace: The budget is approved.\n[17:02] Lin Park (guest): I'll send the contract on Friday.\n").expect(&notes);
        assert!(summary < transcript && transcript < notes.find("\nChat\n").unwrap(), "{notes}");
        assert_eq!(transcript_text(&lines).lines().count(), 2);

        let unavailable = record().notes_text("Acme Studio", "client-calls", &Spoken::Unavailable);
        assert!(unavailable.contains("- Transcript unavailable"), "{unavailable}");
        assert!(!unavailable.contains("Transcript (also attached)"), "{unavailable}");
    }

    #[test]
    fn only_guests_who_gave_an_email_and_stayed_welcome_get_the_notes_once() {
        assert_eq!(record().guest_emails(60), ["lin@example.org"]);
        let mut removed = record();
        removed.attendance[2].removed = true;
        assert!(removed.guest_emails(60).is_empty(), "a guest removed on their second visit gets nothing");
        let mut guests_only = record();
        guests_only.attendance.remove(0);
        assert!(record().had_member() && !guests_only.had_member(), "no notes for a call no member took part in");
    }

    #[tokio::test]
    async fn an_address_gets_a_calls_notes_once_and_a_bounded_number_a_day() {
        let (db, _dir, _, channel) = crate::ssr::channels::tests::with_meeting_channel().await;
        let channel = channel.id;
        assert!(may_send(&db, channel, 100, "lin@example.org", Reader::Guest).await.unwrap());
        record_sent(&db, channel, 100, "lin@example.org", "relay").await.unwrap();
        assert!(!may_send(&db, channel, 100, "lin@example.org", Reader::Guest).await.unwrap(), "once per call");
        for call in 1..MAX_NOTES_PER_ADDRESS_PER_DAY {
            assert!(may_send(&db, channel, 100 + call, "lin@example.org", Reader::Guest).await.unwrap());
            record_sent(&db, channel, 100 + call, "lin@example.org", "relay").await.unwrap();
        }
        assert!(
            !may_send(&db, channel, 999, "lin@example.org", Reader::Guest).await.unwrap(),
            "the day's allowance is used"
        );
        assert!(
            may_send(&db, channel, 999, "sam@example.org", Reader::Guest).await.unwrap(),
            "others are not affected"
        );
        assert!(
            may_send(&db, channel, 999, "lin@example.org", Reader::Admin).await.unwrap(),
            "an admin has no allowance"
        );
    }
}
