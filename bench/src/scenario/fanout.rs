//! Scenario 1, fan-out: one room of clients, a few of which send at a fixed total rate that
//! rises step by step. A step passes when p99 delivery latency stays under the limit, nothing
//! is lost or duplicated and the senders kept to the rate; the highest passing step is the
//! server's figure.

use std::time::Duration;

use super::{Env, Under, pause, ratio};
use crate::cli::FanoutArgs;
use crate::client::{self, Client, Shared};
use crate::dataset::Needs;
use crate::error::Result;
use crate::report::{Report, Row, Verdict};
use crate::system;

/// The scenario's sizes, full or tiny.
#[derive(Clone, Debug)]
pub struct Sizes {
    pub clients: usize,
    pub senders: usize,
    pub start_rate: f64,
    pub factor: f64,
    pub step_secs: f64,
    pub max_steps: usize,
    pub p99_limit_ms: f64,
}

impl Sizes {
    pub fn new(args: &FanoutArgs, tiny: bool) -> Sizes {
        Sizes {
            clients: args.clients.unwrap_or(if tiny { 6 } else { 500 }),
            senders: args.senders.unwrap_or(if tiny { 2 } else { 5 }),
            start_rate: args.start_rate.unwrap_or(if tiny { 20.0 } else { 250.0 }),
            factor: args.factor.unwrap_or(if tiny { 2.0 } else { 1.25 }),
            step_secs: args.step_secs.unwrap_or(if tiny { 0.5 } else { 5.0 }),
            max_steps: args.max_steps.unwrap_or(if tiny { 2 } else { 40 }),
            p99_limit_ms: args.p99_limit_ms.unwrap_or(100.0),
        }
    }
}

/// The best step of one server.
#[derive(Clone, Copy, Debug)]
struct Top {
    rate: f64,
    deliveries_per_sec: f64,
    p99_ms: f64,
}

pub async fn run(env: &Env, args: &FanoutArgs) -> Result<Report> {
    let sizes = Sizes::new(args, env.tiny());
    let mut report = Report::new(
        "fanout",
        &format!(
            "one room of {} clients, {} senders, rate ×{} per {} s step; pass: p99 < {} ms, nothing lost",
            sizes.clients, sizes.senders, sizes.factor, sizes.step_secs, sizes.p99_limit_ms
        ),
        env.conditions(system::load_average()),
    );
    let needs = Needs {
        users: sizes.clients,
        office_users: 0,
        office_rooms: 3,
    };
    let mut tops = Vec::new();
    for dialect in env.dialects() {
        let under = env.start(dialect, &needs).await?;
        let shared = Shared::new();
        let clients = under.connect(env, &shared, sizes.clients, |_| true).await?;
        pause(if env.tiny() { 0.2 } else { 2.0 }).await;
        let mut rate = sizes.start_rate;
        let mut top = None;
        for _ in 0..sizes.max_steps {
            let row = step(env, &under, &shared, &clients, &sizes, rate).await;
            let passed = row.passed == Some(true);
            if passed {
                top = Some(Top {
                    rate,
                    deliveries_per_sec: row.deliveries_per_sec,
                    p99_ms: row.messages.latency.p99_ms,
                });
            }
            report.rows.push(row);
            if !passed || shared.disconnects() > 0 {
                break;
            }
            rate *= sizes.factor;
        }
        client::close_all(clients).await;
        under.stop().await?;
        tops.push((dialect, top));
    }
    verdicts(&mut report, &tops, &sizes);
    Ok(report)
}

