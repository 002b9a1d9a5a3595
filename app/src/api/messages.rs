//! A channel's conversation: its history a page at a time, posting,
//! editing and deleting messages, how far the member has read, and search
//! across every channel. Members only: a guest's pass opens a call, never
//! a channel's history.

use crate::error::AppError;
use crate::model::{ChannelId, ChannelMessage, FileId, HistoryPage, MessageHit, MessageId, OpenedChannel, Unread};
use leptos::prelude::*;

/// How many hits a search returns, newest first.
pub const SEARCH_HITS: i64 = 50;

/// A member asking about one channel of their workspace.
#[cfg(feature = "ssr")]
struct ChannelCaller {
    state: crate::ssr::state::AppState,
    principal: crate::ssr::policy::Principal,
    me: crate::ssr::accounts::Member,
    channel: crate::model::Channel,
}

/// The caller and `channel` of their workspace, once `action` is allowed.
/// Channels of other workspaces answer as if they did not exist.
#[cfg(feature = "ssr")]
async fn channel_of_mine(
    channel: ChannelId,
    action: fn(crate::model::WorkspaceId) -> crate::ssr::policy::Action,
) -> Result<ChannelCaller, AppError> {
    use crate::ssr::{auth, channels, policy};
    let (state, principal, me) = auth::signed_in().await?;
    policy::check(&principal, action(me.workspace_id))?;
    let channel = channels::channel(&state.db, me.workspace_id, channel)
        .await?
        .ok_or_else(|| AppError::NotFound("That channel".into()))?;
    Ok(ChannelCaller { state, principal, me, channel })
}

/// A channel's page: the channel, its newest history (or, `at` a message
/// a search found, the history around it), and whether the caller may
/// delete others' messages.
#[server(endpoint = "open_conversation")]
pub async fn open_conversation(channel: ChannelId, at: Option<MessageId>) -> Result<OpenedChannel, AppError> {
    use crate::ssr::policy::{self, Action};
    use crate::ssr::{channels, messages};
    let ChannelCaller { state, principal, me, channel } = channel_of_mine(channel, Action::ReadChannel).await?;
    let channel_admin = channels::is_admin(&state.db, channel.id, me.id).await?;
    let moderate = Action::DeleteMessage { workspace: me.workspace_id, own: false, channel_admin };
    let may_moderate = policy::check(&principal, moderate).is_ok();
    let history = match at {
        Some(message) => messages::history_around(&state.db, channel.id, message).await?,
        None => messages::history(&state.db, channel.id, None).await?,
    };
    Ok(OpenedChannel { channel, may_moderate, max_file_bytes: state.files.limits.max_file_bytes, history })
}

/// A page of the channel's history, oldest first: the one just after
/// `after` (a page opened at a search result, read onwards), else the one
/// just before `before` (the newest page without it).
#[server(endpoint = "channel_history")]
pub async fn channel_history(
    channel: ChannelId,
    before: Option<MessageId>,
    after: Option<MessageId>,
) -> Result<HistoryPage, AppError> {
    use crate::ssr::{messages, policy::Action};
    let ChannelCaller { state, channel, .. } = channel_of_mine(channel, Action::ReadChannel).await?;
    Ok(match after {
        Some(after) => messages::history_after(&state.db, channel.id, after).await?,
        None => messages::history(&state.db, channel.id, before).await?,
    })
}

/// Posts a message, with `files` the caller uploaded to the channel for
/// it. `client_key` is the browser's own id for it: sending it again
/// (after a dropped connection) returns the message stored the first
/// time, never a second copy.
#[server(endpoint = "post_message")]
pub async fn post_message(
    channel: ChannelId,
    body: String,
    client_key: String,
    #[server(default)] files: Vec<FileId>,
) -> Result<ChannelMessage, AppError> {
    use crate::ssr::messages::{self, Author, Content};
    use crate::ssr::policy::Action;
    let ChannelCaller { state, me, channel, .. } = channel_of_mine(channel, Action::PostMessage).await?;
    let author = Author { member: Some(me.id), name: &me.name, guest: false };
    let sent_at = crate::ssr::db::now_millis();
    let (message, posted) = messages::post(
        &state.db,
        channel.id,
        author,
        Content { body: &body, files: &files },
        None,
        Some(&client_key),
        sent_at,
    )
    .await?;
    if posted {
        messages::mark_read(&state.db, me.id, channel.id, message.id).await?;
        state.workspace_news.message_changed(me.workspace_id, message.clone(), true);
    }
    Ok(message)
}

