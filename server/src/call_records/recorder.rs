//! One participant's audio, written as the SFU receives it to an Ogg Opus
//! file: the packets are stored as they are (nothing is decoded), so
//! recording costs the forwarding path a copy into a buffer.
//!
//! How much is recorded is up to whoever sends the audio (Opus goes up to
//! 510 kbit/s, and a guest's visit may last 12 hours), so each recording
//! stops at `MAX_RECORDING_BYTES`: its file is closed there, complete, and
//! a marker beside it (`cut_marker`) tells the transcript how long it ran.

use anteroom_app::ssr::calls::recordings::{MAX_RECORDING_BYTES, cut_marker};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::oneshot;
use webrtc::media::io::Writer;
use webrtc::media::io::ogg_writer::OggWriter;
use webrtc::rtp::packet::Packet;

/// Opus in WebRTC: 48 kHz; browsers send mono speech.
const SAMPLE_RATE: u32 = 48_000;
const CHANNELS: u8 = 1;
/// Bytes gathered before each write to the file: about 2 s of speech, so
/// a server killed mid-call loses at most that much of each recording,
/// for one small write every 2 s.
const BUFFER_BYTES: usize = 8 * 1024;

pub struct Recorder {
    /// None once the recording reached its cap and was closed.
    writer: Option<OggWriter<Counted>>,
    /// Bytes handed to the file so far.
    written: Arc<AtomicU64>,
    max_bytes: u64,
    path: PathBuf,
    /// The first packet's RTP timestamp: later ones are counted from it,
    /// so the file's clock starts near zero and never wraps.
    first_timestamp: Option<u32>,
    last_sequence: Option<u16>,
    /// Samples from the first packet to the last one written.
    recorded: u32,
    /// Dropped with the recorder: whoever waits for the file to be
    /// complete hears it.
    _finished: oneshot::Sender<()>,
}

/// The file, counting the bytes written to it.
struct Counted {
    file: BufWriter<File>,
    written: Arc<AtomicU64>,
}

impl Write for Counted {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let written = self.file.write(bytes)?;
        self.written.fetch_add(written as u64, Ordering::Relaxed);
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// The bytes of the Ogg page that carries a packet of `payload` bytes:
/// a 27-byte header, one lacing byte per 255 bytes, the packet.
fn page_bytes(payload: usize) -> u64 {
    (27 + payload / 255 + 1 + payload) as u64
}

impl Recorder {
    /// Creates the file (and its folder), to hold at most
    /// `MAX_RECORDING_BYTES`. The receiver completes once the recording is
    /// finished and the file complete.
    pub fn create(path: &Path) -> std::io::Result<(Recorder, oneshot::Receiver<()>)> {
        Recorder::create_capped(path, MAX_RECORDING_BYTES)
    }

