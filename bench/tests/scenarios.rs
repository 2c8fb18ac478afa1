//! One test per scenario, each at tiny size against both servers where the scenario has both.

use crate::common::{assert_exact, rows, run_tiny};

#[test]
fn fanout_counts_every_delivery_on_both_servers() {
    let report = run_tiny("fanout");
    for server in ["ceiling", "confab"] {
        let steps = rows(&report, server);
        assert!(!steps.is_empty(), "no {server} steps");
        for step in steps {
            assert_exact(step);
        }
    }
    assert!(
        report["summary"]["confab_top_rate"].as_f64().is_some(),
        "{report}"
    );
}

#[test]
fn office_day_runs_on_both_servers() {
    let report = run_tiny("office");
    for server in ["ceiling", "confab"] {
        let runs = rows(&report, server);
        assert_eq!(runs.len(), 1, "{report}");
        assert_exact(runs[0]);
    }
}

#[test]
fn write_burst_stores_everything_it_acknowledges() {
    let report = run_tiny("burst");
    let confab = rows(&report, "confab");
    assert_exact(confab[0]);
    let acked = confab[0]["messages"]["acked"].as_u64().unwrap();
    assert!(acked > 0);
    assert_eq!(confab[0]["extra"]["stored"].as_u64(), Some(acked), "{report}");
    assert_exact(rows(&report, "ceiling")[0]);
}

#[test]
fn idle_crowd_stays_connected() {
    let report = run_tiny("idle");
    for server in ["ceiling", "confab"] {
        let row = rows(&report, server)[0];
        assert_eq!(row["extra"]["still_open"], row["clients"], "{report}");
        assert_eq!(row["messages"]["errors"], 0, "{report}");
    }
}

#[test]
fn login_storm_logs_everyone_in() {
    let report = run_tiny("storm");
    let runs = rows(&report, "confab");
    assert_eq!(runs.len(), 2, "{report}");
    for run in &runs {
        assert_exact(run);
    }
    assert_eq!(runs[1]["extra"]["logins_failed"], 0, "{report}");
    assert!(runs[1]["extra"]["logins"].as_u64().unwrap() > 0);
}

#[test]
fn slow_readers_do_not_cost_the_others_a_message() {
    let report = run_tiny("slow");
    for server in ["ceiling", "confab"] {
        let runs = rows(&report, server);
        assert_eq!(runs.len(), 2, "{report}");
        for run in runs {
            assert_exact(run);
        }
    }
}

#[test]
fn history_pages_come_back_full() {
    let report = run_tiny("history");
    let row = rows(&report, "confab")[0];
    assert!(row["extra"]["requests"].as_u64().unwrap() > 0, "{report}");
    assert_eq!(row["extra"]["short_pages"], 0, "{report}");
    assert_eq!(row["messages"]["errors"], 0, "{report}");
}

#[test]
fn every_search_class_answers() {
    let report = run_tiny("search");
    let rows = rows(&report, "confab");
    assert_eq!(rows.len(), 7, "{report}");
    for row in rows {
        assert!(row["extra"]["requests"].as_u64().unwrap() > 0, "{report}");
        assert_eq!(row["messages"]["errors"], 0, "{report}");
        assert!(
            row["extra"]["mean_results"].as_f64().unwrap() > 0.0,
            "nothing found: {row}"
        );
    }
    assert!(
        report["summary"]["index_to_messages_ratio"].as_f64().unwrap() > 0.0,
        "{report}"
    );
}

/// `cluster` at tiny size, nodes inside the tool: on two nodes sharing one PostgreSQL database,
/// every reader — half of them on the other node than the sender — gets every message once,
/// and the burst's acknowledged messages are all stored.
#[test]
fn two_nodes_on_postgres_deliver_every_message_once() {
    let installed = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dirs| dirs.flatten().any(|d| d.path().join("bin/initdb").exists()))
        .unwrap_or(false);
    if !installed {
        eprintln!("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): skipping");
        return;
    }
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_confab-bench"))
        .args(["cluster", "--tiny", "--in-process", "--json", "--quiet"])
        .output()
        .expect("confab-bench did not start");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "confab-bench cluster failed: {stderr}");
    let reports: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let reports = reports.as_array().expect("a list of reports");
    // Fan-out and burst for each of the three configurations, then the summary.
    assert_eq!(reports.len(), 7, "{reports:?}");
    for setup in ["sqlite-1", "postgres-1", "postgres-2"] {
        let runs: Vec<_> = reports.iter().flat_map(|r| rows(r, setup)).collect();
        assert_eq!(runs.len(), 2, "{setup}: {reports:?}");
        for run in &runs {
            assert_exact(run);
        }
        let burst = runs[1];
        assert_eq!(
            burst["extra"]["stored"].as_u64(),
            burst["messages"]["acked"].as_u64(),
            "{setup}: {burst}"
        );
        let on_two = setup == "postgres-2";
        for run in &runs {
            assert_eq!(run["extra"]["nodes"].as_u64() == Some(2), on_two, "{run}");
        }
    }
    let summary = &reports[6];
    assert_eq!(summary["scenario"], "cluster", "{summary}");
    assert_eq!(summary["summary"]["postgres-2.fanout_exact"], true, "{summary}");
}
