//! A call's recordings on disk, as the transcript reads them: how large
//! one may grow, and the marker beside one that was cut at that size. (The
//! server's recorder writes them, from the SFU's packet taps.)

use std::path::{Path, PathBuf};
use std::time::Duration;

/// The most one recording's file holds. Browsers send speech at about
/// 32 kbit/s, and one Ogg page per 20 ms packet adds about 11 kbit/s: some
/// 20 MB an hour, so over 3 hours fit. A sender at Opus's 510 kbit/s
/// reaches it in about 17 minutes. Past it that recording stops (the
/// transcript says so), which bounds the disk a guest can fill and keeps
/// every recording small enough for the speech engine.
pub const MAX_RECORDING_BYTES: u64 = 64 * 1024 * 1024;

/// The file beside a recording that says it was cut at its cap, holding
/// the seconds it ran.
pub fn cut_marker(recording: &Path) -> PathBuf {
    let mut name = recording.as_os_str().to_owned();
    name.push(".cut");
    PathBuf::from(name)
}

/// How long a recording ran before it was cut at its cap; None if it was
/// not.
pub async fn cut_after(recording: &Path) -> Option<Duration> {
    let seconds = tokio::fs::read_to_string(cut_marker(recording)).await.ok()?;
    seconds.trim().parse().ok().map(Duration::from_secs)
}
