//! Scenario 7, history: a room of a million messages, read in random `before=` pages of 50 over
//! HTTP, a few requests at a time. The messages are written straight into the server's SQLite
//! database (one transaction, a recursive CTE) — sending a million through the protocol would
//! measure the write path, which the burst scenario already does. Confab only: the ceiling
//! server keeps no history.

use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::{Env, pause};
use crate::cli::HistoryArgs;
use crate::client::Dialect;
use crate::dataset::Needs;
use crate::error::{Error, Result};
use crate::report::{Report, Row, Verdict};
use crate::stats::Histogram;
use crate::system;

/// p99 of one page request must stay under this.
const TARGET_MS: f64 = 5.0;

pub async fn run(env: &Env, args: &HistoryArgs) -> Result<Report> {
    let tiny = env.tiny();
    let messages = args.messages.unwrap_or(if tiny { 2_000 } else { 1_000_000 });
    let duration = args.duration_secs.unwrap_or(if tiny { 1.0 } else { 20.0 });
    let concurrency = args.concurrency.unwrap_or(4).max(1);
    let page = args.page.unwrap_or(50);
    let mut report = Report::new(
        "history",
        &format!(
            "random before= pages of {page} in a room of {messages} messages, {concurrency} requests at a time"
        ),
        env.conditions(system::load_average()),
    );
    if !env.dialects().contains(&Dialect::Confab) {
        report
            .notes
            .push("the ceiling server keeps no history: nothing to measure".into());
        return Ok(report);
    }
    if env.common.server.is_some() {
        return Err(Error::setup(
            "the history scenario writes its messages into the database: let the tool start Confab",
        ));
    }
    report
        .notes
        .push("Confab only: the ceiling server keeps no history".into());
    let needs = Needs {
        users: 1,
        office_users: 0,
        office_rooms: 3,
    };
    let under = env.start(Dialect::Confab, &needs).await?;
    let dataset = under
        .dataset
        .clone()
        .ok_or_else(|| Error::setup("Confab started without its data set"))?;
    let room = dataset.history_room;
    let started = Instant::now();
    let (first, last) = fill(&under.database(), room, dataset.owner.id, messages).await?;
    env.say(format!(
        "  wrote {messages} messages into room {room} in {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    pause(if tiny { 0.1 } else { 2.0 }).await;

    let api = under.target.api()?;
    let token = dataset.users[0].token.clone();
    let latency = Arc::new(Mutex::new(Histogram::default()));
    let errors = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let short = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let before = under.target.sample();
    let deadline = Instant::now() + Duration::from_secs_f64(duration);
    let lowest = first + i64::from(page);
    let span = u64::try_from(last + 1 - lowest).unwrap_or(1).max(1);
    let workers: Vec<_> = (0..concurrency)
        .map(|w| {
            let (api, token, latency, errors, short) = (
                api.clone(),
                token.clone(),
                latency.clone(),
                errors.clone(),
                short.clone(),
            );
            tokio::spawn(async move {
                let mut rng = 0x2545_F491_4F6C_DD1Du64 ^ (w as u64 + 1);
                let mut count = 0u64;
                while Instant::now() < deadline {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    let before_id = lowest + i64::try_from(rng % span).unwrap_or(0);
                    let t = Instant::now();
                    match api.history_page(&token, room, before_id, page).await {
                        Ok((n, _)) => {
                            let nanos = u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX);
                            latency
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner)
                                .record(nanos);
                            if n != page as usize {
                                short.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            }
                        }
                        Err(_) => {
                            errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                    count += 1;
                }
                count
            })
        })
        .collect();
    let mut requests = 0;
    for worker in workers {
        requests += worker.await.unwrap_or(0);
    }
    let elapsed = duration.max(1e-9);
    let after = under.target.sample();
    let summary = latency.lock().unwrap_or_else(PoisonError::into_inner).summary();
    let error_count = errors.load(std::sync::atomic::Ordering::Relaxed);
    let mut row = Row::without_messages(under.name(), "history pages", concurrency)
        .with_process(before, after)
        .extra("requests", requests)
        .extra("requests_per_sec", requests as f64 / elapsed)
        .extra("p50_ms", summary.p50_ms)
        .extra("p99_ms", summary.p99_ms)
        .extra("max_ms", summary.max_ms)
        .extra("short_pages", short.load(std::sync::atomic::Ordering::Relaxed));
    row.messages.errors = error_count;
    env.say(format!(
        "  confab: {requests} pages, {:.0}/s, p50 {:.2} ms, p99 {:.2} ms",
        requests as f64 / elapsed,
        summary.p50_ms,
        summary.p99_ms
    ));
    under.stop().await?;
    report.summary("p99_ms", summary.p99_ms);
    report.summary("requests_per_sec", requests as f64 / elapsed);
    report.verdicts.push(Verdict::new(
        format!("p99 < {TARGET_MS} ms per page over HTTP"),
        format!(
            "{:.2} ms over {requests} requests, {error_count} errors",
            summary.p99_ms
        ),
        Some(summary.p99_ms < TARGET_MS && error_count == 0),
    ));
    report.rows.push(row);
    Ok(report)
}

/// Appends `count` messages by `author` to `room` in one transaction; returns the first and
/// last new ids.
async fn fill(database: &std::path::Path, room: i64, author: i64, count: u64) -> Result<(i64, i64)> {
    let options = sqlx::sqlite::SqliteConnectOptions::from_str("sqlite:")?
        .filename(database)
        .busy_timeout(Duration::from_secs(30));
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis()),
    )
    .unwrap_or(0);
    let count = i64::try_from(count).map_err(|_| Error::setup("too many messages"))?;
    let mut tx = pool.begin().await?;
    sqlx::query(
        r#"with recursive n(i) as (select 1 union all select i + 1 from n where i < ?1)
           insert into messages (room_id, user_id, content, message_type, timestamp)
           select ?2, ?3, 'history message ' || i || ': the quick brown fox jumps over the lazy dog',
                  'text', ?4 - ?1 + i
           from n"#,
    )
    .bind(count)
    .bind(room)
    .bind(author)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let last: i64 = sqlx::query_scalar("select max(id) from messages")
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    pool.close().await;
    // One statement into an AUTOINCREMENT table: the new ids are consecutive.
    Ok((last - count + 1, last))
}
