//! `confab-bench`, the load benchmark: it starts Confab and a bare tokio-tungstenite broadcast
//! server (the ceiling), drives both through the same scenarios with simulated clients, and
//! reports Confab's figures beside the ceiling's. See `docs/performance.md`.

pub mod api;
pub mod ceiling;
pub mod cli;
pub mod client;
pub mod cluster;
pub mod corpus;
pub mod dataset;
pub mod error;
pub mod postgres;
pub mod report;
pub mod scenario;
pub mod stamp;
pub mod stats;
pub mod system;
pub mod target;

pub use error::{Error, Result};

use cli::{AllArgs, Command, PrepareArgs};
use report::Report;
use scenario::Env;

/// Runs the scenario (or scenarios) `command` names and returns their reports.
///
/// # Errors
/// When a server cannot be started or set up; problems during a measurement are reported in
/// the reports instead.
pub async fn run(command: &Command, env: &Env) -> Result<Vec<Report>> {
    let mut reports = scenarios(command, env).await?;
    let load = system::load_average();
    for report in &mut reports {
        report.conditions.load_after = report.conditions.load_after.or(load);
    }
    Ok(reports)
}

async fn scenarios(command: &Command, env: &Env) -> Result<Vec<Report>> {
    Ok(match command {
        Command::Fanout(args) => vec![scenario::fanout::run(env, args).await?],
        Command::Office(args) => vec![scenario::office::run(env, args).await?],
        Command::Burst(args) => vec![scenario::burst::run(env, args).await?],
        Command::Idle(args) => vec![scenario::idle::run(env, args).await?],
        Command::Storm(args) => vec![scenario::storm::run(env, args).await?],
        Command::Slow(args) => vec![scenario::slow::run(env, args).await?],
        Command::History(args) => vec![scenario::history::run(env, args).await?],
        Command::Search(args) => vec![scenario::search::run(env, args).await?],
        Command::Cluster(args) => cluster::run(env, args).await?,
        Command::All(args) => all(env, args).await?,
        Command::Prepare(args) => {
            prepare(env, args).await?;
            Vec::new()
        }
        Command::CeilingServer(_) => {
            return Err(Error::setup(
                "the ceiling server runs on its own, not as a scenario",
            ));
        }
    })
}

/// Every scenario in turn; the slow-reader scenario runs at half of Confab's fan-out top rate.
async fn all(env: &Env, args: &AllArgs) -> Result<Vec<Report>> {
    let mut reports = Vec::new();
    let mut fanout = scenario::fanout::run(env, &Default::default()).await?;
    fanout.conditions.load_after = system::load_average();
    let top = fanout
        .summary
        .get("confab_top_rate")
        .and_then(serde_json::Value::as_f64);
    env.say(fanout.table());
    reports.push(fanout);
    macro_rules! then {
        ($run:expr) => {{
            let mut report = $run.await?;
            report.conditions.load_after = system::load_average();
            env.say(report.table());
            reports.push(report);
        }};
    }
    then!(scenario::office::run(env, &Default::default()));
    then!(scenario::burst::run(env, &Default::default()));
    then!(scenario::idle::run(env, &Default::default()));
    then!(scenario::storm::run(env, &Default::default()));
    let slow = cli::SlowArgs {
        rate: args.slow_rate.or(top.map(|t| t / 2.0)),
        ..Default::default()
    };
    then!(scenario::slow::run(env, &slow));
    then!(scenario::history::run(env, &Default::default()));
    then!(scenario::search::run(env, &Default::default()));
    Ok(reports)
}

/// Builds the cached data set every scenario can copy.
async fn prepare(env: &Env, args: &PrepareArgs) -> Result<()> {
    let tiny = env.tiny();
    let users = args.users.unwrap_or(if tiny { 30 } else { 10_000 });
    let needs = dataset::Needs {
        users,
        office_users: args
            .office_users
            .unwrap_or(if tiny { 12 } else { 1000 })
            .min(users),
        office_rooms: args.rooms.unwrap_or(if tiny { 4 } else { 20 }),
    };
    let (dir, dataset) = env.build_cache(&needs).await?;
    env.say(format!(
        "data set of {} users ({} with the office layout of {} rooms) in {}",
        dataset.users.len(),
        dataset.office_users,
        dataset.others.len() + 1,
        dir.display()
    ));
    Ok(())
}
