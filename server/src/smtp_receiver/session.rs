//! One SMTP conversation: commands in, replies out, messages handed to the
//! [`MailHandler`]. Replies are generic: what went wrong inside is logged,
//! not told to whoever is on the other end.

use super::budget::{Held, MessageBudget};
use super::lines::{Piece, read_piece};
use super::{Envelope, MailHandler};
use std::io;
use std::time::Duration;
use tokio::io::{AsyncBufRead, AsyncWrite, AsyncWriteExt};

/// The bounds of one session.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Longest command line (RFC 5321 asks for 512; extensions need more).
    pub line_bytes: usize,
    /// Most bytes read at once inside a message; longer lines arrive in parts.
    pub data_piece_bytes: usize,
    /// A client that sends nothing for this long is dropped.
    pub idle: Duration,
    /// Every reply must be taken by the client within this.
    pub write: Duration,
    /// No session lasts longer than this, however busy.
    pub lifetime: Duration,
    /// Most commands in one session (each RCPT asks the database).
    pub commands: usize,
    /// Most recipients of one message.
    pub recipients: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            line_bytes: 4096,
            data_piece_bytes: 64 * 1024,
            idle: Duration::from_secs(60),
            write: Duration::from_secs(10),
            lifetime: Duration::from_secs(10 * 60),
            commands: 1000,
            recipients: 100,
        }
    }
}

/// How receiving one message ended.
enum Data {
    /// The message, and its share of the budget, kept until it is filed.
    Received(Vec<u8>, Held),
    TooBig,
    NoRoom,
    Closed,
}

/// Talks SMTP with one client until it quits, leaves, idles or runs out of
/// time or commands.
pub async fn session<R, W>(
    mut reader: R,
    mut writer: W,
    handler: &impl MailHandler,
    budget: &MessageBudget,
    limits: &Limits,
) -> io::Result<()>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let conversation = converse(&mut reader, &mut writer, handler, budget, limits);
    match tokio::time::timeout(limits.lifetime, conversation).await {
        Ok(ended) => ended,
        Err(_) => reply(&mut writer, limits, "421 4.4.2 Session lasted too long, closing\r\n").await,
    }
}

/// Sends one reply, giving the client `limits.write` to take it.
async fn reply<W: AsyncWrite + Unpin>(writer: &mut W, limits: &Limits, text: &str) -> io::Result<()> {
    let write = async {
        writer.write_all(text.as_bytes()).await?;
        writer.flush().await
    };
    tokio::time::timeout(limits.write, write)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "the client stopped reading"))?
}

/// The address inside `<...>` of a MAIL FROM or RCPT TO argument.
fn path(argument: &str) -> String {
    let argument = argument.trim();
    let inner = argument.strip_prefix('<').and_then(|rest| rest.split_once('>')).map(|(inside, _)| inside);
    inner.unwrap_or_else(|| argument.split_whitespace().next().unwrap_or_default()).trim().to_lowercase()
}

