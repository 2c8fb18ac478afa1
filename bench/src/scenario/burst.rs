//! Scenario 3, a write burst: senders flooding one room, each keeping a window of messages in
//! flight and sending the next as soon as one is acknowledged. Confab acknowledges a message
//! (the sender's own `new_message`, with its `ref`) only after its commit, so acknowledged
//! messages per second are durable messages per second; after the run the tool counts them in
//! the database to be sure.

use std::time::Duration;

use tokio::time::Instant;

use super::{Env, open_database, pause, ratio};
use crate::cli::BurstArgs;
use crate::client::{self, Dialect, Pacing, SendPlan, Shared};
use crate::dataset::Needs;
use crate::error::Result;
use crate::report::{Report, Row, Verdict};
use crate::system;

/// Acknowledged messages per second Confab must reach.
const TARGET: f64 = 20_000.0;

pub async fn run(env: &Env, args: &BurstArgs) -> Result<Report> {
    let tiny = env.tiny();
    let senders = args.senders.unwrap_or(if tiny { 4 } else { 50 });
    let duration = args.duration_secs.unwrap_or(if tiny { 1.0 } else { 30.0 });
    let window = args.window.unwrap_or(if tiny { 10 } else { 16 });
    let mut report = Report::new(
        "burst",
        &format!("{senders} senders flooding one room for {duration} s, {window} messages in flight each"),
        env.conditions(system::load_average()),
    );
    let needs = Needs {
        users: senders,
        office_users: 0,
        office_rooms: 3,
    };
    for dialect in env.dialects() {
        let under = env.start(dialect, &needs).await?;
        let shared = Shared::new();
        let clients = under.connect(env, &shared, senders, |_| true).await?;
        pause(if tiny { 0.2 } else { 2.0 }).await;
        let phase = shared
            .phases
            .open("flood", (200_000.0 * duration.max(1.0)) as usize);
        let before = under.sample();
        let until = Instant::now() + Duration::from_secs_f64(duration);
        let recipients = u32::try_from(clients.len()).unwrap_or(u32::MAX);
        for client in &clients {
            client.send(SendPlan {
                phase: phase.clone(),
                rooms: vec![(under.layout.lobby, recipients)],
                pacing: Pacing::Window { window },
                until,
            });
        }
        tokio::time::sleep_until(until).await;
        phase.drain(Duration::from_secs(10)).await;
        let after = under.sample();
        let mut row = Row::new(under.name(), "flood", clients.len(), phase.result())
            .with_usage(before, after, under.node_count())
            .extra("disconnected", shared.disconnects());
        env.say(format!(
            "  {}: {:.0} acknowledged messages/s, ack p99 {:.1} ms",
            under.name(),
            row.acked_per_sec,
            row.messages.ack_latency.p99_ms
        ));
        client::close_all(clients).await;
        let owns = under.owns_data(env);
        let database = under.database();
        let postgres = under.database_url.clone();
        let scratch = under.stop().await?;
        if let Some(url) = postgres {
            // The nodes' shared database: everything acknowledged must be there too.
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .connect(&url)
                .await?;
            let stored: i64 = sqlx::query_scalar("select count(*) from messages where client_msg_id like $1")
                .bind(format!("b{}-%", shared.nonce))
                .fetch_one(&pool)
                .await?;
            pool.close().await;
            row = row.extra("stored", stored);
        } else if owns {
            // Stopped gracefully: everything acknowledged must be in the database.
            let pool = open_database(&database).await?;
            let stored: i64 = sqlx::query_scalar("select count(*) from messages where client_msg_id like ?1")
                .bind(format!("b{}-%", shared.nonce))
                .fetch_one(&pool)
                .await?;
            pool.close().await;
            row = row.extra("stored", stored);
        }
        drop(scratch);
        report.rows.push(row);
    }
    verdicts(&mut report);
    Ok(report)
}

fn verdicts(report: &mut Report) {
    let find = |dialect: Dialect| report.rows.iter().find(|r| r.server == dialect.name()).cloned();
    let confab = find(Dialect::Confab);
    let ceiling = find(Dialect::Ceiling);
    if let Some(c) = &confab {
        report.summary("confab_acked_per_sec", c.acked_per_sec.round());
        report.verdicts.push(Verdict::new(
            format!("≥ {TARGET:.0} acknowledged, durable messages per second"),
            format!("{:.0}/s", c.acked_per_sec),
            Some(c.acked_per_sec >= TARGET),
        ));
        if let Some(stored) = c.extra.get("stored").and_then(serde_json::Value::as_u64) {
            report.verdicts.push(Verdict::new(
                "every acknowledged message is in the database",
                format!("{} acknowledged, {stored} stored", c.messages.acked),
                Some(stored >= c.messages.acked),
            ));
        }
        report.verdicts.push(Verdict::new(
            "nothing lost or duplicated",
            format!("{} lost, {} duplicated", c.messages.lost, c.messages.duplicated),
            Some(c.clean()),
        ));
    }
    if let Some(x) = &ceiling {
        report.summary("ceiling_acked_per_sec", x.acked_per_sec.round());
    }
    if let (Some(c), Some(x)) = (&confab, &ceiling) {
        if let Some(share) = ratio(c.acked_per_sec, x.acked_per_sec) {
            report.summary("confab_share_of_ceiling", share);
        }
    }
}
