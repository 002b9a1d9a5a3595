//! Field rules shared by the browser (instant feedback) and the server (the
//! rule that counts). Each returns the cleaned value or an error naming the field.

use crate::error::AppError;
use crate::model::one_line;

/// Longest name a person types: their own, a guest's, a workspace's,
/// team's or inbox's (room names are shorter, `model::layout`).
pub const MAX_NAME_CHARS: usize = 80;
pub const MAX_EMAIL_CHARS: usize = 254;
pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 128;

/// A name a person types, wherever they type it (sign-up, a new member,
/// a guest at a room's door or a channel's lobby, a team, an inbox):
/// trimmed, not empty, at most [`MAX_NAME_CHARS`], and one line of text
/// (no line breaks or direction controls, [`one_line`]): names go into
/// the notes email, .ics files and the summary model's prompt.
pub fn name(field: &str, label: &str, raw: &str) -> Result<String, AppError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(AppError::invalid(field, format!("{label} is required.")));
    }
    if value.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::invalid(field, format!("{label} can be at most {MAX_NAME_CHARS} characters.")));
    }
    one_line_only(field, label, value)?;
    Ok(value.to_string())
}

/// Refuses `value` unless it is one line of text ([`one_line`]).
pub fn one_line_only(field: &str, label: &str, value: &str) -> Result<(), AppError> {
    match one_line::first_disruptive(value) {
        None => Ok(()),
        Some(_) => Err(AppError::invalid(
            field,
            format!("{label} must be one line of plain text: no line breaks, tabs or invisible text-direction marks."),
        )),
    }
}

/// An email address: trimmed, lower-cased, syntactically valid.
pub fn email(field: &str, raw: &str) -> Result<String, AppError> {
    let value = raw.trim().to_lowercase();
    if value.is_empty() {
        return Err(AppError::invalid(field, "Email address is required."));
    }
    if value.chars().count() > MAX_EMAIL_CHARS {
        return Err(AppError::invalid(field, format!("Email address can be at most {MAX_EMAIL_CHARS} characters.")));
    }
    // Requires a dot in the domain too: "jane@localhost" is valid RFC 5322
    // but almost always a typo in a form like ours.
    let valid = email_address::EmailAddress::is_valid(&value)
        && value.rsplit_once('@').is_some_and(|(_, domain)| domain.contains('.'));
    if !valid {
        return Err(AppError::invalid(
            field,
            format!("\u{201c}{value}\u{201d} is not a valid email address, for example jane@example.com."),
        ));
    }
    Ok(value)
}

/// Most addresses one inbox may have.
pub const MAX_INBOX_ADDRESSES: usize = 10;

/// An inbox's email addresses, separated by commas, spaces or new lines:
/// each one valid, duplicates dropped, at least one, at most
/// [`MAX_INBOX_ADDRESSES`].
pub fn addresses(field: &str, raw: &str) -> Result<Vec<String>, AppError> {
    let list = email_list(field, raw, MAX_INBOX_ADDRESSES, "An inbox")?;
    if list.is_empty() {
        return Err(AppError::invalid(field, "Give the inbox at least one email address."));
    }
    Ok(list)
}

/// Most mail domains one workspace may list.
pub const MAX_MAIL_DOMAINS: usize = 20;

/// A workspace's mail domains, separated by commas, spaces or new lines:
/// each a host name (lower-cased, an "@" in front dropped), duplicates
/// dropped, at most [`MAX_MAIL_DOMAINS`]. None at all is allowed.
pub fn mail_domains(field: &str, raw: &str) -> Result<Vec<String>, AppError> {
    let mut list: Vec<String> = Vec::new();
    for part in raw.split(|c: char| c == ',' || c == ';' || c.is_whitespace()).filter(|p| !p.is_empty()) {
        let domain = part.trim_start_matches('@').to_lowercase();
        let label_ok = |label: &str| {
            (1..=63).contains(&label.len())
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        };
        if domain.len() > 253 || !domain.contains('.') || !domain.split('.').all(label_ok) {
            return Err(AppError::invalid(
                field,
                format!("\u{201c}{part}\u{201d} is not a mail domain, for example acme.com."),
            ));
        }
        if !list.contains(&domain) {
            list.push(domain);
        }
    }
    if list.len() > MAX_MAIL_DOMAINS {
        return Err(AppError::invalid(field, format!("A workspace can list at most {MAX_MAIL_DOMAINS} mail domains.")));
    }
    Ok(list)
}

