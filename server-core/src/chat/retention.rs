//! The retention job (the old app's `cleanup.py`): deletes messages older than the retention
//! period together with their files, uploads nothing refers to, and log files older than 30
//! days. It runs daily at 02:00 server time, once at start-up if a run was missed, and on demand
//! (`confab-server cleanup`). Deletes go in small batches, each its own short transaction, so
//! people keep chatting while it runs; afterwards connected clients are told where history now
//! starts (`history_expired`), and `ready` says so to those who connect later.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Days, Local, NaiveTime, TimeZone};
use tokio_util::sync::CancellationToken;

use super::admin::settings::Settings;
use crate::config::LOG_RETENTION_DAYS;
use crate::error::{Error, Result};
use crate::events;
use crate::fanout::{Audience, Fanout};
use crate::store::{AuditEntry, FileStore, Job, Store};
use crate::time::{Clock, Millis};

/// Messages deleted per transaction.
const BATCH: i64 = 500;
/// Pause between batches, so queued sends get the writer in between.
const BREATHER: Duration = Duration::from_millis(5);
/// An unreferenced upload younger than this may belong to an upload in progress.
const ORPHAN_GRACE: Duration = Duration::from_secs(3600);
const LAST_RUN_KEY: &str = "retention.last_run";
const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// How a run appears in the audit log: no person did it.
const AUDIT_ACTOR: &str = "retention";
const AUDIT_ACTION: &str = "retention";

/// What a run removed (or, dry, would remove).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub messages: u64,
    pub files: u64,
    pub bytes: u64,
    pub orphans: u64,
    pub logs: u64,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} messages, {} attached files ({:.1} MB), {} unreferenced uploads, {} old log files",
            self.messages,
            self.files,
            self.bytes as f64 / 1_048_576.0,
            self.orphans,
            self.logs
        )
    }
}

/// Everything the job needs; built by the server or by `confab-server cleanup`.
#[derive(Clone)]
pub struct Retention {
    pub store: Store,
    pub files: FileStore,
    pub logs_dir: PathBuf,
    /// 0 keeps messages forever (logs and unreferenced uploads are still cleaned).
    pub retention_days: u32,
    /// A running server's settings, whose retention (changed at run time) wins over
    /// `retention_days`.
    pub settings: Option<Settings>,
    pub clock: Clock,
    /// Connected clients, told what expired so they stop showing it (none for the CLI).
    pub fanout: Option<Arc<dyn Fanout>>,
}

impl Retention {
    /// Runs the job now. With `dry_run` nothing is removed and the report says what would be.
    ///
    /// # Errors
    /// `409 retention_running` when another node sharing the database is running it now.
    pub async fn run(&self, dry_run: bool) -> Result<Report> {
        let now = self.clock.now();
        // A dry run writes nothing, so it needs nobody's lock.
        let _guard = if dry_run {
            None
        } else {
            Some(
                self.store
                    .try_run_exclusive(Job::Retention)
                    .await?
                    .ok_or_else(running_elsewhere)?,
            )
        };
        let mut report = self.remove_expired(now, dry_run).await?;
        report.logs = self.sweep_logs(now, dry_run).await?;
        Ok(report)
    }

    /// The half of a run that changes what every node shares: expired messages with their
    /// files, unreferenced uploads, when it last ran, and an audit entry when it removed
    /// anything. The caller holds the job's lock (unless `dry_run`).
    async fn remove_expired(&self, now: Millis, dry_run: bool) -> Result<Report> {
        let mut report = Report::default();
        let retention_days = self
            .settings
            .as_ref()
            .map_or(self.retention_days, |s| s.get().retention_days);
        if retention_days > 0 {
            let cutoff = now - i64::from(retention_days) * DAY_MS;
            if dry_run {
                let (messages, files, bytes) = self.store.count_messages_before(cutoff).await?;
                report.messages = messages.unsigned_abs();
                report.files = files.unsigned_abs();
                report.bytes = bytes.unsigned_abs();
            } else {
                loop {
                    let (deleted, files) = self.store.delete_messages_before(cutoff, BATCH).await?;
                    report.messages += deleted;
                    // The rows are gone (committed) before their files: a crash in between
                    // leaves only unreferenced files, which the sweep below removes.
                    for id in files {
                        report.files += 1;
                        report.bytes += self.files.remove(&id).await?;
                    }
                    if deleted < BATCH as u64 {
                        break;
                    }
                    tokio::time::sleep(BREATHER).await;
                }
                if report.messages > 0 {
                    if let Some(fanout) = &self.fanout {
                        fanout.publish(Audience::everyone(), &events::history_expired(cutoff));
                    }
                }
            }
        }
        report.orphans = self.sweep_uploads(dry_run).await?;
        if !dry_run {
            self.store.set_meta(LAST_RUN_KEY, &now.to_string()).await?;
            self.audit(&report, now).await;
        }
        Ok(report)
    }

