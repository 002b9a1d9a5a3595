//! Integration tests of channel files (issue 35): an upload streamed to
//! the store and sent with a message, downloaded byte for byte by another
//! member with the headers that keep it a download, in ranges; one copy
//! per content, gone when the last message naming it goes; the size limit
//! and the workspace's quota; and nobody but members of the workspace
//! getting a file, whatever URL they hold.

use crate::support::{Client, TestServer};
use anteroom_app::api::channels::{CreateChannel, DeleteChannel};
use anteroom_app::api::files::{DiscardUpload, ListFiles};
use anteroom_app::api::messages::{ChannelHistory, DeleteMessage, PostMessage};
use anteroom_app::api::office::LoadOffice;
use anteroom_app::error::AppError;
use anteroom_app::model::{ChannelId, FileId, FileInfo, FileOrder};
use anteroom_app::ssr::seed::DEMO_PASSWORD;
use sha2::{Digest, Sha256};

struct Workspace {
    server: TestServer,
    ada: Client,
    alan: Client,
    general: ChannelId,
}

async fn workspace_with(configure: impl FnOnce(&mut anteroom_server::Config)) -> Workspace {
    let server = TestServer::with_demo_and(configure).await;
    let ada = server.signed_in("ada@example.com", DEMO_PASSWORD).await;
    let alan = server.signed_in("alan@example.com", DEMO_PASSWORD).await;
    let office = ada.run(LoadOffice {}).await.unwrap();
    let general = office.channels.iter().find(|c| c.name == "general").expect("the demo's general").id;
    Workspace { server, ada, alan, general }
}

/// Bytes that differ from file to file (and compress badly).
fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) as u8
        })
        .collect()
}

async fn uploaded(client: &Client, channel: ChannelId, name: &str, kind: &str, content: Vec<u8>) -> FileInfo {
    let response = client.upload(channel, name, kind, content).await;
    assert_eq!(response.status(), 200, "upload of {name}");
    response.json().await.expect("the file, as JSON")
}

async fn refused(response: reqwest::Response) -> (u16, AppError) {
    let status = response.status().as_u16();
    (status, response.json().await.expect("an error, as JSON"))
}

fn send(channel: ChannelId, body: &str, key: &str, files: &[FileId]) -> PostMessage {
    PostMessage { channel, body: body.into(), client_key: key.into(), files: files.to_vec() }
}

/// Files in the store's content folder.
fn stored_contents(server: &TestServer) -> usize {
    let root = server.data_dir().join("files/content");
    std::fs::read_dir(root)
        .map(|folders| folders.flatten().map(|folder| std::fs::read_dir(folder.path()).unwrap().count()).sum())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_file_sent_with_a_message_downloads_byte_for_byte_as_an_attachment_and_in_ranges() {
    let Workspace { server, ada, alan, general } = workspace_with(|_| {}).await;
    let content = bytes(1, 3 * 1024 * 1024 + 17);
    let file = uploaded(&ada, general, "Q3 report.pdf", "application/pdf", content.clone()).await;
    assert_eq!((file.name.as_str(), file.size, file.thumbnail), ("Q3 report.pdf", content.len() as i64, false));
    // Not sent yet: only its uploader may fetch it.
    assert_eq!(alan.get(&file.download_url()).await.status(), 404);
    assert_eq!(ada.get(&file.download_url()).await.status(), 200);

    let message = ada.run(send(general, "The report", "k1", &[file.id])).await.unwrap();
    assert_eq!(message.files, std::slice::from_ref(&file));
    let page = alan.run(ChannelHistory { channel: general, before: None, after: None }).await.unwrap();
    assert_eq!(page.messages.last().unwrap().files, std::slice::from_ref(&file), "the history carries the file");

    let response = alan.get(&file.download_url()).await;
    assert_eq!(response.status(), 200);
    let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_string());
    assert_eq!(header("content-type").as_deref(), Some("application/pdf"));
    assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
    assert_eq!(
        header("content-disposition").as_deref(),
        Some("attachment; filename=\"Q3 report.pdf\"; filename*=UTF-8''Q3%20report%2Epdf")
    );
    assert!(header("content-security-policy").unwrap().starts_with("sandbox"));
    assert_eq!(header("accept-ranges").as_deref(), Some("bytes"));
    let downloaded = response.bytes().await.unwrap();
    assert_eq!(Sha256::digest(&downloaded), Sha256::digest(&content), "the same bytes");

    // A range, as a resumed download or a media player asks.
    let ranged = alan
        .http
        .get(format!("{}{}", alan.base, file.download_url()))
        .header("Range", "bytes=1048576-1048675")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), 206);
    assert_eq!(ranged.headers()["content-range"].to_str().unwrap(), format!("bytes 1048576-1048675/{}", content.len()));
    assert_eq!(ranged.bytes().await.unwrap(), content[1048576..1048676]);
    let beyond = alan
        .http
        .get(format!("{}{}", alan.base, file.download_url()))
        .header("Range", format!("bytes={}-", content.len() + 10))
        .send()
        .await
        .unwrap();
    assert_eq!(beyond.status(), 416);

    // The Files page lists it, found by name.
    let listed = alan.run(ListFiles { query: "report".into(), order: FileOrder::Newest }).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].file.id, listed[0].channel_name.as_str()), (file.id, "general"));
    assert!(alan.run(ListFiles { query: "nothing like it".into(), order: FileOrder::Name }).await.unwrap().is_empty());
    server.stop().await;
}