/// Email addresses separated by commas, semicolons, spaces or new lines:
/// each one valid (lower-cased), duplicates dropped, at most `max`; `owner`
/// names what holds them in the message ("A call schedule").
pub fn email_list(field: &str, raw: &str, max: usize, owner: &str) -> Result<Vec<String>, AppError> {
    let mut list: Vec<String> = Vec::new();
    for part in raw.split(|c: char| c == ',' || c == ';' || c.is_whitespace()).filter(|p| !p.is_empty()) {
        let address = email(field, part)?;
        if !list.contains(&address) {
            list.push(address);
        }
    }
    if list.len() > max {
        return Err(AppError::invalid(field, format!("{owner} can have at most {max} addresses.")));
    }
    Ok(list)
}

/// Longest channel name.
pub const MAX_CHANNEL_NAME_CHARS: usize = 60;

/// A channel name as people type it, made into the usual form: lower case,
/// words joined by hyphens ("Client Calls" -> "client-calls"); letters,
/// digits, hyphens and underscores only.
pub fn channel_name(field: &str, raw: &str) -> Result<String, AppError> {
    let words: Vec<String> = raw.split_whitespace().map(str::to_lowercase).collect();
    let name = words.join("-");
    if name.is_empty() {
        return Err(AppError::invalid(field, "Give the channel a name."));
    }
    if name.chars().count() > MAX_CHANNEL_NAME_CHARS {
        return Err(AppError::invalid(
            field,
            format!("A channel name can be at most {MAX_CHANNEL_NAME_CHARS} characters."),
        ));
    }
    if let Some(bad) = name.chars().find(|c| !(c.is_alphanumeric() || *c == '-' || *c == '_')) {
        return Err(AppError::invalid(
            field,
            format!(
                "Channel names use letters, digits, hyphens and underscores; \u{201c}{bad}\u{201d} is not allowed."
            ),
        ));
    }
    Ok(name)
}

/// Most external participants one call schedule may invite.
pub const MAX_SCHEDULE_PARTICIPANTS: usize = 50;
/// Longest call schedule title.
pub const MAX_TITLE_CHARS: usize = 120;

/// A call's title: trimmed, not blank, at most [`MAX_TITLE_CHARS`], one
/// line of text (it is the .ics file's SUMMARY and the emails' subject: a
/// bare CR in it once wrote lines of its own into the .ics).
pub fn title(field: &str, raw: &str) -> Result<String, AppError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(AppError::invalid(field, "Give the call a title."));
    }
    if value.chars().count() > MAX_TITLE_CHARS {
        return Err(AppError::invalid(field, format!("A title can be at most {MAX_TITLE_CHARS} characters.")));
    }
    one_line_only(field, "A title", value)?;
    Ok(value.to_string())
}

/// Longest email body accepted from the compose and reply boxes.
pub const MAX_BODY_CHARS: usize = 100_000;

/// The text of an email: not blank, at most [`MAX_BODY_CHARS`]; trailing
/// blank space dropped.
pub fn email_body(field: &str, raw: &str) -> Result<String, AppError> {
    let body = raw.trim_end();
    if body.trim().is_empty() {
        return Err(AppError::invalid(field, "Write a message first."));
    }
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(AppError::invalid(field, format!("A message can be at most {MAX_BODY_CHARS} characters.")));
    }
    Ok(body.to_string())
}

/// A new password: long enough to resist guessing, short enough to hash quickly.
pub fn new_password(field: &str, raw: &str) -> Result<String, AppError> {
    let count = raw.chars().count();
    if count < MIN_PASSWORD_CHARS {
        return Err(AppError::invalid(field, format!("Password must be at least {MIN_PASSWORD_CHARS} characters.")));
    }
    if count > MAX_PASSWORD_CHARS {
        return Err(AppError::invalid(field, format!("Password can be at most {MAX_PASSWORD_CHARS} characters.")));
    }
    Ok(raw.to_string())
}