async fn converse<R, W>(
    reader: &mut R,
    writer: &mut W,
    handler: &impl MailHandler,
    budget: &MessageBudget,
    limits: &Limits,
) -> io::Result<()>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    reply(writer, limits, "220 anteroom ESMTP ready\r\n").await?;
    let mut line = Vec::new();
    let mut from: Option<String> = None;
    let mut recipients: Vec<String> = Vec::new();
    for _ in 0..limits.commands {
        match read_piece(reader, &mut line, limits.line_bytes, limits.idle).await? {
            Piece::Closed => return Ok(()),
            Piece::Part => return reply(writer, limits, "500 5.5.2 Line too long, closing\r\n").await,
            Piece::Line => {}
        }
        let command = String::from_utf8_lossy(&line).trim_end().to_string();
        let upper = command.to_ascii_uppercase();
        let answer: String = if upper.starts_with("EHLO") {
            format!("250-anteroom\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE {}\r\n", handler.max_message_bytes())
        } else if upper.starts_with("HELO") {
            "250 anteroom\r\n".into()
        } else if upper.starts_with("MAIL FROM:") {
            // The first ten bytes are ASCII, so this is a character boundary.
            from = Some(path(&command[10..]));
            recipients.clear();
            "250 OK\r\n".into()
        } else if upper.starts_with("RCPT TO:") {
            let recipient = path(&command[8..]);
            if from.is_none() {
                "503 5.5.1 Send MAIL FROM first\r\n".into()
            } else if recipients.len() >= limits.recipients {
                "452 4.5.3 Too many recipients\r\n".into()
            } else if handler.accepts(&recipient).await {
                recipients.push(recipient);
                "250 OK\r\n".into()
            } else {
                "550 5.1.1 No such inbox here\r\n".into()
            }
        } else if upper == "DATA" {
            if recipients.is_empty() {
                "503 5.5.1 Send RCPT TO first\r\n".into()
            } else {
                reply(writer, limits, "354 End data with <CRLF>.<CRLF>\r\n").await?;
                let data = read_data(reader, &mut line, handler.max_message_bytes(), budget, limits).await?;
                let envelope =
                    Envelope { from: from.take().unwrap_or_default(), recipients: std::mem::take(&mut recipients) };
                match data {
                    Data::Closed => return Ok(()),
                    Data::TooBig => format!("552 5.3.4 Message larger than {} bytes\r\n", handler.max_message_bytes()),
                    Data::NoRoom => "452 4.3.1 Too much mail at once, try again later\r\n".into(),
                    Data::Received(raw, held) => {
                        // The bytes, and what reading them takes, stay
                        // counted until the message is filed or refused.
                        let filed = handler.deliver(envelope, raw).await;
                        drop(held);
                        match filed {
                            Ok(()) => "250 OK, filed\r\n".into(),
                            Err(refusal) => refusal.reply(),
                        }
                    }
                }
            }
        } else if upper == "RSET" {
            from = None;
            recipients.clear();
            "250 OK\r\n".into()
        } else if upper == "NOOP" {
            "250 OK\r\n".into()
        } else if upper == "QUIT" {
            return reply(writer, limits, "221 Bye\r\n").await;
        } else {
            "502 5.5.1 Command not implemented\r\n".into()
        };
        reply(writer, limits, &answer).await?;
    }
    reply(writer, limits, "421 4.7.0 Too many commands, closing\r\n").await
}

