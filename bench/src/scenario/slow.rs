//! Scenario 6, slow readers: the fan-out room at a fixed rate (half of the fan-out top rate),
//! first with every client reading, then with a few clients that stop reading. The server must
//! cut those off instead of buffering for them (memory stays bounded: RSS is sampled throughout)
//! and everyone else must not notice (p99 of the readers within 1.2× of the first run).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::{Env, Under, pause, ratio};
use crate::cli::SlowArgs;
use crate::client::{self, Client, Dialect, Shared};
use crate::dataset::Needs;
use crate::error::Result;
use crate::report::{Report, Row, Verdict};
use crate::system::{self, ProcSample, Sampler};

/// Extra memory allowed per slow client while it is being cut off: its share of the kernel's
/// socket buffers is not in RSS, but tungstenite's write buffer (1 MiB at most) and its queue
/// of shared frames are. Plus slack for allocator noise.
const RSS_ALLOWANCE_PER_SLOW_KIB: u64 = 2 * 1024;
const RSS_SLACK_KIB: u64 = 16 * 1024;

pub async fn run(env: &Env, args: &SlowArgs) -> Result<Report> {
    let tiny = env.tiny();
    let clients_n = args.clients.unwrap_or(if tiny { 8 } else { 500 });
    let senders = args.senders.unwrap_or(if tiny { 2 } else { 5 });
    let slow_n = args
        .slow
        .unwrap_or(if tiny { 2 } else { 10 })
        .min(clients_n.saturating_sub(senders));
    let rate = args.rate.unwrap_or(if tiny { 40.0 } else { 1000.0 });
    let duration = args.duration_secs.unwrap_or(if tiny { 1.0 } else { 30.0 });
    let slow_duration = args.slow_secs.unwrap_or(if tiny { 1.0 } else { 75.0 });
    let mut report = Report::new(
        "slow",
        &format!(
            "one room of {clients_n} clients at {rate:.0} messages/s for {duration} s, then {slow_n} of them stop reading for {slow_duration} s"
        ),
        env.conditions(system::load_average()),
    );
    let needs = Needs {
        users: clients_n,
        office_users: 0,
        office_rooms: 3,
    };
    // The slow clients are the last ones; the senders are the first.
    let readers = clients_n - slow_n;
    for dialect in env.dialects() {
        let under = env.start(dialect, &needs).await?;
        let shared = Shared::new();
        let clients = under.connect(env, &shared, clients_n, |i| i < readers).await?;
        pause(if tiny { 0.2 } else { 2.0 }).await;
        let sampler = under
            .target
            .pid
            .map(|pid| Sampler::start(pid, Duration::from_millis(500)));
        let run_started = std::time::Instant::now();

        let all_reading = fixed_rate(
            &under,
            &shared,
            &clients,
            senders,
            readers,
            rate,
            duration,
            "all reading",
        )
        .await;
        let slow_started = std::time::Instant::now();
        let rss_at_slow_start = under.target.sample();
        for client in &clients[readers..] {
            client.pause();
        }
        // Confab says who is online: watch the slow users drop off to time their cut-off.
        let cut_offs = Arc::new(Mutex::new(Vec::new()));
        let watch = match (&under.dataset, under.target.api()) {
            (Some(dataset), Ok(api)) => {
                let slow_ids: Vec<i64> = dataset.users[readers..clients_n].iter().map(|u| u.id).collect();
                let token = dataset.owner.token.clone();
                let cut_offs = cut_offs.clone();
                Some(tokio::spawn(async move {
                    watch_cut_offs(&api, &token, &slow_ids, slow_started, &cut_offs).await;
                }))
            }
            _ => None,
        };
        let mut with_slow = fixed_rate(
            &under,
            &shared,
            &clients,
            senders,
            readers,
            rate,
            slow_duration,
            &format!("{slow_n} not reading"),
        )
        .await;
        if let Some(task) = watch {
            task.abort();
        }
        let cut_off_secs: Vec<f64> = cut_offs.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let series = match sampler {
            Some(sampler) => sampler.finish().await,
            None => Vec::new(),
        };
        let probes = clients[readers..].iter().map(Client::closed_by_server);
        let cut_off = futures_util::future::join_all(probes)
            .await
            .into_iter()
            .filter(|closed| *closed)
            .count();
        let max_during_slow = series
            .iter()
            .filter(|s| s.at >= slow_started)
            .map(|s| s.rss_kib)
            .max();
        if let Some(last) = cut_off_secs.iter().copied().reduce(f64::max) {
            with_slow = with_slow.extra("last_cut_off_secs", last);
        }
        if !cut_off_secs.is_empty() {
            with_slow = with_slow.extra(
                "first_cut_off_secs",
                cut_off_secs.iter().copied().fold(f64::MAX, f64::min),
            );
        }
        with_slow = with_slow
            .extra("slow_clients", slow_n as u64)
            .extra("slow_cut_off", cut_off as u64)
            .extra("readers_disconnected", shared.disconnects());
        if let (Some(start), Some(max)) = (rss_at_slow_start, max_during_slow) {
            with_slow = with_slow
                .extra("rss_at_start_mib", mib(start.rss_kib))
                .extra("rss_max_mib", mib(max));
        }
        env.say(format!(
            "  {}: p99 {:.2} ms → {:.2} ms with {slow_n} slow readers; {cut_off} of them cut off",
            under.name(),
            all_reading.messages.latency.p99_ms,
            with_slow.messages.latency.p99_ms
        ));
        if dialect == Dialect::Confab || env.dialects().len() == 1 {
            report.summary(
                &format!("{}_rss_mib_over_time", under.name()),
                rss_series(&series, run_started),
            );
        }
        verdicts(
            &mut report,
            dialect,
            &all_reading,
            &with_slow,
            rss_at_slow_start,
            max_during_slow,
            slow_n,
            cut_off,
        );
        report.rows.push(all_reading);
        report.rows.push(with_slow);
        client::close_all(clients).await;
        under.stop().await?;
    }
    Ok(report)
}

