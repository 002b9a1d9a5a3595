//! The meeting-notes door (issue 32, 9): twelve one-second visitors got
//! the company's notes at addresses of the prober's choosing, and a guest's
//! notes carried chat from before they arrived. Notes now go only to
//! guests who stayed a minute, and each gets the part they were in.
//! (Names that forge lines are refused: `names.rs`.)

use crate::support::{Client, GuestSocket, SignalSocket, TestServer};
use anteroom_app::api::channels::{ExternalLink, SetGuestNotes, SetNotesToMe};
use anteroom_app::api::office::LoadOffice;
use anteroom_app::model::ConferenceId;
use anteroom_app::protocol::guest::GuestEvent;
use anteroom_app::protocol::signal::SignalEvent;
use anteroom_app::ssr::seed::DEMO_PASSWORD;
use std::time::Duration;

/// The notes emails in the server's outbox, by recipient.
fn notes_in_outbox(server: &TestServer) -> Vec<(String, String)> {
    let Ok(files) = std::fs::read_dir(server.outbox()) else { return Vec::new() };
    files
        .filter_map(Result::ok)
        .filter_map(|file| std::fs::read(file.path()).ok())
        .filter_map(|raw| anteroom_app::ssr::mail_in::parse(&raw).ok())
        .filter(|mail| mail.subject.starts_with("Notes from your call"))
        .map(|mail| (mail.to_addresses, mail.text_body))
        .collect()
}

/// Waits until Grace's own copy of the notes is in the outbox (she gets
/// hers after the guests', so then every guest's is there too).
async fn notes_sent(server: &TestServer) -> Vec<(String, String)> {
    let wait = async {
        loop {
            let notes = notes_in_outbox(server);
            if notes.iter().any(|(to, _)| to == "grace@example.com") {
                return notes;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(20), wait).await.expect("the notes are sent")
}

/// Grace in client-calls' call, the channel emailing guests its notes and
/// Grace her own copy; the link's token.
async fn graces_call(server: &TestServer) -> (Client, SignalSocket, String) {
    let grace = server.signed_in("grace@example.com", DEMO_PASSWORD).await;
    let office = grace.run(LoadOffice {}).await.unwrap();
    let channel = office.channels.iter().find(|c| c.name == "client-calls").unwrap().id;
    grace.run(SetGuestNotes { channel, on: true }).await.unwrap();
    grace.run(SetNotesToMe { channel, on: true }).await.unwrap();
    let link = grace.run(ExternalLink { channel }).await.unwrap();
    let token = link.rsplit('/').next().unwrap().to_string();
    let path = ConferenceId::Channel(channel).signal_path();
    let mut call = grace.signal_socket_at(&path).await.unwrap();
    call.wait_for(|e| matches!(e, SignalEvent::Welcome { .. })).await;
    (grace, call, token)
}

/// A guest who comes in by the link from `from` and is in the call: their
/// lobby socket (which holds the visit) and their call.
async fn guest_in_call(
    server: &TestServer,
    token: &str,
    name: &str,
    email: &str,
    from: [u8; 4],
) -> (GuestSocket, SignalSocket) {
    let client = server.client();
    let mut lobby = client.guest_socket_from(token, from.into()).await.unwrap();
    let knock = serde_json::json!({ "type": "knock", "name": name, "email": email });
    lobby.send_text(&knock.to_string()).await;
    let GuestEvent::Admitted { pass, conference } = lobby.next_event().await else { panic!("admitted") };
    let mut call = client.guest_signal_socket_at_from(&conference.signal_path(), &pass, from.into()).await.unwrap();
    call.wait_for(|e| matches!(e, SignalEvent::Welcome { .. })).await;
    (lobby, call)
}

#[tokio::test]
async fn visitors_of_a_moment_get_no_notes() {
    let server = TestServer::with_demo().await;
    let (_grace, graces, token) = graces_call(&server).await;
    for n in 0..12u8 {
        let (name, email) = (format!("Visitor {n}"), format!("v{n}@example.net"));
        let visit = guest_in_call(&server, &token, &name, &email, [127, 0, 3, n + 1]).await;
        drop(visit);
    }
    drop(graces);
    let notes = notes_sent(&server).await;
    let recipients: Vec<&str> = notes.iter().map(|(to, _)| to.as_str()).collect();
    assert_eq!(recipients, ["grace@example.com"], "only the channel admin who asked");
    server.stop().await;
}

/// Waits until the clock's second has moved on: stays and messages are
/// kept to the second.
async fn next_second() {
    let now = || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let start = now();
    while now() == start {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_late_guest_reads_only_what_came_after_they_arrived() {
    let server = TestServer::with_demo_and(|config| config.guest_notes_min_stay_secs = 0).await;
    let (_grace, mut graces, token) = graces_call(&server).await;
    graces.send_text(r#"{"type":"chat","text":"Before the client comes: our floor is 40k"}"#).await;
    graces.wait_for(|e| matches!(e, SignalEvent::Chat { .. })).await;
    next_second().await;
    let (lins_lobby, mut lins) = guest_in_call(&server, &token, "Lin Park", "lin@example.org", [127, 0, 3, 1]).await;
    graces.send_text(r#"{"type":"chat","text":"Welcome, Lin"}"#).await;
    lins.wait_for(|e| matches!(e, SignalEvent::Chat { message } if message.text == "Welcome, Lin")).await;
    drop((lins, lins_lobby));
    drop(graces);

    let notes = notes_sent(&server).await;
    let lins = &notes.iter().find(|(to, _)| to == "lin@example.org").expect("Lin's notes").1;
    assert!(lins.contains("Welcome, Lin"), "{lins}");
    assert!(!lins.contains("40k"), "what came before Lin arrived is not hers: {lins}");
    let graces = &notes.iter().find(|(to, _)| to == "grace@example.com").unwrap().1;
    assert!(graces.contains("40k") && graces.contains("Welcome, Lin"), "Grace's copy is whole: {graces}");
    server.stop().await;
}
