//! Scenario 2, an office day: users in rooms (everyone in 大厅 and two others), each sending a
//! message every ten seconds or so, at random, to one of their rooms. Every message is stored.
//! The figures: delivery latency and how much of a core the server needs.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::{Env, Under, audiences, pause};
use crate::cli::OfficeArgs;
use crate::client::{self, Client, Dialect, Pacing, SendPlan, Shared};
use crate::dataset::Needs;
use crate::error::Result;
use crate::report::{Report, Row, Verdict};
use crate::stats::Phase;
use crate::system;

/// p99 delivery latency the office day must stay under.
pub const P99_TARGET_MS: f64 = 20.0;
/// Share of one core the server may use.
pub const CPU_TARGET: f64 = 0.15;

#[derive(Clone, Debug)]
pub struct Sizes {
    pub users: usize,
    pub rooms: usize,
    pub interval_secs: f64,
    pub duration_secs: f64,
}

impl Sizes {
    pub fn new(args: &OfficeArgs, tiny: bool) -> Sizes {
        Sizes {
            users: args.users.unwrap_or(if tiny { 12 } else { 1000 }),
            rooms: args.rooms.unwrap_or(if tiny { 4 } else { 20 }),
            interval_secs: args.interval_secs.unwrap_or(if tiny { 0.3 } else { 10.0 }),
            duration_secs: args.duration_secs.unwrap_or(if tiny { 1.5 } else { 60.0 }),
        }
    }

    pub fn needs(&self, extra_users: usize) -> Needs {
        Needs {
            users: self.users + extra_users,
            office_users: self.users,
            office_rooms: self.rooms,
        }
    }

    fn describe(&self) -> String {
        format!(
            "{} users in {} rooms (大厅 and two others each), one message per user every ~{} s",
            self.users, self.rooms, self.interval_secs
        )
    }
}

pub async fn run(env: &Env, args: &OfficeArgs) -> Result<Report> {
    let sizes = Sizes::new(args, env.tiny());
    let mut report = Report::new(
        "office",
        &sizes.describe(),
        env.conditions(system::load_average()),
    );
    let needs = sizes.needs(0);
    for dialect in env.dialects() {
        let under = env.start(dialect, &needs).await?;
        let shared = Shared::new();
        let clients = under.connect(env, &shared, sizes.users, |_| true).await?;
        pause(if env.tiny() { 0.2 } else { 3.0 }).await;
        let before = under.target.sample();
        let until = Instant::now() + Duration::from_secs_f64(sizes.duration_secs);
        let phase = start(&under, &shared, &clients, &sizes, "office day", until);
        tokio::time::sleep_until(until).await;
        phase.drain(Duration::from_secs(5)).await;
        let after = under.target.sample();
        let row =
            Row::new(under.name(), "office day", clients.len(), phase.result()).with_process(before, after);
        env.say(format!(
            "  {}: {:.0} messages/s, p99 {:.2} ms, CPU {}",
            under.name(),
            row.sent_per_sec,
            row.messages.latency.p99_ms,
            row.server_cpu_share
                .map_or("-".into(), |s| format!("{:.1} %", s * 100.0))
        ));
        report.rows.push(row);
        client::close_all(clients).await;
        under.stop().await?;
    }
    verdicts(&mut report);
    Ok(report)
}

/// Starts every client sending office-day traffic into a new phase named `label` until
/// `until`, and returns the phase.
pub fn start(
    under: &Under,
    shared: &Shared,
    clients: &[Client],
    sizes: &Sizes,
    label: &str,
    until: Instant,
) -> Arc<Phase> {
    let seconds = until.saturating_duration_since(Instant::now()).as_secs_f64();
    let expected = clients.len() as f64 * seconds / sizes.interval_secs;
    let phase = shared.phases.open(label, (expected * 1.5) as usize + 1000);
    let audience = audiences(&under.layout, 0..clients.len());
    for (i, client) in clients.iter().enumerate() {
        let rooms = under
            .layout
            .rooms_of(i)
            .into_iter()
            .map(|room| (room, audience.get(&room).copied().unwrap_or(0)))
            .collect();
        client.send(SendPlan {
            phase: phase.clone(),
            rooms,
            pacing: Pacing::Poisson {
                mean: Duration::from_secs_f64(sizes.interval_secs),
            },
            until,
        });
    }
    phase
}

fn verdicts(report: &mut Report) {
    let Some(confab) = report
        .rows
        .iter()
        .find(|r| r.server == Dialect::Confab.name())
        .cloned()
    else {
        return;
    };
    let p99 = confab.messages.latency.p99_ms;
    let mut verdicts = vec![Verdict::new(
        format!("p99 delivery < {P99_TARGET_MS} ms"),
        format!("{p99:.2} ms"),
        Some(p99 < P99_TARGET_MS),
    )];
    verdicts.push(Verdict::new(
        format!("server CPU < {:.0} % of one core", CPU_TARGET * 100.0),
        confab
            .server_cpu_share
            .map_or("not measured (in-process or no --server-pid)".into(), |s| {
                format!("{:.1} %", s * 100.0)
            }),
        confab.server_cpu_share.map(|s| s < CPU_TARGET),
    ));
    verdicts.push(Verdict::new(
        "zero loss",
        format!(
            "{} lost, {} duplicated, {} errors",
            confab.messages.lost, confab.messages.duplicated, confab.messages.errors
        ),
        Some(confab.clean()),
    ));
    if let Some(ceiling) = report
        .rows
        .iter()
        .find(|r| r.server == Dialect::Ceiling.name())
        .cloned()
    {
        report.summary("ceiling_p99_ms", ceiling.messages.latency.p99_ms);
        if let Some(share) = ceiling.server_cpu_share {
            report.summary("ceiling_cpu_percent", share * 100.0);
        }
    }
    report.summary("confab_p99_ms", p99);
    if let Some(share) = confab.server_cpu_share {
        report.summary("confab_cpu_percent", share * 100.0);
    }
    report.verdicts.extend(verdicts);
}
