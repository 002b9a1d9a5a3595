//! Meeting channels' past calls for members: the list of a channel's
//! ended calls, each one's summary, transcript and chat, and search over
//! the workspace's transcripts. Guests never see any of it (the policy's
//! `ReadPastCalls` refuses their passes).

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::model::SpokenLine;
use crate::model::{CallId, ChannelId, PastCall, PastCallDetails, TranscriptHit};
use leptos::prelude::*;

/// Past calls listed at most, newest first.
pub const PAST_CALLS_LISTED: i64 = 50;
/// Search results shown at most.
pub const SEARCH_RESULTS: i64 = 50;
/// The longest search accepted, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;

/// The signed-in member, allowed to read their workspace's past calls.
#[cfg(feature = "ssr")]
async fn reader() -> Result<(crate::ssr::state::AppState, crate::ssr::accounts::Member), AppError> {
    use crate::ssr::{auth, policy};
    let (state, principal, me) = auth::signed_in().await?;
    policy::check(&principal, policy::Action::ReadPastCalls(me.workspace_id))?;
    Ok((state, me))
}

/// The ended calls of a meeting channel of the member's workspace.
#[server(endpoint = "past_calls")]
pub async fn past_calls(channel: ChannelId) -> Result<Vec<PastCall>, AppError> {
    use crate::ssr::{calls, channels};
    let (state, me) = reader().await?;
    channels::channel(&state.db, me.workspace_id, channel)
        .await?
        .ok_or_else(|| AppError::NotFound("That meeting channel".into()))?;
    Ok(calls::past(&state.db, channel, PAST_CALLS_LISTED).await?)
}

/// A past call's summary, transcript and chat.
#[server(endpoint = "open_past_call")]
pub async fn open_past_call(call: CallId) -> Result<PastCallDetails, AppError> {
    use crate::ssr::calls::{self, transcript};
    use crate::ssr::channels;
    let (state, me) = reader().await?;
    let not_found = || AppError::NotFound("That call".into());
    let channel = calls::channel_of(&state.db, call).await?.ok_or_else(not_found)?;
    // A call of another workspace answers as if it did not exist.
    channels::channel(&state.db, me.workspace_id, channel).await?.ok_or_else(not_found)?;
    let record = calls::record(&state.db, call).await?.ok_or_else(not_found)?;
    let status = transcript::status(&state.db, call).await?.ok_or_else(not_found)?;
    let lines = transcript::lines(&state.db, call).await?;
    Ok(PastCallDetails {
        summary: status.summary,
        lines: lines
            .into_iter()
            .map(|line| SpokenLine { said_at: line.said_at, speaker: line.speaker, guest: line.guest, text: line.text })
            .collect(),
        guest_writers: record.attendance.iter().filter(|stay| stay.guest).map(|stay| stay.participant).collect(),
        chat: record.chat,
    })
}

/// Transcript lines of the workspace's calls with every word of `query`,
/// newest first.
#[server(endpoint = "search_transcripts")]
pub async fn search_transcripts(query: String) -> Result<Vec<TranscriptHit>, AppError> {
    use crate::ssr::calls::transcript;
    use crate::ssr::channels;
    let (state, me) = reader().await?;
    if query.chars().count() > MAX_SEARCH_CHARS {
        return Err(AppError::invalid("query", format!("Search for at most {MAX_SEARCH_CHARS} characters.")));
    }
    if query.trim().is_empty() {
        return Err(AppError::invalid("query", "Type a word that was said."));
    }
    let found = transcript::search(&state.db, me.workspace_id, &query, SEARCH_RESULTS).await?;
    let mut hits = Vec::with_capacity(found.len());
    for hit in found {
        let channel_name = channels::channel(&state.db, me.workspace_id, hit.channel).await?.map(|c| c.name);
        hits.push(TranscriptHit {
            call: hit.call,
            channel: hit.channel,
            channel_name: channel_name.unwrap_or_default(),
            line: SpokenLine { said_at: hit.said_at, speaker: hit.speaker, guest: hit.guest, text: hit.text },
        });
    }
    Ok(hits)
}
