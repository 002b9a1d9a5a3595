//! Meeting channels' past calls for members: the list of a channel's
//! ended calls, each one's summary, transcript and chat, and search over
//! the workspace's transcripts. Guests never see any of it (the policy's
//! `ReadPastCalls` refuses their passes).

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::model::SpokenLine;
use crate::model::{CallId, CallLines, CallPart, ChannelId, LinesCursor, PastCall, PastCallDetails, TranscriptHit};
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

/// The ended call `call` of a meeting channel of the member's workspace;
/// any other answers as if it did not exist.
#[cfg(feature = "ssr")]
async fn readable_call(
    state: &crate::ssr::state::AppState,
    me: &crate::ssr::accounts::Member,
    call: CallId,
) -> Result<(), AppError> {
    use crate::ssr::{calls, channels};
    let not_found = || AppError::NotFound("That call".into());
    let channel = calls::ended_in(&state.db, call).await?.ok_or_else(not_found)?;
    channels::channel(&state.db, me.workspace_id, channel).await?.ok_or_else(not_found)?;
    Ok(())
}

/// A past call's summary, and the first page of its transcript and chat.
#[server(endpoint = "open_past_call")]
pub async fn open_past_call(call: CallId) -> Result<PastCallDetails, AppError> {
    use crate::ssr::calls::{pages, transcript};
    let (state, me) = reader().await?;
    readable_call(&state, &me, call).await?;
    let status = transcript::status(&state.db, call).await?.ok_or_else(|| AppError::NotFound("That call".into()))?;
    Ok(PastCallDetails {
        summary: status.summary,
        transcript: pages::page(&state.db, call, CallPart::Transcript, LinesCursor::START).await?,
        chat: pages::page(&state.db, call, CallPart::Chat, LinesCursor::START).await?,
    })
}

/// The next page of a past call's transcript or chat.
#[server(endpoint = "past_call_lines")]
pub async fn past_call_lines(call: CallId, part: CallPart, after: LinesCursor) -> Result<CallLines, AppError> {
    use crate::ssr::calls::pages;
    let (state, me) = reader().await?;
    readable_call(&state, &me, call).await?;
    Ok(pages::page(&state.db, call, part, after).await?)
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
