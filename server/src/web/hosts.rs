//! Which host names this server answers for. A DNS rebinding attack points
//! a name of the attacker's at our address, so the victim's browser sends
//! the attacker's pages' requests to us with the attacker's name in `Host`.
//! We answer only for the public URL's host, `localhost` and IP literals
//! (a rebinding always needs a name of its own).

use super::WebPolicy;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::IpAddr;
use std::sync::Arc;

pub struct AllowedHosts {
    public_host: String,
    public_url: String,
}

/// The host of an authority (`host[:port]`, `[v6]:port`), lower-cased.
fn host_of(authority: &str) -> String {
    let authority = authority.rsplit_once('@').map_or(authority, |(_, rest)| rest);
    let host = match authority.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

impl AllowedHosts {
    pub fn new(public_url: &str) -> Self {
        let rest = public_url.split_once("://").map_or(public_url, |(_, rest)| rest);
        let authority = rest.split('/').next().unwrap_or_default();
        AllowedHosts { public_host: host_of(authority), public_url: public_url.to_string() }
    }

    /// True when a request addressed to `authority` is ours to answer.
    pub fn allows(&self, authority: &str) -> bool {
        let host = host_of(authority);
        !host.is_empty() && (host == self.public_host || host == "localhost" || host.parse::<IpAddr>().is_ok())
    }
}

/// Refuses requests addressed to a host name that is not ours (421).
pub async fn refuse_unknown_hosts(State(policy): State<Arc<WebPolicy>>, request: Request, next: Next) -> Response {
    let authority = request
        .uri()
        .authority()
        .map(|a| a.as_str().to_string())
        .or_else(|| request.headers().get(header::HOST).and_then(|v| v.to_str().ok()).map(str::to_string));
    match authority {
        Some(authority) if policy.hosts.allows(&authority) => next.run(request).await,
        _ => (
            StatusCode::MISDIRECTED_REQUEST,
            format!("This server does not answer for that host name. Open Anteroom at {}.", policy.hosts.public_url),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_for_the_public_host_localhost_and_ip_literals_only() {
        let hosts = AllowedHosts::new("https://Meet.Example.com/");
        for ok in [
            "meet.example.com",
            "meet.example.com:443",
            "MEET.example.com.",
            "localhost:3000",
            "127.0.0.1:3000",
            "[::1]:3000",
            "192.0.2.7",
        ] {
            assert!(hosts.allows(ok), "{ok}");
        }
        for refused in ["evil.example", "meet.example.com.evil.example", "", ":3000", "user@evil.example"] {
            assert!(!hosts.allows(refused), "{refused}");
        }
        assert!(AllowedHosts::new("http://127.0.0.1:3000").allows("127.0.0.1:3000"));
    }
}
