//! The few REST calls the benchmark makes, exactly as a client would (see `docs/protocol.md`):
//! register, log in, list, create, join and leave rooms, and read history pages.

use std::time::Duration;

use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::json;

use crate::error::{Error, Result};

/// A REST client for one server.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    /// `http://host:port`, no trailing slash.
    base: String,
}

/// A freshly issued session.
#[derive(Debug, Deserialize)]
pub struct Session {
    pub token: String,
    pub user: SessionUser,
}

#[derive(Debug, Deserialize)]
pub struct SessionUser {
    pub id: i64,
    pub username: String,
}

/// A room as the room list shows it.
#[derive(Debug, Deserialize)]
pub struct RoomInfo {
    pub id: i64,
    pub name: String,
    pub is_member: bool,
}

#[derive(Deserialize)]
struct Rooms {
    rooms: Vec<RoomInfo>,
}

#[derive(Deserialize)]
struct OneRoom {
    room: RoomInfo,
}

impl Api {
    pub fn new(base: &str) -> Result<Api> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .pool_max_idle_per_host(64)
            .build()?;
        Ok(Api {
            http,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// The WebSocket URL of this server.
    pub fn ws_url(&self) -> String {
        format!("{}/ws", self.base.replacen("http", "ws", 1))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Waits until `GET /api/health` answers 200, for at most `limit`.
    pub async fn wait_healthy(&self, limit: Duration) -> Result<()> {
        let deadline = std::time::Instant::now() + limit;
        loop {
            if let Ok(response) = self.http.get(self.url("/api/health")).send().await {
                if response.status() == StatusCode::OK {
                    return Ok(());
                }
            }
            if std::time::Instant::now() > deadline {
                return Err(Error::Timeout(format!("{} never became healthy", self.base)));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// POST /api/auth/register.
    pub async fn register(&self, username: &str, password: &str) -> Result<Session> {
        let response = self
            .http
            .post(self.url("/api/auth/register"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await?;
        expect(response, StatusCode::CREATED, "register").await
    }

    /// POST /api/auth/login.
    pub async fn login(&self, username: &str, password: &str) -> Result<Session> {
        let response = self
            .http
            .post(self.url("/api/auth/login"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await?;
        expect(response, StatusCode::OK, "login").await
    }

    /// GET /api/rooms.
    pub async fn rooms(&self, token: &str) -> Result<Vec<RoomInfo>> {
        let response = self
            .http
            .get(self.url("/api/rooms"))
            .bearer_auth(token)
            .send()
            .await?;
        Ok(expect::<Rooms>(response, StatusCode::OK, "list rooms")
            .await?
            .rooms)
    }

    /// POST /api/rooms — a public room named `name`; an existing one of that name is reused.
    pub async fn create_room(&self, token: &str, name: &str) -> Result<i64> {
        let response = self
            .http
            .post(self.url("/api/rooms"))
            .bearer_auth(token)
            .json(&json!({"name": name}))
            .send()
            .await?;
        if response.status() == StatusCode::CONFLICT {
            return self
                .rooms(token)
                .await?
                .into_iter()
                .find(|room| room.name == name)
                .map(|room| room.id)
                .ok_or_else(|| Error::protocol(format!("room {name} is taken but not listed")));
        }
        Ok(expect::<OneRoom>(response, StatusCode::CREATED, "create room")
            .await?
            .room
            .id)
    }

    /// POST /api/rooms/{id}/join.
    pub async fn join(&self, token: &str, room: i64) -> Result<()> {
        let response = self
            .http
            .post(self.url(&format!("/api/rooms/{room}/join")))
            .bearer_auth(token)
            .send()
            .await?;
        expect::<serde_json::Value>(response, StatusCode::OK, "join room").await?;
        Ok(())
    }

    /// POST /api/rooms/{id}/leave; leaving a room one is not in is fine here.
    pub async fn leave(&self, token: &str, room: i64) -> Result<()> {
        let response = self
            .http
            .post(self.url(&format!("/api/rooms/{room}/leave")))
            .bearer_auth(token)
            .send()
            .await?;
        match response.status() {
            StatusCode::NO_CONTENT | StatusCode::CONFLICT => Ok(()),
            status => Err(unexpected("leave room", status, response).await),
        }
    }

    /// GET /api/rooms/{id}/messages?before=&limit= — returns the number of messages and the
    /// response's size in bytes.
    pub async fn history_page(
        &self,
        token: &str,
        room: i64,
        before: i64,
        limit: u32,
    ) -> Result<(usize, usize)> {
        #[derive(Deserialize)]
        struct Page {
            messages: Vec<serde::de::IgnoredAny>,
        }
        let response = self
            .http
            .get(self.url(&format!(
                "/api/rooms/{room}/messages?before={before}&limit={limit}"
            )))
            .bearer_auth(token)
            .send()
            .await?;
        if response.status() != StatusCode::OK {
            return Err(unexpected("history", response.status(), response).await);
        }
        let body = response.bytes().await?;
        let page: Page = serde_json::from_slice(&body)?;
        Ok((page.messages.len(), body.len()))
    }

    /// GET /api/search?q= — how many results the first page has.
    pub async fn search(&self, token: &str, q: &str) -> Result<usize> {
        #[derive(Deserialize)]
        struct Page {
            results: Vec<serde::de::IgnoredAny>,
        }
        let response = self
            .http
            .get(self.url(&format!("/api/search?q={}", percent_encode(q))))
            .bearer_auth(token)
            .send()
            .await?;
        if response.status() != StatusCode::OK {
            return Err(unexpected("search", response.status(), response).await);
        }
        let page: Page = serde_json::from_slice(&response.bytes().await?)?;
        Ok(page.results.len())
    }

    /// GET /api/users/online — the ids of users with a live socket.
    pub async fn online_user_ids(&self, token: &str) -> Result<Vec<i64>> {
        #[derive(Deserialize)]
        struct Online {
            users: Vec<SessionUser>,
        }
        let response = self
            .http
            .get(self.url("/api/users/online"))
            .bearer_auth(token)
            .send()
            .await?;
        let online: Online = expect(response, StatusCode::OK, "online users").await?;
        Ok(online.users.into_iter().map(|u| u.id).collect())
    }
}

async fn expect<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
    status: StatusCode,
    what: &str,
) -> Result<T> {
    if response.status() != status {
        return Err(unexpected(what, response.status(), response).await);
    }
    Ok(response.json().await?)
}

async fn unexpected(what: &str, status: StatusCode, response: reqwest::Response) -> Error {
    let body = response.text().await.unwrap_or_default();
    Error::protocol(format!("{what}: HTTP {status}: {body}"))
}

/// `s` as a URL query value: unreserved ASCII as is, every other byte as `%XX`.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