/// Polls Confab's list of online users and pushes onto `cut_offs` the seconds after `start` at
/// which each of `users` was first seen offline, until all are (or the task is aborted).
async fn watch_cut_offs(
    api: &crate::api::Api,
    token: &str,
    users: &[i64],
    start: std::time::Instant,
    cut_offs: &Mutex<Vec<f64>>,
) {
    let mut pending: Vec<i64> = users.to_vec();
    while !pending.is_empty() {
        if let Ok(online) = api.online_user_ids(token).await {
            let at = start.elapsed().as_secs_f64();
            let before = pending.len();
            pending.retain(|user| online.contains(user));
            let mut seen = cut_offs.lock().unwrap_or_else(PoisonError::into_inner);
            seen.extend(std::iter::repeat_n(at, before - pending.len()));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// `[seconds since start, RSS MiB]` pairs.
fn rss_series(series: &[ProcSample], start: std::time::Instant) -> serde_json::Value {
    series
        .iter()
        .map(|s| {
            serde_json::json!([
                (s.at.saturating_duration_since(start).as_secs_f64() * 10.0).round() / 10.0,
                (mib(s.rss_kib) * 10.0).round() / 10.0
            ])
        })
        .collect()
}

/// Sends at `rate` from the first `senders` clients for `duration` seconds into a new phase
/// whose recipients are the first `readers` clients.
#[allow(clippy::too_many_arguments)]
async fn fixed_rate(
    under: &Under,
    shared: &Shared,
    clients: &[Client],
    senders: usize,
    readers: usize,
    rate: f64,
    duration: f64,
    label: &str,
) -> Row {
    let phase = shared.phases.open(label, (rate * duration * 1.1) as usize + 1000);
    let senders = senders.min(readers).max(1);
    let before = under.target.sample();
    let room = (under.layout.lobby, u32::try_from(readers).unwrap_or(u32::MAX));
    let until = super::send_in_turns(clients, senders, &phase, room, rate, duration);
    tokio::time::sleep_until(until).await;
    phase.drain(Duration::from_secs(5)).await;
    let after = under.target.sample();
    let mut row = Row::new(under.name(), label, clients.len(), phase.result()).with_process(before, after);
    row.offered_rate = Some(rate);
    row
}

#[allow(clippy::too_many_arguments)]
fn verdicts(
    report: &mut Report,
    dialect: Dialect,
    all_reading: &Row,
    with_slow: &Row,
    rss_start: Option<ProcSample>,
    rss_max: Option<u64>,
    slow: usize,
    cut_off: usize,
) {
    if dialect != Dialect::Confab {
        return;
    }
    let (before, after) = (
        all_reading.messages.latency.p99_ms,
        with_slow.messages.latency.p99_ms,
    );
    let growth = ratio(after, before);
    report.verdicts.push(Verdict::new(
        "readers' p99 with slow clients within 1.2× of without",
        format!(
            "{after:.2} ms vs {before:.2} ms ({})",
            growth.map_or("-".into(), |g| format!("{g:.2}×"))
        ),
        growth.map(|g| g <= 1.2),
    ));
    report.verdicts.push(Verdict::new(
        "the slow clients are disconnected",
        format!("{cut_off} of {slow}"),
        Some(cut_off == slow),
    ));
    let bound = RSS_ALLOWANCE_PER_SLOW_KIB * slow as u64 + RSS_SLACK_KIB;
    report.verdicts.push(Verdict::new(
        format!(
            "server memory stays bounded (≤ start + {} MiB per slow client + {} MiB)",
            RSS_ALLOWANCE_PER_SLOW_KIB / 1024,
            RSS_SLACK_KIB / 1024
        ),
        match (rss_start, rss_max) {
            (Some(start), Some(max)) => {
                format!("{:.1} MiB → at most {:.1} MiB", mib(start.rss_kib), mib(max))
            }
            _ => "not measured (in-process or no --server-pid)".into(),
        },
        match (rss_start, rss_max) {
            (Some(start), Some(max)) => Some(max <= start.rss_kib + bound),
            _ => None,
        },
    ));
    report.verdicts.push(Verdict::new(
        "readers lose nothing",
        format!(
            "{} + {} lost, {} readers disconnected",
            all_reading.messages.lost,
            with_slow.messages.lost,
            with_slow
                .extra
                .get("readers_disconnected")
                .map_or("0".into(), ToString::to_string)
        ),
        Some(all_reading.clean() && with_slow.clean()),
    ));
}
