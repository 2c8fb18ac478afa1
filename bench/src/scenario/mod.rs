//! What every scenario shares: starting each server under test with the data it needs, the
//! room layout both servers are given, building clients, and the report's conditions. The
//! scenarios themselves live one per module.

pub mod burst;
pub mod fanout;
pub mod history;
pub mod idle;
pub mod office;
pub mod search;
pub mod slow;
pub mod storm;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tempfile::TempDir;

use crate::cli::Common;
use crate::client::{self, Client, ClientSpec, Dialect, Pacing, SendPlan, Shared};
use crate::dataset::{self, Dataset, Needs};
use crate::error::{Error, Result};
use crate::report::Conditions;
use crate::stats::Phase;
use crate::system;
use crate::target::{Launch, Target};

/// Handshakes (and, for Confab, `auth` → `ready`) in flight while a crowd connects.
const CONNECT_CONCURRENCY: usize = 64;

/// Everything a scenario needs to know about how it is run.
#[derive(Clone)]
pub struct Env {
    pub common: Common,
    pub launch: Launch,
    pub cache: PathBuf,
    pub command_line: String,
}

impl Env {
    pub fn new(common: Common, command_line: String) -> Result<Env> {
        let exe = std::env::current_exe()?;
        let exe_dir = exe
            .parent()
            .ok_or_else(|| Error::setup("this tool's binary has no folder"))?
            .to_path_buf();
        let target_dir = exe_dir.parent().unwrap_or(&exe_dir).to_path_buf();
        let launch = Launch {
            in_process: common.in_process,
            server_bin: common
                .server_bin
                .clone()
                .unwrap_or_else(|| exe_dir.join(format!("confab-server{}", std::env::consts::EXE_SUFFIX))),
            bench_bin: exe,
            server_core: if common.in_process {
                None
            } else {
                common.server_core.0
            },
            confab_url: common.server.clone(),
            confab_pid: common.server_pid,
            ceiling_url: common.ceiling.clone(),
            ceiling_pid: common.ceiling_pid,
            nodes: 1,
            postgres: None,
        };
        Ok(Env {
            cache: common
                .cache
                .clone()
                .unwrap_or_else(|| target_dir.join("bench-cache")),
            common,
            launch,
            command_line,
        })
    }

    pub fn tiny(&self) -> bool {
        self.common.tiny
    }

    /// A progress line on stderr (unless `--quiet`).
    pub fn say(&self, message: impl AsRef<str>) {
        if !self.common.quiet {
            eprintln!("{}", message.as_ref());
        }
    }

    /// The servers to measure, ceiling first.
    pub fn dialects(&self) -> Vec<Dialect> {
        let mut dialects = Vec::new();
        if !self.common.no_ceiling {
            dialects.push(Dialect::Ceiling);
        }
        if !self.common.only_ceiling {
            dialects.push(Dialect::Confab);
        }
        dialects
    }

    pub fn conditions(&self, load_before: Option<f64>) -> Conditions {
        Conditions {
            cores: system::machine_cores(),
            load_before,
            load_after: None,
            server_core: self.launch.server_core,
            client_core: if self.common.in_process {
                None
            } else {
                self.common.client_core.0
            },
            in_process: self.common.in_process,
            tiny: self.common.tiny,
            command: self.command_line.clone(),
            unix_time: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        }
    }

    /// Starts the server of `dialect` with the data `needs` asks for.
    pub async fn start(&self, dialect: Dialect, needs: &Needs) -> Result<Under> {
        match dialect {
            Dialect::Confab => self.start_confab(needs).await,
            Dialect::Ceiling => self.start_ceiling(needs).await,
        }
    }

    async fn start_ceiling(&self, needs: &Needs) -> Result<Under> {
        let scratch = scratch()?;
        let target = Target::ceiling(&self.launch, scratch.path()).await?;
        self.say(format!("ceiling server at {}", target.base));
        // The same room numbers as a fresh Confab: 大厅 is 1, the other rooms follow.
        let layout = Layout {
            lobby: 1,
            others: (2..=needs.office_rooms.max(3) as i64).collect(),
            office_users: needs.office_users,
        };
        Ok(Under {
            target,
            more: Vec::new(),
            postgres_pid: None,
            database_url: None,
            layout,
            dataset: None,
            scratch,
        })
    }

