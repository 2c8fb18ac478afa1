//! Which database a server or a one-off command opens ([`Config::database`]), and
//! `confab-server migrate`, which moves an office's data from SQLite to PostgreSQL.

use std::str::FromStr;
use std::sync::Arc;

use sqlx::postgres::PgConnectOptions;

use crate::chat::shared_limits::Shared;
use crate::chat::{Limiter, LoginThrottle};
use crate::cluster::{ClusterFanout, NodeId, PgNotify, Tuning};
use crate::config::{Config, Database};
use crate::error::{Error, Result};
use crate::fanout::Fanout;
use crate::hub::Hub;
use crate::store::Store;
use crate::store::migrate::MigrationReport;
use crate::time::Clock;

/// Opens the database `config` names (applying its pending migrations).
///
/// # Errors
/// Any error opening the SQLite file or connecting to PostgreSQL, and a failed migration.
pub async fn open_store(config: &Config) -> Result<Store> {
    match config.database() {
        Database::Sqlite(path) => Store::open(&path).await,
        Database::Postgres(url) => Store::open_postgres(&url).await,
    }
}

/// The NOTIFY channel the nodes of one database share.
const CLUSTER_CHANNEL: &str = "confab_events";

/// The node id of a server on SQLite: the only node there is.
const ONLY_NODE: NodeId = 0;

/// Where `chat/` publishes events: this process's hub alone on SQLite (one server owns the
/// file), and the hub plus hints to every other node on PostgreSQL, where any number of
/// `confab-server` processes may serve the same database. With this server's node id.
///
/// # Errors
/// When the PostgreSQL URL does not parse or the listener cannot start.
pub async fn fanout(config: &Config, hub: &Hub, store: &Store) -> Result<(Arc<dyn Fanout>, NodeId)> {
    Ok(match config.database() {
        Database::Sqlite(_) => (Arc::new(hub.clone()), ONLY_NODE),
        Database::Postgres(url) => {
            // Named `confab-server` unless the URL names it (`?application_name=node-2`): an
            // operator, or a test, then tells the nodes' connections apart.
            let options = PgConnectOptions::from_str(&url)?;
            let options = match options.get_application_name() {
                Some(_) => options,
                None => options.application_name("confab-server"),
            };
            let tuning = Tuning {
                check: config.timing.cluster_check,
                ..Tuning::default()
            };
            let bus = PgNotify::new(&options, CLUSTER_CHANNEL);
            let backfill = crate::chat::replay::backfill(store.clone());
            let fanout = ClusterFanout::start_with(hub.clone(), bus, backfill, tuning).await?;
            let node = fanout.node_id();
            (Arc::new(fanout), node)
        }
    })
}

/// The rate limits and the login throttle: counted in memory when this server is the only one
/// (SQLite), in the database with every node sharing it otherwise, where a node of its own
/// would give each client the budget once per node.
///
/// # Errors
/// Reading (or storing, on a new database) the device tokens' shared secret.
pub async fn limits(
    store: &Store,
    config: &Config,
    clock: &Clock,
    node: NodeId,
) -> Result<(Limiter, LoginThrottle)> {
    Ok(match store.limit_store() {
        None => (Limiter::new(config.limits.clone()), LoginThrottle::default()),
        Some(counters) => {
            let shared = Shared::new(counters, clock.clone(), node);
            let throttle = LoginThrottle::shared(shared.clone()).await?;
            (Limiter::shared(config.limits.clone(), shared), throttle)
        }
    })
}

/// `confab-server migrate --from sqlite://… --to postgres://…`: copies every table, then
/// compares row counts (see `store::migrate`). `progress` hears (table, rows so far).
///
/// # Errors
/// `Error::Config` when `from` is not SQLite or `to` not PostgreSQL, and whatever the copy
/// refuses (a target with data, a source of another version) or fails on.
pub async fn migrate(
    from: &Database,
    to: &Database,
    progress: &mut (dyn FnMut(&'static str, u64) + Send),
) -> Result<MigrationReport> {
    let (Database::Sqlite(source), Database::Postgres(target)) = (from, to) else {
        return Err(Error::Config(format!(
            "migrate copies from SQLite to PostgreSQL: --from sqlite://PATH --to postgres://…, \
             not --from {from} --to {to}"
        )));
    };
    crate::store::migrate::migrate(source, target, progress).await
}
