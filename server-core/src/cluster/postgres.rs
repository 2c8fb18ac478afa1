//! Hints over PostgreSQL's NOTIFY/LISTEN, for nodes that share one database and nothing else.
//!
//! Its SQL lives here rather than in `store/` on purpose: it stores nothing of the chat's (the
//! spill table is the transport's own buffer), and a NATS transport replaces this file whole.
//!
//! - Sending: one `select pg_notify(…)` statement per batch, autocommitted on this bus's own
//!   pool. Never inside the store's write transaction: a NOTIFY there takes a cluster-wide
//!   lock at commit that serializes every writer (insert throughput fell ~89 % in a pgbench).
//! - A NOTIFY payload must be shorter than 8,000 bytes. A longer hint is written to
//!   `cluster_spill` (migrations/postgres/0002_cluster.sql) and only `@<row id>` is notified;
//!   receivers read the row. Rows are pruned after ten minutes, far longer than any
//!   listener lags behind.
//! - Receiving: sqlx's `PgListener` on its own connection. When that connection drops, the
//!   notifications sent meanwhile are gone for this node; the receiver reconnects and reports a
//!   [`Received::Gap`].

use std::sync::Mutex;
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};

use super::bus::{HintBus, HintReceiver, Received};
use crate::error::Result;

/// PostgreSQL refuses NOTIFY payloads of this many bytes or more.
const NOTIFY_LIMIT: usize = 8000;
/// Starts a payload that names a `cluster_spill` row instead of carrying the hint.
const SPILLED: char = '@';
/// How often, at most, old spilled hints are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(60);
/// The longest wait between two attempts to reconnect the listener.
const RECONNECT_AT_MOST: Duration = Duration::from_secs(5);

/// NOTIFY/LISTEN on one channel of one database.
pub struct PgNotify {
    /// Sends hints and writes and reads spilled ones; never the store's pool.
    pool: PgPool,
    /// The listener's: one connection, kept open, labelled `<application name> listener`.
    listen_pool: PgPool,
    channel: String,
    last_prune: Mutex<Option<Instant>>,
}

impl PgNotify {
    /// A bus on `channel` of the database `options` names. Connects on first use. Its
    /// connections are named after `options`' application name (`confab-server` if none):
    /// `… hints` sends, `… listener` listens.
    pub fn new(options: &PgConnectOptions, channel: &str) -> PgNotify {
        let name = options.get_application_name().unwrap_or("confab-server");
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .connect_lazy_with(options.clone().application_name(&format!("{name} hints")));
        // Like `PgListener::connect`: one connection that never idles out or ages.
        let listen_pool = PgPoolOptions::new()
            .max_connections(1)
            .max_lifetime(None)
            .idle_timeout(None)
            .connect_lazy_with(options.clone().application_name(&format!("{name} listener")));
        PgNotify {
            pool,
            listen_pool,
            channel: channel.to_owned(),
            last_prune: Mutex::new(None),
        }
    }

    /// The payload that carries `hint`: itself, or the id of the spill row now holding it.
    /// A hint that starts like a spill reference is spilled too, so the two never mix up.
    async fn payload(&self, hint: String) -> Result<String> {
        if hint.len() < NOTIFY_LIMIT && !hint.starts_with(SPILLED) {
            return Ok(hint);
        }
        let id: i64 = sqlx::query_scalar("insert into cluster_spill (payload) values ($1) returning id")
            .bind(&hint)
            .fetch_one(&self.pool)
            .await?;
        self.prune().await;
        Ok(format!("{SPILLED}{id}"))
    }

    /// Deletes spilled hints nobody will read any more, at most every [`PRUNE_EVERY`].
    async fn prune(&self) {
        {
            let mut last = self
                .last_prune
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if last.is_some_and(|at| at.elapsed() < PRUNE_EVERY) {
                return;
            }
            *last = Some(Instant::now());
        }
        // The database's clock, not the nodes': theirs may disagree.
        let pruned =
            sqlx::query("delete from cluster_spill where created_at < now() - interval '10 minutes'")
                .execute(&self.pool)
                .await;
        if let Err(e) = pruned {
            tracing::warn!(error = %e, "pruning spilled cluster hints failed");
        }
    }
}