/// Runs one rate step and returns its row.
async fn step(
    env: &Env,
    under: &Under,
    shared: &Shared,
    clients: &[Client],
    sizes: &Sizes,
    rate: f64,
) -> Row {
    let label = format!("{rate:.0}/s");
    let capacity = (rate * sizes.step_secs * 1.1) as usize + 1000;
    let phase = shared.phases.open(label.clone(), capacity);
    let senders = sizes.senders.min(clients.len()).max(1);
    let recipients = u32::try_from(clients.len()).unwrap_or(u32::MAX);
    let before = under.sample();
    let room = (under.layout.lobby, recipients);
    let until = super::send_in_turns(clients, senders, &phase, room, rate, sizes.step_secs);
    tokio::time::sleep_until(until).await;
    phase.drain(Duration::from_secs(5)).await;
    let after = under.sample();
    let result = phase.result();
    let expected_sent = rate * sizes.step_secs;
    let kept_up = result.sent as f64 >= expected_sent * 0.97;
    let mut row =
        Row::new(under.name(), label, clients.len(), result).with_usage(before, after, under.node_count());
    row.offered_rate = Some(rate);
    let passed = row.clean() && row.messages.latency.p99_ms < sizes.p99_limit_ms && kept_up;
    row.passed = Some(passed);
    if !kept_up {
        row = row.extra("senders_fell_behind", true);
    }
    env.say(format!(
        "  {} {:>8}: {:>9.0} deliveries/s, p99 {:>7.2} ms, lost {}, {}",
        under.name(),
        row.label,
        row.deliveries_per_sec,
        row.messages.latency.p99_ms,
        row.messages.lost,
        if passed { "pass" } else { "FAIL" }
    ));
    row
}

fn verdicts(report: &mut Report, tops: &[(client::Dialect, Option<Top>)], sizes: &Sizes) {
    let top_of = |dialect| tops.iter().find(|(d, _)| *d == dialect).and_then(|(_, t)| *t);
    let confab = top_of(client::Dialect::Confab);
    let ceiling = top_of(client::Dialect::Ceiling);
    for (name, top) in [("confab", confab), ("ceiling", ceiling)] {
        if let Some(top) = top {
            report.summary(&format!("{name}_top_rate"), top.rate.round());
            report.summary(
                &format!("{name}_top_deliveries_per_sec"),
                top.deliveries_per_sec.round(),
            );
            report.summary(&format!("{name}_p99_ms_at_top"), top.p99_ms);
        }
    }
    let share = match (confab, ceiling) {
        (Some(c), Some(x)) => ratio(c.deliveries_per_sec, x.deliveries_per_sec),
        _ => None,
    };
    if let Some(share) = share {
        report.summary("confab_share_of_ceiling", share);
    }
    report.verdicts.push(Verdict::new(
        "Confab delivers ≥ 60 % of the ceiling's messages per second",
        share.map_or("no figure for both servers".into(), |s| {
            format!("{:.1} %", s * 100.0)
        }),
        share.map(|s| s >= 0.6),
    ));
    // The ceiling's p99 at Confab's top rate: the ceiling ran the same steps.
    let ceiling_p99 = confab.and_then(|c| {
        report
            .rows
            .iter()
            .find(|r| r.server == "ceiling" && r.offered_rate.is_some_and(|rate| (rate - c.rate).abs() < 0.5))
            .map(|r| r.messages.latency.p99_ms)
    });
    let p99_ratio = match (confab, ceiling_p99) {
        (Some(c), Some(x)) => ratio(c.p99_ms, x),
        _ => None,
    };
    report.verdicts.push(Verdict::new(
        "Confab's p99 within 2× the ceiling's at the same rate",
        match (confab, ceiling_p99) {
            (Some(c), Some(x)) => format!("{:.2} ms vs {:.2} ms at {:.0}/s", c.p99_ms, x, c.rate),
            _ => "no figure for both servers".into(),
        },
        p99_ratio.map(|r| r <= 2.0),
    ));
    if let Some(c) = confab {
        if (c.rate - sizes.start_rate * sizes.factor.powi(sizes.max_steps as i32 - 1)).abs() < 0.5 {
            report
                .notes
                .push("Confab passed every step: raise --max-steps to find its limit".into());
        }
    }
}
