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
use mail_parser::MimeHeaders;

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
        cc: Vec::new(),
        files: Vec::new(),
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
        grace
            .run(ReplyInThread { inbox, thread, body, recipient, confirm_new, cc: Vec::new(), files: Vec::new() })
            .await
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

/// A message from Lin to Sales, Cc Max, with a PDF and a CSV attached and
/// the company logo shown inline in its HTML by Content-ID.
fn with_files(logo: &[u8]) -> String {
    use base64::Engine;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    format!(
        "From: Lin Park <lin@example.org>\r\nTo: sales@acme.example\r\nCc: Max Roe <max@example.org>, sales@acme.example\r\n\
Subject: Contract\r\nMessage-ID: <contract@example.org>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=outer\r\n\r\n\
--outer\r\nContent-Type: multipart/related; boundary=inner\r\n\r\n\
--inner\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
<p>Signed copy attached.</p><img src=\"cid:logo@example.org\" alt=\"Logo\"><img src=\"https://tracker.example/p.gif\">\r\n\
--inner\r\nContent-Type: image/png\r\nContent-ID: <logo@example.org>\r\nContent-Transfer-Encoding: base64\r\n\
Content-Disposition: inline; filename=logo.png\r\n\r\n{logo}\r\n--inner--\r\n\
--outer\r\nContent-Type: application/pdf; name=contract.pdf\r\nContent-Disposition: attachment; filename=contract.pdf\r\n\
Content-Transfer-Encoding: base64\r\n\r\n{pdf}\r\n\
--outer\r\nContent-Type: text/csv; name=prices.csv\r\nContent-Disposition: attachment; filename=\"prices.csv\"\r\n\r\n\
item,price\r\nseat,12\r\n\
--outer--\r\n",
        logo = b64(logo),
        pdf = b64(&pdf_bytes()),
    )
}

fn pdf_bytes() -> Vec<u8> {
    (0..40_000u32).map(|n| (n.wrapping_mul(2654435761) >> 24) as u8).collect()
}

