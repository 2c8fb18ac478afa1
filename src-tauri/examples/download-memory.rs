//! How much the app process's memory grows while it downloads a large attachment, by the old
//! path and by the streamed one (figures in `docs/performance.md`). A Confab server runs in this
//! process over HTTPS on loopback, pinned; a file of `MIB` MiB (default 200) is uploaded to it
//! (streamed), then downloaded once while another thread samples this process's resident set
//! every 2 ms. Run once per path, each in a fresh process:
//!
//! `cargo run -p confab-desktop --example download-memory -- old|new [MIB] [upload]`
//!
//! With `upload`, the upload of that file is what is measured instead:
//! - `old`: the whole multipart form in one `Vec` (what the `confab-api` handler received from
//!   the webview) sent with `Transport::request`; the page's own copies are not counted.
//! - `new`: `transfers::upload`, streamed from disk.
//!
//! - `old`: the Rust side of the earlier path, with the calls it made: the `confab-api` scheme
//!   handler's `Transport::request` (the whole answer collected), its copy into the `Vec` the
//!   webview is answered with, then the `Vec` `save_download` receives back over IPC and writes.
//!   The web process's own copies (the Blob, its ArrayBuffer, the Uint8Array) are not counted.
//! - `new`: `transfers::download`, streamed to disk.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use confab_desktop::transfers::{self, Link, Outgoing};
use confab_desktop::transport::Transport;
use serde_json::{Value, json};
use server_core::{Config, Profile, Server, TlsMode};

const MIB: u64 = 1024 * 1024;

/// This process's resident set, in bytes.
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