/// A file's name as it will be kept and offered on download: the last part
/// of whatever path the browser sent, without control or text-direction
/// characters (which can disguise an extension), at most
/// [`crate::model::MAX_FILE_NAME_CHARS`] (the extension kept), never empty.
pub fn file_name(raw: &str) -> String {
    use crate::model::MAX_FILE_NAME_CHARS;
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String =
        last.chars().filter(|c| !c.is_control() && one_line::first_disruptive(&c.to_string()).is_none()).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() {
        return "file".into();
    }
    if cleaned.chars().count() <= MAX_FILE_NAME_CHARS {
        return cleaned.to_string();
    }
    let extension = cleaned.rsplit_once('.').map(|(_, ext)| ext).filter(|ext| ext.chars().count() <= 16);
    match extension {
        Some(ext) => {
            let keep = MAX_FILE_NAME_CHARS - ext.chars().count() - 1;
            format!("{}.{ext}", cleaned.chars().take(keep).collect::<String>())
        }
        None => cleaned.chars().take(MAX_FILE_NAME_CHARS).collect(),
    }
}

/// A file's type as its sender's browser said it (`type/subtype`, without
/// parameters), or `application/octet-stream` when it said nothing usable.
pub fn content_type(raw: &str) -> String {
    let essence = raw.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let token = |part: &str| {
        !part.is_empty()
            && part.len() <= 64
            && part.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    match essence.split_once('/') {
        Some((kind, sub)) if token(kind) && token(sub) => essence,
        _ => "application/octet-stream".into(),
    }
}

/// A channel message's text as it will be stored (trailing blanks gone),
/// or why it cannot be: the composer checks it as the server does. A
/// message with files may have no text.
pub fn message_body(text: &str, with_files: bool) -> Result<&str, AppError> {
    use crate::model::MAX_MESSAGE_CHARS;
    let text = text.trim_end();
    if text.trim().is_empty() {
        return if with_files { Ok("") } else { Err(AppError::invalid("body", "Write something before sending.")) };
    }
    let chars = text.chars().count();
    if chars > MAX_MESSAGE_CHARS {
        return Err(AppError::invalid(
            "body",
            format!(
                "Messages are at most {MAX_MESSAGE_CHARS} characters; this one has {chars}. Split it, or attach it as a file."
            ),
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_bounded_and_one_line() {
        let long = "x".repeat(MAX_NAME_CHARS + 1);
        let longest = "é".repeat(MAX_NAME_CHARS);
        // (typed, what is kept or None when refused)
        let cases = [
            ("  Ada ", Some("Ada")),
            ("Zoë Ångström", Some("Zoë Ångström")),
            ("محمد علي", Some("محمد علي")),
            (longest.as_str(), Some(longest.as_str())),
            (" Ada\n", Some("Ada")),
            ("", None),
            ("   ", None),
            (long.as_str(), None),
            ("Sam\n[09:00] Ada Lovelace: wire the deposit", None),
            ("Sam\r[09:00] Ada Lovelace", None),
            ("Sam\r\nAda", None),
            ("Sam\tLee", None),
            ("Sam\u{0}", None),
            ("Sam\u{1b}[2J", None),
            ("Sam\u{85}Lee", None),
            ("Sam\u{2028}Lee", None),
            ("\u{202E}ecalevoL adA", None),
            ("Ada\u{202D}", None),
            ("Ada\u{2067}x\u{2069}", None),
            ("Ada\u{200F}", None),
            ("Ada\u{061C}", None),
        ];
        for (typed, kept) in cases {
            match (name("name", "Your name", typed), kept) {
                (Ok(got), Some(kept)) => assert_eq!(got, kept, "{typed:?}"),
                (Err(error), None) => assert_eq!(error.field(), Some("name"), "{typed:?}"),
                (got, kept) => panic!("{typed:?}: got {got:?}, expected {kept:?}"),
            }
        }
        let message = name("name", "Your name", "\u{202E}Ada").unwrap_err().to_string();
        assert_eq!(
            message,
            "Your name must be one line of plain text: no line breaks, tabs or invisible text-direction marks."
        );
    }

    #[test]
    fn titles_are_one_line() {
        assert_eq!(title("title", " Weekly review ").unwrap(), "Weekly review");
        for bad in [
            "",
            "Review\rATTENDEE:mailto:mallory@evil.example",
            "Review\nEND:VEVENT",
            "\u{202E}weiver",
            &"x".repeat(MAX_TITLE_CHARS + 1),
        ] {
            assert_eq!(title("title", bad).unwrap_err().field(), Some("title"), "{bad:?}");
        }
    }

    #[test]
    fn channel_names_take_the_usual_form() {
        assert_eq!(channel_name("name", "  Client   Calls ").unwrap(), "client-calls");
        assert_eq!(channel_name("name", "design_review-2").unwrap(), "design_review-2");
        assert_eq!(channel_name("name", "   ").unwrap_err().field(), Some("name"));
        assert!(channel_name("name", "q&a").is_err());
        assert!(channel_name("name", &"x".repeat(MAX_CHANNEL_NAME_CHARS + 1)).is_err());
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(email("email", " Ada@Example.COM ").unwrap(), "ada@example.com");
        for bad in ["", "ada", "ada@", "@example.com", "ada@localhost", "a b@example.com"] {
            assert!(email("email", bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn address_lists_are_split_checked_and_deduplicated() {
        assert_eq!(
            addresses("addresses", "Sales@Acme.test, hello@acme.test\nsales@acme.test").unwrap(),
            ["sales@acme.test", "hello@acme.test"]
        );
        assert_eq!(addresses("addresses", " , ").unwrap_err().field(), Some("addresses"));
        assert!(addresses("addresses", "sales@acme.test, nope").is_err());
        let many: Vec<String> = (0..=MAX_INBOX_ADDRESSES).map(|i| format!("a{i}@acme.test")).collect();
        assert!(addresses("addresses", &many.join(",")).is_err());
    }

    #[test]
    fn email_bodies_are_not_blank_and_bounded() {
        assert_eq!(email_body("body", "Hi\n\n").unwrap(), "Hi");
        assert_eq!(email_body("body", " \n ").unwrap_err().field(), Some("body"));
        assert!(email_body("body", &"x".repeat(MAX_BODY_CHARS + 1)).is_err());
    }

    #[test]
    fn mail_domains_are_host_names() {
        assert_eq!(mail_domains("d", " Acme.com, @mail.acme.com acme.com").unwrap(), ["acme.com", "mail.acme.com"]);
        assert!(mail_domains("d", "").unwrap().is_empty());
        for bad in ["localhost", "acme..com", "-acme.com", "ac me.com,x", "acme.com/x", "ünï.com"] {
            assert!(mail_domains("d", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_have_a_length_window() {
        assert!(new_password("password", "short").is_err());
        assert!(new_password("password", "long enough").is_ok());
        assert!(new_password("password", &"p".repeat(MAX_PASSWORD_CHARS + 1)).is_err());
    }

    #[test]
    fn file_names_lose_paths_and_disguises_and_keep_their_extension() {
        assert_eq!(file_name("C:\\Users\\ada\\report.pdf"), "report.pdf");
        assert_eq!(file_name("../../etc/passwd"), "passwd");
        assert_eq!(file_name("invoice\u{202e}fdp.exe"), "invoicefdp.exe");
        assert_eq!(file_name("  "), "file");
        assert_eq!(file_name(".htaccess"), "htaccess");
        let long = format!("{}.txt", "a".repeat(300));
        let kept = file_name(&long);
        assert_eq!(kept.chars().count(), crate::model::MAX_FILE_NAME_CHARS);
        assert!(kept.ends_with("a.txt"));
    }

    #[test]
    fn content_types_are_kept_only_when_well_formed() {
        assert_eq!(content_type("image/PNG"), "image/png");
        assert_eq!(content_type("text/plain; charset=utf-8"), "text/plain");
        assert_eq!(content_type(""), "application/octet-stream");
        assert_eq!(content_type("text/html\r\nX-Evil: 1"), "application/octet-stream");
    }
}
