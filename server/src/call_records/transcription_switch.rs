//! The "Transcribe calls" switch reaching calls already going on: one task
//! hears the channel news and tells the SFU, once per turn of the switch,
//! however many people are in the call.

use crate::sfu::Sfu;
use anteroom_app::model::ConferenceId;
use anteroom_app::ssr::calls::log::CallLog;
use anteroom_app::ssr::workspace_news::ChannelNews;
use std::sync::Arc;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::watch;

/// Follows `news` until the server stops. A call that starts later reads
/// the switch itself (`CallObserver::call_started`).
pub async fn follow(
    sfu: Arc<Sfu>,
    log: CallLog,
    mut news: broadcast::Receiver<ChannelNews>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            heard = news.recv() => match heard {
                Ok(ChannelNews::Transcription { channel, on }) => {
                    sfu.set_transcribing(ConferenceId::Channel(channel), on).await;
                }
                Ok(ChannelNews::Listed { .. } | ChannelNews::Message { .. }) => {}
                // Some turns were missed: read the switch of every call going on.
                Err(RecvError::Lagged(_)) => {
                    for call in sfu.channel_calls() {
                        let on = log.transcribes(call.channel).await;
                        sfu.set_transcribing(ConferenceId::Channel(call.channel), on).await;
                    }
                }
                Err(RecvError::Closed) => return,
            },
            _ = shutdown.changed() => return,
        }
    }
}