/// A new listener on `channel`, on a connection from `pool`.
async fn listen(pool: &PgPool, channel: &str) -> Result<PgListener> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(channel).await?;
    Ok(listener)
}

impl HintBus for PgNotify {
    type Receiver = PgReceiver;

    async fn send(&self, hints: Vec<String>) -> Result<()> {
        let mut payloads = Vec::with_capacity(hints.len());
        for hint in hints {
            payloads.push(self.payload(hint).await?);
        }
        // One statement, its own transaction: notifications of one transaction reach each
        // listener in the order they were sent (`unnest` yields the array in order). Every
        // hint carries its sender's sequence number, so PostgreSQL's folding of identical
        // payloads within a transaction never applies.
        sqlx::query("select pg_notify($1, payload) from unnest($2::text[]) as hint(payload)")
            .bind(&self.channel)
            .bind(&payloads)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn receive(&self) -> Result<PgReceiver> {
        let listener = listen(&self.listen_pool, &self.channel).await?;
        Ok(PgReceiver {
            pool: self.pool.clone(),
            listen_pool: self.listen_pool.clone(),
            channel: self.channel.clone(),
            listener: Some(listener),
        })
    }
}

/// The listening end of a [`PgNotify`].
pub struct PgReceiver {
    /// Reads spilled hints.
    pool: PgPool,
    listen_pool: PgPool,
    channel: String,
    /// `None` after a failure, until reconnected.
    listener: Option<PgListener>,
}

impl PgReceiver {
    /// The hint `payload` carries, reading it from `cluster_spill` if it was spilled.
    async fn hint(&self, payload: &str) -> Option<String> {
        let Some(reference) = payload.strip_prefix(SPILLED) else {
            return Some(payload.to_owned());
        };
        let Ok(id) = reference.parse::<i64>() else {
            tracing::warn!(payload, "a cluster hint names no spill row");
            return None;
        };
        let read = sqlx::query_scalar("select payload from cluster_spill where id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await;
        match read {
            Ok(Some(hint)) => Some(hint),
            Ok(None) => {
                tracing::warn!(id, "a spilled cluster hint was already pruned");
                None
            }
            Err(e) => {
                tracing::warn!(id, error = %e, "reading a spilled cluster hint failed");
                None
            }
        }
    }

    /// Connects a new listener, retrying with growing pauses until it succeeds.
    async fn reconnect(&mut self) -> PgListener {
        let mut pause = Duration::from_millis(100);
        loop {
            match listen(&self.listen_pool, &self.channel).await {
                Ok(listener) => return listener,
                Err(e) => {
                    tracing::warn!(error = %e, retry_in = ?pause, "the cluster hint listener cannot reconnect");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(RECONNECT_AT_MOST);
                }
            }
        }
    }
}

impl HintReceiver for PgReceiver {
    async fn next(&mut self) -> Received {
        loop {
            let listener = match &mut self.listener {
                Some(listener) => listener,
                None => {
                    let listener = self.reconnect().await;
                    self.listener = Some(listener);
                    tracing::info!("the cluster hint listener reconnected");
                    return Received::Gap;
                }
            };
            match listener.try_recv().await {
                Ok(Some(notification)) => {
                    return match self.hint(notification.payload()).await {
                        Some(hint) => Received::Hint(hint),
                        None => Received::Gap,
                    };
                }
                // sqlx saw the connection end, and has connected and listened again.
                Ok(None) => {
                    tracing::info!("the cluster hint listener lost its connection and reconnected");
                    return Received::Gap;
                }
                // The connection may be unusable (a terminated backend says so in an error
                // first): start over on a new one.
                Err(e) => {
                    tracing::warn!(error = %e, "the cluster hint listener failed");
                    self.listener = None;
                }
            }
        }
    }
}
