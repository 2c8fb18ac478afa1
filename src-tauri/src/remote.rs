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
pub async fn claim_admin(url: &str, token: &str, setup_code: &str) -> Result<Claim> {
    let unreachable = |e: reqwest::Error| Error::Unreachable {
        url: url.to_owned(),
        reason: describe(&e),
    };
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .map_err(unreachable)?;
    let response = client
        .post(format!("{url}/api/admin/claim"))
        .bearer_auth(token)
        .json(&serde_json::json!({ "setup_code": setup_code }))
        .send()
        .await
        .map_err(unreachable)?;
    match response.status().as_u16() {
        200..=299 => Ok(Claim::Claimed),
        403 => Ok(Claim::Refused),
        status => Err(Error::HostStart(format!(
            "the built-in server answered {status} to the administrator claim"
        ))),
    }
}

/// The id of the account `token` signs in to at the server at `url`, if it answers in time.
pub async fn whoami(url: &str, token: &str) -> Option<i64> {
    #[derive(Deserialize)]
    struct Me {
        user: User,
    }
    #[derive(Deserialize)]
    struct User {
        id: i64,
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .ok()?;
    let response = client
        .get(format!("{url}/api/auth/me"))
        .bearer_auth(token)
        .send()
        .await
        .ok()?;
    if !response.status().is_success() {
        return None;
    }
    response.json::<Me>().await.ok().map(|me| me.user.id)
}
