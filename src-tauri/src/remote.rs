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
