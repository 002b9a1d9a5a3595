//! The settings server functions need from the server's configuration
//! (its public address, who call mail comes from, the notes' rules): one
//! leaf that the shared state and the mail senders both read.

/// Settings that server functions need from the configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Base URL people use to reach this server, for links and cookies.
    pub public_url: String,
    /// The sender of call invitations and meeting notes; `None`:
    /// `calls@<public host>`.
    pub calls_from: Option<String>,
    /// How long a guest must have been in a call to get its notes.
    pub guest_notes_min_stay_secs: i64,
}

impl Settings {
    /// The domain part of the Message-IDs of mail we send: the public
    /// URL's host.
    pub fn mail_domain(&self) -> &str {
        let rest = self.public_url.split_once("://").map_or(self.public_url.as_str(), |(_, rest)| rest);
        let authority = rest.split('/').next().unwrap_or_default();
        // An IPv6 literal keeps its brackets (a valid id domain); anything
        // else loses its port.
        let host = match authority.find(']') {
            Some(end) if authority.starts_with('[') => &authority[..=end],
            _ => authority.split(':').next().unwrap_or_default(),
        };
        if host.is_empty() { "anteroom.invalid" } else { host }
    }

    /// The address call invitations and meeting notes come from.
    pub fn calls_from(&self) -> String {
        self.calls_from.clone().unwrap_or_else(|| format!("calls@{}", self.mail_domain()))
    }

    /// Cookies get `Secure` when the server is reached over HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::Settings;

    #[test]
    fn mail_ids_use_the_public_host_without_port() {
        let domain = |url: &str| {
            Settings { public_url: url.into(), calls_from: None, guest_notes_min_stay_secs: 60 }
                .mail_domain()
                .to_string()
        };
        assert_eq!(
            Settings { public_url: "https://meet.example.com".into(), calls_from: None, guest_notes_min_stay_secs: 60 }
                .calls_from(),
            "calls@meet.example.com"
        );
        assert_eq!(domain("https://meet.example.com"), "meet.example.com");
        assert_eq!(domain("http://127.0.0.1:3000"), "127.0.0.1");
        assert_eq!(domain("http://[::1]:3000/"), "[::1]");
        assert_eq!(domain(""), "anteroom.invalid");
    }
}
