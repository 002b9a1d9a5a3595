//! Integration tests of channels' conversations (issue 35): history paged
//! by cursor at its page boundaries, a message sent twice stored once,
//! the limits of a message, edits and deletions reaching other members
//! live, unread counts, and search.

use crate::support::{Client, TestServer};
use anteroom_app::api::messages::{
    ChannelHistory, DeleteMessage, EditMessage, MarkRead, OpenConversation, PostMessage, SearchMessages, UnreadCounts,
};
use anteroom_app::api::office::LoadOffice;
use anteroom_app::error::AppError;
use anteroom_app::model::{ChannelId, ChannelMessage, HISTORY_PAGE, MAX_MESSAGE_CHARS, MessageId, Unread};
use anteroom_app::protocol::LiveEvent;
use anteroom_app::ssr::seed::DEMO_PASSWORD;

struct Conversation {
    server: TestServer,
    ada: Client,
    alan: Client,
    general: ChannelId,
}

async fn conversation() -> Conversation {
    let server = TestServer::with_demo().await;
    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    let alan = server.signed_in("alan@example.com", DEMO_PASSWORD).await;
    let office = ada.run(LoadOffice {}).await.unwrap();
    let general = office.channels.iter().find(|c| c.name == "general").expect("the demo's general").id;
    Conversation { server, ada, alan, general }
}

fn post(channel: ChannelId, body: &str, key: &str) -> PostMessage {
    PostMessage { channel, body: body.into(), client_key: key.into(), files: Vec::new() }
}

fn bodies(messages: &[ChannelMessage]) -> Vec<&str> {
    messages.iter().map(|m| m.body.as_str()).collect()
}

#[tokio::test]
async fn history_is_paged_by_cursor_oldest_first_across_page_boundaries() {
    let Conversation { server, ada, general, .. } = conversation().await;
    // Exactly one page: nothing before it.
    for n in 0..HISTORY_PAGE {
        ada.run(post(general, &format!("m{n}"), &format!("k{n}"))).await.unwrap();
    }
    let page = ada.run(ChannelHistory { channel: general, before: None, after: None }).await.unwrap();
    assert_eq!(page.messages.len(), HISTORY_PAGE);
    assert!(!page.more_before, "exactly one page has nothing before it");
    assert_eq!((page.messages[0].body.as_str(), page.messages[HISTORY_PAGE - 1].body.as_str()), ("m0", "m49"));

    // One more: the newest page starts one later, and one remains before it.
    ada.run(post(general, "m50", "k50")).await.unwrap();
    let newest = ada.run(ChannelHistory { channel: general, before: None, after: None }).await.unwrap();
    assert!(newest.more_before);
    assert_eq!(newest.messages[0].body, "m1");
    // A message arriving while paging back moves nothing: the cursor is an id.
    ada.run(post(general, "m51", "k51")).await.unwrap();
    let older =
        ada.run(ChannelHistory { channel: general, before: Some(newest.messages[0].id), after: None }).await.unwrap();
    assert_eq!(bodies(&older.messages), ["m0"]);
    assert!(!older.more_before);
    // Before the very first message: an empty page.
    let none =
        ada.run(ChannelHistory { channel: general, before: Some(older.messages[0].id), after: None }).await.unwrap();
    assert!(none.messages.is_empty() && !none.more_before);
    server.stop().await;
}

#[tokio::test]
async fn a_search_hit_opens_its_history_around_it_and_newer_pages_follow_to_the_newest() {
    let Conversation { server, ada, general, .. } = conversation().await;
    let mut ids = Vec::new();
    for n in 0..120 {
        ids.push(ada.run(post(general, &format!("n{n}"), &format!("k{n}"))).await.unwrap().id);
    }
    let hit = ids[60];
    let opened = ada.run(OpenConversation { channel: general, at: Some(hit) }).await.unwrap();
    let page = opened.history;
    assert_eq!(page.messages.len(), HISTORY_PAGE);
    let at = page.messages.iter().position(|m| m.id == hit).expect("the hit is in its page");
    assert_eq!(at, HISTORY_PAGE / 2 - 1, "the hit is in the middle");
    assert!(page.more_before && page.more_after);
    // Newer pages, by the last id as cursor, to the newest message.
    let mut last = page.messages.last().unwrap().id;
    let mut seen = page.messages.len();
    loop {
        let newer = ada.run(ChannelHistory { channel: general, before: None, after: Some(last) }).await.unwrap();
        assert_eq!(newer.messages.first().map(|m| m.id.0), Some(last.0 + 1), "no message skipped");
        seen += newer.messages.len();
        last = newer.messages.last().unwrap().id;
        if !newer.more_after {
            break;
        }
    }
    assert_eq!(last, *ids.last().unwrap());
    assert_eq!(seen, 120 - (at_first(&ids, &page.messages)));
    // Opened without a message: the newest page, nothing after it.
    let newest = ada.run(OpenConversation { channel: general, at: None }).await.unwrap().history;
    assert!(!newest.more_after && newest.messages.last().unwrap().id == *ids.last().unwrap());
    server.stop().await;
}

/// How many of `ids` come before the first message of `page`.
fn at_first(ids: &[MessageId], page: &[ChannelMessage]) -> usize {
    ids.iter().position(|id| *id == page[0].id).expect("the page's first message is one of them")
}

