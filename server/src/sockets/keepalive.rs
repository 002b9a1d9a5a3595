//! Noticing a browser that vanished without closing its connection (a laptop
//! lid shut, a network gone): the server pings every socket it keeps open
//! and gives up on one it has heard nothing from for a while.

use tokio::time::{Duration, Instant, Interval, interval};

/// The server pings this often...
const PING_INTERVAL: Duration = Duration::from_secs(15);
/// ...and drops a socket it has heard nothing from for this long.
const SILENCE_LIMIT: Duration = Duration::from_secs(45);

pub struct Keepalive {
    ping: Interval,
    last_heard: Instant,
}

impl Default for Keepalive {
    fn default() -> Self {
        Keepalive { ping: interval(PING_INTERVAL), last_heard: Instant::now() }
    }
}

impl Keepalive {
    /// Anything received (including a pong) shows the browser is there.
    pub fn heard(&mut self) {
        self.last_heard = Instant::now();
    }

    /// Waits until the next ping is due; false when the browser has been
    /// silent too long and the socket should be dropped instead.
    pub async fn ping_due(&mut self) -> bool {
        self.ping.tick().await;
        self.last_heard.elapsed() <= SILENCE_LIMIT
    }
}