    /// The same, to hold at most `max_bytes` (tests cut short recordings).
    pub fn create_capped(path: &Path, max_bytes: u64) -> std::io::Result<(Recorder, oneshot::Receiver<()>)> {
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder)?;
        }
        let written = Arc::new(AtomicU64::new(0));
        let file =
            Counted { file: BufWriter::with_capacity(BUFFER_BYTES, File::create(path)?), written: written.clone() };
        let writer = OggWriter::new(file, SAMPLE_RATE, CHANNELS).map_err(std::io::Error::other)?;
        let (finished, done) = oneshot::channel();
        let recorder = Recorder {
            writer: Some(writer),
            written,
            max_bytes,
            path: path.to_path_buf(),
            first_timestamp: None,
            last_sequence: None,
            recorded: 0,
            _finished: finished,
        };
        Ok((recorder, done))
    }

    /// Adds one RTP packet of Opus audio. Late or repeated packets are
    /// left out: the file's pages must go forward in time. A packet that
    /// would take the file past its cap ends the recording instead.
    pub fn write(&mut self, packet: &Packet) {
        let Some(writer) = self.writer.as_mut() else { return };
        let sequence = packet.header.sequence_number;
        if self.last_sequence.is_some_and(|last| sequence == last || sequence.wrapping_sub(last) >= 0x8000) {
            return;
        }
        // Room for its page and for the closing page, which repeats it.
        if self.written.load(Ordering::Relaxed) + 2 * page_bytes(packet.payload.len()) > self.max_bytes {
            self.cut();
            return;
        }
        self.last_sequence = Some(sequence);
        let first = *self.first_timestamp.get_or_insert(packet.header.timestamp);
        let since_first = packet.header.timestamp.wrapping_sub(first);
        let mut counted = packet.clone();
        // The writer takes 1 as "no packet yet": start at 2.
        counted.header.timestamp = since_first.wrapping_add(2);
        match writer.write_rtp(&counted) {
            Ok(()) => self.recorded = since_first,
            Err(error) => tracing::warn!(%error, "a recording lost a packet"),
        }
    }

    /// Ends the recording at its cap: the file is closed, complete, and
    /// the marker beside it says how long it ran.
    fn cut(&mut self) {
        self.close();
        let seconds = self.recorded / SAMPLE_RATE;
        tracing::info!(file = %self.path.display(), seconds, max_bytes = self.max_bytes, "a recording reached its size limit and stopped");
        if let Err(error) = std::fs::write(cut_marker(&self.path), seconds.to_string()) {
            tracing::warn!(%error, file = %self.path.display(), "could not mark a recording as cut");
        }
    }

    fn close(&mut self) {
        if let Some(mut writer) = self.writer.take()
            && let Err(error) = writer.close()
        {
            tracing::warn!(%error, "a recording could not be finished");
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use webrtc::media::io::ogg_reader::OggReader;
    use webrtc::rtp::header::Header;

    fn opus(sequence_number: u16, timestamp: u32) -> Packet {
        Packet {
            header: Header { sequence_number, timestamp, payload_type: 111, ..Header::default() },
            // A TOC byte (20 ms SILK frame) and a few bytes of frame.
            payload: bytes::Bytes::from_static(&[0x08, 1, 2, 3]),
        }
    }

    #[test]
    fn packets_are_written_in_time_order_across_the_timestamp_wrap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("call/1.ogg");
        let (mut recorder, mut done) = Recorder::create(&path).unwrap();
        let start = u32::MAX - 960;
        for (sequence, timestamp) in
            [(10, start), (11, start.wrapping_add(960)), (11, 0), (9, 5), (12, start.wrapping_add(1920))]
        {
            recorder.write(&opus(sequence, timestamp));
        }
        assert!(done.try_recv().is_err(), "not finished while recording");
        drop(recorder);
        assert!(done.try_recv().is_err_and(|e| e == oneshot::error::TryRecvError::Closed), "finished");

        let (mut reader, _) = OggReader::new(std::fs::File::open(&path).unwrap(), true).unwrap();
        let mut granules = Vec::new();
        while let Ok((_, page)) = reader.parse_next_page() {
            granules.push(page.granule_position);
        }
        // (The reader takes the first header page itself.) The comment
        // header, three packets 20 ms apart in order, the closing page.
        assert_eq!(granules, [0, 1, 961, 1921, 1921]);
    }

    #[test]
    fn a_recording_stops_before_its_cap_complete_and_marked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("call/1.ogg");
        let (mut recorder, _done) = Recorder::create_capped(&path, 2_000).unwrap();
        // 100 packets of 20 ms, each a page of 32 bytes: about 3 kB.
        for n in 0..100u16 {
            recorder.write(&opus(n, u32::from(n) * 960));
        }
        assert!(cut_marker(&path).exists(), "cut while written, not at the end");
        drop(recorder);
        let size = std::fs::metadata(&path).unwrap().len();
        assert!((1_900..=2_000).contains(&size), "{size} bytes");
        // The file ends with its closing page (type 4, end of stream).
        let file = std::fs::read(&path).unwrap();
        let last_page = file.windows(4).rposition(|w| w == b"OggS").unwrap();
        assert_eq!(file[last_page + 5], 4, "an end-of-stream page");
        // 58 packets fit: 57 × 20 ms after the first, 1 s whole.
        assert_eq!(std::fs::read_to_string(cut_marker(&path)).unwrap(), "1");
    }
}
