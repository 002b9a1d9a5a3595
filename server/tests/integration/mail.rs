//! Integration tests of inbox mail over real SMTP on 127.0.0.1: mail sent to
//! the built-in receiver is filed and threaded; a reply goes out through a
//! relay (an SMTP server this test starts) with the right headers; with no
//! relay it is kept in the outbox.

use crate::support::{Client, Relay, TestServer};
use anteroom_app::api::inboxes::MyInboxes;
use anteroom_app::api::mail::{ComposeEmail, ListThreads, OpenThread, ReplyInThread};
use anteroom_app::error::AppError;
use anteroom_app::model::{InboxId, ThreadSummary};
use anteroom_app::ssr::mail_in;
use anteroom_app::ssr::seed::DEMO_PASSWORD;
use lettre::address::Envelope;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

/// Sends a raw message over SMTP to `address`, as a mail server would.
async fn smtp_send(address: std::net::SocketAddr, from: &str, to: &str, raw: &str) -> Result<(), String> {
    let transport =
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(address.ip().to_string()).port(address.port()).build();
    let envelope = Envelope::new(Some(from.parse().unwrap()), vec![to.parse().unwrap()]).unwrap();
    transport.send_raw(&envelope, raw.as_bytes()).await.map(drop).map_err(|e| e.to_string())
}

async fn sales(client: &Client) -> InboxId {
    let mine = client.run(MyInboxes {}).await.unwrap();
    mine.into_iter().find(|i| i.name == "Sales").expect("the demo Sales inbox").id
}

fn compose(inbox: InboxId, to: &str, subject: &str, body: &str) -> ComposeEmail {
    ComposeEmail { inbox, to: to.into(), subject: subject.into(), body: body.into() }
}

const FIRST: &str = "From: Lin Park <lin@example.org>\r\nTo: sales@acme.example\r\nSubject: Pricing\r\n\
Message-ID: <first@example.org>\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
<p>Hello <b>team</b></p><script>alert(1)</script>\r\n..a line that starts with a dot\r\n";