    /// Records a run that removed something, so administrators see when retention last
    /// deleted what (and, with several nodes, that each run happened once).
    async fn audit(&self, report: &Report, now: Millis) {
        if report.messages + report.files + report.orphans == 0 {
            return;
        }
        let target = format!(
            "{} messages, {} attached files ({:.1} MB), {} unreferenced uploads",
            report.messages,
            report.files,
            report.bytes as f64 / 1_048_576.0,
            report.orphans
        );
        let entry = AuditEntry {
            actor_id: None,
            actor_name: AUDIT_ACTOR,
            action: AUDIT_ACTION,
            target: Some(&target),
            address: None,
        };
        // The removal happened whatever the log says.
        if let Err(e) = self.store.audit(&entry, now).await {
            tracing::warn!(error = %e, "could not write the retention run to the audit log");
        }
    }

    /// Removes uploaded files no message refers to (an upload interrupted by a crash, a
    /// deletion interrupted before its files went), once they are an hour old.
    async fn sweep_uploads(&self, dry_run: bool) -> Result<u64> {
        let settled = SystemTime::now() - ORPHAN_GRACE;
        let mut orphans = 0;
        for file in self.files.list().await? {
            if file.modified > settled {
                continue;
            }
            if !file.id.is_empty() && self.store.attachment_exists(&file.id).await? {
                continue;
            }
            orphans += 1;
            if !dry_run {
                match tokio::fs::remove_file(&file.path).await {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(orphans)
    }

    /// Removes log files last written more than 30 days before `now`, never the newest one
    /// (the server may be writing to it).
    async fn sweep_logs(&self, now: Millis, dry_run: bool) -> Result<u64> {
        let mut logs = Vec::new();
        let mut entries = match tokio::fs::read_dir(&self.logs_dir).await {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e.into()),
        };
        while let Some(entry) = entries.next_entry().await? {
            let meta = entry.metadata().await?;
            if meta.is_file() {
                let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                logs.push((modified, entry.path()));
            }
        }
        logs.sort();
        logs.pop();
        let cutoff = now - i64::from(LOG_RETENTION_DAYS) * DAY_MS;
        let mut removed = 0;
        for (modified, path) in logs {
            let modified_ms = modified
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
            if modified_ms < cutoff {
                removed += 1;
                if !dry_run {
                    tokio::fs::remove_file(&path).await?;
                }
            }
        }
        Ok(removed)
    }

    /// When the job last ran, if ever.
    async fn last_run(&self) -> Result<Option<Millis>> {
        last_run(&self.store).await
    }

    /// Runs at start-up if a scheduled run was missed, then every day at 02:00, until `stop`.
    /// Every node sharing the database keeps this schedule; each run is made by whichever
    /// node takes the job's lock first (see [`Self::run_if_due`]).
    pub async fn schedule(self, stop: CancellationToken) {
        match self.last_run().await {
            Ok(last) if missed(last, local(self.clock.now())) => self.run_if_due().await,
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "reading when retention last ran failed"),
        }
        loop {
            let now = local(self.clock.now());
            let wait = (next_run(now) - now).to_std().unwrap_or(Duration::from_secs(60));
            tokio::select! {
                () = tokio::time::sleep(wait) => self.run_if_due().await,
                () = stop.cancelled() => return,
            }
        }
    }

    /// A scheduled run. This node's log files are its own and swept here whatever other
    /// nodes do; the rest is shared, so it runs under the job's lock, and only if the run is
    /// still due once the lock is held: a node that woke at 02:00 just after another one
    /// finished finds `retention.last_run` past 02:00 and leaves it at that.
    async fn run_if_due(&self) {
        let now = self.clock.now();
        match self.sweep_logs(now, false).await {
            Ok(0) => {}
            Ok(logs) => tracing::info!(logs, "retention removed old log files"),
            Err(e) => tracing::error!(error = %e, "removing old log files failed"),
        }
        let _guard = match self.store.try_run_exclusive(Job::Retention).await {
            Ok(Some(guard)) => guard,
            Ok(None) => {
                tracing::debug!("another node is running the retention job; this one skips it");
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, "taking the retention job's lock failed");
                return;
            }
        };
        match self.last_run().await {
            Ok(last) if !missed(last, local(now)) => {
                tracing::debug!("another node already made this retention run");
                return;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = %e, "reading when retention last ran failed");
                return;
            }
        }
        match self.remove_expired(now, false).await {
            Ok(report) => tracing::info!("retention removed {report}"),
            Err(e) => tracing::error!(error = %e, "retention run failed"),
        }
    }
}

