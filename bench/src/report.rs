//! What a scenario reports: one row per measured run (Confab and ceiling side by side), the
//! scenario's targets with the figure that decides each, and the conditions of the
//! measurement. Printed as a table for people and as JSON (`--json`) for scripts.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::stats::PhaseResult;
use crate::system::ProcSample;

/// How and where a report was measured.
#[derive(Clone, Debug, Serialize)]
pub struct Conditions {
    pub cores: usize,
    /// 1-minute load average before and after the scenario.
    pub load_before: Option<f64>,
    pub load_after: Option<f64>,
    /// Core the servers were pinned to, and the tool's core.
    pub server_core: Option<usize>,
    pub client_core: Option<usize>,
    pub in_process: bool,
    pub tiny: bool,
    /// The command line that produced the report.
    pub command: String,
    pub unix_time: u64,
}

/// One measured run.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// `confab` or `ceiling`.
    pub server: String,
    /// What was run: a rate step, "with storm", …
    pub label: String,
    pub clients: usize,
    /// Messages per second asked of the senders, when paced.
    pub offered_rate: Option<f64>,
    /// Messages sent per second (over the sending time).
    pub sent_per_sec: f64,
    /// Messages acknowledged (own copy back) per second.
    pub acked_per_sec: f64,
    /// Deliveries (message × recipient) per second.
    pub deliveries_per_sec: f64,
    pub messages: PhaseResult,
    pub server_rss_kib: Option<u64>,
    pub server_peak_rss_kib: Option<u64>,
    /// Server CPU time used during the run, and as a share of one core.
    pub server_cpu_secs: Option<f64>,
    pub server_cpu_share: Option<f64>,
    /// Whether this row met the scenario's pass line (e.g. p99 < 100 ms and no loss).
    pub passed: Option<bool>,
    /// Scenario-specific figures.
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl Row {
    /// A row for `phase` measured on `server`, with the server's process samples from the start
    /// and end of the run when available.
    pub fn new(server: &str, label: impl Into<String>, clients: usize, messages: PhaseResult) -> Row {
        let secs = messages.send_secs.max(1e-9);
        Row {
            server: server.to_owned(),
            label: label.into(),
            clients,
            offered_rate: None,
            sent_per_sec: messages.sent as f64 / secs,
            acked_per_sec: messages.acked as f64 / secs,
            deliveries_per_sec: messages.deliveries as f64 / secs,
            messages,
            server_rss_kib: None,
            server_peak_rss_kib: None,
            server_cpu_secs: None,
            server_cpu_share: None,
            passed: None,
            extra: BTreeMap::new(),
        }
    }

    /// A row with no messages (idle crowd, history).
    pub fn without_messages(server: &str, label: impl Into<String>, clients: usize) -> Row {
        let mut row = Row::new(server, label, clients, PhaseResult::default());
        row.sent_per_sec = 0.0;
        row.acked_per_sec = 0.0;
        row.deliveries_per_sec = 0.0;
        row
    }

    pub fn with_process(mut self, start: Option<ProcSample>, end: Option<ProcSample>) -> Row {
        if let Some(end) = end {
            self.server_rss_kib = Some(end.rss_kib);
            self.server_peak_rss_kib = Some(end.peak_rss_kib);
            if let Some(start) = start {
                self.server_cpu_secs = Some(end.cpu_secs - start.cpu_secs);
                self.server_cpu_share = Some(start.cpu_share_until(&end));
            }
        }
        self
    }

    /// `with_process` for the nodes of a cluster (their sums), plus PostgreSQL's CPU time and
    /// the number of nodes as extras.
    pub fn with_usage(self, start: crate::system::Usage, end: crate::system::Usage, nodes: usize) -> Row {
        let mut row = self.with_process(start.nodes, end.nodes);
        if let (Some(a), Some(b)) = (start.postgres_cpu_secs, end.postgres_cpu_secs) {
            row = row.extra("postgres_cpu_secs", b - a);
        }
        if nodes > 1 {
            row = row.extra("nodes", nodes);
        }
        row
    }

    pub fn extra(mut self, key: &str, value: impl Into<serde_json::Value>) -> Row {
        self.extra.insert(key.to_owned(), value.into());
        self
    }

    /// Zero loss, zero duplicates, zero errors.
    pub fn clean(&self) -> bool {
        let m = &self.messages;
        m.lost == 0 && m.duplicated == 0 && m.unexpected == 0 && m.errors == 0 && m.refused == 0
    }
}

/// One target of the issue, and whether Confab met it.
#[derive(Clone, Debug, Serialize)]
pub struct Verdict {
    pub target: String,
    /// The figure that decides it.
    pub measured: String,
    /// None when it cannot be decided (e.g. no ceiling run, no process figures).
    pub met: Option<bool>,
}

impl Verdict {
    pub fn new(target: impl Into<String>, measured: impl Into<String>, met: Option<bool>) -> Verdict {
        Verdict {
            target: target.into(),
            measured: measured.into(),
            met,
        }
    }
}

/// A scenario's full report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub scenario: String,
    pub description: String,
    pub conditions: Conditions,
    pub rows: Vec<Row>,
    /// Headline figures (e.g. the top passing rate of each server, and their ratio).
    pub summary: BTreeMap<String, serde_json::Value>,
    pub verdicts: Vec<Verdict>,
    pub notes: Vec<String>,
}

