//! One participant's audio, written as the SFU receives it to an Ogg Opus
//! file: the packets are stored as they are (nothing is decoded), so
//! recording costs the forwarding path a copy into a buffer.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
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
    writer: OggWriter<BufWriter<File>>,
    /// The first packet's RTP timestamp: later ones are counted from it,
    /// so the file's clock starts near zero and never wraps.
    first_timestamp: Option<u32>,
    last_sequence: Option<u16>,
    /// Dropped with the recorder: whoever waits for the file to be
    /// complete hears it.
    _finished: oneshot::Sender<()>,
}

impl Recorder {
    /// Creates the file (and its folder). The receiver completes once the
    /// recording is finished and the file complete.
    pub fn create(path: &Path) -> std::io::Result<(Recorder, oneshot::Receiver<()>)> {
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder)?;
        }
        let file = BufWriter::with_capacity(BUFFER_BYTES, File::create(path)?);
        let writer = OggWriter::new(file, SAMPLE_RATE, CHANNELS).map_err(std::io::Error::other)?;
        let (finished, done) = oneshot::channel();
        Ok((Recorder { writer, first_timestamp: None, last_sequence: None, _finished: finished }, done))
    }

    /// Adds one RTP packet of Opus audio. Late or repeated packets are
    /// left out: the file's pages must go forward in time.
    pub fn write(&mut self, packet: &Packet) {
        let sequence = packet.header.sequence_number;
        if self.last_sequence.is_some_and(|last| sequence == last || sequence.wrapping_sub(last) >= 0x8000) {
            return;
        }
        self.last_sequence = Some(sequence);
        let first = *self.first_timestamp.get_or_insert(packet.header.timestamp);
        let mut counted = packet.clone();
        // The writer takes 1 as "no packet yet": start at 2.
        counted.header.timestamp = packet.header.timestamp.wrapping_sub(first).wrapping_add(2);
        if let Err(error) = self.writer.write_rtp(&counted) {
            tracing::warn!(%error, "a recording lost a packet");
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        if let Err(error) = self.writer.close() {
            tracing::warn!(%error, "a recording could not be finished");
        }
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
}
