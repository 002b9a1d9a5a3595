//! Files over HTTP, outside server functions because their bodies are
//! streams: a member's upload to a channel (to disk as it arrives), and
//! downloads of channel files and mail attachments (with ranges), each
//! checked as a server function would be: who asks, may they, is it theirs.

pub mod download;
pub mod upload;
