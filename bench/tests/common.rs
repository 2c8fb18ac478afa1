//! Running `confab-bench` as a user would and reading its JSON reports.

use std::process::Command;

use serde_json::Value;

/// Runs `confab-bench <scenario> --tiny --in-process --json` and returns its one report.
#[track_caller]
pub fn run_tiny(scenario: &str) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_confab-bench"))
        .args([scenario, "--tiny", "--in-process", "--json", "--quiet"])
        .output()
        .expect("confab-bench did not start");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "confab-bench {scenario} failed: {stderr}"
    );
    let reports: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("confab-bench {scenario} printed no JSON ({e}): {stderr}"));
    let reports = reports.as_array().expect("a list of reports");
    assert_eq!(reports.len(), 1, "{reports:?}");
    reports[0].clone()
}

/// The rows of `report` measured on `server`.
pub fn rows<'a>(report: &'a Value, server: &str) -> Vec<&'a Value> {
    report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|row| row["server"] == server)
        .collect()
}

/// Asserts that a row sent messages and every one reached every recipient exactly once.
#[track_caller]
pub fn assert_exact(row: &Value) {
    let m = &row["messages"];
    let context = || serde_json::to_string_pretty(row).unwrap_or_default();
    assert!(m["sent"].as_u64().unwrap() > 0, "nothing sent: {}", context());
    for field in ["lost", "duplicated", "unexpected", "errors", "refused"] {
        assert_eq!(m[field], 0, "{field}: {}", context());
    }
    assert_eq!(m["deliveries"], m["expected_deliveries"], "{}", context());
}