/// Reads the message after DATA up to the lone dot, undoing dot-stuffing.
/// The message is kept only while it fits `max_bytes` and the shared
/// budget; past either, the rest is read and dropped so the client hears
/// the refusal in step. A received message comes with its share of the
/// budget, for the caller to hold until it is filed.
async fn read_data<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    piece: &mut Vec<u8>,
    max_bytes: usize,
    budget: &MessageBudget,
    limits: &Limits,
) -> io::Result<Data> {
    let mut raw = Vec::new();
    let mut held = budget.hold();
    let mut refused: Option<Data> = None;
    let mut at_line_start = true;
    loop {
        let whole_line = match read_piece(reader, piece, limits.data_piece_bytes, limits.idle).await? {
            Piece::Closed => return Ok(Data::Closed),
            Piece::Line => true,
            Piece::Part => false,
        };
        if at_line_start && whole_line && (piece.as_slice() == b".\r\n" || piece.as_slice() == b".\n") {
            break;
        }
        let content = if at_line_start && piece.first() == Some(&b'.') { &piece[1..] } else { &piece[..] };
        at_line_start = whole_line;
        if refused.is_some() {
            continue;
        }
        let length = raw.len() + content.len();
        if length > max_bytes {
            refused = Some(Data::TooBig);
        } else if !held.cover(length) {
            refused = Some(Data::NoRoom);
        } else {
            raw.extend_from_slice(content);
            continue;
        }
        // Whatever was kept goes now, not when the client finally ends.
        raw = Vec::new();
        held = budget.hold();
    }
    Ok(refused.unwrap_or(Data::Received(raw, held)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtp_receiver::Refusal;
    use proptest::prelude::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn paths_are_read_with_or_without_brackets_and_parameters() {
        assert_eq!(path("<Lin@Example.org> SIZE=100"), "lin@example.org");
        assert_eq!(path(" sales@acme.test"), "sales@acme.test");
        assert_eq!(path("<>"), "");
    }

    /// Messages handed over: envelope and raw bytes.
    type Delivered = Vec<(Envelope, Vec<u8>)>;

    /// Takes mail for `sales@acme.test` and remembers what it was given.
    #[derive(Clone, Default)]
    struct Keeper {
        delivered: Arc<Mutex<Delivered>>,
    }

    impl MailHandler for Keeper {
        async fn accepts(&self, recipient: &str) -> bool {
            recipient == "sales@acme.test"
        }
        async fn deliver(&self, envelope: Envelope, raw: Vec<u8>) -> Result<(), Refusal> {
            self.delivered.lock().unwrap().push((envelope, raw));
            Ok(())
        }
        fn max_message_bytes(&self) -> usize {
            256
        }
    }

    fn small_limits() -> Limits {
        Limits { line_bytes: 64, data_piece_bytes: 32, commands: 40, recipients: 3, ..Limits::default() }
    }

    /// Runs a whole session over `input` and gives back what was answered.
    fn converse_over(input: &[u8], keeper: &Keeper, budget: &MessageBudget) -> String {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let mut replies = Vec::new();
        runtime.block_on(session(input, &mut replies, keeper, budget, &small_limits())).unwrap();
        String::from_utf8(replies).expect("replies are ASCII")
    }

    #[test]
    fn a_message_is_received_with_dots_unstuffed() {
        let keeper = Keeper::default();
        let input =
            b"EHLO x\r\nMAIL FROM:<lin@example.org>\r\nRCPT TO:<nobody@acme.test>\r\nRCPT TO:<Sales@acme.test>\r\n\
DATA\r\nSubject: hi\r\n\r\n..dot\r\nA line longer than one thirty-two byte piece of the data\r\n.\r\nQUIT\r\n";
        let replies = converse_over(input, &keeper, &MessageBudget::new(1 << 20));
        let codes: Vec<&str> = replies.lines().map(|line| &line[..3]).collect();
        assert_eq!(codes, ["220", "250", "250", "250", "250", "250", "550", "250", "354", "250", "221"]);
        let delivered = keeper.delivered.lock().unwrap();
        assert_eq!(
            delivered[0].0,
            Envelope { from: "lin@example.org".into(), recipients: vec!["sales@acme.test".into()] }
        );
        assert_eq!(
            String::from_utf8_lossy(&delivered[0].1),
            "Subject: hi\r\n\r\n.dot\r\nA line longer than one thirty-two byte piece of the data\r\n"
        );
    }

    #[test]
    fn an_endless_line_is_refused_without_reading_it_all() {
        let keeper = Keeper::default();
        let mut input = b"HELO x\r\n".to_vec();
        input.extend(std::iter::repeat_n(b'A', 10_000));
        let replies = converse_over(&input, &keeper, &MessageBudget::new(1 << 20));
        assert!(replies.ends_with("500 5.5.2 Line too long, closing\r\n"), "{replies}");
    }

    #[test]
    fn a_message_over_the_limit_or_the_budget_is_refused_and_the_session_goes_on() {
        let big =
            format!("MAIL FROM:<a@b>\r\nRCPT TO:<sales@acme.test>\r\nDATA\r\n{}\r\n.\r\nNOOP\r\n", "x".repeat(300));
        let keeper = Keeper::default();
        let replies = converse_over(big.as_bytes(), &keeper, &MessageBudget::new(1 << 20));
        assert!(replies.contains("552 5.3.4"), "{replies}");
        assert!(replies.ends_with("250 OK\r\n"), "the session goes on: {replies}");
        let small = "MAIL FROM:<a@b>\r\nRCPT TO:<sales@acme.test>\r\nDATA\r\nhello\r\n.\r\n";
        let full = MessageBudget::new(4096);
        let _someone_else = {
            let mut held = full.hold();
            assert!(held.cover(4096));
            held
        };
        let replies = converse_over(small.as_bytes(), &keeper, &full);
        assert!(replies.contains("452 4.3.1"), "{replies}");
        assert!(keeper.delivered.lock().unwrap().is_empty());
    }

    /// Refuses every message, after checking that its share of the budget
    /// is still held while it is being filed.
    #[derive(Clone)]
    struct Refuser {
        budget: MessageBudget,
        refusal: Refusal,
    }

    impl MailHandler for Refuser {
        async fn accepts(&self, _recipient: &str) -> bool {
            true
        }
        async fn deliver(&self, _envelope: Envelope, raw: Vec<u8>) -> Result<(), Refusal> {
            let mut rest = self.budget.hold();
            assert!(!rest.cover(4096), "the message's {} bytes are still counted while it is filed", raw.len());
            Err(self.refusal.clone())
        }
        fn max_message_bytes(&self) -> usize {
            256
        }
    }

    #[test]
    fn the_budget_is_held_until_filing_ends_and_refusals_get_their_replies() {
        let message = "MAIL FROM:<a@b>\r\nRCPT TO:<sales@acme.test>\r\nDATA\r\nhello\r\n.\r\n";
        let budget = MessageBudget::new(4096);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        for (refusal, expected) in [
            (Refusal::TooLarge { limit_bytes: 100 }, "552 5.3.4 Message text and HTML over 100 bytes"),
            (Refusal::TooComplex, "552 5.3.4"),
            (Refusal::Unreadable, "554 5.6.0"),
            (Refusal::SenderAllowance, "452 4.2.2 Too much mail from this sender"),
            (Refusal::InboxAllowance, "452 4.2.2 Too much mail for this inbox"),
            (Refusal::Failed("disk full".into()), "451 4.3.0 Could not file the message, try again later"),
        ] {
            let handler = Refuser { budget: budget.clone(), refusal };
            let mut replies = Vec::new();
            runtime.block_on(session(message.as_bytes(), &mut replies, &handler, &budget, &small_limits())).unwrap();
            let replies = String::from_utf8(replies).unwrap();
            assert!(replies.lines().last().is_some_and(|last| last.starts_with(expected)), "{replies}");
            assert!(!replies.contains("disk full"), "what failed inside is not told");
            assert!(budget.hold().cover(4096), "and given back once answered");
        }
    }

    /// Commands, broken commands and raw bytes, in any order.
    fn client_input() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            Just(b"EHLO x\r\n".to_vec()),
            Just(b"MAIL FROM:<lin@example.org>\r\n".to_vec()),
            Just(b"RCPT TO:<sales@acme.test>\r\n".to_vec()),
            Just(b"RCPT TO:<other@acme.test>\r\n".to_vec()),
            Just(b"DATA\r\n".to_vec()),
            Just(b".\r\n".to_vec()),
            Just(b"RSET\r\n".to_vec()),
            "[ -~]{0,80}\r\n".prop_map(String::into_bytes),
            "(?s).{0,100}".prop_map(String::into_bytes),
            proptest::collection::vec(any::<u8>(), 0..200),
        ];
        proptest::collection::vec(piece, 0..30).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        /// Whatever a client sends, the session ends when the input does,
        /// answers only in SMTP reply lines, and hands over nothing larger
        /// than the limit, only for the recipient it accepts.
        #[test]
        fn any_input_gets_well_formed_bounded_answers(input in client_input()) {
            let keeper = Keeper::default();
            let replies = converse_over(&input, &keeper, &MessageBudget::new(1 << 20));
            for line in replies.split_terminator("\r\n") {
                let code = line.get(..3).unwrap_or_default();
                prop_assert!(code.bytes().all(|b| b.is_ascii_digit()) && code.len() == 3, "bad reply {line:?}");
                prop_assert!(line.len() < 100, "long reply {line:?}");
            }
            for (envelope, raw) in keeper.delivered.lock().unwrap().iter() {
                prop_assert!(raw.len() <= 256);
                prop_assert!(envelope.recipients.iter().all(|r| r == "sales@acme.test"));
            }
        }
    }
}