impl Report {
    pub fn new(scenario: &str, description: &str, conditions: Conditions) -> Report {
        Report {
            scenario: scenario.to_owned(),
            description: description.to_owned(),
            conditions,
            rows: Vec::new(),
            summary: BTreeMap::new(),
            verdicts: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub fn summary(&mut self, key: &str, value: impl Into<serde_json::Value>) {
        self.summary.insert(key.to_owned(), value.into());
    }

    /// Every row is clean (no loss, duplicates or errors) — what the test suite checks.
    pub fn clean(&self) -> bool {
        self.rows.iter().all(Row::clean)
    }

    /// The report as a plain-text table.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "== {} — {}", self.scenario, self.description);
        let c = &self.conditions;
        let _ = writeln!(
            out,
            "   {} cores, load {} → {}, servers on core {}, tool on core {}{}{}",
            c.cores,
            opt(c.load_before, 2),
            opt(c.load_after, 2),
            c.server_core.map_or("-".into(), |n| n.to_string()),
            c.client_core.map_or("-".into(), |n| n.to_string()),
            if c.in_process { ", in-process" } else { "" },
            if c.tiny { ", tiny sizes" } else { "" },
        );
        let headers = [
            "server", "run", "clients", "sent/s", "acked/s", "deliv/s", "p50 ms", "p99 ms", "max ms", "lost",
            "dup", "err", "RSS MiB", "CPU s", "CPU %", "pass", "more",
        ];
        let rows: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| {
                let m = &r.messages;
                let has = m.sent > 0;
                vec![
                    r.server.clone(),
                    r.label.clone(),
                    r.clients.to_string(),
                    if has {
                        format!("{:.0}", r.sent_per_sec)
                    } else {
                        "-".into()
                    },
                    if has {
                        format!("{:.0}", r.acked_per_sec)
                    } else {
                        "-".into()
                    },
                    if has {
                        format!("{:.0}", r.deliveries_per_sec)
                    } else {
                        "-".into()
                    },
                    if has {
                        format!("{:.2}", m.latency.p50_ms)
                    } else {
                        "-".into()
                    },
                    if has {
                        format!("{:.2}", m.latency.p99_ms)
                    } else {
                        "-".into()
                    },
                    if has {
                        format!("{:.1}", m.latency.max_ms)
                    } else {
                        "-".into()
                    },
                    if has {
                        (m.lost + m.unexpected).to_string()
                    } else {
                        "-".into()
                    },
                    if has { m.duplicated.to_string() } else { "-".into() },
                    (m.errors + m.refused).to_string(),
                    r.server_rss_kib
                        .map_or("-".into(), |k| format!("{:.1}", k as f64 / 1024.0)),
                    opt(r.server_cpu_secs, 2),
                    r.server_cpu_share
                        .map_or("-".into(), |s| format!("{:.1}", s * 100.0)),
                    r.passed
                        .map_or("-".into(), |p| if p { "yes" } else { "NO" }.into()),
                    r.extra
                        .iter()
                        .map(|(k, v)| format!("{k}={}", compact(v)))
                        .collect::<Vec<_>>()
                        .join(" "),
                ]
            })
            .collect();
        let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: &[String]| {
            let mut text = String::from("  ");
            for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
                let pad = w - cell.chars().count();
                if i < 2 || i == cells.len() - 1 {
                    text.push_str(cell);
                    text.push_str(&" ".repeat(pad));
                } else {
                    text.push_str(&" ".repeat(pad));
                    text.push_str(cell);
                }
                text.push_str("  ");
            }
            text.trim_end().to_owned()
        };
        let header: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
        let _ = writeln!(out, "{}", line(&header));
        for row in &rows {
            let _ = writeln!(out, "{}", line(row));
        }
        if !self.summary.is_empty() {
            let _ = writeln!(out, "  summary:");
            for (key, value) in &self.summary {
                let _ = writeln!(out, "    {key}: {}", compact(value));
            }
        }
        if !self.verdicts.is_empty() {
            let _ = writeln!(out, "  targets:");
            for v in &self.verdicts {
                let mark = match v.met {
                    Some(true) => "met    ",
                    Some(false) => "NOT MET",
                    None => "n/a    ",
                };
                let _ = writeln!(out, "    [{mark}] {} — {}", v.target, v.measured);
            }
        }
        for note in &self.notes {
            let _ = writeln!(out, "  note: {note}");
        }
        out
    }
}

fn opt(value: Option<f64>, decimals: usize) -> String {
    value.map_or("-".into(), |v| format!("{v:.decimals$}"))
}

fn compact(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() != 0.0 => format!("{f:.2}"),
            _ => n.to_string(),
        },
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_a_line_per_row_and_the_targets() {
        let conditions = Conditions {
            cores: 2,
            load_before: Some(0.5),
            load_after: None,
            server_core: Some(0),
            client_core: Some(1),
            in_process: false,
            tiny: true,
            command: "confab-bench fanout".into(),
            unix_time: 0,
        };
        let mut report = Report::new("fanout", "one room", conditions);
        let mut messages = PhaseResult {
            sent: 10,
            send_secs: 1.0,
            ..PhaseResult::default()
        };
        messages.deliveries = 100;
        report
            .rows
            .push(Row::new("confab", "rate 10/s", 10, messages.clone()).extra("x", 1.5));
        report.rows.push(Row::new("ceiling", "rate 10/s", 10, messages));
        report
            .verdicts
            .push(Verdict::new("≥ 60 % of ceiling", "100 %", Some(true)));
        let table = report.table();
        assert!(table.contains("confab   rate 10/s"), "{table}");
        assert!(table.contains("x=1.50"), "{table}");
        assert!(table.contains("[met    ] ≥ 60 % of ceiling"), "{table}");
        assert!(report.clean());
    }
}