#[tokio::test]
async fn mail_keeps_its_attachments_inline_images_and_cc_and_a_reply_to_all_carries_a_file() {
    let server = TestServer::with_demo_and(|config| {
        config.smtp_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let receiver = server.smtp_address.expect("the receiver is on");
    let mut logo = Vec::new();
    image::RgbImage::from_pixel(8, 8, image::Rgb([200, 0, 0]))
        .write_to(&mut std::io::Cursor::new(&mut logo), image::ImageFormat::Png)
        .unwrap();
    smtp_send(receiver, "lin@example.org", "sales@acme.example", &with_files(&logo)).await.unwrap();

    let grace = server.signed_in("grace@example.com", DEMO_PASSWORD).await;
    let inbox = sales(&grace).await;
    let threads = grace.run(ListThreads { inbox }).await.unwrap();
    let thread = threads.iter().find(|t| t.subject == "Contract").expect("filed").id;
    let view = grace.run(OpenThread { inbox, thread }).await.unwrap();
    let mail = &view.messages[0];
    assert_eq!(mail.cc, "max@example.org, sales@acme.example");
    let names: Vec<&str> = mail.attachments.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["contract.pdf", "prices.csv"], "the inline image is shown, not listed");
    let html = mail.html_body.as_deref().unwrap();
    use base64::Engine;
    let logo_data = format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(&logo));
    assert!(html.contains(&logo_data), "the inline image shows where the HTML names it: {html}");
    assert!(!html.contains("tracker.example"), "remote images stay out");

    // Participants download each attachment as it came; others get nothing.
    let pdf = &mail.attachments[0];
    let response = grace.get(&pdf.download_url()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert!(response.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    assert_eq!(response.bytes().await.unwrap(), pdf_bytes());
    let csv = grace.get(&mail.attachments[1].download_url()).await.text().await.unwrap();
    // The line break before the next part's boundary is the boundary's.
    assert_eq!(csv.replace("\r\n", "\n"), "item,price\nseat,12");
    let outsider = server.signed_in("katherine@example.com", DEMO_PASSWORD).await;
    assert_eq!(outsider.get(&pdf.download_url()).await.status(), 404, "not a participant of Sales");
    assert_eq!(server.client().get(&pdf.download_url()).await.status(), 401);

    // Lin writes again, copying someone new: replying to all needs a
    // confirmation, and a reply to the list the page showed before is
    // refused (it changed).
    assert_eq!(view.reply_all_cc, ["max@example.org"], "not the inbox itself");
    let again = "From: Lin Park <lin@example.org>\r\nTo: sales@acme.example\r\nCc: max@example.org, Eve <eve@example.net>\r\n\
Subject: Re: Contract\r\nMessage-ID: <again@example.org>\r\nIn-Reply-To: <contract@example.org>\r\n\r\nAdding Eve.\r\n";
    smtp_send(receiver, "lin@example.org", "sales@acme.example", again).await.unwrap();
    let stale = ReplyInThread {
        inbox,
        thread,
        body: "Countersigned.".into(),
        recipient: "lin@example.org".into(),
        confirm_new: false,
        cc: view.reply_all_cc.clone(),
        files: Vec::new(),
    };
    let changed = grace.run(stale).await.unwrap_err();
    assert_eq!(changed, AppError::RecipientChanged("max@example.org, eve@example.net".into()));
    let view = grace.run(OpenThread { inbox, thread }).await.unwrap();
    assert_eq!(
        (view.reply_all_cc.clone(), view.reply_all_cc_new),
        (vec!["max@example.org".to_string(), "eve@example.net".to_string()], true)
    );
    let upload = grace.upload(inbox, "quote.pdf", "application/pdf", b"%PDF-1.4 quote".to_vec()).await;
    assert_eq!(upload.status(), 200);
    let file: anteroom_app::model::FileInfo = upload.json().await.unwrap();
    let reply = ReplyInThread {
        inbox,
        thread,
        body: "Countersigned.".into(),
        recipient: "lin@example.org".into(),
        confirm_new: false,
        cc: view.reply_all_cc.clone(),
        files: vec![file.id],
    };
    let unconfirmed = grace.run(reply.clone()).await.unwrap_err();
    assert_eq!(unconfirmed, AppError::RecipientUnconfirmed("max@example.org, eve@example.net".into()));
    grace.run(ReplyInThread { confirm_new: true, ..reply }).await.unwrap();
    let sent: Vec<_> = std::fs::read_dir(server.outbox()).unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(sent.len(), 1);
    let raw = std::fs::read(sent[0].path()).unwrap();
    let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
    let addresses = |list: Option<&mail_parser::Address>| -> Vec<String> {
        list.map(|l| l.iter().filter_map(|a| a.address().map(str::to_string)).collect()).unwrap_or_default()
    };
    assert_eq!(addresses(parsed.to()), ["lin@example.org"]);
    assert_eq!(addresses(parsed.cc()), ["max@example.org", "eve@example.net"]);
    assert_eq!(parsed.attachment_count(), 1);
    let attached = parsed.attachment(0).unwrap();
    assert_eq!(attached.attachment_name(), Some("quote.pdf"));
    assert_eq!(attached.contents(), b"%PDF-1.4 quote");
    assert!(parsed.body_text(0).unwrap().contains("Countersigned."));
    // The sent reply lists its file in the conversation, downloadable.
    let view = grace.run(OpenThread { inbox, thread }).await.unwrap();
    let sent = view.messages.last().unwrap();
    assert_eq!(sent.cc, "max@example.org, eve@example.net");
    assert_eq!(sent.attachments.len(), 1);
    assert_eq!(grace.get(&sent.attachments[0].download_url()).await.bytes().await.unwrap(), &b"%PDF-1.4 quote"[..]);
    server.stop().await;
}
