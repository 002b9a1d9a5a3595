//! The built-in SMTP receiver: accepts mail for the inboxes' addresses
//! (refusing unknown recipients at RCPT time) and hands each message over.
//! Plain SMTP without TLS or AUTH, meant to sit behind the organisation's
//! mail exchanger or on a private network; the subset is EHLO/HELO, MAIL,
//! RCPT, DATA, RSET, NOOP and QUIT.

use std::future::Future;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Longest command line accepted.
const MAX_LINE_BYTES: usize = 4096;
/// Most recipients of one message.
const MAX_RECIPIENTS: usize = 100;
/// A client that says nothing for this long is dropped.
const IDLE_LIMIT: Duration = Duration::from_secs(300);

/// What the receiver asks of whoever takes the mail.
pub trait MailHandler: Clone + Send + Sync + 'static {
    /// Whether mail for `recipient` is wanted here.
    fn accepts(&self, recipient: &str) -> impl Future<Output = bool> + Send;
    /// Takes one message; an error is sent back to the client as a
    /// temporary failure, so it tries again later.
    fn deliver(&self, recipients: Vec<String>, raw: Vec<u8>) -> impl Future<Output = Result<(), String>> + Send;
    /// The largest message accepted, in bytes.
    fn max_message_bytes(&self) -> usize;
}

/// Accepts connections until `shutdown` flips.
pub async fn serve(listener: TcpListener, handler: impl MailHandler, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let handler = handler.clone();
                    tokio::spawn(async move {
                        if let Err(error) = session(stream, handler).await {
                            tracing::debug!(%peer, %error, "SMTP session ended with an error");
                        }
                    });
                }
                Err(error) => tracing::warn!(%error, "could not accept an SMTP connection"),
            },
            _ = shutdown.changed() => break,
        }
    }
}

/// The address inside `<...>` of a MAIL FROM or RCPT TO argument.
fn path(argument: &str) -> String {
    let argument = argument.trim();
    let inner = argument.strip_prefix('<').and_then(|rest| rest.split_once('>')).map(|(inside, _)| inside);
    inner.unwrap_or_else(|| argument.split_whitespace().next().unwrap_or_default()).trim().to_lowercase()
}

/// Reads one line (without its line ending); None when the client left.
async fn read_line(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    line: &mut Vec<u8>,
) -> std::io::Result<bool> {
    line.clear();
    let read = tokio::time::timeout(IDLE_LIMIT, reader.read_until(b'\n', line))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "idle too long"))??;
    Ok(read > 0)
}

async fn session(stream: TcpStream, handler: impl MailHandler) -> std::io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    writer.write_all(b"220 anteroom ESMTP ready\r\n").await?;
    let mut line = Vec::new();
    let mut from: Option<String> = None;
    let mut recipients: Vec<String> = Vec::new();
    while read_line(&mut reader, &mut line).await? {
        if line.len() > MAX_LINE_BYTES {
            writer.write_all(b"500 Line too long\r\n").await?;
            continue;
        }
        let command = String::from_utf8_lossy(&line).trim_end().to_string();
        let upper = command.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") {
            format!("250-anteroom\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE {}\r\n", handler.max_message_bytes())
        } else if upper.starts_with("HELO") {
            "250 anteroom\r\n".into()
        } else if upper.starts_with("MAIL FROM:") {
            from = Some(path(&command[10..]));
            recipients.clear();
            "250 OK\r\n".into()
        } else if upper.starts_with("RCPT TO:") {
            let recipient = path(&command[8..]);
            if from.is_none() {
                "503 Send MAIL FROM first\r\n".into()
            } else if recipients.len() >= MAX_RECIPIENTS {
                "452 Too many recipients\r\n".into()
            } else if handler.accepts(&recipient).await {
                recipients.push(recipient);
                "250 OK\r\n".into()
            } else {
                "550 No such inbox here\r\n".into()
            }
        } else if upper == "DATA" {
            if recipients.is_empty() {
                "503 Send RCPT TO first\r\n".into()
            } else {
                writer.write_all(b"354 End data with <CRLF>.<CRLF>\r\n").await?;
                let Some(raw) = read_data(&mut reader, &mut line, handler.max_message_bytes()).await? else {
                    return Ok(());
                };
                from = None;
                match raw {
                    Err(too_big) => too_big,
                    Ok(raw) => match handler.deliver(std::mem::take(&mut recipients), raw).await {
                        Ok(()) => "250 OK, filed\r\n".into(),
                        Err(reason) => format!("451 Could not file the message: {reason}\r\n"),
                    },
                }
            }
        } else if upper == "RSET" {
            from = None;
            recipients.clear();
            "250 OK\r\n".into()
        } else if upper == "NOOP" {
            "250 OK\r\n".into()
        } else if upper == "QUIT" {
            writer.write_all(b"221 Bye\r\n").await?;
            return Ok(());
        } else {
            "502 Command not implemented\r\n".into()
        };
        writer.write_all(reply.as_bytes()).await?;
    }
    Ok(())
}

/// Reads the message after DATA up to the lone dot, undoing dot-stuffing.
/// None when the client left; `Err(reply)` when the message was too big.
async fn read_data(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    line: &mut Vec<u8>,
    limit: usize,
) -> std::io::Result<Option<Result<Vec<u8>, String>>> {
    let mut raw = Vec::new();
    let mut too_big = false;
    loop {
        if !read_line(reader, line).await? {
            return Ok(None);
        }
        if line.as_slice() == b".\r\n" || line.as_slice() == b".\n" {
            break;
        }
        let content = if line.first() == Some(&b'.') { &line[1..] } else { &line[..] };
        if raw.len() + content.len() > limit {
            too_big = true;
        } else {
            raw.extend_from_slice(content);
        }
    }
    Ok(Some(if too_big { Err(format!("552 Message larger than {limit} bytes\r\n")) } else { Ok(raw) }))
}

#[cfg(test)]
mod tests {
    use super::path;

    #[test]
    fn paths_are_read_with_or_without_brackets_and_parameters() {
        assert_eq!(path("<Lin@Example.org> SIZE=100"), "lin@example.org");
        assert_eq!(path(" sales@acme.test"), "sales@acme.test");
        assert_eq!(path("<>"), "");
    }
}