    async fn start_confab(&self, needs: &Needs) -> Result<Under> {
        let scratch = scratch()?;
        let data_dir = scratch.path().join("data");
        let (nodes, database_url, postgres_pid) = if self.common.targets.is_empty() {
            self.start_nodes(&scratch).await?
        } else {
            (self.attach_nodes(), None, self.common.postgres_pid)
        };
        // Fresh databases (PostgreSQL), other people's servers and in-process ones get their
        // users through the API; a spawned node on SQLite copies the prepared data set.
        let through_api = database_url.is_some()
            || !self.common.targets.is_empty()
            || self.common.server.is_some()
            || self.common.in_process
            || self.common.no_cache;
        let cached = if through_api {
            None
        } else {
            let (dir, dataset) = self.cached(needs).await?;
            dataset::copy_database(&dir.join("data"), &data_dir)?;
            Some(dataset)
        };
        let mut nodes = nodes;
        if nodes.is_empty() {
            // One node on the data dir's SQLite file, which now holds the copied data set.
            nodes.push(Target::confab(&self.launch, &data_dir).await?);
        }
        for node in &nodes {
            node.api()?.wait_healthy(Duration::from_secs(60)).await?;
            self.say(format!("confab at {}", node.base));
        }
        let api = nodes[0].api()?;
        let dataset = match cached {
            Some(dataset) => dataset,
            None => {
                // Against someone else's server, names must not collide with earlier runs.
                let prefix = match (&self.common.server, self.common.targets.is_empty()) {
                    (None, true) => "bu".to_owned(),
                    _ => format!("b{}x", Shared::new().nonce % 1_000_000),
                };
                self.say(format!(
                    "creating {} users on the server under test…",
                    needs.users
                ));
                Dataset::build(&api, needs, &prefix, !self.common.quiet).await?
            }
        };
        let mut nodes = nodes.into_iter();
        let target = nodes.next().ok_or_else(|| Error::setup("no node"))?;
        Ok(Under {
            target,
            more: nodes.collect(),
            postgres_pid,
            database_url,
            layout: Layout {
                lobby: dataset.lobby,
                others: dataset.others.clone(),
                office_users: dataset.office_users,
            },
            dataset: Some(dataset),
            scratch,
        })
    }

    /// Starts `launch.nodes` nodes on a fresh PostgreSQL database when the launch has one;
    /// without PostgreSQL, nothing yet (the one node starts once its data set is copied).
    async fn start_nodes(&self, scratch: &TempDir) -> Result<(Vec<Target>, Option<String>, Option<u32>)> {
        let Some(postgres) = &self.launch.postgres else {
            return Ok((Vec::new(), None, None));
        };
        let url = postgres.create_database()?;
        let mut nodes = Vec::new();
        for n in 0..self.launch.nodes.max(1) {
            let dir = scratch.path().join(if n == 0 {
                "data".to_owned()
            } else {
                format!("data{n}")
            });
            nodes.push(Target::confab_on(&self.launch, &dir, Some(&url)).await?);
        }
        Ok((nodes, Some(url), Some(postgres.pid())))
    }

    /// The nodes of `--targets`, with their process ids when given.
    fn attach_nodes(&self) -> Vec<Target> {
        self.common
            .targets
            .iter()
            .enumerate()
            .map(|(i, url)| {
                crate::target::attached(Dialect::Confab, url, self.common.target_pids.get(i).copied())
            })
            .collect()
    }

    /// A cached data set satisfying `needs`, built (through a throwaway, unpinned server)
    /// when there is none.
    pub async fn cached(&self, needs: &Needs) -> Result<(PathBuf, Dataset)> {
        if let Some(found) = Dataset::find_cached(&self.cache, needs) {
            return Ok(found);
        }
        self.build_cache(needs).await
    }

