//! Scenario 4, an idle crowd: thousands of authenticated sockets that only read. The figure is
//! the server's resident memory per connection: (RSS with the crowd − RSS before) / sockets,
//! measured after the crowd has settled (presence announcements delivered). Also reported: how
//! long the crowd took to connect and how much presence traffic its arrival caused.

use std::time::{Duration, Instant};

use super::{Env, pause, ratio};
use crate::cli::IdleArgs;
use crate::client::{self, Dialect, Shared};
use crate::dataset::Needs;
use crate::error::Result;
use crate::report::{Report, Row, Verdict};
use crate::system::{self, Sampler};

/// Server memory allowed per idle connection.
const TARGET_KIB: f64 = 16.0;

pub async fn run(env: &Env, args: &IdleArgs) -> Result<Report> {
    let tiny = env.tiny();
    let connections = args.connections.unwrap_or(if tiny { 20 } else { 10_000 });
    let concurrency = args.concurrency.unwrap_or(100);
    let settle = args.settle_secs.unwrap_or(if tiny { 0.5 } else { 10.0 });
    let mut report = Report::new(
        "idle",
        &format!("{connections} idle sockets (Confab: authenticated); server memory per connection"),
        env.conditions(system::load_average()),
    );
    let limit = system::raise_open_file_limit().unwrap_or(0);
    if limit > 0 && (limit as usize) < connections + 100 {
        report.notes.push(format!(
            "this tool may open only {limit} files: raise `ulimit -n` (hard limit) for {connections} sockets"
        ));
    }
    let needs = Needs {
        users: connections,
        office_users: 0,
        office_rooms: 3,
    };
    for dialect in env.dialects() {
        let under = env.start(dialect, &needs).await?;
        pause(if tiny { 0.2 } else { 2.0 }).await;
        let before = under.target.sample();
        let sampler = under
            .target
            .pid
            .map(|pid| Sampler::start(pid, Duration::from_millis(500)));
        let shared = Shared::new();
        let started = Instant::now();
        let specs = (0..connections)
            .map(|i| under.spec(i, false))
            .collect::<Result<Vec<_>>>()?;
        let clients = client::connect_all(specs, &shared, concurrency).await?;
        let connect_secs = started.elapsed().as_secs_f64();
        env.say(format!(
            "  {} sockets on {} in {connect_secs:.1} s; settling {settle} s",
            clients.len(),
            under.name()
        ));
        pause(settle).await;
        let after = under.target.sample();
        let series = match sampler {
            Some(sampler) => sampler.finish().await,
            None => Vec::new(),
        };
        let (frames, bytes) = shared.received();
        let per_connection_kib = match (before, after) {
            (Some(b), Some(a)) => Some((a.rss_kib as f64 - b.rss_kib as f64) / clients.len() as f64),
            _ => None,
        };
        let mut row = Row::without_messages(under.name(), "idle crowd", clients.len())
            .with_process(before, after)
            .extra("connect_secs", connect_secs)
            .extra("connects_per_sec", clients.len() as f64 / connect_secs)
            .extra("frames_received", frames)
            .extra("mib_received", bytes as f64 / (1024.0 * 1024.0))
            .extra(
                "still_open",
                clients.iter().filter(|c| !c.is_finished()).count() as u64,
            );
        if let Some(kib) = per_connection_kib {
            row = row.extra("kib_per_connection", kib);
        }
        if let (Some(b), Some(peak)) = (before, series.iter().map(|s| s.rss_kib).max()) {
            row = row.extra("peak_rss_mib", peak as f64 / 1024.0);
            row = row.extra("rss_before_mib", b.rss_kib as f64 / 1024.0);
        }
        if shared.disconnects() > 0 {
            row.messages.errors += shared.disconnects();
        }
        env.say(format!(
            "  {}: {} per connection",
            under.name(),
            per_connection_kib.map_or("-".into(), |k| format!("{k:.1} KiB"))
        ));
        report.rows.push(row);
        client::close_all(clients).await;
        under.stop().await?;
    }
    let kib = |dialect: Dialect| {
        report
            .rows
            .iter()
            .find(|r| r.server == dialect.name())
            .and_then(|r| r.extra.get("kib_per_connection"))
            .and_then(serde_json::Value::as_f64)
    };
    let (confab, ceiling) = (kib(Dialect::Confab), kib(Dialect::Ceiling));
    if let Some(c) = confab {
        report.summary("confab_kib_per_connection", c);
    }
    if let Some(x) = ceiling {
        report.summary("ceiling_kib_per_connection", x);
    }
    if let (Some(c), Some(x)) = (confab, ceiling) {
        if let Some(r) = ratio(c, x) {
            report.summary("confab_to_ceiling", r);
        }
    }
    if env.dialects().contains(&Dialect::Confab) {
        report.verdicts.push(Verdict::new(
            format!("≤ {TARGET_KIB} KiB of server RSS per connection"),
            confab.map_or("not measured (in-process or no --server-pid)".into(), |c| {
                format!("{c:.1} KiB")
            }),
            confab.map(|c| c <= TARGET_KIB),
        ));
    }
    Ok(report)
}
