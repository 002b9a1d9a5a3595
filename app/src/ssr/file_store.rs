//! Where the bytes of files live: under the data folder, one copy per
//! content, named by its SHA-256, whoever attached it and however often
//! (a channel's file or a mail's attachment). Rows elsewhere (`files`,
//! `mail_attachments`) say who sent which content under which name; the
//! content goes when no row names it any more.
//!
//! Bytes arrive streamed: written to a part file as they come, hashed and
//! counted on the way, and refused the moment they pass the limit, so an
//! upload of any size costs one buffer of memory, never the file.

use super::db::Db;
use crate::model::{MemberId, WorkspaceId};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

/// The longest side of a thumbnail, in pixels.
pub const THUMBNAIL_SIDE: u32 = 320;
/// Images with a longer side than this get no thumbnail (nor do images
/// whose pixels would take more than [`THUMBNAIL_MEMORY`] to decode).
pub const MAX_IMAGE_SIDE: u32 = 12_000;
/// The most memory decoding one image for its thumbnail may take.
pub const THUMBNAIL_MEMORY: u64 = 256 * 1024 * 1024;

/// What members may store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileLimits {
    /// The largest file, in bytes.
    pub max_file_bytes: u64,
    /// The most all of one workspace's channel files may add up to.
    pub workspace_quota_bytes: u64,
}

impl Default for FileLimits {
    fn default() -> Self {
        FileLimits {
            max_file_bytes: crate::model::DEFAULT_MAX_FILE_BYTES,
            workspace_quota_bytes: 10 * 1024 * 1024 * 1024,
        }
    }
}

/// Why bytes could not be received.
#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    #[error("the file is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    /// The sender stopped (cancelled, disconnected, too slow).
    #[error("the upload stopped before its end: {0}")]
    Interrupted(String),
    #[error("the file could not be written: {0}")]
    Disk(#[from] std::io::Error),
}

/// A part file, removed unless it is placed.
struct PartFile(Option<PathBuf>);

impl Drop for PartFile {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The most uploads one member may have under way at once: each may hold
/// a connection and up to the file limit on disk until it ends.
pub const UPLOADS_PER_MEMBER: usize = 4;

/// Uploads under way: how many per member, and the bytes each workspace's
/// have reserved against its quota until they end.
#[derive(Default)]
struct Underway {
    per_member: HashMap<MemberId, usize>,
    reserved: HashMap<WorkspaceId, u64>,
}

/// One upload under way; dropping it (done, refused or cut off) frees its
/// place and its reservation.
pub struct UploadSlot<'a> {
    store: &'a FileStore,
    member: MemberId,
    workspace: WorkspaceId,
    bytes: u64,
}

impl Drop for UploadSlot<'_> {
    fn drop(&mut self) {
        let mut underway = self.store.underway.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(count) = underway.per_member.get_mut(&self.member) {
            *count -= 1;
            if *count == 0 {
                underway.per_member.remove(&self.member);
            }
        }
        if let Some(reserved) = underway.reserved.get_mut(&self.workspace) {
            *reserved = reserved.saturating_sub(self.bytes);
            if *reserved == 0 {
                underway.reserved.remove(&self.workspace);
            }
        }
    }
}

/// Bytes received whole, not yet placed in the store.
pub struct Received {
    part: PartFile,
    pub sha256: String,
    pub size: u64,
}

pub struct FileStore {
    root: PathBuf,
    pub limits: FileLimits,
    /// Held while content is placed and the row naming it written, and
    /// while content no row names is removed: so a removal never takes
    /// content a new row has just come to name.
    placing: tokio::sync::Mutex<()>,
    /// One thumbnail is made at a time: each may take [`THUMBNAIL_MEMORY`].
    thumbnails: tokio::sync::Semaphore,
    underway: std::sync::Mutex<Underway>,
    /// Replies with files being sent at once: each holds its files in
    /// memory (up to `files::MAX_REPLY_FILES_BYTES`, and their encoding).
    pub replies: tokio::sync::Semaphore,
}

