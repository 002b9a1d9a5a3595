//! One way to read JSON in the browser.
//!
//! serde_json compiles a separate deserializer for every type and every
//! kind of input it is read from. Server functions read their answers from
//! bytes, while Leptos' resources (the data a server-rendered page hands to
//! the browser) and `serde_json::from_str` read from text: every type the
//! browser both fetches and hydrates was compiled twice. Reading everything
//! from bytes, as server functions do, keeps one copy: 16 KB less
//! WebAssembly over the wire.

use leptos::prelude::*;
use leptos::server::codee::{Decoder, Encoder};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// JSON text, parsed from its bytes.
pub fn from_text<T: DeserializeOwned>(text: &str) -> serde_json::Result<T> {
    serde_json::from_slice(text.as_bytes())
}

/// Leptos' JSON codec for resources, reading through [`from_text`].
pub struct JsonBytesCodec;

impl<T: Serialize> Encoder<T> for JsonBytesCodec {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, serde_json::Error> {
        serde_json::to_string(value)
    }
}

impl<T: DeserializeOwned> Decoder<T> for JsonBytesCodec {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(text: &str) -> Result<T, serde_json::Error> {
        from_text(text)
    }
}

/// Data loaded on the server with the page and handed to the browser with
/// it, reloaded whenever `source` changes: `Resource::new` with
/// [`JsonBytesCodec`].
pub type Loaded<T> = Resource<T, JsonBytesCodec>;

/// [`Loaded`] data: what `Resource::new(source, fetcher)` makes, read with
/// the browser's one JSON reader.
#[track_caller]
pub fn load<T, S, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Loaded<T>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    S: PartialEq + Clone + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    // On the server a fetch may outlive the view that started it; it takes
    // the request with it (`ssr::request_context` says why).
    #[cfg(feature = "ssr")]
    let fetcher = move |source| crate::ssr::request_context::carrying_request(|| fetcher(source));
    Resource::new_with_options(source, fetcher, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_codec_round_trips_what_the_server_hands_over() {
        let value = (7_u64, "Design Review".to_string(), vec![Some(true), None]);
        let text = <JsonBytesCodec as Encoder<_>>::encode(&value).unwrap();
        assert_eq!(text, r#"[7,"Design Review",[true,null]]"#);
        let back: (u64, String, Vec<Option<bool>>) = <JsonBytesCodec as Decoder<_>>::decode(&text).unwrap();
        assert_eq!(back, value);
        assert!(from_text::<u64>("\"seven\"").is_err());
    }
}