    /// Builds the cached data set for `needs`, replacing any of the same name.
    pub async fn build_cache(&self, needs: &Needs) -> Result<(PathBuf, Dataset)> {
        let dir = self.cache.join(dataset::cache_name(needs));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        self.say(format!(
            "preparing a data set of {} users in {} (once; later runs copy it)…",
            needs.users,
            dir.display()
        ));
        let mut launch = self.launch.clone();
        // Registering is argon2-bound: let the throwaway server use every core.
        launch.server_core = None;
        launch.confab_url = None;
        launch.in_process = false;
        let target = Target::confab(&launch, &dir.join("data")).await?;
        let api = target.api()?;
        api.wait_healthy(Duration::from_secs(60)).await?;
        let dataset = Dataset::build(&api, needs, "bu", !self.common.quiet).await;
        target.stop().await?;
        let dataset = dataset?;
        dataset.save(&dir)?;
        Ok((dir, dataset))
    }
}

fn scratch() -> Result<TempDir> {
    Ok(tempfile::Builder::new().prefix("confab-bench-").tempdir()?)
}

/// Which rooms each client is in; the same numbers on both servers.
#[derive(Clone, Debug)]
pub struct Layout {
    pub lobby: i64,
    pub others: Vec<i64>,
    pub office_users: usize,
}

impl Layout {
    /// The rooms of user `i` (see `Dataset::rooms_of`).
    pub fn rooms_of(&self, i: usize) -> Vec<i64> {
        if i < self.office_users && self.others.len() >= 2 {
            let (a, b) = dataset::office_pair(i, self.others.len());
            vec![self.lobby, self.others[a], self.others[b]]
        } else {
            let mut rooms = vec![self.lobby];
            rooms.extend(self.others.iter().take(2));
            rooms
        }
    }
}

/// A server under test, with its data.
pub struct Under {
    /// The server, or the first node of a cluster (users and rooms are made through it).
    pub target: Target,
    /// The other nodes of a cluster.
    pub more: Vec<Target>,
    /// PostgreSQL's main process, when the nodes' data is there.
    pub postgres_pid: Option<u32>,
    /// The nodes' PostgreSQL database, when the tool created it.
    pub database_url: Option<String>,
    pub layout: Layout,
    /// Confab's users and rooms.
    pub dataset: Option<Dataset>,
    scratch: TempDir,
}

