//! What a message's shape will cost to parse, checked before it is parsed.
//!
//! The parser keeps a record for every header field (about 120 bytes, even
//! for fields it ignores), every MIME part (about 170 bytes; 1.4 KiB for a
//! part that is a message of its own), and every address, id or parameter
//! in the fields it reads (about 48 bytes for as few as 2 bytes of input).
//! Measured on 25 MiB messages built for it: 3.3 million header fields took
//! 400 MiB, 2.6 million parts 455 MiB, a To field of 13 million addresses
//! 625 MiB, 1.5 million digest parts 1.9 GiB; and 50,000 messages nested
//! in each other (1.6 MB) overflowed a thread's stack when the parse was
//! dropped, which aborts the server. Real mail has a few dozen of each.
//!
//! So each of those is counted first, in one pass over the bytes, by rules
//! that count at least what the parser will find and never less: every line
//! with a colon is taken for a header field (the parser takes any name
//! before a colon), every run of two or more dashes for MIME boundaries
//! (it finds boundaries in the middle of lines too), and every
//! `Content-Type` field for a part that may hold a message (nesting needs
//! one per level). Parsing within these bounds takes at most about 50 MiB
//! beyond the message itself. (Transfer encodings are not undone by the
//! parser, see `reading`, so nothing is hidden from this count in base64.)

/// Most lines with a colon (header fields or anything like one): about
/// 24 MiB of parser records. A text attachment sent unencoded with more
/// lines of `name: value` than this (a log of 10 MB or so) is refused; mail
/// programs send attachments in base64, which has no colons.
pub const MAX_FIELD_LINES: usize = 200_000;
/// Most bytes of the fields whose values are lists the parser reads (From,
/// To, Message-ID, In-Reply-To, References, Content-Type and
/// Content-Disposition), folded lines included: about 6 MiB of records.
pub const MAX_LIST_FIELD_BYTES: usize = 256 * 1024;
/// Most boundary marks (runs of dashes, counted as the most boundaries
/// they could hold): about 14 MiB of records at 1.4 KiB each.
pub const MAX_BOUNDARY_MARKS: usize = 10_000;
/// Most `Content-Type` fields: each may open a nested message, and nesting
/// is what deepens the stack.
pub const MAX_CONTENT_TYPES: usize = 1_000;

/// Field names whose values the parser reads as lists; lowercase, without
/// whitespace, as the parser compares them.
const LIST_FIELDS: [&[u8]; 7] =
    [b"from", b"to", b"message-id", b"in-reply-to", b"references", b"content-type", b"content-disposition"];

/// The counts of one message.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub field_lines: usize,
    pub list_field_bytes: usize,
    pub boundary_marks: usize,
    pub content_types: usize,
}

impl Shape {
    /// Counts `raw` in one pass.
    pub fn of(raw: &[u8]) -> Shape {
        let mut shape = Shape::default();
        let mut in_list_field = false;
        for line in raw.split(|&byte| byte == b'\n') {
            let folded = matches!(line.first(), Some(b' ' | b'\t'));
            if folded && in_list_field {
                shape.list_field_bytes += line.len() + 1;
            }
            match line.iter().position(|&byte| byte == b':') {
                Some(colon) => {
                    shape.field_lines += 1;
                    if !(folded && in_list_field) {
                        let name = field_name(&line[..colon]);
                        in_list_field = LIST_FIELDS.contains(&name.as_slice());
                        if in_list_field {
                            shape.list_field_bytes += line.len() + 1;
                        }
                        if name == b"content-type" {
                            shape.content_types += 1;
                        }
                    }
                }
                None if !folded => in_list_field = false,
                None => {}
            }
        }
        shape.boundary_marks = boundary_marks(raw);
        shape
    }

    /// Whether every count is within its bound.
    pub fn is_within_bounds(&self) -> bool {
        self.field_lines <= MAX_FIELD_LINES
            && self.list_field_bytes <= MAX_LIST_FIELD_BYTES
            && self.boundary_marks <= MAX_BOUNDARY_MARKS
            && self.content_types <= MAX_CONTENT_TYPES
    }
}

/// A field name as the parser reads it: whitespace dropped, lowercase.
fn field_name(before_colon: &[u8]) -> Vec<u8> {
    before_colon.iter().filter(|byte| !byte.is_ascii_whitespace()).map(u8::to_ascii_lowercase).collect()
}

/// The most boundaries the runs of dashes in `raw` could hold: a boundary
/// is two dashes and at least one more byte, which may be dashes too, so a
/// run of `n` holds at most `n / 3` of them plus one that ends past it.
fn boundary_marks(raw: &[u8]) -> usize {
    let mut marks = 0;
    let mut run = 0;
    for &byte in raw.iter().chain(b"\n") {
        if byte == b'-' {
            run += 1;
            continue;
        }
        if run >= 2 {
            marks += 1 + run / 3;
        }
        run = 0;
    }
    marks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_mail_is_well_within_bounds() {
        let raw = b"From: Lin Park <lin@example.org>\r\nTo: sales@acme.test,\r\n  grace@acme.test\r\nSubject: Hi: there\r\n\
Content-Type: multipart/alternative; boundary=\"--b\"\r\n\r\n----b\r\nContent-Type: text/plain\r\n\r\nHello -- see you\r\n\
----b\r\nContent-Type: text/html\r\n\r\n<p style=\"color:red\">Hello</p>\r\n----b--\r\n";
        let shape = Shape::of(raw);
        assert_eq!(shape.field_lines, 7, "six fields and one colon in the HTML");
        assert_eq!(shape.content_types, 3);
        // Four dashes could hold two boundaries, the closing run three; one
        // pair in the text and one in the field.
        assert_eq!(shape.boundary_marks, 2 + 2 + 3 + 1 + 1);
        assert_eq!(shape.list_field_bytes, 34 + 22 + 19 + 53 + 26 + 25, "From, To folded, the three Content-Types");
        assert!(shape.is_within_bounds());
    }

    #[test]
    fn names_are_read_as_the_parser_reads_them() {
        let shape = Shape::of(b"  T o : a,b\r\nCONTENT-type: message/rfc822\r\nX-To: many,many\r\n");
        assert_eq!(shape.content_types, 1);
        assert_eq!(shape.list_field_bytes, 13 + 30, "To with spaces in its name, and Content-Type; not X-To");
    }

    #[test]
    fn floods_of_fields_addresses_parts_or_nesting_are_out_of_bounds() {
        let fields = "X-A: b\r\n".repeat(MAX_FIELD_LINES + 1);
        let addresses = format!("To: {}\r\n", "a,".repeat(MAX_LIST_FIELD_BYTES / 2));
        let folded = format!("To: a\r\n{}", " b,\r\n".repeat(MAX_LIST_FIELD_BYTES / 5));
        let parts = format!(
            "Content-Type: multipart/mixed; boundary=b\r\n\r\n{}",
            "--b\r\n\r\n".repeat(MAX_BOUNDARY_MARKS + 1)
        );
        let dashes = "-".repeat(3 * MAX_BOUNDARY_MARKS);
        let nested = "Content-Type: message/rfc822\r\n\r\n".repeat(MAX_CONTENT_TYPES + 1);
        for (what, raw) in [
            ("fields", fields),
            ("addresses", addresses),
            ("folded", folded),
            ("parts", parts),
            ("dashes", dashes),
            ("nested", nested),
        ] {
            assert!(!Shape::of(raw.as_bytes()).is_within_bounds(), "{what}: {:?}", Shape::of(raw.as_bytes()));
        }
    }
}