async fn rest(transport: &Transport, link: &Link, path: &str, token: Option<&str>, body: Value) -> Value {
    let Link::Pinned {
        address, fingerprint, ..
    } = link
    else {
        unreachable!()
    };
    let mut request = http::Request::post(path).header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let answer = transport
        .request(
            address,
            fingerprint,
            request.body(Bytes::from(body.to_string())).unwrap(),
        )
        .await
        .unwrap();
    serde_json::from_slice(answer.body()).unwrap()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args.first().map(String::as_str).unwrap_or("new").to_owned();
    let size = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(200u64) * MIB;
    assert!(path == "old" || path == "new", "old or new");
    let measure_upload = args.get(2).is_some_and(|a| a == "upload");

    let data = tempfile::tempdir().unwrap();
    let mut config = Config::new(data.path().to_path_buf());
    config.bind = "127.0.0.1:0".parse().unwrap();
    config.profile = Profile::Testing;
    config.tls.mode = TlsMode::On;
    config.discovery.enabled = false;
    config.limits.rate_limits = false;
    config.max_upload_bytes = size + MIB;
    let server = Server::start(config).await.unwrap();
    let link = Link::Pinned {
        address: server.local_addr().to_string(),
        fingerprint: server.tls_fingerprint().unwrap().to_owned(),
        roots: None,
    };
    let transport = Transport::default();
    let user = rest(
        &transport,
        &link,
        "/api/auth/register",
        None,
        json!({"username": "alice", "password": "correct horse battery"}),
    )
    .await;
    let token = user["token"].as_str().unwrap().to_owned();
    let room = rest(
        &transport,
        &link,
        "/api/rooms",
        Some(&token),
        json!({"name": "big"}),
    )
    .await;
    let room = room["room"]["id"].as_i64().unwrap();

    let scratch = tempfile::tempdir().unwrap();
    let source = scratch.path().join("big.bin");
    {
        use std::io::Write;
        let mut file = std::io::BufWriter::new(std::fs::File::create(&source).unwrap());
        let block: Vec<u8> = (0..MIB).map(|i| (i * 7 % 251) as u8).collect();
        for _ in 0..size / MIB {
            file.write_all(&block).unwrap();
        }
    }
    let outgoing = Outgoing {
        path: source,
        name: "big.bin".into(),
        content_type: "application/octet-stream".into(),
    };
    if measure_upload {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let before = rss();
        let (peak, running, sampler) = sample(before);
        let uploads = format!("/api/rooms/{room}/uploads");
        let status = if path == "old" {
            let Link::Pinned {
                address, fingerprint, ..
            } = &link
            else {
                unreachable!()
            };
            let (head, tail) = transfers::multipart_frame("B0undary", &[], &outgoing);
            // One buffer, as the handler got it: the file read straight into the form.
            let mut form = Vec::with_capacity(head.len() + size as usize + tail.len());
            form.extend_from_slice(&head);
            std::io::Read::read_to_end(&mut std::fs::File::open(&outgoing.path).unwrap(), &mut form).unwrap();
            form.extend_from_slice(&tail);
            let request = http::Request::post(uploads.as_str())
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "multipart/form-data; boundary=B0undary")
                .body(Bytes::from(form))
                .unwrap();
            transport
                .request(address, fingerprint, request)
                .await
                .unwrap()
                .status()
                .as_u16()
        } else {
            transfers::upload(&link, Some(&token), &uploads, &[], &outgoing, |_| {})
                .await
                .unwrap()
                .status
        };
        running.store(false, Ordering::Relaxed);
        sampler.join().unwrap();
        assert_eq!(status, 201);
        report(&path, "uploading", size, before, &peak);
        server.shutdown().await.unwrap();
        return;
    }
    let uploaded = transfers::upload(
        &link,
        Some(&token),
        &format!("/api/rooms/{room}/uploads"),
        &[],
        &outgoing,
        |_| {},
    )
    .await
    .unwrap();
    let url = uploaded.body["message"]["attachment"]["url"]
        .as_str()
        .unwrap()
        .to_owned();

    // Settle, then sample from a baseline.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = rss();
    let (peak, running, sampler) = sample(before);
    let downloads = scratch.path().join("Downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let saved = if path == "old" {
        let Link::Pinned {
            address, fingerprint, ..
        } = &link
        else {
            unreachable!()
        };
        let request = http::Request::get(url.as_str())
            .header("authorization", format!("Bearer {token}"))
            .body(Bytes::new())
            .unwrap();
        let answer = transport.request(address, fingerprint, request).await.unwrap();
        // What `Pinning::forward` answered the webview with.
        let to_webview = answer.body().to_vec();
        drop(answer);
        // What `save_download` received back from the page.
        let from_page = std::hint::black_box(to_webview.clone());
        drop(to_webview);
        let target = downloads.join("big.bin");
        std::fs::write(&target, &from_page).unwrap();
        target
    } else {
        transfers::download(
            &link,
            Some(&token),
            &url,
            &downloads,
            Some("big.bin"),
            "x",
            |_| {},
        )
        .await
        .unwrap()
    };
    running.store(false, Ordering::Relaxed);
    sampler.join().unwrap();
    assert_eq!(std::fs::metadata(&saved).unwrap().len(), size);
    report(&path, "downloading", size, before, &peak);
    server.shutdown().await.unwrap();
}

/// A thread noting the highest resident set until `running` is cleared.
fn sample(before: u64) -> (Arc<AtomicU64>, Arc<AtomicBool>, std::thread::JoinHandle<()>) {
    let peak = Arc::new(AtomicU64::new(before));
    let running = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (peak, running) = (peak.clone(), running.clone());
        std::thread::spawn(move || {
            while running.load(Ordering::Relaxed) {
                peak.fetch_max(rss(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    (peak, running, sampler)
}

fn report(path: &str, what: &str, size: u64, before: u64, peak: &AtomicU64) {
    let growth = peak.load(Ordering::Relaxed).saturating_sub(before);
    println!(
        "{path}: {what} {} MiB grew the process's resident set by {:.1} MiB at its peak (from {:.1} MiB)",
        size / MIB,
        growth as f64 / MIB as f64,
        before as f64 / MIB as f64
    );
}