/// The message, once the caller may change it as `action` says.
#[cfg(feature = "ssr")]
async fn message_to_change(
    id: MessageId,
    action: impl FnOnce(crate::model::WorkspaceId, bool, bool) -> crate::ssr::policy::Action,
) -> Result<(crate::ssr::state::AppState, crate::ssr::accounts::Member, ChannelMessage), AppError> {
    use crate::ssr::{auth, channels, messages, policy};
    let (state, principal, me) = auth::signed_in().await?;
    policy::check(&principal, policy::Action::ReadChannel(me.workspace_id))?;
    let message = messages::get(&state.db, me.workspace_id, id)
        .await?
        .ok_or_else(|| AppError::NotFound("That message".into()))?;
    if message.deleted {
        return Err(AppError::NotFound("That message".into()));
    }
    let own = message.author == Some(me.id);
    let channel_admin = channels::is_admin(&state.db, message.channel, me.id).await?;
    policy::check(&principal, action(me.workspace_id, own, channel_admin))?;
    Ok((state, me, message))
}

/// Replaces the text of one of the caller's own messages.
#[server(endpoint = "edit_message")]
pub async fn edit_message(message: MessageId, body: String) -> Result<ChannelMessage, AppError> {
    use crate::ssr::{messages, policy::Action};
    let (state, me, found) =
        message_to_change(message, |workspace, own, _| Action::EditMessage { workspace, own }).await?;
    let edited = messages::edit(&state.db, found.id, &body, crate::ssr::db::now_millis())
        .await?
        .ok_or_else(|| AppError::NotFound("That message".into()))?;
    state.workspace_news.message_changed(me.workspace_id, edited.clone(), false);
    Ok(edited)
}

/// Deletes a message: the author's own, or any, for the channel's admins
/// and workspace admins. Its place in the history says it was deleted.
#[server(endpoint = "delete_message")]
pub async fn delete_message(message: MessageId) -> Result<(), AppError> {
    use crate::ssr::{messages, policy::Action};
    let (state, me, found) = message_to_change(message, |workspace, own, channel_admin| Action::DeleteMessage {
        workspace,
        own,
        channel_admin,
    })
    .await?;
    if let Some((deleted, contents)) = messages::delete(&state.db, found.id).await? {
        state.workspace_news.message_changed(me.workspace_id, deleted, false);
        state.files.forget_unreferenced(&state.db, contents).await;
    }
    Ok(())
}

/// The member has read the channel up to `up_to`.
#[server(endpoint = "mark_read")]
pub async fn mark_read(channel: ChannelId, up_to: MessageId) -> Result<(), AppError> {
    use crate::ssr::{messages, policy::Action};
    let ChannelCaller { state, me, channel, .. } = channel_of_mine(channel, Action::ReadChannel).await?;
    Ok(messages::mark_read(&state.db, me.id, channel.id, up_to).await?)
}

/// How many unread messages each channel has for the caller.
#[server(endpoint = "unread_counts")]
pub async fn unread_counts() -> Result<Vec<Unread>, AppError> {
    use crate::ssr::{auth, messages, policy};
    let (state, principal, me) = auth::signed_in().await?;
    policy::check(&principal, policy::Action::ReadChannel(me.workspace_id))?;
    Ok(messages::unread(&state.db, me.workspace_id, me.id).await?)
}

/// Messages with every word of `query`, across the workspace's channels.
#[server(endpoint = "search_messages")]
pub async fn search_messages(query: String) -> Result<Vec<MessageHit>, AppError> {
    use crate::ssr::{auth, messages, policy};
    let (state, principal, me) = auth::signed_in().await?;
    policy::check(&principal, policy::Action::ReadChannel(me.workspace_id))?;
    if query.chars().count() > 200 {
        return Err(AppError::invalid("query", "Search for at most 200 characters."));
    }
    Ok(messages::search(&state.db, me.workspace_id, &query, SEARCH_HITS).await?)
}
