//! How much video one subscriber's link can take, judged from what its
//! browser reports about the stream we send it (RTCP receiver reports: the
//! share of packets lost; REMB: the browser's own estimate of its
//! bandwidth, which drops when packets start queueing). The answer is a
//! ceiling on the simulcast layer it is sent, or no video at all so that
//! its audio still gets through.
//!
//! The ceiling steps down at once when the link is congested, and probes
//! one step up after a quiet spell; a probe that brings congestion back
//! doubles the wait before the next one, so a capped link is not flooded
//! every few seconds.

use std::time::Duration;
use tokio::time::Instant;

/// After a change, reports describe the old layer for a while: they are
/// not held against the new one.
const SETTLE: Duration = Duration::from_millis(1500);
/// The first wait before probing a layer up, and the longest.
const FIRST_PROBE_WAIT: Duration = Duration::from_secs(5);
const LONGEST_PROBE_WAIT: Duration = Duration::from_secs(60);
/// Congestion this soon after a probe means the probe failed.
const PROBE_VERDICT: Duration = Duration::from_secs(10);

/// Loss (fraction of packets, 0..1) at which a link counts as congested,
/// below which it counts as clear, and at which even the lowest layer is
/// too much and video stops.
const CONGESTED_LOSS: f32 = 0.10;
const CLEAR_LOSS: f32 = 0.02;
const HOPELESS_LOSS: f32 = 0.30;
/// A browser estimate this much below the one before it says packets are
/// queueing (Chromium drops its estimate to 85 % of what arrives).
const ESTIMATE_DROP: f64 = 0.9;

/// What one report says about the link.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Report {
    /// Fraction of our packets lost since the previous receiver report.
    Loss(f32),
    /// The browser's bandwidth estimate for its whole link (bits per
    /// second), this stream's share of it, and what this stream is sent.
    Estimate { link: u64, share: u64, sending: u64 },
}

/// The layer ceiling for one subscriber's video. Steps go between the
/// layers that arrive (`available`, ranks lowest first): a camera sent in
/// two layers has no third to step through.
#[derive(Debug)]
pub struct Governor {
    /// The highest layer allowed; None: no video.
    ceiling: Option<u8>,
    changed_at: Instant,
    probed_at: Option<Instant>,
    probe_wait: Duration,
    last_estimate: Option<u64>,
}

impl Governor {
    pub fn new(top: u8, now: Instant) -> Self {
        Governor {
            ceiling: Some(top),
            changed_at: now,
            probed_at: None,
            probe_wait: FIRST_PROBE_WAIT,
            last_estimate: None,
        }
    }

    pub fn ceiling(&self) -> Option<u8> {
        self.ceiling
    }

    /// Takes in a report; true when the ceiling changed.
    pub fn observe(&mut self, report: Report, available: &[u8], now: Instant) -> bool {
        let (congested, clear, hopeless) = match report {
            Report::Loss(loss) => (loss >= CONGESTED_LOSS, loss < CLEAR_LOSS, loss >= HOPELESS_LOSS),
            Report::Estimate { link, share, sending } => {
                // Whether the browser's own estimate fell, judged on the
                // whole link: a share also shrinks when another video is
                // added to the link, which is no congestion.
                let dropped = self.last_estimate.is_some_and(|last| (link as f64) < last as f64 * ESTIMATE_DROP);
                self.last_estimate = Some(link);
                (dropped && share < sending, share >= sending, false)
            }
        };
        let settled = now.saturating_duration_since(self.changed_at) >= SETTLE;
        if congested && settled {
            return self.step_down(hopeless, available, now);
        }
        if clear && now.saturating_duration_since(self.changed_at) >= self.probe_wait {
            return self.probe_up(available, now);
        }
        false
    }

    /// Called now and then whatever the reports: a subscriber whose video
    /// stopped gets no reports about it, so its probe comes from here.
    pub fn tick(&mut self, available: &[u8], now: Instant) -> bool {
        self.ceiling.is_none()
            && now.saturating_duration_since(self.changed_at) >= self.probe_wait
            && self.probe_up(available, now)
    }

    /// The layer the ceiling gives, among those that arrive.
    fn effective(&self, available: &[u8]) -> Option<u8> {
        choose_layer(available, self.ceiling)
    }

    fn step_down(&mut self, hopeless: bool, available: &[u8], now: Instant) -> bool {
        if self.probed_at.is_some_and(|at| now.saturating_duration_since(at) < PROBE_VERDICT) {
            self.probe_wait = (self.probe_wait * 2).min(LONGEST_PROBE_WAIT);
        }
        self.probed_at = None;
        let Some(effective) = self.effective(available) else { return false };
        let lower = match available.iter().rev().find(|&&rank| rank < effective) {
            Some(&rank) => Some(rank),
            None if hopeless => None,
            None => return false,
        };
        self.ceiling = lower;
        self.changed_at = now;
        true
    }