impl FileStore {
    /// The store under `root`, made if missing; part files a stopped
    /// server left behind are removed.
    pub fn open(root: &Path, limits: FileLimits) -> std::io::Result<Self> {
        for folder in ["content", "thumbnails", "incoming"] {
            std::fs::create_dir_all(root.join(folder))?;
        }
        for left in std::fs::read_dir(root.join("incoming"))? {
            let _ = std::fs::remove_file(left?.path());
        }
        Ok(FileStore {
            root: root.to_path_buf(),
            limits,
            placing: tokio::sync::Mutex::new(()),
            thumbnails: tokio::sync::Semaphore::new(1),
            underway: Default::default(),
            replies: tokio::sync::Semaphore::new(2),
        })
    }

    /// Starts an upload of up to `bytes` by `member`, reserving them
    /// against their workspace's quota: `None` when the member already has
    /// [`UPLOADS_PER_MEMBER`] under way. Also the bytes the workspace's
    /// uploads under way have reserved, this one's included.
    pub fn start_upload(&self, member: MemberId, workspace: WorkspaceId, bytes: u64) -> Option<(UploadSlot<'_>, u64)> {
        let mut underway = self.underway.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = underway.per_member.entry(member).or_default();
        if *count >= UPLOADS_PER_MEMBER {
            return None;
        }
        *count += 1;
        let reserved = underway.reserved.entry(workspace).or_default();
        *reserved += bytes;
        let reserved = *reserved;
        Some((UploadSlot { store: self, member, workspace, bytes }, reserved))
    }

    /// Where the content with this hash is kept.
    pub fn content_path(&self, sha256: &str) -> PathBuf {
        self.root.join("content").join(&sha256[..2]).join(sha256)
    }

    /// Where the thumbnail of the content with this hash is kept.
    pub fn thumbnail_path(&self, sha256: &str) -> PathBuf {
        self.root.join("thumbnails").join(&sha256[..2]).join(sha256)
    }

    /// Reads `body` to a part file, at most `limit` bytes.
    pub async fn receive<S, B, E>(&self, body: S, limit: u64) -> Result<Received, ReceiveError>
    where
        S: futures::Stream<Item = Result<B, E>>,
        B: AsRef<[u8]>,
        E: std::fmt::Display,
    {
        use futures::StreamExt;
        let path = self.root.join("incoming").join(format!("{}.part", super::tokens::random_token()));
        let part = PartFile(Some(path.clone()));
        let mut file = tokio::fs::File::create(&path).await?;
        let mut hash = Sha256::new();
        let mut size = 0u64;
        let mut body = std::pin::pin!(body);
        while let Some(piece) = body.next().await {
            let piece = piece.map_err(|error| ReceiveError::Interrupted(error.to_string()))?;
            let piece = piece.as_ref();
            size += piece.len() as u64;
            if size > limit {
                return Err(ReceiveError::TooLarge { limit });
            }
            hash.update(piece);
            file.write_all(piece).await?;
        }
        file.flush().await?;
        file.sync_data().await?;
        Ok(Received { part, sha256: hex(&hash.finalize()), size })
    }

    /// Received bytes that are already in memory (a mail's attachment).
    pub async fn receive_bytes(&self, bytes: &[u8]) -> Result<Received, ReceiveError> {
        let once = futures::stream::iter([Ok::<_, std::convert::Infallible>(bytes)]);
        self.receive(once, u64::MAX).await
    }

    /// Held by whoever places content and writes the row that names it.
    pub async fn placing(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.placing.lock().await
    }

    /// Puts received bytes in the store, unless the same content is there
    /// already. Call with [`FileStore::placing`] held until the row that
    /// names it is written.
    pub async fn place(&self, received: Received, _placing: &tokio::sync::MutexGuard<'_, ()>) -> std::io::Result<()> {
        let Received { mut part, sha256, .. } = received;
        let target = self.content_path(&sha256);
        if tokio::fs::try_exists(&target).await? {
            return Ok(());
        }
        tokio::fs::create_dir_all(target.parent().expect("content paths have a folder")).await?;
        let from = part.0.take().expect("a received part file");
        if let Err(error) = tokio::fs::rename(&from, &target).await {
            part.0 = Some(from);
            return Err(error);
        }
        Ok(())
    }

