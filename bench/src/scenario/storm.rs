//! Scenario 5, a login storm during an office day: the office day runs once undisturbed, then
//! again while a crowd of other users log in all at once. The storm phase covers exactly the
//! time from the first login request to the last answer, so its p99 is not diluted by quiet
//! time. Confab only: the ceiling server has no logins.

use std::time::{Duration, Instant as StdInstant};

use futures_util::StreamExt;
use tokio::time::Instant;

use super::office::{self, Sizes};
use super::{Env, pause, ratio};
use crate::cli::StormArgs;
use crate::client::{self, Dialect, Shared};
use crate::dataset::PASSWORD;
use crate::error::{Error, Result};
use crate::report::{Report, Row, Verdict};
use crate::stats::Histogram;
use crate::system;

pub async fn run(env: &Env, args: &StormArgs) -> Result<Report> {
    let sizes = Sizes::new(&args.office, env.tiny());
    let logins = args.logins.unwrap_or(if env.tiny() { 4 } else { 200 });
    let baseline_secs = if env.tiny() {
        1.0
    } else {
        sizes.duration_secs.min(30.0)
    };
    let mut report = Report::new(
        "storm",
        &format!(
            "{logins} concurrent logins during an office day of {}",
            sizes.describe_short()
        ),
        env.conditions(system::load_average()),
    );
    if !env.dialects().contains(&Dialect::Confab) {
        report
            .notes
            .push("the ceiling server has no logins: nothing to measure".into());
        return Ok(report);
    }
    report.notes.push(
        "Confab only: the ceiling server has no logins (see the office scenario for its figures)".into(),
    );
    let under = env.start(Dialect::Confab, &sizes.needs(logins)).await?;
    let dataset = under
        .dataset
        .clone()
        .ok_or_else(|| Error::setup("Confab started without its data set"))?;
    let api = under.target.api()?;
    let shared = Shared::new();
    let clients = under.connect(env, &shared, sizes.users, |_| true).await?;
    pause(if env.tiny() { 0.2 } else { 3.0 }).await;

    // The office day alone.
    let before = under.target.sample();
    let until = Instant::now() + Duration::from_secs_f64(baseline_secs);
    let quiet = office::start(&under, &shared, &clients, &sizes, "office day", until);
    tokio::time::sleep_until(until).await;
    quiet.drain(Duration::from_secs(5)).await;
    let after = under.target.sample();
    let quiet_row =
        Row::new(under.name(), "office day", clients.len(), quiet.result()).with_process(before, after);

    // The same, with the storm: everyone keeps chatting from the first login to the last.
    let before = under.target.sample();
    let far = Instant::now() + Duration::from_secs(3600);
    let stormy = office::start(&under, &shared, &clients, &sizes, "office day + login storm", far);
    let started = StdInstant::now();
    let users = &dataset.users[sizes.users..sizes.users + logins];
    let outcomes: Vec<(bool, Duration)> = futures_util::stream::iter(users)
        .map(|user| {
            let api = api.clone();
            async move {
                let t = StdInstant::now();
                let ok = api.login(&user.username, PASSWORD).await.is_ok();
                (ok, t.elapsed())
            }
        })
        .buffer_unordered(logins)
        .collect()
        .await;
    let storm_secs = started.elapsed().as_secs_f64();
    for client in &clients {
        client.stop_sending();
    }
    stormy.drain(Duration::from_secs(5)).await;
    let after = under.target.sample();
    let mut login_latency = Histogram::default();
    for (_, took) in &outcomes {
        login_latency.record(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX));
    }
    let failed = outcomes.iter().filter(|(ok, _)| !ok).count();
    let latency = login_latency.summary();
    let storm_row = Row::new(
        under.name(),
        "office day + login storm",
        clients.len(),
        stormy.result(),
    )
    .with_process(before, after)
    .extra("logins", logins as u64)
    .extra("logins_failed", failed as u64)
    .extra("logins_per_sec", logins as f64 / storm_secs)
    .extra("login_p50_ms", latency.p50_ms)
    .extra("login_p99_ms", latency.p99_ms)
    .extra("storm_secs", storm_secs);
    env.say(format!(
        "  storm: {} logins in {:.1} s ({:.0}/s); office p99 {:.2} ms quiet, {:.2} ms during the storm",
        logins,
        storm_secs,
        logins as f64 / storm_secs,
        quiet_row.messages.latency.p99_ms,
        storm_row.messages.latency.p99_ms
    ));
    client::close_all(clients).await;
    under.stop().await?;

    let quiet_p99 = quiet_row.messages.latency.p99_ms;
    let storm_p99 = storm_row.messages.latency.p99_ms;
    let growth = ratio(storm_p99, quiet_p99);
    report.summary("logins_per_sec", logins as f64 / storm_secs);
    report.summary("p99_ms_quiet", quiet_p99);
    report.summary("p99_ms_storm", storm_p99);
    report.verdicts.push(Verdict::new(
        "office p99 during the storm within 2× of without it",
        format!(
            "{storm_p99:.2} ms vs {quiet_p99:.2} ms ({})",
            growth.map_or("-".into(), |g| format!("{g:.2}×"))
        ),
        growth.map(|g| g <= 2.0),
    ));
    report.verdicts.push(Verdict::new(
        "every login succeeds, nothing lost",
        format!(
            "{failed} logins failed, {} messages lost",
            storm_row.messages.lost
        ),
        Some(failed == 0 && storm_row.clean() && quiet_row.clean()),
    ));
    report.rows.push(quiet_row);
    report.rows.push(storm_row);
    Ok(report)
}

impl Sizes {
    fn describe_short(&self) -> String {
        format!("{} users in {} rooms", self.users, self.rooms)
    }
}
