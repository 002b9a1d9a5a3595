//! Reading from an SMTP client with every read bounded in size and time:
//! the size limit is enforced while reading (a line without an end never
//! grows past it), and a client that goes quiet is dropped.

use std::io;
use std::time::Duration;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

/// What one bounded read found.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece {
    /// A whole line, its ending included.
    Line,
    /// `limit` bytes with no line ending yet; the rest follows.
    Part,
    /// The client closed the connection.
    Closed,
}

/// Reads up to and including the next `\n`, but never more than `limit`
/// bytes, into `buffer` (cleared first). Waiting longer than `idle` for the
/// piece is an error.
pub async fn read_piece<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    buffer: &mut Vec<u8>,
    limit: usize,
    idle: Duration,
) -> io::Result<Piece> {
    buffer.clear();
    let mut bounded = (&mut *reader).take(limit as u64);
    let read = tokio::time::timeout(idle, bounded.read_until(b'\n', buffer))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "the client said nothing for too long"))??;
    Ok(if buffer.last() == Some(&b'\n') {
        Piece::Line
    } else if read >= limit {
        Piece::Part
    } else {
        // Bytes and then the end of the stream: the client left mid-line.
        Piece::Closed
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_line_without_an_end_stops_at_the_limit() {
        let mut input: &[u8] = b"HELO a\r\nAAAAAAAAAAAAAAAAAAAA";
        let mut buffer = Vec::new();
        let idle = Duration::from_secs(1);
        assert_eq!(read_piece(&mut input, &mut buffer, 16, idle).await.unwrap(), Piece::Line);
        assert_eq!(buffer, b"HELO a\r\n");
        assert_eq!(read_piece(&mut input, &mut buffer, 16, idle).await.unwrap(), Piece::Part);
        assert_eq!(buffer.len(), 16, "no more than the limit is read");
        assert_eq!(read_piece(&mut input, &mut buffer, 16, idle).await.unwrap(), Piece::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn a_quiet_client_times_out() {
        let (mut quiet, _kept_open) = tokio::io::duplex(64);
        let mut reader = tokio::io::BufReader::new(&mut quiet);
        let error = read_piece(&mut reader, &mut Vec::new(), 16, Duration::from_secs(30)).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
    }
}