    /// Makes the thumbnail of an image's content, once per content: its
    /// type, or `None` when the content is no image we read (or too big).
    pub async fn make_thumbnail(&self, sha256: &str, content_type: &str) -> Option<&'static str> {
        if !matches!(content_type, "image/png" | "image/jpeg" | "image/gif" | "image/webp") {
            return None;
        }
        let target = self.thumbnail_path(sha256);
        if let Some(kind) = thumbnail_type(&target) {
            return Some(kind);
        }
        let _one_at_a_time = self.thumbnails.acquire().await.ok()?;
        let source = self.content_path(sha256);
        let made = tokio::task::spawn_blocking(move || write_thumbnail(&source, &target)).await;
        match made {
            Ok(Ok(kind)) => Some(kind),
            Ok(Err(error)) => {
                tracing::debug!(%error, "no thumbnail: the image could not be read");
                None
            }
            Err(error) => {
                tracing::warn!(%error, "the thumbnail task failed");
                None
            }
        }
    }

    /// Removes each content (and its thumbnail) that no file or mail
    /// attachment names any more.
    pub async fn forget_unreferenced(&self, db: &Db, hashes: impl IntoIterator<Item = String>) {
        let _placing = self.placing().await;
        for sha256 in hashes {
            let named: Result<i64, _> = sqlx::query_scalar(
                "SELECT (SELECT COUNT(*) FROM files WHERE sha256 = $1)
                      + (SELECT COUNT(*) FROM mail_attachments WHERE sha256 = $1)",
            )
            .bind(&sha256)
            .fetch_one(db)
            .await;
            match named {
                Ok(0) => {
                    for path in [self.content_path(&sha256), self.thumbnail_path(&sha256)] {
                        if let Err(error) = tokio::fs::remove_file(&path).await
                            && error.kind() != std::io::ErrorKind::NotFound
                        {
                            tracing::warn!(%error, path = %path.display(), "a file's content could not be removed");
                        }
                    }
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "could not tell whether a file's content is still used"),
            }
        }
    }
}

/// Bytes as lower-case hex: how contents are named.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The type of a thumbnail already made, from its first bytes.
fn thumbnail_type(path: &Path) -> Option<&'static str> {
    use std::io::Read;
    let mut magic = [0u8; 4];
    std::fs::File::open(path).ok()?.read_exact(&mut magic).ok()?;
    Some(if magic == *b"\x89PNG" { "image/png" } else { "image/jpeg" })
}

