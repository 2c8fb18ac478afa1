//! Checking a server address before the app saves it: is something there, and is it Confab?

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::settings::normalize_url;

const TIMEOUT: Duration = Duration::from_secs(6);

/// A server that answered like Confab.
#[derive(Clone, Debug, Serialize)]
pub struct ServerInfo {
    /// The normalized address to save.
    pub url: String,
    pub version: String,
}

#[derive(Deserialize)]
struct Health {
    status: String,
    version: String,
    service: Option<String>,
}

/// Normalizes `raw` and asks `GET /api/health` there.
pub async fn check_server(raw: &str) -> Result<ServerInfo> {
    let url = normalize_url(raw)?;
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .map_err(|e| Error::Unreachable {
            url: url.clone(),
            reason: e.to_string(),
        })?;
    let response = client
        .get(format!("{url}/api/health"))
        .send()
        .await
        .map_err(|e| Error::Unreachable {
            url: url.clone(),
            reason: describe(&e),
        })?;
    let not_confab = || Error::NotConfab { url: url.clone() };
    if !response.status().is_success() {
        return Err(not_confab());
    }
    let health: Health = response.json().await.map_err(|_| not_confab())?;
    if health.status != "ok" || health.service.as_deref() != Some("confab") {
        return Err(not_confab());
    }
    Ok(ServerInfo {
        url,
        version: health.version,
    })
}

fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "no answer within 6 seconds".into()
    } else if error.is_connect() {
        "connection refused or host not found".into()
    } else {
        error.to_string()
    }
}

/// How claiming the first administrator's role went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The account is now a server administrator.
    Claimed,
    /// The server refused the code: it already has an administrator, or the code was used.
    Refused,
}

/// Makes the account `token` signs in to at `url` the server's first administrator with the
/// setup code the server made at start (`POST /api/admin/claim`).
pub async fn claim_admin(
    url: &str,
    fingerprint: Option<&str>,
    token: &str,
    setup_code: &str,
) -> Result<Claim> {
    let body = serde_json::json!({ "setup_code": setup_code });
    let (status, _) = call(
        url,
        fingerprint,
        http::Method::POST,
        "/api/admin/claim",
        token,
        Some(body),
        TIMEOUT,
    )
    .await?;
    match status {
        200..=299 => Ok(Claim::Claimed),
        403 => Ok(Claim::Refused),
        status => Err(Error::HostStart(format!(
            "the built-in server answered {status} to the administrator claim"
        ))),
    }
}

/// The id of the account `token` signs in to at the server at `url`, if it answers in time.
pub async fn whoami(url: &str, fingerprint: Option<&str>, token: &str) -> Option<i64> {
    #[derive(Deserialize)]
    struct Me {
        user: User,
    }
    #[derive(Deserialize)]
    struct User {
        id: i64,
    }
    let (status, body) = call(
        url,
        fingerprint,
        http::Method::GET,
        "/api/auth/me",
        token,
        None,
        Duration::from_secs(2),
    )
    .await
    .ok()?;
    if !(200..300).contains(&status) {
        return None;
    }
    serde_json::from_slice::<Me>(&body).ok().map(|me| me.user.id)
}

/// One authenticated JSON request: over the pinned transport when `fingerprint` names the
/// server's certificate (the built-in server with LAN access speaks HTTPS with its own
/// self-signed identity), else plain HTTP. Answers the status and the body.
async fn call(
    url: &str,
    fingerprint: Option<&str>,
    method: http::Method,
    path: &str,
    token: &str,
    body: Option<serde_json::Value>,
    timeout: Duration,
) -> Result<(u16, bytes::Bytes)> {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    if let Some(fingerprint) = fingerprint {
        let address = crate::transport::address_of(url)?;
        let request = http::Request::builder()
            .method(method)
            .uri(path)
            .header(http::header::AUTHORIZATION, format!("Bearer {token}"))
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(bytes::Bytes::from(body))
            .map_err(|e| Error::invalid("invalid_request", e.to_string()))?;
        let transport = crate::transport::Transport::default();
        let answer = tokio::time::timeout(timeout, transport.request(&address, fingerprint, request))
            .await
            .map_err(|_| Error::Unreachable {
                url: url.to_owned(),
                reason: "timed out".into(),
            })??;
        return Ok((answer.status().as_u16(), answer.into_body()));
    }
    let unreachable = |e: reqwest::Error| Error::Unreachable {
        url: url.to_owned(),
        reason: describe(&e),
    };
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(unreachable)?;
    let mut request = client.request(method, format!("{url}{path}")).bearer_auth(token);
    if !body.is_empty() {
        request = request.header("content-type", "application/json").body(body);
    }
    let response = request.send().await.map_err(unreachable)?;
    let status = response.status().as_u16();
    let bytes = response.bytes().await.map_err(unreachable)?;
    Ok((status, bytes))
}
