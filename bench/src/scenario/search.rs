//! Scenario 8, search: a million messages of Chinese and English (see `corpus.rs`) spread over
//! four rooms, searched over HTTP, four requests at a time, one query class after another:
//! one-, two- and four-character Chinese, common and rare English words, phrases, and a
//! filtered query. The messages and their index entries are written straight into the
//! database with the server's own segmenter, as the history scenario writes its messages;
//! sending a million through the protocol would measure the write path (the burst scenario).
//! Also reports the index's size against the messages table's. Confab only.

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::{Env, open_database, pause};
use crate::cli::SearchArgs;
use crate::client::Dialect;
use crate::corpus::Corpus;
use crate::dataset::Needs;
use crate::error::{Error, Result};
use crate::report::{Report, Row, Verdict};
use crate::stats::Histogram;
use crate::system;

/// p99 of each query class must stay under this.
const TARGET_MS: f64 = 50.0;
/// Messages written per transaction while filling.
const FILL_BATCH: u64 = 10_000;
/// The corpus spans this many days, oldest first.
const SPAN_DAYS: i64 = 365;

pub async fn run(env: &Env, args: &SearchArgs) -> Result<Report> {
    let tiny = env.tiny();
    let messages = args.messages.unwrap_or(if tiny { 3_000 } else { 1_000_000 });
    let duration = args.duration_secs.unwrap_or(if tiny { 0.5 } else { 10.0 });
    let concurrency = args.concurrency.unwrap_or(4).max(1);
    let mut report = Report::new(
        "search",
        &format!(
            "{messages} Chinese and English messages in 4 rooms; each query class for {duration} s, {concurrency} requests at a time"
        ),
        env.conditions(system::load_average()),
    );
    if !env.dialects().contains(&Dialect::Confab) {
        report
            .notes
            .push("the ceiling server has no search: nothing to measure".into());
        return Ok(report);
    }
    if env.common.server.is_some() {
        return Err(Error::setup(
            "the search scenario writes its messages into the database: let the tool start Confab",
        ));
    }
    report
        .notes
        .push("Confab only: the ceiling server has no search".into());
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
    let searcher = &dataset.users[0];
    let mut rooms = vec![dataset.lobby];
    rooms.extend(dataset.others.iter().take(2));
    // The fourth room is one the searcher is not in: its messages must cost nothing.
    rooms.push(dataset.history_room);
    let corpus = Corpus::new(rooms.len());
    let started = Instant::now();
    fill(
        &under.database(),
        &corpus,
        &rooms,
        [dataset.owner.id, searcher.id],
        searcher.id,
        messages,
    )
    .await?;
    env.say(format!(
        "  wrote and indexed {messages} messages in {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    let sizes = sizes(&under.database()).await;
    pause(if tiny { 0.1 } else { 2.0 }).await;

    let (four, phrases) = corpus.samples(20);
    let since = chrono_free_date(90);
    let classes: Vec<(&str, Vec<String>)> = vec![
        ("zh 1 char", (0..20).map(|k| corpus.zh_char(k * 3)).collect()),
        ("zh 2 chars", (0..20).map(|k| corpus.zh_word(k * 25)).collect()),
        ("zh 4 chars", four),
        (
            "en common",
            (0..20).map(|k| corpus.en_word(25 + k).to_owned()).collect(),
        ),
        (
            "en rare",
            (0..20)
                .map(|k| corpus.en_word(5_000 + k * 700).to_owned())
                .collect(),
        ),
        ("phrase", phrases),
        (
            "filtered",
            (0..20)
                .map(|k| {
                    format!(
                        "{} from:{} after:{since}",
                        corpus.en_word(25 + k),
                        dataset.owner.username
                    )
                })
                .collect(),
        ),
    ];

    let api = under.target.api()?;
    let mut worst: f64 = 0.0;
    let mut failed = 0;
    for (class, queries) in classes {
        let queries = Arc::new(queries);
        let latency = Arc::new(Mutex::new(Histogram::default()));
        let errors = Arc::new(AtomicU64::new(0));
        let results = Arc::new(AtomicU64::new(0));
        let before = under.target.sample();
        let deadline = Instant::now() + Duration::from_secs_f64(duration);
        let workers: Vec<_> = (0..concurrency)
            .map(|w| {
                let (api, token, queries, latency, errors, results) = (
                    api.clone(),
                    searcher.token.clone(),
                    queries.clone(),
                    latency.clone(),
                    errors.clone(),
                    results.clone(),
                );
                tokio::spawn(async move {
                    let mut count = 0u64;
                    while Instant::now() < deadline {
                        let q = &queries[(w + count as usize * concurrency) % queries.len().max(1)];
                        let t = Instant::now();
                        match api.search(&token, q).await {
                            Ok(n) => {
                                let nanos = u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX);
                                latency
                                    .lock()
                                    .unwrap_or_else(PoisonError::into_inner)
                                    .record(nanos);
                                results.fetch_add(n as u64, Ordering::Relaxed);
                            }
                            Err(_) => {
                                errors.fetch_add(1, Ordering::Relaxed);
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
        let after = under.target.sample();
        let summary = latency.lock().unwrap_or_else(PoisonError::into_inner).summary();
        let error_count = errors.load(Ordering::Relaxed);
        failed += error_count;
        worst = worst.max(summary.p99_ms);
        let mean_results = results.load(Ordering::Relaxed) as f64 / requests.max(1) as f64;
        let mut row = Row::without_messages(under.name(), class, concurrency)
            .with_process(before, after)
            .extra("requests", requests)
            .extra("requests_per_sec", requests as f64 / duration.max(1e-9))
            .extra("p50_ms", summary.p50_ms)
            .extra("p99_ms", summary.p99_ms)
            .extra("max_ms", summary.max_ms)
            .extra("mean_results", mean_results);
        row.messages.errors = error_count;
        env.say(format!(
            "  {class}: {requests} searches, p50 {:.2} ms, p99 {:.2} ms, {mean_results:.1} results each",
            summary.p50_ms, summary.p99_ms
        ));
        report.summary(&format!("{}_p99_ms", class.replace(' ', "_")), summary.p99_ms);
        report.verdicts.push(Verdict::new(
            format!("{class}: p99 < {TARGET_MS} ms over HTTP"),
            format!(
                "{:.2} ms over {requests} requests, {error_count} errors",
                summary.p99_ms
            ),
            Some(summary.p99_ms < TARGET_MS && error_count == 0),
        ));
        report.rows.push(row);
    }
    under.stop().await?;
    report.summary("worst_p99_ms", worst);
    report.summary("errors", failed);
    match sizes {
        Some((messages_bytes, index_bytes)) => {
            let ratio = index_bytes as f64 / messages_bytes.max(1) as f64;
            report.summary("messages_table_bytes", messages_bytes);
            report.summary("index_bytes", index_bytes);
            report.summary("index_to_messages_ratio", ratio);
            env.say(format!(
                "  index {:.1} MB, messages table {:.1} MB: ratio {ratio:.2}",
                index_bytes as f64 / 1e6,
                messages_bytes as f64 / 1e6
            ));
        }
        None => report
            .notes
            .push("sizes unknown: this SQLite has no dbstat table".into()),
    }
    Ok(report)
}

/// `days` ago as YYYY-MM-DD (UTC), from the civil-from-days algorithm (no date crate here).
fn chrono_free_date(days: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let z = now / 86_400 - days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Writes `count` corpus messages into `rooms` by `authors`, and their index entries, in
/// batches; makes `member` a member of every room but the last.
async fn fill(
    database: &std::path::Path,
    corpus: &Corpus,
    rooms: &[i64],
    authors: [i64; 2],
    member: i64,
    count: u64,
) -> Result<()> {
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
    let start = now - SPAN_DAYS * 86_400_000;
    let step = (SPAN_DAYS * 86_400_000) / i64::try_from(count.max(1)).unwrap_or(1);
    for room in &rooms[..rooms.len() - 1] {
        sqlx::query(
            r#"insert or ignore into room_memberships (room_id, user_id, joined_at) values (?1, ?2, ?3)"#,
        )
        .bind(room)
        .bind(member)
        .bind(start)
        .execute(&pool)
        .await?;
    }
    let mut i = 0u64;
    while i < count {
        let end = (i + FILL_BATCH).min(count);
        let lines: Vec<(i64, i64, String, i64)> = (i..end)
            .map(|k| {
                let line = corpus.line(k);
                (
                    rooms[line.room],
                    authors[line.author],
                    line.content,
                    start + step * i64::try_from(k).unwrap_or(0),
                )
            })
            .collect();
        let mut tx = pool.begin().await?;
        let mut ids: Vec<i64> = sqlx::query_scalar(
            r#"insert into messages (room_id, user_id, content, message_type, timestamp)
               select j.value ->> 0, j.value ->> 1, j.value ->> 2, 'text', j.value ->> 3
               from json_each(?1) j order by j.key
               returning id"#,
        )
        .bind(serde_json::to_string(&lines)?)
        .fetch_all(&mut *tx)
        .await?;
        ids.sort_unstable();
        let entries: Vec<(i64, String, String)> = ids
            .iter()
            .zip(&lines)
            .map(|(id, line)| {
                let indexed = server_core::search::index_text(&line.2);
                (*id, indexed.body, indexed.chars)
            })
            .collect();
        sqlx::query(
            r#"insert into message_search (rowid, body, chars)
               select j.value ->> 0, j.value ->> 1, j.value ->> 2 from json_each(?1) j"#,
        )
        .bind(serde_json::to_string(&entries)?)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        i = end;
    }
    sqlx::query("pragma wal_checkpoint(truncate)")
        .execute(&pool)
        .await?;
    pool.close().await;
    Ok(())
}

/// Bytes of the messages table and of the search index (all its shadow tables), from SQLite's
/// `dbstat` table when this build has it.
async fn sizes(database: &std::path::Path) -> Option<(u64, u64)> {
    let pool = open_database(database).await.ok()?;
    let rows: Vec<(String, i64)> = sqlx::query_as(
        r#"select name, sum(pgsize) from dbstat
           where name = 'messages' or name like 'message_search%' group by name"#,
    )
    .fetch_all(&pool)
    .await
    .ok()?;
    pool.close().await;
    let messages = rows
        .iter()
        .filter(|(n, _)| n == "messages")
        .map(|(_, b)| *b)
        .sum::<i64>();
    let index = rows
        .iter()
        .filter(|(n, _)| n != "messages")
        .map(|(_, b)| *b)
        .sum::<i64>();
    Some((u64::try_from(messages).ok()?, u64::try_from(index).ok()?))
}
