//! The embedded speech worker is a web server on this machine: any program
//! here, and any page a browser here opens (pointing a name of its own at
//! 127.0.0.1), could send it work or read what it says. It listens on
//! loopback only, answers only requests with the token its server made for
//! this start (handed over in the environment, not on the command line),
//! and only for its own 127.0.0.1:port.

use anteroom_app::ssr::calls::speech_worker::Worker;
use std::path::Path;
use std::time::Duration;
use tokio::sync::watch;

/// The processes whose command line mentions `script`, with that command line.
fn processes_running(script: &Path) -> Vec<(u32, String)> {
    let script = script.to_string_lossy();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| {
            let pid = entry.ok()?.file_name().to_str()?.parse::<u32>().ok()?;
            let command = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let command = String::from_utf8_lossy(&command).replace('\0', " ");
            command.contains(script.as_ref()).then_some((pid, command))
        })
        .collect()
}

#[tokio::test]
async fn the_speech_worker_answers_only_its_server_and_only_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let (_stop, shutdown) = watch::channel(false);
    let worker = Worker::spawn(crate::support::speech_python(), dir.path(), shutdown);
    let address = worker.address().await.expect("the worker starts");
    let url = reqwest::Url::parse(&address.url).unwrap();
    assert_eq!(url.host_str(), Some("127.0.0.1"), "bound to loopback only: {}", address.url);
    let port = url.port().unwrap();

    let http = anteroom_app::ssr::outbound_http::client_builder().build().unwrap();
    let health = format!("{}/health", address.url);
    let status = |request: reqwest::RequestBuilder| async move { request.send().await.unwrap().status().as_u16() };
    assert_eq!(status(http.get(&health).bearer_auth(&address.token)).await, 200, "the server's own request");
    assert_eq!(status(http.get(&health)).await, 401, "no token");
    assert_eq!(status(http.get(&health).bearer_auth("a-guess-of-the-token-of-43-characters-xxxxx")).await, 401);
    // A rebinding page cannot know the token; even with it, its requests
    // carry its own name, and another name for loopback is not ours either.
    for host in [format!("evil.example:{port}"), format!("localhost:{port}"), "127.0.0.1".to_string()] {
        let request = http.get(&health).bearer_auth(&address.token).header("Host", &host);
        assert_eq!(status(request).await, 421, "Host: {host}");
    }
    // Work is refused the same way, before any audio is read.
    let transcriptions = format!("{}/v1/audio/transcriptions", address.url);
    let form = || {
        let audio = reqwest::multipart::Part::bytes(vec![0u8; 1024]).file_name("audio.ogg");
        reqwest::multipart::Form::new().part("file", audio)
    };
    assert_eq!(status(http.post(&transcriptions).multipart(form())).await, 401, "no token");
    let rebound = http.post(&transcriptions).bearer_auth(&address.token).header("Host", format!("evil.example:{port}"));
    assert_eq!(status(rebound.multipart(form())).await, 421);

    // `ps` shows every process's command line to every user: the token is
    // not on the worker's.
    let script = dir.path().join("speech/worker.py");
    let running = processes_running(&script);
    assert_eq!(running.len(), 1, "one worker: {running:?}");
    let (pid, command) = &running[0];
    assert!(!command.contains(&address.token), "the token is on the command line: {command}");

    // A worker started again has a new token; the old one opens nothing.
    let killed = std::process::Command::new("kill").args(["-9", &pid.to_string()]).status().unwrap();
    assert!(killed.success());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let restarted = loop {
        match worker.address().await {
            Ok(now) if now.token != address.token => break now,
            _ => assert!(tokio::time::Instant::now() < deadline, "the worker did not start again within 60 s"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_ne!(restarted.token, address.token);
    let with_old_token = http.get(format!("{}/health", restarted.url)).bearer_auth(&address.token);
    assert_eq!(status(with_old_token).await, 401);
    let with_new_token = http.get(format!("{}/health", restarted.url)).bearer_auth(&restarted.token);
    assert_eq!(status(with_new_token).await, 200);
}
