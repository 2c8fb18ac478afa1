//! Host mode's life cycle through the same `Host` the app uses: start on a free port, answer
//! health checks, stop, start again with the data kept, and a clear error for a taken port.

use confab_desktop::error::Error;
use confab_desktop::host::Host;
use serde_json::{Value, json};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn post(url: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut request = reqwest::Client::new().post(url).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (
        response.status().as_u16(),
        response.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_stop_and_start_again_with_the_data_kept() {
    let data = tempfile::tempdir().unwrap();
    let host = Host::default();
    let port = free_port();

    let status = host.start(data.path().to_path_buf(), port, false).await.unwrap();
    assert!(status.running);
    assert_eq!(status.port, Some(port));
    assert_eq!(
        status.local_url.as_deref(),
        Some(format!("http://127.0.0.1:{port}").as_str())
    );
    assert!(
        status.lan_urls.is_empty(),
        "only this machine unless LAN is chosen"
    );
    let base = status.local_url.unwrap();
    let health: Value = reqwest::get(format!("{base}/api/health"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["service"], "confab");

    // Starting again the same way is a no-op, not a second server.
    assert_eq!(
        host.start(data.path().to_path_buf(), port, false)
            .await
            .unwrap()
            .port,
        Some(port)
    );

    // Host mode never has demo accounts with known passwords.
    let (status, _) = post(
        &format!("{base}/api/auth/login"),
        None,
        json!({"username": "admin", "password": "admin123"}),
    )
    .await;
    assert_eq!(status, 401);
    let (status, body) = post(
        &format!("{base}/api/auth/register"),
        None,
        json!({"username": "host-owner", "password": "a-long-password"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let token = body["token"].as_str().unwrap().to_owned();
    let (status, _) = post(
        &format!("{base}/api/rooms/1/messages"),
        Some(&token),
        json!({"content": "kept across restarts"}),
    )
    .await;
    assert_eq!(status, 201);

    host.stop().await;
    assert!(!host.status().await.running);
    assert!(
        reqwest::get(format!("{base}/api/health")).await.is_err(),
        "stopped means stopped"
    );

    let again = host.start(data.path().to_path_buf(), port, false).await.unwrap();
    assert!(again.running);
    let history: Value = reqwest::Client::new()
        .get(format!("{base}/api/rooms/1/messages"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(history.to_string().contains("kept across restarts"), "{history}");
    host.stop().await;
}

#[tokio::test]
async fn a_taken_port_is_a_clear_error() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let data = tempfile::tempdir().unwrap();
    let host = Host::default();
    let error = host
        .start(data.path().to_path_buf(), port, false)
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::PortInUse { port: p } if p == port),
        "{error:?}"
    );
    assert_eq!(error.code(), "port_in_use");
    assert!(error.to_string().contains(&port.to_string()));
    assert!(!host.status().await.running);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lan_exposure_serves_https_with_a_fingerprint_to_share() {
    let data = tempfile::tempdir().unwrap();
    // Announcing is tested in network namespaces (server-core's discovery tests, tests/lan.rs):
    // here it would multicast on this machine's real network.
    let host = Host::unannounced();
    let status = host
        .start(data.path().to_path_buf(), free_port(), true)
        .await
        .unwrap();
    assert!(status.lan);
    // Every non-loopback address of this machine, e.g. https://192.168.1.20:8080/.
    for url in &status.lan_urls {
        assert!(url.starts_with("https://") && !url.contains("127.0.0.1"), "{url}");
    }
    // Colleagues compare the fingerprint with what their app shows: eight groups of four a line.
    let fingerprint = status.fingerprint.clone().expect("HTTPS with LAN access");
    let readable = status.fingerprint_readable.clone().unwrap();
    assert_eq!(readable.lines().count(), 2, "{readable}");
    assert!(
        readable
            .lines()
            .all(|line| line.split(' ').count() == 8 && line.split(' ').all(|g| g.len() == 4)),
        "{readable}"
    );
    // The app's own window reaches it over HTTPS on loopback, and it is the same identity.
    let local_url = status.local_url.clone().unwrap();
    assert!(local_url.starts_with("https://127.0.0.1:"), "{local_url}");
    let probe = confab_desktop::transport::probe(&confab_desktop::transport::address_of(&local_url).unwrap())
        .await
        .unwrap();
    assert_eq!(probe.fingerprint, fingerprint);
    assert_eq!(Some(probe.id), status.server_id);

    // Switching back to this-machine-only restarts the server on loopback, plain HTTP.
    let port = status.port.unwrap();
    let local = host.start(data.path().to_path_buf(), port, false).await.unwrap();
    assert!(!local.lan && local.lan_urls.is_empty());
    assert_eq!(local.fingerprint, None);
    assert!(local.local_url.unwrap().starts_with("http://"));
    host.stop().await;
}

/// A live, signed-in WebSocket to the built-in server, as a colleague's client keeps open.
async fn connect(port: u16, token: &str) -> impl Sized + use<> {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let (mut socket, _) = tokio_tungstenite::client_async(format!("ws://127.0.0.1:{port}/ws"), stream)
        .await
        .unwrap();
    let auth = json!({"event": "auth", "data": {"token": token}}).to_string();
    socket.send(Message::text(auth)).await.unwrap();
    let ready = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while let Some(Ok(message)) = socket.next().await {
            if message.to_text().is_ok_and(|text| text.contains("\"ready\"")) {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(ready, Ok(true), "the socket signed in");
    socket
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_knows_who_is_connected() {
    let data = tempfile::tempdir().unwrap();
    let host = Host::default();
    assert!(!host.is_running());
    assert!(host.connected_people().await.is_empty(), "nobody while stopped");
    let status = host
        .start(data.path().to_path_buf(), free_port(), false)
        .await
        .unwrap();
    assert!(host.is_running());
    let port = status.port.unwrap();
    let base = status.local_url.unwrap();
    let mut ids = Vec::new();
    let mut sockets = Vec::new();
    for name in ["ana", "ben"] {
        let (code, body) = post(
            &format!("{base}/api/auth/register"),
            None,
            json!({"username": name, "password": "a-long-password"}),
        )
        .await;
        assert_eq!(code, 201, "{body}");
        ids.push(body["user"]["id"].as_i64().unwrap());
        let token = body["token"].as_str().unwrap().to_owned();
        // Two windows of the same person are still one person.
        sockets.push(connect(port, &token).await);
        sockets.push(connect(port, &token).await);
    }
    let mut connected = host.connected_people().await;
    connected.sort_unstable();
    assert_eq!(connected, ids);
    assert_eq!(
        confab_desktop::lifecycle::others(&connected, Some(ids[0])),
        1,
        "the person at this computer is not counted"
    );
    drop(sockets);
    host.stop().await;
    assert!(!host.is_running());
    assert!(host.connected_people().await.is_empty());
}

async fn me(base: &str, token: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{base}/api/auth/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hosting_account_becomes_the_first_administrator_and_only_it() {
    use confab_desktop::remote::Claim;
    let data = tempfile::tempdir().unwrap();
    let host = Host::default();
    let status = host
        .start(data.path().to_path_buf(), free_port(), false)
        .await
        .unwrap();
    let base = status.local_url.unwrap();
    // A colleague registered before the host did: an ordinary account.
    let (_, colleague) = post(
        &format!("{base}/api/auth/register"),
        None,
        json!({"username": "early-colleague", "password": "a-long-password"}),
    )
    .await;
    let (code, owner) = post(
        &format!("{base}/api/auth/register"),
        None,
        json!({"username": "host-owner", "password": "a-long-password"}),
    )
    .await;
    assert_eq!(code, 201, "{owner}");
    let owner_token = owner["token"].as_str().unwrap();
    assert_eq!(me(&base, owner_token).await["user"]["is_server_admin"], false);

    assert_eq!(host.make_admin(owner_token).await.unwrap(), Some(Claim::Claimed));
    assert_eq!(me(&base, owner_token).await["user"]["is_server_admin"], true);
    // The code is spent: another account signing in from the window changes nothing.
    let colleague_token = colleague["token"].as_str().unwrap();
    assert_eq!(host.make_admin(colleague_token).await.unwrap(), None);
    assert_eq!(me(&base, colleague_token).await["user"]["is_server_admin"], false);

    // The next start finds an administrator and makes no setup code to claim with.
    host.stop().await;
    let status = host
        .start(data.path().to_path_buf(), free_port(), false)
        .await
        .unwrap();
    let base = status.local_url.unwrap();
    assert_eq!(host.make_admin(colleague_token).await.unwrap(), None);
    assert_eq!(me(&base, colleague_token).await["user"]["is_server_admin"], false);
    assert_eq!(me(&base, owner_token).await["user"]["is_server_admin"], true);
    host.stop().await;
}
