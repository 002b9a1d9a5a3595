//! Reading a raw message into what the store keeps, within bounds: its
//! shape is checked before it is parsed ([`Shape`]), and the text and HTML
//! kept must fit `max_stored_bytes`.
//!
//! The parser reads only the fields we keep or need for the structure, and
//! is told to leave transfer encodings alone: it then decodes no part we do
//! not keep (a 20 MiB base64 attachment stays the bytes it arrived as), and
//! no message hidden in base64 is parsed unseen by the shape check. The
//! one text body and one HTML body we keep are decoded here, with the
//! parser's own decoders.

use super::ReceiveError;
use super::shape::Shape;
use crate::ssr::mail_store::{NewAttachment, NewEmail};
use crate::ssr::tokens;
use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::decoders::html::html_to_text;
use mail_parser::parsers::MessageStream;
use mail_parser::{HeaderName, HeaderValue, MessageParser, MessagePart, MimeHeaders};
use std::borrow::Cow;

/// Most `References` ids looked at when threading (the latest ones): each
/// is a lookup, and a real thread seldom needs more than its last few.
pub const MAX_REFERENCES: usize = 20;

/// The parser: structure, and the fields the store keeps; every other
/// field, Content-Transfer-Encoding included, is skipped.
fn parser() -> MessageParser {
    MessageParser::new()
        .header_content_type(HeaderName::ContentType)
        .header_content_type(HeaderName::ContentDisposition)
        .header_address(HeaderName::From)
        .header_address(HeaderName::To)
        .header_address(HeaderName::Cc)
        .header_id(HeaderName::ContentId)
        .header_text(HeaderName::Subject)
        .header_id(HeaderName::MessageId)
        .header_id(HeaderName::InReplyTo)
        .header_id(HeaderName::References)
        .default_header_ignore()
}

/// The most files one received message keeps (its MIME parts are bounded
/// anyway by its shape); the rest are not kept.
pub const MAX_ATTACHMENTS: usize = 50;

/// A received message: what the store keeps of its text, and its files'
/// bytes, decoded, in the order of `email.attachments` (whose hashes and
/// sizes are theirs).
pub struct Parsed {
    pub email: NewEmail,
    pub files: Vec<Vec<u8>>,
}

/// Reads the raw message into what the store keeps; refuses it when its
/// shape would cost too much to parse, or its text and HTML (and the fields
/// kept) come to more than `max_stored_bytes`. Its files (attachments and
/// inline images) are decoded too: they are bounded by the message's own
/// size, which the SMTP receiver bounds.
pub fn parse(raw: &[u8], max_stored_bytes: usize) -> Result<Parsed, ReceiveError> {
    if !Shape::of(raw).is_within_bounds() {
        return Err(ReceiveError::TooComplex);
    }
    let message = parser().parse(raw).ok_or(ReceiveError::Unreadable)?;
    let too_large = ReceiveError::TooLarge { limit: max_stored_bytes };
    let html_part = message.html_part(0).filter(|part| part.is_text_html());
    let text_part = message.text_part(0).filter(|part| part.is_text());
    if html_part.into_iter().chain(text_part).any(|part| least_decoded_bytes(part) > max_stored_bytes) {
        return Err(too_large);
    }
    let html = html_part.map(|part| decoded_text(raw, part));
    if html.as_ref().is_some_and(|html| html.len() > max_stored_bytes) {
        return Err(too_large);
    }
    let text = match text_part {
        // Only HTML: the text is made from it.
        Some(part) if part.is_text_html() => match (html_part, &html) {
            (Some(same), Some(html)) if std::ptr::eq(same, part) => html_to_text(html),
            _ => html_to_text(&decoded_text(raw, part)),
        },
        Some(part) => decoded_text(raw, part),
        None => String::new(),
    };
    let from = message.from().and_then(|list| list.first());
    let ids = |value: &HeaderValue| -> Vec<String> {
        value.as_text_list().map(|list| list.iter().map(|id| id.to_string()).collect()).unwrap_or_default()
    };
    let addresses = |list: Option<&mail_parser::Address>| -> Vec<String> {
        list.map(|list| list.iter().filter_map(|a| a.address().map(str::to_lowercase)).collect()).unwrap_or_default()
    };
    let to = addresses(message.to());
    let cc = addresses(message.cc());
    let mut files = Vec::new();
    let mut attachments = Vec::new();
    for part in message.attachments().take(MAX_ATTACHMENTS) {
        let bytes = decoded_bytes(raw, part).into_owned();
        let kind = part.content_type().map_or_else(
            || "application/octet-stream".to_string(),
            |kind| format!("{}/{}", kind.ctype(), kind.subtype().unwrap_or("octet-stream")),
        );
        let content_id = part
            .content_id()
            .map(|id| id.trim().trim_start_matches('<').trim_end_matches('>').to_string())
            .filter(|id| !id.is_empty() && id.len() <= 250);
        attachments.push(NewAttachment {
            name: crate::validate::file_name(part.attachment_name().unwrap_or("attachment")),
            content_type: crate::validate::content_type(&kind),
            content_id,
            sha256: crate::ssr::file_store::hex(&<sha2::Sha256 as sha2::Digest>::digest(&bytes)),
            size: bytes.len() as u64,
        });
        files.push(bytes);
    }
    let email = NewEmail {
        // A message without an id still gets one, so replies can thread.
        message_id: message
            .message_id()
            .map_or_else(|| format!("{}@anteroom.invalid", tokens::random_token()), str::to_string),
        in_reply_to: ids(message.in_reply_to()).pop(),
        references: {
            let mut references = ids(message.references());
            references.drain(..references.len().saturating_sub(MAX_REFERENCES));
            references
        },
        from_address: from.and_then(|a| a.address()).unwrap_or_default().to_lowercase(),
        from_name: from.and_then(|a| a.name()).unwrap_or_default().to_string(),
        to_addresses: to.join(", "),
        cc_addresses: cc.join(", "),
        attachments,
        subject: message.subject().unwrap_or_default().to_string(),
        text_body: text,
        html_body: html,
        ..NewEmail::default()
    };
    if email.text_bytes() > max_stored_bytes {
        return Err(too_large);
    }
    Ok(Parsed { email, files })
}