impl Under {
    pub fn name(&self) -> &'static str {
        self.target.name()
    }

    pub fn dialect(&self) -> Dialect {
        self.target.dialect
    }

    /// The spec of client `i` (user `i` on Confab).
    pub fn spec(&self, i: usize, tracked: bool) -> Result<ClientSpec> {
        let token = match &self.dataset {
            Some(dataset) => Some(
                dataset
                    .users
                    .get(i)
                    .ok_or_else(|| Error::setup(format!("the data set has no user {i}")))?
                    .token
                    .clone(),
            ),
            None => None,
        };
        Ok(ClientSpec {
            index: u32::try_from(i).map_err(|_| Error::setup("too many clients"))?,
            dialect: self.target.dialect,
            ws_url: self.node(i).ws_url(),
            token,
            rooms: self.layout.rooms_of(i),
            tracked,
        })
    }

    /// The node client `i` connects to: the nodes in turn, so consecutive senders sit on
    /// different nodes and every message has readers on every node.
    pub fn node(&self, i: usize) -> &Target {
        match i % (self.more.len() + 1) {
            0 => &self.target,
            k => &self.more[k - 1],
        }
    }

    /// How many nodes serve the clients.
    pub fn node_count(&self) -> usize {
        self.more.len() + 1
    }

    /// The nodes' memory and CPU now (summed over the nodes, when every one can be read), and
    /// PostgreSQL's CPU.
    pub fn sample(&self) -> system::Usage {
        let nodes: Option<Vec<_>> = std::iter::once(&self.target)
            .chain(&self.more)
            .map(Target::sample)
            .collect();
        system::Usage {
            nodes: nodes.and_then(|n| system::ProcSample::sum(&n)),
            postgres_cpu_secs: self.postgres_pid.and_then(crate::postgres::tree_cpu_secs),
        }
    }

    /// Connects clients `0..count`; `tracked(i)` says whose deliveries count.
    pub async fn connect(
        &self,
        env: &Env,
        shared: &Arc<Shared>,
        count: usize,
        tracked: impl Fn(usize) -> bool,
    ) -> Result<Vec<Client>> {
        let specs = (0..count)
            .map(|i| self.spec(i, tracked(i)))
            .collect::<Result<Vec<_>>>()?;
        let started = std::time::Instant::now();
        let clients = client::connect_all(specs, shared, CONNECT_CONCURRENCY).await?;
        env.say(format!(
            "  {} clients connected to {} in {:.1} s",
            clients.len(),
            self.name(),
            started.elapsed().as_secs_f64()
        ));
        Ok(clients)
    }

    /// The server's data directory (Confab started by this tool).
    pub fn data_dir(&self) -> PathBuf {
        self.scratch.path().join("data")
    }

    pub fn database(&self) -> PathBuf {
        self.data_dir().join("confab.db")
    }

    /// Whether the tool started this server itself on SQLite (so its database is at
    /// `database()`).
    pub fn owns_data(&self, env: &Env) -> bool {
        self.target.dialect == Dialect::Confab
            && env.common.server.is_none()
            && env.common.targets.is_empty()
            && self.database_url.is_none()
    }

    pub async fn stop(self) -> Result<TempDir> {
        for node in self.more {
            node.stop().await?;
        }
        self.target.stop().await?;
        Ok(self.scratch)
    }
}

/// How many of `clients` (by index) are in each room, counting only tracked ones.
pub fn audiences(
    layout: &Layout,
    tracked: impl Iterator<Item = usize>,
) -> std::collections::HashMap<i64, u32> {
    let mut counts = std::collections::HashMap::new();
    for i in tracked {
        for room in layout.rooms_of(i) {
            *counts.entry(room).or_insert(0) += 1;
        }
    }
    counts
}

/// Sleeps for `secs` seconds (fractions allowed).
pub async fn pause(secs: f64) {
    tokio::time::sleep(Duration::from_secs_f64(secs.max(0.0))).await;
}

/// The ratio `a / b`, when `b` is not zero.
pub fn ratio(a: f64, b: f64) -> Option<f64> {
    (b > 0.0).then(|| a / b)
}

/// Opens the database at `path` (read-only).
pub async fn open_database(path: &Path) -> Result<sqlx::SqlitePool> {
    use std::str::FromStr;
    let options = sqlx::sqlite::SqliteConnectOptions::from_str("sqlite:")?
        .filename(path)
        .read_only(true);
    Ok(sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?)
}

/// Has the first `senders` of `clients` post to `room` (whose `recipients` readers are tracked)
/// in turns, `rate` messages a second between them, from just after now for `duration_secs`:
/// taking turns gives the room an even stream rather than bursts of one message per sender.
/// Returns when the sending ends.
pub fn send_in_turns(
    clients: &[Client],
    senders: usize,
    phase: &Arc<Phase>,
    (room, recipients): (i64, u32),
    rate: f64,
    duration_secs: f64,
) -> tokio::time::Instant {
    let interval = Duration::from_secs_f64(senders as f64 / rate);
    let start = tokio::time::Instant::now() + Duration::from_millis(20);
    let until = start + Duration::from_secs_f64(duration_secs);
    for (k, client) in clients.iter().take(senders).enumerate() {
        client.send(SendPlan {
            phase: phase.clone(),
            rooms: vec![(room, recipients)],
            pacing: Pacing::Fixed {
                interval,
                first: start + interval.mul_f64(k as f64 / senders as f64),
            },
            until,
        });
    }
    until
}
