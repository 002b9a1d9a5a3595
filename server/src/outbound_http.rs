//! Outgoing HTTP (to the speech engine, and from tests and benches): one
//! place that sets reqwest up. TLS is rustls with the ring crypto provider,
//! as the mail relay has it; reqwest is built without a provider of its
//! own, so one must be installed before any client is made, which this
//! does.

/// A reqwest client builder, with TLS ready.
pub fn client_builder() -> reqwest::ClientBuilder {
    // Installing twice is refused, harmlessly: the first one stays.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}
