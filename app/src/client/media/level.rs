//! A live microphone level (0..1) from a media stream, via Web Audio.

use leptos::prelude::*;
use std::time::Duration;
use web_sys::{AnalyserNode, AudioContext, MediaStream};

const SAMPLE_EVERY: Duration = Duration::from_millis(80);
/// How much of the shown level remains after one sample without sound.
const PEAK_DECAY: f64 = 0.85;

/// Measures the stream's audio level into `level` until dropped.
pub struct LevelMeter {
    context: AudioContext,
    timer: Option<IntervalHandle>,
}

impl LevelMeter {
    pub fn start(stream: &MediaStream, level: RwSignal<f64>) -> Option<Self> {
        if stream.get_audio_tracks().length() == 0 {
            return None;
        }
        let context = AudioContext::new().ok()?;
        let source = context.create_media_stream_source(stream).ok()?;
        let analyser: AnalyserNode = context.create_analyser().ok()?;
        analyser.set_fft_size(512);
        source.connect_with_audio_node(&analyser).ok()?;
        let samples = std::cell::RefCell::new(vec![0f32; 512]);
        let timer = set_interval_with_handle(
            move || {
                let mut samples = samples.borrow_mut();
                analyser.get_float_time_domain_data(&mut samples);
                let power = samples.iter().map(|s| s * s).sum::<f32>() / samples.len() as f32;
                // Speech sits around 0.05 RMS; scale so it reads mid-meter.
                let now = (f64::from(power.sqrt()) * 5.0).min(1.0);
                // Fall back slowly, as meters do, so a short sound is seen.
                level.update(|shown| *shown = now.max(*shown * PEAK_DECAY));
            },
            SAMPLE_EVERY,
        )
        .ok();
        Some(LevelMeter { context, timer })
    }

    /// Browsers start audio suspended until the person interacts.
    pub fn resume(&self) {
        let _ = self.context.resume();
    }
}

impl Drop for LevelMeter {
    fn drop(&mut self) {
        if let Some(timer) = self.timer.take() {
            timer.clear();
        }
        let _ = self.context.close();
    }
}