/// Decodes the image at `source` (within the limits above) and writes its
/// thumbnail to `target`: PNG when it has transparency, JPEG otherwise.
fn write_thumbnail(source: &Path, target: &Path) -> Result<&'static str, image::ImageError> {
    use image::{ImageFormat, ImageReader, Limits};
    let mut reader = ImageReader::open(source)?.with_guessed_format()?;
    if !matches!(reader.format(), Some(ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::Gif | ImageFormat::WebP)) {
        return Err(image::ImageError::Unsupported(image::error::UnsupportedError::from_format_and_kind(
            image::error::ImageFormatHint::Unknown,
            image::error::UnsupportedErrorKind::Format(image::error::ImageFormatHint::Unknown),
        )));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(THUMBNAIL_MEMORY);
    reader.limits(limits);
    let thumbnail = reader.decode()?.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE);
    std::fs::create_dir_all(target.parent().expect("thumbnail paths have a folder"))?;
    let part = target.with_extension("part");
    let saved = if thumbnail.color().has_alpha() {
        thumbnail.save_with_format(&part, ImageFormat::Png).map(|()| "image/png")
    } else {
        thumbnail.to_rgb8().save_with_format(&part, ImageFormat::Jpeg).map(|()| "image/jpeg")
    };
    match saved.and_then(|kind| std::fs::rename(&part, target).map(|()| kind).map_err(Into::into)) {
        Ok(kind) => Ok(kind),
        Err(error) => {
            let _ = std::fs::remove_file(&part);
            Err(error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempdir::Dir, FileStore) {
        let dir = tempdir::Dir::new();
        let store = FileStore::open(&dir.0, FileLimits::default()).unwrap();
        (dir, store)
    }

    mod tempdir {
        pub struct Dir(pub std::path::PathBuf);
        impl Dir {
            pub fn new() -> Self {
                let path = std::env::temp_dir().join(format!("anteroom-store-{}", crate::ssr::tokens::random_token()));
                Dir(path)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    fn pieces(pieces: &[&'static [u8]]) -> impl futures::Stream<Item = Result<&'static [u8], String>> {
        futures::stream::iter(pieces.iter().map(|piece| Ok(*piece)).collect::<Vec<_>>())
    }

    #[test]
    fn a_member_has_a_few_uploads_at_once_and_each_reserves_its_bytes_until_it_ends() {
        let (_dir, store) = store();
        let (ada, grace, workspace) = (MemberId(1), MemberId(2), WorkspaceId(1));
        let mut slots = Vec::new();
        for n in 1..=UPLOADS_PER_MEMBER as u64 {
            let (slot, reserved) = store.start_upload(ada, workspace, 100).expect("a place");
            assert_eq!(reserved, 100 * n);
            slots.push(slot);
        }
        assert!(store.start_upload(ada, workspace, 100).is_none(), "one too many");
        let (other, reserved) = store.start_upload(grace, workspace, 50).expect("another member's");
        assert_eq!(reserved, 100 * UPLOADS_PER_MEMBER as u64 + 50);
        slots.pop();
        drop(other);
        let (_again, reserved) = store.start_upload(ada, workspace, 10).expect("a place freed");
        assert_eq!(reserved, 100 * (UPLOADS_PER_MEMBER as u64 - 1) + 10);
    }

    #[tokio::test]
    async fn content_is_hashed_as_it_streams_and_kept_once() {
        let (_dir, store) = store();
        let first = store.receive(pieces(&[b"hello ", b"world"]), 100).await.unwrap();
        // sha256("hello world")
        assert_eq!(first.sha256, "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
        assert_eq!(first.size, 11);
        let again = store.receive_bytes(b"hello world").await.unwrap();
        let sha256 = first.sha256.clone();
        {
            let placing = store.placing().await;
            store.place(first, &placing).await.unwrap();
            store.place(again, &placing).await.unwrap();
        }
        assert_eq!(std::fs::read(store.content_path(&sha256)).unwrap(), b"hello world");
        let incoming = std::fs::read_dir(store.root.join("incoming")).unwrap().count();
        assert_eq!(incoming, 0, "the second copy's part file is gone");
    }

    #[tokio::test]
    async fn past_the_limit_the_upload_stops_and_leaves_nothing() {
        let (_dir, store) = store();
        let error = store.receive(pieces(&[b"12345", b"67890", b"x"]), 10).await.err().unwrap();
        assert!(matches!(error, ReceiveError::TooLarge { limit: 10 }), "{error}");
        let interrupted = futures::stream::iter([Ok(&b"abc"[..]), Err("reset".to_string())]);
        let error = store.receive(interrupted, 10).await.err().unwrap();
        assert!(matches!(error, ReceiveError::Interrupted(_)), "{error}");
        assert_eq!(std::fs::read_dir(store.root.join("incoming")).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn an_image_gets_a_thumbnail_and_other_content_none() {
        let (_dir, store) = store();
        let mut png = Vec::new();
        image::RgbImage::from_pixel(800, 400, image::Rgb([200, 30, 30]))
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let received = store.receive_bytes(&png).await.unwrap();
        let sha256 = received.sha256.clone();
        let placing = store.placing().await;
        store.place(received, &placing).await.unwrap();
        drop(placing);
        assert_eq!(store.make_thumbnail(&sha256, "image/png").await, Some("image/jpeg"));
        let thumbnail = image::ImageReader::open(store.thumbnail_path(&sha256))
            .unwrap()
            .with_guessed_format()
            .unwrap()
            .decode()
            .unwrap();
        assert_eq!((thumbnail.width(), thumbnail.height()), (THUMBNAIL_SIDE, THUMBNAIL_SIDE / 2));
        // Said to be an image, but is not one: no thumbnail, no error.
        let text = store.receive_bytes(b"not an image").await.unwrap();
        let text_sha = text.sha256.clone();
        let placing = store.placing().await;
        store.place(text, &placing).await.unwrap();
        drop(placing);
        assert_eq!(store.make_thumbnail(&text_sha, "image/png").await, None);
        assert_eq!(store.make_thumbnail(&sha256, "application/pdf").await, None);
    }
}
