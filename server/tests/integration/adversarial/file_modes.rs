//! What the server stores (the database, sent mail, call recordings) is for
//! its own user only: another account on the machine reads none of it.
//! Under the usual umask of 022 every file was 0644 and every folder 0755.

use crate::support::Client;
use crate::support::process::ServerProcess;
use anteroom_app::api::accounts::SignIn;
use anteroom_app::api::inboxes::MyInboxes;
use anteroom_app::api::mail::ComposeEmail;
use anteroom_app::ssr::seed::DEMO_PASSWORD;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Every file and folder under `root`, with its permission bits.
fn modes_under(root: &Path) -> Vec<(PathBuf, u32)> {
    let mut found = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            let metadata = std::fs::symlink_metadata(&path).unwrap();
            if metadata.is_dir() {
                folders.push(path.clone());
            }
            found.push((path, metadata.permissions().mode() & 0o777));
        }
    }
    found
}

/// The file-creation mask of process `pid`, from `/proc`.
fn umask_of(pid: u32) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status.lines().find_map(|line| line.strip_prefix("Umask:")).expect("a Umask line").trim().to_string()
}

#[tokio::test]
async fn the_database_mail_and_their_folders_are_readable_by_the_servers_user_only() {
    // The server binary, as started in production (main sets the mask),
    // on a fresh folder: it creates the database and the outbox there.
    let server = ServerProcess::start([127, 0, 0, 1].into(), None, true).await;
    let grace = Client::at(&server.url);
    grace.run(SignIn { email: "grace@example.com".into(), password: DEMO_PASSWORD.into() }).await.unwrap();
    let inboxes = grace.run(MyInboxes {}).await.unwrap();
    let sales = inboxes.iter().find(|inbox| inbox.name == "Sales").expect("the demo Sales inbox").id;
    let mail =
        ComposeEmail { inbox: sales, to: "lin@example.org".into(), subject: "Hello".into(), body: "Hi Lin".into() };
    grace.run(mail).await.unwrap();

    let stored = modes_under(server.dir.path());
    let names: Vec<String> = stored
        .iter()
        .map(|(path, _)| path.strip_prefix(server.dir.path()).unwrap().to_string_lossy().into_owned())
        .collect();
    for expected in ["bench.db", "bench.db-wal", "bench.db-shm", "outbox"] {
        assert!(names.iter().any(|name| name == expected), "{expected} is missing from {names:?}");
    }
    assert!(names.iter().any(|name| name.starts_with("outbox/") && name.ends_with(".eml")), "{names:?}");
    let readable: Vec<_> = stored.iter().filter(|(_, mode)| mode & 0o077 != 0).collect();
    assert!(readable.is_empty(), "open to the group or other users: {readable:?}");
    assert!(stored.iter().all(|(path, mode)| *mode == if path.is_dir() { 0o700 } else { 0o600 }), "{stored:?}");
    // Recordings and the speech worker are written by the same process
    // (and its children, who inherit the mask) under the same mask.
    assert_eq!(umask_of(server.pid()), "0077");
    server.stop().await;
}
