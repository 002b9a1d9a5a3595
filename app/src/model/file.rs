//! Wire types of files: those attached to channel messages and those that
//! came with inbound mail, and what the Files page lists.

use super::{ChannelId, MessageId};
use serde::{Deserialize, Serialize};

id_type!(
    /// A file attached to a channel message (or uploaded for one not yet sent).
    FileId
);
id_type!(
    /// A file that came with an inbound mail (an attachment or an inline image).
    MailAttachmentId
);

/// Where the browser sends a file's bytes: `POST` the raw body, with
/// `channel` (or `inbox`) and `name` in the query and the file's type as
/// the content type.
pub const UPLOAD_PATH: &str = "/api/files";

/// What a file is uploaded for: a message in a channel, or a reply from an inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UploadTarget {
    Channel(ChannelId),
    Inbox(super::InboxId),
}

impl From<ChannelId> for UploadTarget {
    fn from(channel: ChannelId) -> Self {
        UploadTarget::Channel(channel)
    }
}

impl From<super::InboxId> for UploadTarget {
    fn from(inbox: super::InboxId) -> Self {
        UploadTarget::Inbox(inbox)
    }
}

impl UploadTarget {
    /// The upload URL's query naming it.
    pub fn query(&self) -> String {
        match self {
            UploadTarget::Channel(channel) => format!("channel={channel}"),
            UploadTarget::Inbox(inbox) => format!("inbox={inbox}"),
        }
    }
}

/// The largest file a member may attach unless the server says otherwise
/// (`--max-file-mb`).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 25 * 1024 * 1024;

/// How many files one message may carry.
pub const MAX_FILES_PER_MESSAGE: usize = 10;

/// The longest file name kept, in characters (longer ones are shortened,
/// keeping their extension).
pub const MAX_FILE_NAME_CHARS: usize = 200;

/// One attached file, as a message shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    pub id: FileId,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    /// An image with a preview.
    pub thumbnail: bool,
}

impl FileInfo {
    /// Where it downloads from (members who can see its channel only).
    pub fn download_url(&self) -> String {
        format!("/files/{}", self.id)
    }

    /// Where its preview is shown from, when it has one.
    pub fn thumbnail_url(&self) -> Option<String> {
        self.thumbnail.then(|| format!("/files/{}/thumbnail", self.id))
    }
}

/// One line of the Files page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileListing {
    pub file: FileInfo,
    pub channel: ChannelId,
    pub channel_name: String,
    pub message: MessageId,
    pub uploader_name: String,
    /// Unix milliseconds.
    pub uploaded_at: i64,
}

/// How the Files page is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum FileOrder {
    #[default]
    Newest,
    Oldest,
    Name,
    Largest,
    Smallest,
    Channel,
    Uploader,
}

/// One file that came with an inbound mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailAttachment {
    pub id: MailAttachmentId,
    pub name: String,
    pub content_type: String,
    pub size: i64,
}

impl MailAttachment {
    /// Where it downloads from (the inbox's participants only).
    pub fn download_url(&self) -> String {
        format!("/mail-files/{}", self.id)
    }
}

/// A size as people read it: "532 bytes", "14 KB", "3.2 MB", "1.25 GB".
/// Whole numbers only: formatting floats would add their formatter
/// (tens of KB) to every page's WebAssembly.
pub fn human_size(bytes: i64) -> String {
    const KB: i64 = 1024;
    const MB: i64 = KB * KB;
    const GB: i64 = MB * KB;
    let bytes = bytes.max(0);
    if bytes < KB {
        format!("{bytes} bytes")
    } else if bytes < MB {
        format!("{} KB", (bytes + KB / 2) / KB)
    } else if bytes < GB {
        let tenths = (bytes * 10 + MB / 2) / MB;
        format!("{}.{} MB", tenths / 10, tenths % 10)
    } else {
        let hundredths = (bytes / MB * 100 + KB / 2) / KB;
        format!("{}.{:02} GB", hundredths / 100, hundredths % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(human_size(532), "532 bytes");
        assert_eq!(human_size(14 * 1024 + 100), "14 KB");
        assert_eq!(human_size(25 * 1024 * 1024), "25.0 MB");
        assert_eq!(human_size(3 * 1024 * 1024 * 1024), "3.00 GB");
        assert_eq!(human_size(3 * 1024 * 1024 + 17), "3.0 MB");
        assert_eq!(human_size(1024 * 1024 - 1), "1024 KB");
    }
}
