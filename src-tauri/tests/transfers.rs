//! Large transfers streamed in Rust against a real Confab server speaking HTTPS on loopback,
//! pinned: a download arrives whole in the Downloads folder with its origin mark, and nothing of
//! it is left behind when the pin is wrong, the connection is cut or the person cancels; an
//! upload streams a file from disk and the server keeps it byte for byte, or refuses an
//! oversized one with its own error.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use confab_desktop::error::Error;
use confab_desktop::transfers::{self, Link, Outgoing, Progress, Transfers};
use confab_desktop::transport::Transport;
use serde_json::{Value, json};
use server_core::{Config, Profile, RunningServer, Server, TlsMode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const WAIT: Duration = Duration::from_secs(20);
const MIB: usize = 1024 * 1024;

async fn start(data: &Path, tls: TlsMode, max_upload: u64) -> RunningServer {
    let mut config = Config::new(data.to_path_buf());
    config.bind = "127.0.0.1:0".parse().unwrap();
    config.profile = Profile::Testing;
    config.tls.mode = tls;
    config.discovery.enabled = false;
    config.limits.rate_limits = false;
    config.max_upload_bytes = max_upload;
    Server::start(config).await.expect("the server starts")
}

fn pinned(server: &RunningServer) -> Link {
    Link::Pinned {
        address: server.local_addr().to_string(),
        fingerprint: server.tls_fingerprint().unwrap().to_owned(),
        roots: None,
    }
}

/// Plain REST over the pinned transport (not the code under test): `(status, json)`.
async fn call(link: &Link, method: &str, path: &str, token: Option<&str>, body: Value) -> (u16, Bytes) {
    let Link::Pinned {
        address, fingerprint, ..
    } = link
    else {
        panic!("REST helpers go over TLS");
    };
    let mut request = http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let body = if body.is_null() {
        Bytes::new()
    } else {
        Bytes::from(body.to_string())
    };
    let response = Transport::default()
        .request(address, fingerprint, request.body(body).unwrap())
        .await
        .unwrap();
    (response.status().as_u16(), response.body().clone())
}

#[track_caller]
fn json_of(bytes: &Bytes) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

/// A signed-up user and a room of theirs: `(token, room id)`.
async fn user_and_room(link: &Link) -> (String, i64) {
    let (status, body) = call(
        link,
        "POST",
        "/api/auth/register",
        None,
        json!({"username": "alice", "password": "correct horse battery"}),
    )
    .await;
    assert_eq!(status, 201, "{:?}", json_of(&body));
    let token = json_of(&body)["token"].as_str().unwrap().to_owned();
    let (status, body) = call(link, "POST", "/api/rooms", Some(&token), json!({"name": "files"})).await;
    assert_eq!(status, 201, "{:?}", json_of(&body));
    (token, json_of(&body)["room"]["id"].as_i64().unwrap())
}

/// Bytes that are not the same from one MiB to the next, so a misplaced chunk shows.
fn content(len: usize) -> Vec<u8> {
    let mut state = 0x2545_f491_u32;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect()
}

fn file_on_disk(dir: &Path, name: &str, bytes: &[u8]) -> Outgoing {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    Outgoing {
        path,
        name: name.to_owned(),
        content_type: "application/octet-stream".to_owned(),
    }
}

/// Uploads `file` with the code under test; returns the attachment's URL.
async fn upload(link: &Link, token: &str, room: i64, file: &Outgoing) -> String {
    let uploaded = transfers::upload(
        link,
        Some(token),
        &format!("/api/rooms/{room}/uploads"),
        &[("client_msg_id", "c-1")],
        file,
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(uploaded.status, 201, "{}", uploaded.body);
    uploaded.body["message"]["attachment"]["url"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_upload_is_stored_byte_for_byte_and_downloads_whole_with_its_origin() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path(), TlsMode::On, 64 * MIB as u64).await;
    let link = pinned(&server);
    let (token, room) = user_and_room(&link).await;
    let source = tempfile::tempdir().unwrap();
    let bytes = content(6 * MIB + 12_345);
    let file = file_on_disk(source.path(), "survey data.bin", &bytes);

    let sent = Arc::new(Mutex::new(Vec::<Progress>::new()));
    let seen = sent.clone();
    let uploaded = transfers::upload(
        &link,
        Some(&token),
        &format!("/api/rooms/{room}/uploads"),
        &[("caption", "the raw data"), ("client_msg_id", "c-1")],
        &file,
        move |p| seen.lock().unwrap().push(p),
    )
    .await
    .unwrap();
    assert_eq!(uploaded.status, 201, "{}", uploaded.body);
    let message = &uploaded.body["message"];
    assert_eq!(message["attachment"]["file_name"], "survey data.bin", "{message}");
    assert_eq!(message["attachment"]["size"], bytes.len(), "{message}");
    assert_eq!(message["content"], "the raw data", "{message}");
    let sent = sent.lock().unwrap().clone();
    assert!(sent.len() > 3, "progress along the way: {sent:?}");
    let last = sent.last().unwrap();
    assert_eq!(Some(last.done), last.total, "{sent:?}");
    assert!(last.done > bytes.len() as u64, "the whole form was sent");

    // What the server keeps, read back over plain REST: the same bytes.
    let url = message["attachment"]["url"].as_str().unwrap();
    let (status, stored) = call(&link, "GET", url, Some(&token), Value::Null).await;
    assert_eq!(status, 200);
    assert!(stored[..] == bytes[..], "the server stored other bytes");

    // The download: the same bytes under the attachment's name, marked with the server.
    let downloads = tempfile::tempdir().unwrap();
    let folder = downloads.path().join("Downloads");
    let origin = format!("https://{}", server.local_addr());
    let heard = Arc::new(Mutex::new(Vec::<Progress>::new()));
    let seen = heard.clone();
    let saved = transfers::download(
        &link,
        Some(&token),
        url,
        &folder,
        Some("survey data.bin"),
        &origin,
        move |p| seen.lock().unwrap().push(p),
    )
    .await
    .unwrap();
    assert_eq!(saved, folder.join("survey data.bin"));
    assert!(
        std::fs::read(&saved).unwrap() == bytes,
        "the download differs from the upload"
    );
    assert_eq!(
        xattr::get(&saved, confab_desktop::origin::XDG_ORIGIN)
            .unwrap()
            .as_deref(),
        Some(origin.as_bytes())
    );
    assert_eq!(names_in(&folder), ["survey data.bin"], "no partial file left");
    let heard = heard.lock().unwrap().clone();
    assert!(heard.len() > 3, "progress along the way: {heard:?}");
    assert!(
        heard.iter().all(|p| p.total == Some(bytes.len() as u64)),
        "{heard:?}"
    );
    assert_eq!(heard.last().unwrap().done, bytes.len() as u64);

    // A second download of the same file never overwrites the first.
    let again = transfers::download(
        &link,
        Some(&token),
        url,
        &folder,
        Some("survey data.bin"),
        &origin,
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(again, folder.join("survey data (1).bin"));
    assert!(std::fs::read(&again).unwrap() == bytes);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_pin_or_a_refusal_writes_nothing() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path(), TlsMode::On, 64 * MIB as u64).await;
    let link = pinned(&server);
    let (token, room) = user_and_room(&link).await;
    let source = tempfile::tempdir().unwrap();
    let url = upload(
        &link,
        &token,
        room,
        &file_on_disk(source.path(), "a.bin", &content(MIB)),
    )
    .await;
    let folder = tempfile::tempdir().unwrap();

    let Link::Pinned {
        address, fingerprint, ..
    } = &link
    else {
        unreachable!()
    };
    let wrong = Link::Pinned {
        address: address.clone(),
        fingerprint: fingerprint.replace(|c: char| c.is_ascii_hexdigit(), "0"),
        roots: None,
    };
    let error = transfers::download(
        &wrong,
        Some(&token),
        &url,
        folder.path(),
        Some("a.bin"),
        "x",
        |_| {},
    )
    .await
    .unwrap_err();
    assert_eq!(error.code(), "certificate_mismatch", "{error}");
    assert!(
        names_in(folder.path()).is_empty(),
        "{:?}",
        names_in(folder.path())
    );

    // The server's own refusal comes back as its error, and nothing is written either.
    let error = transfers::download(
        &link,
        Some("not-a-token"),
        &url,
        folder.path(),
        Some("a.bin"),
        "x",
        |_| {},
    )
    .await
    .unwrap_err();
    assert!(matches!(error, Error::Server { status: 401, .. }), "{error:?}");
    let error = transfers::download(
        &link,
        Some(&token),
        "/api/files/nope",
        folder.path(),
        None,
        "x",
        |_| {},
    )
    .await
    .unwrap_err();
    assert!(matches!(error, Error::Server { status: 404, .. }), "{error:?}");
    assert_eq!(error.code(), "not_found");
    assert!(
        names_in(folder.path()).is_empty(),
        "{:?}",
        names_in(folder.path())
    );
    server.shutdown().await.unwrap();
}

/// What the relay does to the server's answer after `after` bytes.
#[derive(Clone, Copy)]
enum Cut {
    /// Closes both connections.
    Close,
    /// Stops passing bytes on but keeps the connections open.
    Stall,
}

/// A TCP relay in front of `server` that passes the client's bytes on whole and the server's
/// first `after` bytes only (TLS stays end to end, so the pin still holds); returns its address.
async fn relay(server: std::net::SocketAddr, after: usize, cut: Cut) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            tokio::spawn(async move {
                let upstream = TcpStream::connect(server).await.unwrap();
                let (mut client_read, mut client_write) = client.into_split();
                let (mut upstream_read, mut upstream_write) = upstream.into_split();
                let up = tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut client_read, &mut upstream_write).await;
                });
                let mut passed = 0;
                let mut buffer = vec![0u8; 64 * 1024];
                while passed < after {
                    let n = match upstream_read.read(&mut buffer).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n.min(after - passed),
                    };
                    if client_write.write_all(&buffer[..n]).await.is_err() {
                        break;
                    }
                    passed += n;
                }
                match cut {
                    Cut::Close => up.abort(),
                    Cut::Stall => {
                        tokio::time::sleep(WAIT * 3).await;
                        drop((upstream_read, client_write));
                    }
                }
            });
        }
    });
    address
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_cut_short_or_cancelled_leaves_no_partial_file() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path(), TlsMode::On, 64 * MIB as u64).await;
    let link = pinned(&server);
    let (token, room) = user_and_room(&link).await;
    let source = tempfile::tempdir().unwrap();
    let url = upload(
        &link,
        &token,
        room,
        &file_on_disk(source.path(), "big.bin", &content(8 * MIB)),
    )
    .await;
    let Link::Pinned { fingerprint, .. } = &link else {
        unreachable!()
    };
    let through = |address: String| Link::Pinned {
        address,
        fingerprint: fingerprint.clone(),
        roots: None,
    };

    // The server's side closes after 3 MiB.
    let folder = tempfile::tempdir().unwrap();
    let cut = through(relay(server.local_addr(), 3 * MIB, Cut::Close).await);
    let heard = Arc::new(Mutex::new(0u64));
    let seen = heard.clone();
    let error = tokio::time::timeout(
        WAIT,
        transfers::download(
            &cut,
            Some(&token),
            &url,
            folder.path(),
            Some("big.bin"),
            "x",
            move |p| {
                *seen.lock().unwrap() = p.done;
            },
        ),
    )
    .await
    .expect("the cut is noticed")
    .unwrap_err();
    assert_eq!(error.code(), "interrupted", "{error}");
    assert!(
        *heard.lock().unwrap() >= MIB as u64,
        "bytes were written before the cut"
    );
    assert!(
        names_in(folder.path()).is_empty(),
        "{:?}",
        names_in(folder.path())
    );

    // The person cancels while the answer is stalled half-way.
    let folder = tempfile::tempdir().unwrap();
    let stalled = through(relay(server.local_addr(), 2 * MIB, Cut::Stall).await);
    let running = Arc::new(Transfers::default());
    let (tx, mut started) = tokio::sync::mpsc::unbounded_channel();
    let task = {
        let running = running.clone();
        let token = token.clone();
        let url = url.clone();
        let dir: PathBuf = folder.path().to_owned();
        tokio::spawn(async move {
            let work = transfers::download(
                &stalled,
                Some(&token),
                &url,
                &dir,
                Some("big.bin"),
                "x",
                move |p| {
                    let _ = tx.send(p.done);
                },
            );
            running.run("d-1", work).await
        })
    };
    tokio::time::timeout(WAIT, async {
        while let Some(done) = started.recv().await {
            if done >= MIB as u64 {
                return;
            }
        }
        panic!("the download ended before a MiB arrived");
    })
    .await
    .expect("a MiB arrives");
    let partial = names_in(folder.path());
    assert_eq!(partial.len(), 1, "{partial:?}");
    assert!(
        partial[0].starts_with(".big.bin.") && partial[0].ends_with(".part"),
        "{partial:?}"
    );
    running.cancel("d-1");
    let outcome = tokio::time::timeout(WAIT, task)
        .await
        .expect("cancelled at once")
        .unwrap();
    assert!(matches!(outcome, Err(Error::Cancelled)), "{outcome:?}");
    assert!(
        names_in(folder.path()).is_empty(),
        "{:?}",
        names_in(folder.path())
    );
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_upload_gets_the_servers_own_error() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path(), TlsMode::On, MIB as u64).await;
    let link = pinned(&server);
    let (token, room) = user_and_room(&link).await;
    let source = tempfile::tempdir().unwrap();
    let file = file_on_disk(source.path(), "too big.bin", &content(3 * MIB));
    let error = tokio::time::timeout(
        WAIT,
        transfers::upload(
            &link,
            Some(&token),
            &format!("/api/rooms/{room}/uploads"),
            &[],
            &file,
            |_| {},
        ),
    )
    .await
    .expect("refused in time")
    .unwrap_err();
    match &error {
        Error::Server {
            status,
            code,
            message,
        } => {
            assert_eq!((*status, code.as_str()), (413, "payload_too_large"), "{message}");
            assert!(!message.is_empty());
        }
        other => panic!("not the server's refusal: {other:?}"),
    }
    // Nothing was posted to the room.
    let (status, body) = call(
        &link,
        "GET",
        &format!("/api/rooms/{room}/messages"),
        Some(&token),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    assert!(!json_of(&body).to_string().contains("too big.bin"));
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_http_server_gets_the_same_streaming() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path(), TlsMode::Off, 64 * MIB as u64).await;
    let server_address = server.local_addr();
    let plain = Link::Plain {
        address: server_address.to_string(),
    };
    let register = reqwest::Client::new()
        .post(format!("http://{}/api/auth/register", server.local_addr()))
        .json(&json!({"username": "alice", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    let token = register.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let room: Value = reqwest::Client::new()
        .post(format!("http://{}/api/rooms", server.local_addr()))
        .bearer_auth(&token)
        .json(&json!({"name": "files"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let room = room["room"]["id"].as_i64().unwrap();
    let source = tempfile::tempdir().unwrap();
    let bytes = content(2 * MIB + 1);
    let url = upload(
        &plain,
        &token,
        room,
        &file_on_disk(source.path(), "notes.bin", &bytes),
    )
    .await;
    let folder = tempfile::tempdir().unwrap();
    let saved = transfers::download(
        &plain,
        Some(&token),
        &url,
        folder.path(),
        Some("notes.bin"),
        "x",
        |_| {},
    )
    .await
    .unwrap();
    assert!(std::fs::read(saved).unwrap() == bytes);
    server.shutdown().await.unwrap();

    // Nothing answers any more: said about the address as the person gave it, nothing written.
    let empty = tempfile::tempdir().unwrap();
    let error = transfers::download(
        &plain,
        Some(&token),
        &url,
        empty.path(),
        Some("notes.bin"),
        "x",
        |_| {},
    )
    .await
    .unwrap_err();
    match &error {
        Error::Unreachable { url, .. } => assert_eq!(*url, format!("http://{}", server_address)),
        other => panic!("{other:?}"),
    }
    assert!(names_in(empty.path()).is_empty());
}
