//! `confab-bench`'s command line: one subcommand per scenario, options shared by all of them,
//! and full-size defaults from the performance issue (`--tiny` swaps in sizes that run in
//! seconds, for the test suite).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "confab-bench",
    version,
    about = "Load benchmark for Confab, measured side by side with a bare WebSocket broadcast server (the ceiling)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub common: Common,
}

/// A core number, or `none` for no pinning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Core(pub Option<usize>);

impl FromStr for Core {
    type Err = String;

    fn from_str(s: &str) -> Result<Core, String> {
        if s.eq_ignore_ascii_case("none") {
            return Ok(Core(None));
        }
        s.parse()
            .map(|n| Core(Some(n)))
            .map_err(|_| format!("`{s}` is neither a core number nor `none`"))
    }
}

/// Options every scenario takes.
#[derive(Clone, Debug, Args)]
pub struct Common {
    /// Use this running Confab (e.g. http://127.0.0.1:8080) instead of starting one. Users and
    /// rooms are then created on it through the API.
    #[arg(long, global = true, value_name = "URL")]
    pub server: Option<String>,
    /// Process id of --server, to report its memory and CPU.
    #[arg(long, global = true, value_name = "PID")]
    pub server_pid: Option<u32>,
    /// Use these running nodes of one Confab cluster (comma-separated base URLs) instead of
    /// starting one: the fan-out and write-burst scenarios spread their clients over them in
    /// turn, so senders and readers sit on different nodes. Users and rooms are created
    /// through the first.
    #[arg(
        long,
        global = true,
        value_name = "URL,URL,…",
        value_delimiter = ',',
        conflicts_with = "server"
    )]
    pub targets: Vec<String>,
    /// Process ids of --targets, in the same order, to report their memory and CPU.
    #[arg(long, global = true, value_name = "PID,PID,…", value_delimiter = ',')]
    pub target_pids: Vec<u32>,
    /// Process id of the PostgreSQL server (postmaster) behind --server or --targets: its CPU
    /// and that of its backends is reported beside the nodes'.
    #[arg(long, global = true, value_name = "PID")]
    pub postgres_pid: Option<u32>,
    /// Use this running ceiling server instead of starting one.
    #[arg(long, global = true, value_name = "URL")]
    pub ceiling: Option<String>,
    /// Process id of --ceiling.
    #[arg(long, global = true, value_name = "PID")]
    pub ceiling_pid: Option<u32>,
    /// Measure Confab only.
    #[arg(long, global = true, conflicts_with = "only_ceiling")]
    pub no_ceiling: bool,
    /// Measure the ceiling server only.
    #[arg(long, global = true)]
    pub only_ceiling: bool,
    /// Run Confab and the ceiling inside this process (the test suite; no memory or CPU
    /// figures, no pinning).
    #[arg(long, global = true)]
    pub in_process: bool,
    /// Sizes that run in seconds (the test suite); the figures mean nothing.
    #[arg(long, global = true)]
    pub tiny: bool,
    /// The confab-server binary [default: confab-server beside this tool].
    #[arg(long, global = true, value_name = "PATH")]
    pub server_bin: Option<PathBuf>,
    /// Where prepared data sets are kept [default: target/bench-cache].
    #[arg(long, global = true, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Create users and rooms on the server under test for this run instead of copying a
    /// prepared data set.
    #[arg(long, global = true)]
    pub no_cache: bool,
    /// Core the servers are pinned to (`none`: not pinned).
    #[arg(long, global = true, value_name = "N|none", default_value = "0")]
    pub server_core: Core,
    /// Core this tool runs on (`none`: not pinned).
    #[arg(long, global = true, value_name = "N|none", default_value = "1")]
    pub client_core: Core,
    /// Print the reports as JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// Also write the JSON reports to this file.
    #[arg(long, global = true, value_name = "FILE")]
    pub json_out: Option<PathBuf>,
    /// No progress lines on stderr.
    #[arg(long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 1. One room, fixed message rates rising step by step: the highest rate with p99 under
    ///    the limit and nothing lost.
    Fanout(FanoutArgs),
    /// 2. An office day: users in rooms, each sending now and then.
    Office(OfficeArgs),
    /// 3. Senders flooding one room: acknowledged (stored) messages per second.
    Burst(BurstArgs),
    /// 4. Authenticated idle sockets: server memory per connection.
    Idle(IdleArgs),
    /// 5. A login storm during an office day.
    Storm(StormArgs),
    /// 6. Fan-out with clients that stop reading.
    Slow(SlowArgs),
    /// 7. Random history pages in a room of a million messages.
    History(HistoryArgs),
    /// 8. Searches of every kind over a million Chinese and English messages.
    Search(SearchArgs),
    /// Fan-out at a fixed rate and the write burst on 1 node on SQLite, 1 node on PostgreSQL
    /// and 2 nodes on PostgreSQL (a throwaway PostgreSQL the tool starts), alternating, with
    /// each configuration's CPU per message and the ratios between them.
    Cluster(ClusterArgs),
    /// Every scenario in turn, at default sizes.
    All(AllArgs),
    /// Build (or rebuild) the cached data set the scenarios copy.
    Prepare(PrepareArgs),
    /// Run the ceiling server (the tool starts it itself; this is for running it by hand).
    CeilingServer(CeilingArgs),
}