/// About the fewest bytes of text a part decodes to: quoted-printable
/// takes three bytes for one at most, and UTF-16 two for a character of
/// ASCII. A part past the limit even so is refused without being decoded
/// (a 20 MiB HTML part would be copied in whole to be found too large).
/// Only text in an odd charset that shrinks more (UTF-7) could be refused
/// here and yet have fit.
fn least_decoded_bytes(part: &MessagePart) -> usize {
    (part.offset_end.saturating_sub(part.offset_body) as usize) / 6
}

/// A text part's content as text: its transfer encoding undone (base64 or
/// quoted-printable, as the part's own field says) and its charset read.
/// Undecodable content is kept as it came, as the parser itself does.
fn decoded_text(raw: &[u8], part: &MessagePart) -> String {
    let bytes = decoded_bytes(raw, part);
    match part
        .content_type()
        .and_then(|kind| kind.attribute("charset"))
        .and_then(|name| charset_decoder(name.as_bytes()))
    {
        Some(decode) => decode(&bytes),
        None => String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// A part's content as bytes, its transfer encoding undone (base64 or
/// quoted-printable, as the part's own field says); undecodable content
/// is kept as it came.
fn decoded_bytes<'a>(raw: &'a [u8], part: &MessagePart) -> Cow<'a, [u8]> {
    let body = raw.get(part.offset_body as usize..part.offset_end as usize).unwrap_or_default();
    let encoding = part
        .headers
        .iter()
        .find(|field| field.name == HeaderName::ContentTransferEncoding)
        .and_then(|field| raw.get(field.offset_start as usize..field.offset_end as usize))
        .map(|value| String::from_utf8_lossy(value).trim().to_ascii_lowercase());
    let decoded = match encoding.as_deref() {
        Some("base64") => MessageStream::new(body).decode_base64_mime(b""),
        Some("quoted-printable") => MessageStream::new(body).decode_quoted_printable_mime(b""),
        _ => (0, Cow::Borrowed(body)),
    };
    if decoded.0 == usize::MAX { Cow::Borrowed(body) } else { decoded.1 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ssr::mail_in::MAX_STORED_BYTES;

    fn read(raw: &[u8]) -> Result<NewEmail, ReceiveError> {
        parse(raw, MAX_STORED_BYTES).map(|parsed| parsed.email)
    }

    #[test]
    fn headers_ids_and_bodies_are_read() {
        let raw = b"From: Lin Park <Lin@Example.org>\r\nTo: Sales <sales@acme.test>\r\nSubject: Re: Pricing\r\n\
Message-ID: <b@example.org>\r\nIn-Reply-To: <a@acme.test>\r\nReferences: <z@acme.test> <a@acme.test>\r\n\
Content-Type: text/plain; charset=utf-8\r\n\r\nSounds good.\r\n";
        let email = read(raw).unwrap();
        assert_eq!((email.from_address.as_str(), email.from_name.as_str()), ("lin@example.org", "Lin Park"));
        assert_eq!(email.message_id, "b@example.org");
        assert_eq!(email.in_reply_to.as_deref(), Some("a@acme.test"));
        assert_eq!(email.references, ["z@acme.test", "a@acme.test"]);
        assert_eq!((email.subject.as_str(), email.to_addresses.as_str()), ("Re: Pricing", "sales@acme.test"));
        assert_eq!(email.text_body.trim(), "Sounds good.");
        assert_eq!(email.html_body, None, "plain mail has no HTML");
        assert!(matches!(read(b""), Err(ReceiveError::Unreadable)));
        let many: String = (0..500).map(|n| format!("<r{n}@x>")).collect::<Vec<_>>().join(" ");
        let email = read(format!("From: a@b\r\nReferences: {many}\r\n\r\nhi\r\n").as_bytes()).unwrap();
        assert_eq!(email.references.len(), MAX_REFERENCES, "only the latest references are kept");
        assert_eq!(email.references.last().map(String::as_str), Some("r499@x"));
    }

    #[test]
    fn encoded_bodies_are_decoded_and_attachments_left_alone() {
        let raw = "From: a@b\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
--b\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n\
--c\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
Gr=FC=DFe, a long line that is =\r\nsoft-broken\r\n\
--c\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding:\r\n  BASE64\r\n\r\n\
PHA+R3LDvMOfZTwvcD4=\r\n--c--\r\n\
--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n";
        let email = read(raw.as_bytes()).unwrap();
        assert_eq!(email.subject, "Grüße");
        assert_eq!(email.text_body.trim(), "Grüße, a long line that is soft-broken");
        assert_eq!(email.html_body.as_deref().map(str::trim), Some("<p>Grüße</p>"));
    }

    #[test]
    fn html_only_mail_gets_its_text_from_the_html() {
        let raw = b"From: a@b\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\nPHA+SGVsbG8gPGI+dGVhbTwvYj48L3A+\r\n";
        let email = read(raw).unwrap();
        assert_eq!(email.html_body.as_deref().map(str::trim), Some("<p>Hello <b>team</b></p>"));
        assert_eq!(email.text_body.trim(), "Hello team");
    }

    #[test]
    fn text_over_the_stored_limit_or_a_costly_shape_is_refused() {
        let html = format!("From: a@b\r\nContent-Type: text/html\r\n\r\n<p>{}</p>\r\n", "x".repeat(1000));
        assert!(matches!(parse(html.as_bytes(), 900), Err(ReceiveError::TooLarge { limit: 900 })));
        assert!(parse(html.as_bytes(), 4000).is_ok(), "HTML and its text fit");
        assert!(
            matches!(parse(html.as_bytes(), 1500), Err(ReceiveError::TooLarge { .. })),
            "with its text they do not"
        );
        let subject = format!("From: a@b\r\nSubject: {}\r\n\r\nhi\r\n", "s".repeat(1000));
        assert!(matches!(parse(subject.as_bytes(), 900), Err(ReceiveError::TooLarge { .. })), "fields count too");
        let fields = "X-A: b\r\n".repeat(super::super::shape::MAX_FIELD_LINES + 1);
        assert!(matches!(read(fields.as_bytes()), Err(ReceiveError::TooComplex)));
    }

    /// Messages nested in each other overflowed the stack of the thread
    /// that dropped the parse (50,000 levels in 1.6 MB): they are refused
    /// before parsing, and the most that pass are parsed and dropped on a
    /// thread with the stack the blocking pool gives.
    #[test]
    fn nested_messages_cannot_overflow_the_stack() {
        let deep = "Content-Type: message/rfc822\r\n\r\n".repeat(50_000);
        assert!(matches!(read(deep.as_bytes()), Err(ReceiveError::TooComplex)));
        let allowed = format!("From: a@b\r\n{}", "Content-Type: message/rfc822\r\n\r\n".repeat(999));
        let on_small_stack =
            std::thread::Builder::new().stack_size(2 << 20).spawn(move || read(allowed.as_bytes()).is_ok());
        assert!(on_small_stack.unwrap().join().unwrap());
    }
}
