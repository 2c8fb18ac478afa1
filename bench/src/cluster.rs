//! `confab-bench cluster`: the fan-out scenario at one fixed offered rate and the write burst,
//! each on (1) one node on SQLite, (2) one node on PostgreSQL and (3) two nodes on PostgreSQL,
//! configurations taking turns round after round, on a throwaway PostgreSQL the tool starts.
//! Reports each run as its scenario does, then one summary: every configuration's server CPU
//! per message (the nodes' and PostgreSQL's), throughput and latency, and the ratios
//! (2)/(1) and (3)/(2) — on a 2-core machine absolute scaling cannot show, costs can.

use std::sync::Arc;

use serde_json::Value;

use crate::cli::{BurstArgs, ClusterArgs, FanoutArgs};
use crate::error::Result;
use crate::postgres::PgCluster;
use crate::report::{Report, Row};
use crate::scenario::{self, Env};
use crate::system;

/// One configuration under comparison.
struct Setup {
    name: &'static str,
    postgres: bool,
    nodes: usize,
}

const SETUPS: [Setup; 3] = [
    Setup {
        name: "sqlite-1",
        postgres: false,
        nodes: 1,
    },
    Setup {
        name: "postgres-1",
        postgres: true,
        nodes: 1,
    },
    Setup {
        name: "postgres-2",
        postgres: true,
        nodes: 2,
    },
];

/// The figures of one scenario run, per message.
#[derive(Clone, Copy, Debug, Default)]
struct Cost {
    /// Messages sent (fan-out) or acknowledged (burst) per second.
    messages_per_sec: f64,
    deliveries_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// CPU microseconds per message: the nodes together, PostgreSQL's processes.
    nodes_us: f64,
    postgres_us: f64,
    /// The same per delivery (message × recipient).
    nodes_us_per_delivery: f64,
    clean: bool,
}

impl Cost {
    fn of(row: &Row, burst: bool) -> Cost {
        let m = &row.messages;
        let messages = if burst { m.acked } else { m.sent }.max(1) as f64;
        let deliveries = m.deliveries.max(1) as f64;
        let nodes = row.server_cpu_secs.unwrap_or(f64::NAN);
        let postgres = row
            .extra
            .get("postgres_cpu_secs")
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        let latency = if burst { &m.ack_latency } else { &m.latency };
        Cost {
            messages_per_sec: if burst {
                row.acked_per_sec
            } else {
                row.sent_per_sec
            },
            deliveries_per_sec: row.deliveries_per_sec,
            p50_ms: latency.p50_ms,
            p99_ms: latency.p99_ms,
            nodes_us: nodes * 1e6 / messages,
            postgres_us: postgres * 1e6 / messages,
            nodes_us_per_delivery: nodes * 1e6 / deliveries,
            clean: row.clean(),
        }
    }

    fn total_us(&self) -> f64 {
        self.nodes_us + self.postgres_us
    }

    /// The median of each figure over several runs (two runs: their mean).
    fn median(costs: &[Cost]) -> Cost {
        let pick = |f: fn(&Cost) -> f64| {
            let mut v: Vec<f64> = costs.iter().map(f).collect();
            v.sort_by(f64::total_cmp);
            match v.len() {
                0 => f64::NAN,
                n if n % 2 == 1 => v[n / 2],
                n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
            }
        };
        Cost {
            messages_per_sec: pick(|c| c.messages_per_sec),
            deliveries_per_sec: pick(|c| c.deliveries_per_sec),
            p50_ms: pick(|c| c.p50_ms),
            p99_ms: pick(|c| c.p99_ms),
            nodes_us: pick(|c| c.nodes_us),
            postgres_us: pick(|c| c.postgres_us),
            nodes_us_per_delivery: pick(|c| c.nodes_us_per_delivery),
            clean: costs.iter().all(|c| c.clean),
        }
    }
}

pub async fn run(env: &Env, args: &ClusterArgs) -> Result<Vec<Report>> {
    let tiny = env.tiny();
    let rounds = args.rounds.unwrap_or(if tiny { 1 } else { 2 }).max(1);
    let fanout = FanoutArgs {
        clients: Some(args.clients.unwrap_or(if tiny { 6 } else { 200 })),
        senders: Some(args.senders.unwrap_or(if tiny { 2 } else { 4 })),
        start_rate: Some(args.rate.unwrap_or(if tiny { 20.0 } else { 400.0 })),
        factor: Some(1.0),
        step_secs: Some(args.fanout_secs.unwrap_or(if tiny { 0.5 } else { 10.0 })),
        max_steps: Some(1),
        p99_limit_ms: None,
    };
    let burst = BurstArgs {
        senders: Some(args.burst_senders.unwrap_or(if tiny { 4 } else { 20 })),
        duration_secs: Some(args.burst_secs.unwrap_or(if tiny { 1.0 } else { 10.0 })),
        window: None,
    };
    let mut summary = Report::new(
        "cluster",
        &format!(
            "fan-out of {} clients at {} msg/s for {} s and a burst of {} senders for {} s, on sqlite-1, postgres-1 and postgres-2 in turn, {rounds} round(s)",
            fanout.clients.unwrap_or(0),
            fanout.start_rate.unwrap_or(0.0),
            fanout.step_secs.unwrap_or(0.0),
            burst.senders.unwrap_or(0),
            burst.duration_secs.unwrap_or(0.0),
        ),
        env.conditions(system::load_average()),
    );
    let postgres = Arc::new(PgCluster::start(env.launch.server_core)?);
    env.say(format!("PostgreSQL running (pid {})", postgres.pid()));
    let mut reports = Vec::new();
    // costs[setup] = (fan-out runs, burst runs)
    let mut costs: Vec<(Vec<Cost>, Vec<Cost>)> = SETUPS.iter().map(|_| Default::default()).collect();
    for round in 1..=rounds {
        for (k, setup) in SETUPS.iter().enumerate() {
            let mut env = env.clone();
            env.common.no_ceiling = true;
            env.common.only_ceiling = false;
            env.launch.nodes = setup.nodes;
            env.launch.postgres = setup.postgres.then(|| postgres.clone());
            env.say(format!("round {round}: {}", setup.name));
            for is_burst in [false, true] {
                let mut report = if is_burst {
                    scenario::burst::run(&env, &burst).await?
                } else {
                    scenario::fanout::run(&env, &fanout).await?
                };
                report.conditions.load_after = system::load_average();
                for row in &mut report.rows {
                    row.server = setup.name.to_owned();
                    row.extra.insert("round".into(), round.into());
                    let cost = Cost::of(row, is_burst);
                    if is_burst {
                        costs[k].1.push(cost);
                    } else {
                        costs[k].0.push(cost);
                    }
                }
                env.say(report.table());
                reports.push(report);
            }
        }
    }
    summarize(&mut summary, &costs);
    drop(postgres);
    reports.push(summary);
    Ok(reports)
}