#[derive(Clone, Debug, Default, Args)]
pub struct FanoutArgs {
    /// Clients in the room [default: 500].
    #[arg(long)]
    pub clients: Option<usize>,
    /// How many of them send [default: 5].
    #[arg(long)]
    pub senders: Option<usize>,
    /// First rate, messages per second (all senders together) [default: 250].
    #[arg(long)]
    pub start_rate: Option<f64>,
    /// Each step's rate is the last one's times this [default: 1.25].
    #[arg(long)]
    pub factor: Option<f64>,
    /// Seconds each step sends for [default: 5].
    #[arg(long)]
    pub step_secs: Option<f64>,
    /// Most steps [default: 40].
    #[arg(long)]
    pub max_steps: Option<usize>,
    /// A step passes with p99 below this many milliseconds and nothing lost [default: 100].
    #[arg(long)]
    pub p99_limit_ms: Option<f64>,
}

#[derive(Clone, Debug, Default, Args)]
pub struct OfficeArgs {
    /// Users online [default: 1000].
    #[arg(long)]
    pub users: Option<usize>,
    /// Rooms, 大厅 included; everyone is in 大厅 and two others [default: 20].
    #[arg(long)]
    pub rooms: Option<usize>,
    /// Average seconds between one user's messages [default: 10].
    #[arg(long)]
    pub interval_secs: Option<f64>,
    /// Seconds to run [default: 60].
    #[arg(long)]
    pub duration_secs: Option<f64>,
}

#[derive(Clone, Debug, Default, Args)]
pub struct BurstArgs {
    /// Senders, all in one room [default: 50].
    #[arg(long)]
    pub senders: Option<usize>,
    /// Seconds to flood [default: 30].
    #[arg(long)]
    pub duration_secs: Option<f64>,
    /// Unacknowledged messages each sender may have in flight [default: 16]. Every message in
    /// flight is also queued for every reader, so senders × window must stay under the servers'
    /// per-socket queue (1024 frames) or readers are cut off as too slow.
    #[arg(long)]
    pub window: Option<u32>,
}

#[derive(Clone, Debug, Default, Args)]
pub struct IdleArgs {
    /// Sockets to open [default: 10000].
    #[arg(long)]
    pub connections: Option<usize>,
    /// Handshakes in flight at once [default: 100].
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Seconds to wait after the last connect before measuring [default: 10].
    #[arg(long)]
    pub settle_secs: Option<f64>,
}

#[derive(Clone, Debug, Default, Args)]
pub struct StormArgs {
    #[command(flatten)]
    pub office: OfficeArgs,
    /// Concurrent logins [default: 200].
    #[arg(long)]
    pub logins: Option<usize>,
}

#[derive(Clone, Debug, Default, Args)]
pub struct SlowArgs {
    /// Clients in the room, slow ones included [default: 500].
    #[arg(long)]
    pub clients: Option<usize>,
    /// How many of them send [default: 5].
    #[arg(long)]
    pub senders: Option<usize>,
    /// Clients that stop reading [default: 10].
    #[arg(long)]
    pub slow: Option<usize>,
    /// Messages per second: half of the fan-out scenario's top rate [default: 1000].
    #[arg(long)]
    pub rate: Option<f64>,
    /// Seconds of the run with every client reading [default: 30].
    #[arg(long)]
    pub duration_secs: Option<f64>,
    /// Seconds of the run with slow readers: long enough for them to be cut off, which happens
    /// once the kernel's socket buffers fill or, on Confab, after 60 s without a frame from them
    /// [default: 75].
    #[arg(long)]
    pub slow_secs: Option<f64>,
}