#[tokio::test]
async fn a_message_sent_again_with_its_key_is_stored_once() {
    let Conversation { server, ada, alan, general } = conversation().await;
    let first = ada.run(post(general, "Standup at 10?", "tab-1-msg-1")).await.unwrap();
    // The connection dropped before the answer: the browser sends it again.
    let again = ada.run(post(general, "Standup at 10?", "tab-1-msg-1")).await.unwrap();
    assert_eq!(first, again);
    let page = ada.run(ChannelHistory { channel: general, before: None, after: None }).await.unwrap();
    assert_eq!(page.messages.iter().filter(|m| m.body == "Standup at 10?").count(), 1);
    // Someone else's key is not theirs to reuse.
    let taken = alan.run(post(general, "Something else", "tab-1-msg-1")).await;
    assert!(matches!(taken, Err(AppError::Invalid { ref field, .. }) if field == "client_key"), "{taken:?}");
    server.stop().await;
}

#[tokio::test]
async fn empty_blank_and_over_long_messages_are_refused_with_what_to_do() {
    let Conversation { server, ada, general, .. } = conversation().await;
    for (n, body) in ["".to_string(), " \n\t ".to_string(), "x".repeat(MAX_MESSAGE_CHARS + 1)].iter().enumerate() {
        let refused = ada.run(post(general, body, &format!("bad{n}"))).await;
        let Err(AppError::Invalid { field, message }) = refused else { panic!("refused: {refused:?}") };
        assert_eq!(field, "body");
        assert!(!message.is_empty());
    }
    let longest = ada.run(post(general, &"x".repeat(MAX_MESSAGE_CHARS), "longest")).await.unwrap();
    assert_eq!(longest.body.chars().count(), MAX_MESSAGE_CHARS);
    let too_long_key = ada.run(post(general, "hi", &"k".repeat(65))).await;
    assert!(matches!(too_long_key, Err(AppError::Invalid { ref field, .. }) if field == "client_key"));
    server.stop().await;
}

#[tokio::test]
async fn posts_edits_and_deletions_reach_other_members_live_and_leave_search() {
    let Conversation { server, ada, alan, general } = conversation().await;
    let mut alans_page = alan.live_socket().await.unwrap();
    let posted = ada.run(post(general, "The **launch** is on Friday", "a1")).await.unwrap();
    assert!(posted.html.contains("<strong>launch</strong>"), "{}", posted.html);
    let heard = alans_page.wait_for(|e| matches!(e, LiveEvent::Message { .. })).await;
    assert_eq!(heard, LiveEvent::Message { message: posted.clone(), posted: true });

    let hits = alan.run(SearchMessages { query: "launch friday".into() }).await.unwrap();
    assert_eq!(hits.iter().map(|h| h.message.id).collect::<Vec<_>>(), [posted.id]);
    assert_eq!(hits[0].channel_name, "general");

    // Only the author edits; the edit reaches Alan and search.
    assert_eq!(alan.run(EditMessage { message: posted.id, body: "hijacked".into() }).await, Err(AppError::Forbidden));
    let edited = ada.run(EditMessage { message: posted.id, body: "The launch is on Monday".into() }).await.unwrap();
    assert!(edited.edited && edited.body == "The launch is on Monday");
    let heard = alans_page.wait_for(|e| matches!(e, LiveEvent::Message { posted: false, .. })).await;
    assert_eq!(heard, LiveEvent::Message { message: edited, posted: false });
    assert!(alan.run(SearchMessages { query: "friday".into() }).await.unwrap().is_empty());
    assert_eq!(alan.run(SearchMessages { query: "monday".into() }).await.unwrap().len(), 1);

    // Deleted: its place stays, its words are gone, from search too.
    assert_eq!(alan.run(DeleteMessage { message: posted.id }).await, Err(AppError::Forbidden));
    ada.run(DeleteMessage { message: posted.id }).await.unwrap();
    let heard = alans_page.wait_for(|e| matches!(e, LiveEvent::Message { message, .. } if message.deleted)).await;
    let LiveEvent::Message { message: deleted, .. } = heard else { unreachable!() };
    assert_eq!((deleted.body.as_str(), deleted.html.as_str()), ("", ""));
    assert!(alan.run(SearchMessages { query: "monday".into() }).await.unwrap().is_empty());
    let page = alan.run(ChannelHistory { channel: general, before: None, after: None }).await.unwrap();
    assert!(page.messages.iter().any(|m| m.id == posted.id && m.deleted));
    // A deleted message is edited or deleted no more.
    let gone = ada.run(EditMessage { message: posted.id, body: "back".into() }).await;
    assert_eq!(gone, Err(AppError::NotFound("That message".into())));
    server.stop().await;
}

#[tokio::test]
async fn unread_counts_others_messages_until_read_and_survive_a_new_session() {
    let Conversation { server, ada, alan, general } = conversation().await;
    let count = |unread: Vec<Unread>| unread.iter().find(|u| u.channel == general).map_or(0, |u| u.count);
    let mut last = MessageId(0);
    for n in 0..3 {
        last = ada.run(post(general, &format!("news {n}"), &format!("n{n}"))).await.unwrap().id;
    }
    assert_eq!(count(alan.run(UnreadCounts {}).await.unwrap()), 3);
    assert_eq!(count(ada.run(UnreadCounts {}).await.unwrap()), 0, "one's own messages are read");
    // Read up to the second: one left, also from a new sign-in.
    let page = alan.run(ChannelHistory { channel: general, before: None, after: None }).await.unwrap();
    let second = page.messages[page.messages.len() - 2].id;
    alan.run(MarkRead { channel: general, up_to: second }).await.unwrap();
    let alan_again = server.signed_in("alan@example.com", DEMO_PASSWORD).await;
    assert_eq!(count(alan_again.run(UnreadCounts {}).await.unwrap()), 1);
    // Reading never moves back.
    alan.run(MarkRead { channel: general, up_to: last }).await.unwrap();
    alan.run(MarkRead { channel: general, up_to: second }).await.unwrap();
    assert_eq!(count(alan.run(UnreadCounts {}).await.unwrap()), 0);
    server.stop().await;
}
