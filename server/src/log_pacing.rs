//! Log lines are paced per line of source: a burst of 50, then 10 a
//! second. A client that makes the server log the same thing over and over
//! (issue 32 saw 80,580 warnings, 16 MB of log, from one prober's ICE
//! candidates) would otherwise fill the disk and bury the lines that
//! matter; other lines, those of other causes, keep their own pace.
//! Source lines are a fixed set, so the pacing's memory is bounded.

use anteroom_app::ssr::rate_limit::KeyedLimit;
use std::time::Duration;
use tracing::callsite::Identifier;
use tracing::{Event, Metadata};
use tracing_subscriber::layer::{Context, Filter};

const BURST: u32 = 50;
const REFILL: Duration = Duration::from_millis(100);

/// A filter for the log's writer (see `main`).
pub struct Paced {
    lines: KeyedLimit<Identifier>,
}

impl Default for Paced {
    fn default() -> Self {
        Paced { lines: KeyedLimit::new(BURST, REFILL) }
    }
}

impl<S> Filter<S> for Paced {
    fn enabled(&self, _: &Metadata<'_>, _: &Context<'_, S>) -> bool {
        true
    }

    fn event_enabled(&self, event: &Event<'_>, _: &Context<'_, S>) -> bool {
        self.lines.check(&event.metadata().callsite()).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::{Layer, fmt};

    #[test]
    fn a_line_logged_in_a_flood_is_paced_and_others_are_not() {
        let written = Arc::new(Mutex::new(Vec::<u8>::new()));
        let writer = {
            let written = written.clone();
            move || WriteTo(written.clone())
        };
        let subscriber =
            tracing_subscriber::registry().with(fmt::layer().with_writer(writer).with_filter(Paced::default()));
        tracing::subscriber::with_default(subscriber, || {
            for n in 0..1000 {
                tracing::warn!(n, "ignored an ICE candidate");
            }
            tracing::warn!("something else");
        });
        let log = String::from_utf8(written.lock().unwrap().clone()).unwrap();
        let flood = log.matches("ignored an ICE candidate").count();
        assert!((BURST as usize..BURST as usize + 5).contains(&flood), "{flood} of 1000 lines written");
        assert!(log.contains("something else"), "another line has its own pace");
    }

    struct WriteTo(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for WriteTo {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
}