#[derive(Clone, Debug, Default, Args)]
pub struct HistoryArgs {
    /// Messages in the room [default: 1000000].
    #[arg(long)]
    pub messages: Option<u64>,
    /// Seconds of requests [default: 20].
    #[arg(long)]
    pub duration_secs: Option<f64>,
    /// Requests in flight at once [default: 4].
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Messages per page [default: 50].
    #[arg(long)]
    pub page: Option<u32>,
}

#[derive(Clone, Debug, Default, Args)]
pub struct SearchArgs {
    /// Messages to search [default: 1000000].
    #[arg(long)]
    pub messages: Option<u64>,
    /// Seconds of requests per query class [default: 10].
    #[arg(long)]
    pub duration_secs: Option<f64>,
    /// Requests in flight at once [default: 4].
    #[arg(long)]
    pub concurrency: Option<usize>,
}

#[derive(Clone, Debug, Default, Args)]
pub struct ClusterArgs {
    /// Times each configuration runs, in turn with the others [default: 2].
    #[arg(long)]
    pub rounds: Option<usize>,
    /// Fan-out: clients in the room [default: 200].
    #[arg(long)]
    pub clients: Option<usize>,
    /// Fan-out: how many of them send [default: 4].
    #[arg(long)]
    pub senders: Option<usize>,
    /// Fan-out: the fixed offered rate, messages per second [default: 400].
    #[arg(long)]
    pub rate: Option<f64>,
    /// Fan-out: seconds of sending [default: 10].
    #[arg(long)]
    pub fanout_secs: Option<f64>,
    /// Write burst: senders [default: 20].
    #[arg(long)]
    pub burst_senders: Option<usize>,
    /// Write burst: seconds to flood [default: 10].
    #[arg(long)]
    pub burst_secs: Option<f64>,
}

#[derive(Clone, Debug, Default, Args)]
pub struct AllArgs {
    /// Rate for the slow-reader scenario [default: half of the fan-out scenario's top rate
    /// for Confab].
    #[arg(long)]
    pub slow_rate: Option<f64>,
}

#[derive(Clone, Debug, Default, Args)]
pub struct PrepareArgs {
    /// Users to create [default: 10000, enough for every scenario].
    #[arg(long)]
    pub users: Option<usize>,
    /// Users with the office layout [default: 1000].
    #[arg(long)]
    pub office_users: Option<usize>,
    /// Office rooms, 大厅 included [default: 20].
    #[arg(long)]
    pub rooms: Option<usize>,
}

#[derive(Clone, Debug, Args)]
pub struct CeilingArgs {
    /// Address to listen on (port 0: any free port; the URL is printed).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub bind: SocketAddr,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_options_and_global_flags_parse() {
        let cli = Cli::try_parse_from([
            "confab-bench",
            "fanout",
            "--clients",
            "20",
            "--tiny",
            "--server-core",
            "none",
            "--json",
        ])
        .unwrap();
        assert!(cli.common.tiny && cli.common.json);
        assert_eq!(cli.common.server_core, Core(None));
        assert_eq!(cli.common.client_core, Core(Some(1)));
        match cli.command {
            Command::Fanout(args) => assert_eq!(args.clients, Some(20)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn targets_and_their_pids_are_comma_separated() {
        let cli = Cli::try_parse_from([
            "confab-bench",
            "burst",
            "--targets",
            "http://127.0.0.1:1,http://127.0.0.1:2",
            "--target-pids",
            "10,11",
        ])
        .unwrap();
        assert_eq!(cli.common.targets, ["http://127.0.0.1:1", "http://127.0.0.1:2"]);
        assert_eq!(cli.common.target_pids, [10, 11]);
    }

    #[test]
    fn only_one_of_the_two_servers_may_be_skipped() {
        assert!(Cli::try_parse_from(["confab-bench", "idle", "--no-ceiling", "--only-ceiling"]).is_err());
    }
}