    fn probe_up(&mut self, available: &[u8], now: Instant) -> bool {
        let higher = match self.effective(available) {
            None => available.first().copied(),
            Some(effective) => available.iter().find(|&&rank| rank > effective).copied(),
        };
        let Some(higher) = higher else {
            // At the top and clear: the last probe held.
            if self.probed_at.is_some_and(|at| now.saturating_duration_since(at) >= PROBE_VERDICT) {
                self.probe_wait = FIRST_PROBE_WAIT;
                self.probed_at = None;
            }
            return false;
        };
        self.ceiling = Some(higher);
        self.changed_at = now;
        self.probed_at = Some(now);
        true
    }
}

/// The best of the `available` layers (ranks, lowest first) at or under
/// `ceiling`; the lowest if all are above it; None (no video) if the
/// ceiling says so. Before any layer arrives, the ceiling itself.
pub fn choose_layer(available: &[u8], ceiling: Option<u8>) -> Option<u8> {
    let ceiling = ceiling?;
    available.iter().rev().find(|&&rank| rank <= ceiling).or(available.first()).copied().or(Some(ceiling))
}

#[cfg(test)]
mod tests {
    use super::*;

    const THREE: &[u8] = &[0, 1, 2];

    fn after(start: Instant, millis: u64) -> Instant {
        start + Duration::from_millis(millis)
    }

    #[test]
    fn loss_steps_down_one_layer_at_a_time_once_settled() {
        let start = Instant::now();
        let mut governor = Governor::new(2, start);
        assert!(governor.observe(Report::Loss(0.2), THREE, after(start, 2000)));
        assert_eq!(governor.ceiling(), Some(1));
        assert!(
            !governor.observe(Report::Loss(0.2), THREE, after(start, 2500)),
            "reports of the old layer are let pass"
        );
        assert!(governor.observe(Report::Loss(0.2), THREE, after(start, 4000)));
        assert_eq!(governor.ceiling(), Some(0));
        assert!(!governor.observe(Report::Loss(0.2), THREE, after(start, 6000)), "the lowest layer stays while it can");
        assert!(governor.observe(Report::Loss(0.5), THREE, after(start, 8000)), "a hopeless link stops video");
        assert_eq!(governor.ceiling(), None);
    }

    #[test]
    fn a_clear_link_probes_up_and_a_failed_probe_doubles_the_wait() {
        let start = Instant::now();
        let mut governor = Governor::new(2, start);
        governor.observe(Report::Loss(0.2), THREE, after(start, 2000));
        assert!(!governor.observe(Report::Loss(0.0), THREE, after(start, 4000)), "too soon to probe");
        assert!(governor.observe(Report::Loss(0.0), THREE, after(start, 7000)));
        assert_eq!(governor.ceiling(), Some(2));
        // The probe brings loss back: down again, and the next probe waits
        // twice as long.
        assert!(governor.observe(Report::Loss(0.15), THREE, after(start, 9000)));
        assert!(!governor.observe(Report::Loss(0.0), THREE, after(start, 9000 + 6000)));
        assert!(governor.observe(Report::Loss(0.0), THREE, after(start, 9000 + 10_000)));
    }

    #[test]
    fn a_dropping_browser_estimate_below_what_we_send_is_congestion() {
        let start = Instant::now();
        let mut governor = Governor::new(2, start);
        let estimate = |link, sending| Report::Estimate { link, share: link, sending };
        assert!(!governor.observe(estimate(600_000, 900_000), THREE, after(start, 2000)), "rising from the start");
        assert!(!governor.observe(estimate(800_000, 900_000), THREE, after(start, 2100)));
        assert!(governor.observe(estimate(700_000, 900_000), THREE, after(start, 2200)), "fell below what is sent");
        assert_eq!(governor.ceiling(), Some(1));
        // A second video on the link halves each share: no congestion.
        let halved = Report::Estimate { link: 700_000, share: 350_000, sending: 400_000 };
        assert!(!governor.observe(halved, THREE, after(start, 9000)));
    }

    #[test]
    fn steps_go_between_the_layers_that_arrive() {
        let start = Instant::now();
        let two = &[1, 2];
        let mut governor = Governor::new(2, start);
        assert!(governor.observe(Report::Loss(0.2), two, after(start, 2000)));
        assert_eq!(governor.ceiling(), Some(1));
        assert!(!governor.observe(Report::Loss(0.2), two, after(start, 4000)), "no layer below the lowest");
        assert!(governor.observe(Report::Loss(0.4), two, after(start, 6000)));
        assert_eq!(governor.ceiling(), None, "a hopeless link stops video");
        assert!(!governor.tick(two, after(start, 8000)), "video stays off for a while");
        assert!(governor.tick(two, after(start, 11_000)), "then comes back at the lowest layer");
        assert_eq!(governor.ceiling(), Some(1));
    }

    #[test]
    fn the_best_layer_under_the_ceiling_is_chosen() {
        assert_eq!(choose_layer(&[0, 1, 2], Some(2)), Some(2));
        assert_eq!(choose_layer(&[0, 1, 2], Some(1)), Some(1));
        assert_eq!(choose_layer(&[1, 2], Some(0)), Some(1), "nothing lower arrives: the lowest there is");
        assert_eq!(choose_layer(&[0, 2], Some(1)), Some(0));
        assert_eq!(choose_layer(&[0, 1, 2], None), None, "no video on a hopeless link");
        assert_eq!(choose_layer(&[], Some(2)), Some(2));
    }
}