/// The refusal of a run while another node sharing the database makes one.
fn running_elsewhere() -> Error {
    Error::conflict(
        "retention_running",
        None,
        "another server sharing this database is running the retention job now; try again when it has finished",
    )
}

async fn last_run(store: &Store) -> Result<Option<Millis>> {
    Ok(store.meta(LAST_RUN_KEY).await?.and_then(|v| v.parse().ok()))
}

/// Where history now starts: messages sent before this were removed by the last run (`None`
/// when messages are kept forever or no run happened yet). Sent with `ready`, so a client that
/// was away when the job ran stops showing what expired.
pub async fn history_starts(store: &Store, retention_days: u32) -> Result<Option<Millis>> {
    if retention_days == 0 {
        return Ok(None);
    }
    Ok(last_run(store)
        .await?
        .map(|run| run - i64::from(retention_days) * DAY_MS))
}

fn local(ms: Millis) -> DateTime<Local> {
    Local.timestamp_millis_opt(ms).single().unwrap_or_else(Local::now)
}

/// 02:00, `days_ahead` days after `now`'s date, in `now`'s zone (03:00 when a clock change
/// skips 02:00).
fn two_am<Tz: TimeZone>(now: &DateTime<Tz>, days_ahead: u64) -> Option<DateTime<Tz>> {
    let date = now.date_naive().checked_add_days(Days::new(days_ahead))?;
    let zone = now.timezone();
    [2, 3].into_iter().find_map(|hour| {
        let time = NaiveTime::from_hms_opt(hour, 0, 0)?;
        zone.from_local_datetime(&date.and_time(time)).earliest()
    })
}

/// The next 02:00 strictly after `now`.
pub fn next_run<Tz: TimeZone>(now: DateTime<Tz>) -> DateTime<Tz> {
    (0..=2)
        .filter_map(|days| two_am(&now, days))
        .find(|at| *at > now)
        .unwrap_or_else(|| now.clone() + chrono::Duration::days(1))
}

/// Whether the run due at the most recent 02:00 (at or before `now`) has not happened.
pub fn missed<Tz: TimeZone>(last_run: Option<Millis>, now: DateTime<Tz>) -> bool {
    let Some(last_run) = last_run else { return true };
    let due = (0..=1)
        .filter_map(|back| {
            let date = now.date_naive().checked_sub_days(Days::new(back))?;
            let time = NaiveTime::from_hms_opt(2, 0, 0)?;
            now.timezone()
                .from_local_datetime(&date.and_time(time))
                .earliest()
        })
        .find(|at| *at <= now);
    due.is_some_and(|due| last_run < due.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use chrono::FixedOffset;

    use super::*;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn next_run_is_the_coming_two_am() {
        assert_eq!(
            next_run(at("2026-11-21T23:10:00+08:00")),
            at("2026-11-22T02:00:00+08:00")
        );
        assert_eq!(
            next_run(at("2026-11-22T01:59:59+08:00")),
            at("2026-11-22T02:00:00+08:00")
        );
        assert_eq!(
            next_run(at("2026-11-22T02:00:00+08:00")),
            at("2026-11-23T02:00:00+08:00")
        );
        assert_eq!(
            next_run(at("2026-12-31T12:00:00+00:00")),
            at("2027-01-01T02:00:00+00:00")
        );
    }

    #[test]
    fn a_run_is_missed_when_the_last_predates_the_latest_two_am() {
        let now = at("2026-11-22T09:00:00+08:00");
        assert!(missed(None, now));
        assert!(missed(
            Some(at("2026-11-21T02:00:00+08:00").timestamp_millis()),
            now
        ));
        assert!(!missed(
            Some(at("2026-11-22T02:00:01+08:00").timestamp_millis()),
            now
        ));
        // Before today's 02:00, yesterday's is the one that counts.
        let early = at("2026-11-22T01:00:00+08:00");
        assert!(!missed(
            Some(at("2026-11-21T02:00:05+08:00").timestamp_millis()),
            early
        ));
        assert!(missed(
            Some(at("2026-11-20T23:00:00+08:00").timestamp_millis()),
            early
        ));
    }
}