#[tokio::test]
async fn mail_in_is_threaded_and_a_reply_goes_out_through_the_relay_with_threading_headers() {
    let mut relay = Relay::start().await;
    let server = TestServer::with_demo_and(|config| {
        config.smtp_listen = Some("127.0.0.1:0".parse().unwrap());
        config.smtp_relay = Some(relay.url.clone());
    })
    .await;
    let receiver = server.smtp_address.expect("the receiver is on");

    // Mail for an unknown address is refused at RCPT; mail for Sales is filed.
    let unknown = smtp_send(receiver, "lin@example.org", "nobody@acme.example", FIRST).await;
    assert!(unknown.unwrap_err().contains("550"), "refused by the receiver");
    smtp_send(receiver, "lin@example.org", "sales@acme.example", FIRST).await.unwrap();

    let grace = server.signed_in("grace@example.com", DEMO_PASSWORD).await;
    let inbox = sales(&grace).await;
    let threads = grace.run(ListThreads { inbox }).await.unwrap();
    let pricing: Vec<&ThreadSummary> = threads.iter().filter(|t| t.subject == "Pricing").collect();
    assert_eq!(pricing.len(), 1, "a new conversation next to the demo one: {threads:?}");
    assert_eq!((pricing[0].from.as_str(), pricing[0].message_count), ("Lin Park", 1));
    let thread = pricing[0].id;
    let view = grace.run(OpenThread { inbox, thread }).await.unwrap();
    let html = view.messages[0].html_body.clone().expect("the HTML part");
    assert!(html.contains("<b>team</b>") && !html.contains("script"), "sanitised: {html}");
    assert!(view.messages[0].text_body.contains(".a line that starts with a dot"), "dot-stuffing undone");

    // A Viewer may read but not reply; a non-participant cannot even read.
    let alan = server.signed_in("alan@example.com", DEMO_PASSWORD).await;
    let reply = ReplyInThread {
        inbox,
        thread,
        body: "We can do that.".into(),
        recipient: "lin@example.org".into(),
        confirm_new: false,
    };
    assert_eq!(view.reply_to, "lin@example.org", "the reply box says who the reply goes to");
    assert_eq!(alan.run(reply.clone()).await, Err(AppError::CannotSend));
    let katherine = server.signed_in("katherine@example.com", DEMO_PASSWORD).await;
    let hidden = katherine.run(OpenThread { inbox, thread }).await;
    assert_eq!(hidden, Err(AppError::NotFound("That inbox".into())));

    // Grace replies: it leaves through the relay, threaded to Lin's message.
    grace.run(reply).await.unwrap();
    let (recipients, raw) = relay.next().await;
    assert_eq!(recipients, ["lin@example.org"]);
    let out = mail_in::parse(&raw).unwrap();
    assert_eq!((out.from_address.as_str(), out.from_name.as_str()), ("sales@acme.example", "Sales"));
    assert_eq!((out.subject.as_str(), out.to_addresses.as_str()), ("Re: Pricing", "lin@example.org"));
    assert_eq!(out.in_reply_to.as_deref(), Some("first@example.org"));
    assert_eq!(out.references, ["first@example.org"]);
    assert!(out.message_id.ends_with("@127.0.0.1"), "our own id: {}", out.message_id);

    // Lin answers the reply; everything stays one conversation.
    let answer = format!(
        "From: lin@example.org\r\nTo: sales@acme.example\r\nSubject: Re: Re: Pricing\r\nMessage-ID: <third@example.org>\r\n\
In-Reply-To: <{}>\r\nReferences: <first@example.org> <{}>\r\n\r\nGreat, thanks.\r\n",
        out.message_id, out.message_id
    );
    smtp_send(receiver, "lin@example.org", "sales@acme.example", &answer).await.unwrap();
    let view = grace.run(OpenThread { inbox, thread }).await.unwrap();
    let shape: Vec<(bool, Option<&str>)> = view.messages.iter().map(|m| (m.outgoing, m.delivery.as_deref())).collect();
    assert_eq!(shape, [(false, None), (true, Some("relayed")), (false, None)]);

    // A stranger quotes the conversation's ids and joins it: a reply would
    // go to them. The page said Lin, so nothing is sent until Grace reads
    // the new message, and then only once she confirms the new recipient.
    let hijack = "From: mallory@evil.example\r\nTo: sales@acme.example\r\nSubject: Re: Pricing\r\nMessage-ID: <fourth@evil.example>\r\n\
In-Reply-To: <third@example.org>\r\nReferences: <first@example.org> <third@example.org>\r\n\r\nPay this invoice.\r\n";
    smtp_send(receiver, "mallory@evil.example", "sales@acme.example", hijack).await.unwrap();
    let grace = &grace;
    let answer = async |recipient: &str, confirm_new: bool| {
        let (body, recipient) = ("Which invoice?".into(), recipient.into());
        grace.run(ReplyInThread { inbox, thread, body, recipient, confirm_new }).await
    };
    assert_eq!(answer("lin@example.org", true).await, Err(AppError::RecipientChanged("mallory@evil.example".into())));
    let view = grace.run(OpenThread { inbox, thread }).await.unwrap();
    assert_eq!((view.reply_to.as_str(), view.reply_to_is_new), ("mallory@evil.example", true));
    assert_eq!(
        answer("mallory@evil.example", false).await,
        Err(AppError::RecipientUnconfirmed("mallory@evil.example".into()))
    );
    answer("mallory@evil.example", true).await.unwrap();
    let (recipients, _) = relay.next().await;
    assert_eq!(recipients, ["mallory@evil.example"], "sent only once confirmed");
    server.stop().await;
}

#[tokio::test]
async fn without_a_relay_sent_mail_is_kept_in_the_outbox() {
    let server = TestServer::with_demo_and(|_| {}).await;
    let grace = server.signed_in("grace@example.com", DEMO_PASSWORD).await;
    let inbox = sales(&grace).await;
    let bad = grace.run(compose(inbox, "lin@", "Hi", "x")).await;
    assert_eq!(bad.unwrap_err().field(), Some("to"));
    let empty = grace.run(compose(inbox, "lin@example.org", "Hi", " ")).await;
    assert_eq!(empty.unwrap_err().field(), Some("body"));
    grace.run(compose(inbox, "lin@example.org", "Hello", "Hi Lin")).await.unwrap();
    let files: Vec<_> = std::fs::read_dir(server.outbox()).unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(files.len(), 1);
    let kept = mail_in::parse(&std::fs::read(files[0].path()).unwrap()).unwrap();
    assert_eq!((kept.subject.as_str(), kept.text_body.trim()), ("Hello", "Hi Lin"));
    let threads = grace.run(ListThreads { inbox }).await.unwrap();
    assert_eq!((threads[0].subject.as_str(), threads[0].message_count), ("Hello", 1));
    server.stop().await;
}