fn summarize(report: &mut Report, costs: &[(Vec<Cost>, Vec<Cost>)]) {
    let medians: Vec<(Cost, Cost)> = costs
        .iter()
        .map(|(f, b)| (Cost::median(f), Cost::median(b)))
        .collect();
    for (setup, (f, b)) in SETUPS.iter().zip(&medians) {
        let name = setup.name;
        report.summary(&format!("{name}.fanout_sent_per_sec"), round2(f.messages_per_sec));
        report.summary(
            &format!("{name}.fanout_deliveries_per_sec"),
            f.deliveries_per_sec.round(),
        );
        report.summary(&format!("{name}.fanout_p50_ms"), round2(f.p50_ms));
        report.summary(&format!("{name}.fanout_p99_ms"), round2(f.p99_ms));
        report.summary(
            &format!("{name}.fanout_nodes_cpu_us_per_message"),
            round2(f.nodes_us),
        );
        report.summary(
            &format!("{name}.fanout_postgres_cpu_us_per_message"),
            round2(f.postgres_us),
        );
        report.summary(
            &format!("{name}.fanout_nodes_cpu_us_per_delivery"),
            round2(f.nodes_us_per_delivery),
        );
        report.summary(&format!("{name}.fanout_exact"), f.clean);
        report.summary(&format!("{name}.burst_acked_per_sec"), b.messages_per_sec.round());
        report.summary(&format!("{name}.burst_ack_p50_ms"), round2(b.p50_ms));
        report.summary(&format!("{name}.burst_ack_p99_ms"), round2(b.p99_ms));
        report.summary(
            &format!("{name}.burst_nodes_cpu_us_per_message"),
            round2(b.nodes_us),
        );
        report.summary(
            &format!("{name}.burst_postgres_cpu_us_per_message"),
            round2(b.postgres_us),
        );
        report.summary(&format!("{name}.burst_exact"), b.clean);
    }
    let ratios = [("postgres-1/sqlite-1", 1, 0), ("postgres-2/postgres-1", 2, 1)];
    for (label, a, b) in ratios {
        let (fa, ba) = medians[a];
        let (fb, bb) = medians[b];
        report.summary(
            &format!("ratio {label}.fanout_cpu_per_message"),
            round2(fa.total_us() / fb.total_us()),
        );
        report.summary(
            &format!("ratio {label}.fanout_p99"),
            round2(fa.p99_ms / fb.p99_ms),
        );
        report.summary(
            &format!("ratio {label}.burst_acked_per_sec"),
            round2(ba.messages_per_sec / bb.messages_per_sec),
        );
        report.summary(
            &format!("ratio {label}.burst_cpu_per_message"),
            round2(ba.total_us() / bb.total_us()),
        );
    }
    // Two nodes deliver the same messages to the same clients as one; what the nodes spend
    // beyond one node's is the cross-node path: NOTIFY sent by the writer's node, received,
    // decoded and re-delivered by the other.
    let (f1, b1) = medians[1];
    let (f2, b2) = medians[2];
    report.summary(
        "cross_node.fanout_nodes_cpu_us_per_message",
        round2(f2.nodes_us - f1.nodes_us),
    );
    report.summary(
        "cross_node.fanout_postgres_cpu_us_per_message",
        round2(f2.postgres_us - f1.postgres_us),
    );
    report.summary(
        "cross_node.burst_nodes_cpu_us_per_message",
        round2(b2.nodes_us - b1.nodes_us),
    );
    report.summary(
        "cross_node.burst_postgres_cpu_us_per_message",
        round2(b2.postgres_us - b1.postgres_us),
    );
    report
        .notes
        .push("figures are medians over the rounds; CPU is user + system time from /proc".into());
}

fn round2(x: f64) -> Value {
    if x.is_finite() {
        Value::from((x * 100.0).round() / 100.0)
    } else {
        Value::Null
    }
}
