//! Keeping the computer awake while hosting, against a stand-in for systemd-logind on a private
//! bus (`tests/fake-logind.py`). (`no_logind.rs` has the case without one.)

#![cfg(target_os = "linux")]

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Reaped, private_bus};

fn wait_for(log: &Path, line: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if text.lines().any(|l| l.starts_with(line)) {
            return;
        }
        assert!(Instant::now() < deadline, "no {line:?} in {text:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn hosting_holds_a_sleep_inhibitor_until_released() {
    let dir = tempfile::tempdir().unwrap();
    let (_bus, address) = private_bus(dir.path());
    // SAFETY: the only test in this binary; set before any D-Bus connection exists.
    unsafe { std::env::set_var("DBUS_SYSTEM_BUS_ADDRESS", &address) };
    let log = dir.path().join("logind.log");
    let mut fake = Command::new("/usr/bin/python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fake-logind.py"))
        .arg(&log)
        .env("DBUS_SYSTEM_BUS_ADDRESS", &address)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    BufReader::new(fake.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    let _fake = Reaped(fake);
    assert!(ready.contains("ready"), "{ready}");

    let held = confab_desktop::awake::inhibit().expect("logind took the request");
    wait_for(&log, "inhibit sleep:idle Confab block");
    drop(held);
    wait_for(&log, "released");
}