#[tokio::test]
async fn an_image_gets_a_preview_shown_inline_while_the_image_itself_downloads() {
    let Workspace { server, ada, alan, general } = workspace_with(|_| {}).await;
    let mut png = Vec::new();
    image::RgbaImage::from_pixel(640, 480, image::Rgba([20, 120, 200, 128]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let file = uploaded(&ada, general, "diagram.png", "image/png", png).await;
    assert!(file.thumbnail);
    ada.run(send(general, "", "k1", &[file.id])).await.unwrap();
    let preview = alan.get(&file.thumbnail_url().unwrap()).await;
    assert_eq!(preview.status(), 200);
    assert_eq!(preview.headers()["content-type"], "image/png", "transparent: a PNG preview");
    assert_eq!(preview.headers()["content-disposition"], "inline");
    let preview = image::load_from_memory(&preview.bytes().await.unwrap()).unwrap();
    assert_eq!((preview.width(), preview.height()), (320, 240));
    let original = alan.get(&file.download_url()).await;
    assert!(original.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    // Said to be an image, but not one: no preview, and the upload still works.
    let fake = uploaded(&ada, general, "fake.png", "image/png", b"<svg onload=alert(1)>".to_vec()).await;
    assert!(!fake.thumbnail);
    assert_eq!(alan.get(&format!("/files/{}/thumbnail", fake.id)).await.status(), 404);
    server.stop().await;
}

#[tokio::test]
async fn one_copy_per_content_which_goes_with_the_last_message_that_holds_it() {
    let Workspace { server, ada, alan, general } = workspace_with(|_| {}).await;
    let content = bytes(2, 200_000);
    let first = uploaded(&ada, general, "a.bin", "application/octet-stream", content.clone()).await;
    let second = uploaded(&alan, general, "b.bin", "application/octet-stream", content.clone()).await;
    assert_eq!(stored_contents(&server), 1, "the same content is kept once");
    let by_ada = ada.run(send(general, "one", "k1", &[first.id])).await.unwrap();
    let by_alan = alan.run(send(general, "two", "k2", &[second.id])).await.unwrap();

    ada.run(DeleteMessage { message: by_ada.id }).await.unwrap();
    assert_eq!(alan.get(&first.download_url()).await.status(), 404, "its file went with it");
    assert_eq!(stored_contents(&server), 1, "another message still holds the content");
    assert_eq!(alan.get(&second.download_url()).await.bytes().await.unwrap(), content);
    let page = alan.run(ChannelHistory { channel: general, before: None, after: None }).await.unwrap();
    assert!(page.messages.iter().find(|m| m.id == by_ada.id).unwrap().files.is_empty());

    alan.run(DeleteMessage { message: by_alan.id }).await.unwrap();
    assert_eq!(stored_contents(&server), 0, "no one holds it: gone from disk");

    // A deleted channel takes its files' contents along.
    let doomed =
        ada.run(CreateChannel { name: "doomed".into(), kind: anteroom_app::model::ChannelKind::Text }).await.unwrap();
    let kept = uploaded(&ada, doomed.id, "kept.bin", "application/octet-stream", bytes(9, 500)).await;
    ada.run(send(doomed.id, "soon gone", "k3", &[kept.id])).await.unwrap();
    assert_eq!(stored_contents(&server), 1);
    ada.run(DeleteChannel { channel: doomed.id }).await.unwrap();
    assert_eq!(stored_contents(&server), 0, "the channel's files went with it");

    // An upload taken back before sending goes too; a taken-back or
    // someone else's upload cannot be sent.
    let third = uploaded(&ada, general, "c.bin", "application/octet-stream", bytes(3, 1000)).await;
    let others = uploaded(&alan, general, "d.bin", "application/octet-stream", bytes(4, 1000)).await;
    ada.run(DiscardUpload { file: third.id }).await.unwrap();
    assert_eq!(stored_contents(&server), 1);
    for file in [third.id, others.id] {
        let error = ada.run(send(general, "with a file", &format!("key-{file}"), &[file])).await.unwrap_err();
        assert!(matches!(&error, AppError::Invalid { field, .. } if field == "files"), "{error:?}");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_message_with_files_is_sent_once_and_may_have_no_text() {
    let Workspace { server, ada, general, .. } = workspace_with(|_| {}).await;
    let file = uploaded(&ada, general, "notes.txt", "text/plain", b"hello".to_vec()).await;
    let first = ada.run(send(general, "  ", "again", &[file.id])).await.unwrap();
    assert_eq!((first.body.as_str(), first.files.len()), ("", 1));
    // The browser did not hear back and sends it again: the same message.
    let second = ada.run(send(general, "  ", "again", &[file.id])).await.unwrap();
    assert_eq!(second, first);
    let error = ada.run(send(general, "", "no-files", &[])).await.unwrap_err();
    assert!(matches!(error, AppError::Invalid { .. }), "no text and no file: {error:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_file_over_the_limit_or_past_the_quota_is_refused_with_a_clear_error_and_leaves_nothing() {
    let Workspace { server, ada, general, .. } = workspace_with(|config| {
        config.max_file_mb = 1;
        config.workspace_files_mb = 2;
    })
    .await;
    let mib = 1024 * 1024;
    uploaded(&ada, general, "exactly.bin", "application/octet-stream", bytes(5, mib)).await;
    let (status, error) =
        refused(ada.upload(general, "over.bin", "application/octet-stream", bytes(6, mib + 1)).await).await;
    assert_eq!((status, &error), (413, &AppError::FileTooLarge { max_bytes: mib as u64 }));
    assert!(error.to_string().contains("1.0 MB"), "{error}");
    // Without a length up front (streamed): refused as the bytes pass it.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..3).map(|n| Ok(bytes(10 + n, mib / 2 + 1))).collect();
    let streamed = ada
        .http
        .post(format!("{}{}", ada.base, anteroom_app::model::UPLOAD_PATH))
        .query(&[("channel", general.0.to_string()), ("name", "streamed.bin".into())])
        .header("Origin", &ada.base)
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await;
    if let Ok(response) = streamed {
        // The server may answer before the client has sent everything.
        assert_eq!(response.status(), 413);
    }
    uploaded(&ada, general, "second.bin", "application/octet-stream", bytes(7, mib)).await;
    let (status, error) =
        refused(ada.upload(general, "third.bin", "application/octet-stream", bytes(8, 1000)).await).await;
    assert_eq!((status, error), (413, AppError::FilesQuotaFull { quota_bytes: 2 * mib as u64 }));
    assert_eq!(stored_contents(&server), 2, "refused uploads leave nothing behind");
    let incoming = std::fs::read_dir(server.data_dir().join("files/incoming")).unwrap().count();
    assert_eq!(incoming, 0);
    server.stop().await;
}
