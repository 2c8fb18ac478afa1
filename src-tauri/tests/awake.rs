//! Keeping the computer awake while hosting, against a stand-in for systemd-logind on a private
//! bus (`tests/fake-logind.py`), then with no logind at all (as in containers and CI).

#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn private_bus(dir: &Path) -> (Reaped, String) {
    let config = dir.join("bus.conf");
    std::fs::write(
        &config,
        format!(
            r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>"#,
            dir.display()
        ),
    )
    .unwrap();
    let mut daemon = Command::new("dbus-daemon")
        .arg(format!("--config-file={}", config.display()))
        .args(["--nofork", "--print-address=1"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("dbus-daemon (package dbus) is needed");
    let mut address = String::new();
    BufReader::new(daemon.stdout.take().unwrap())
        .read_line(&mut address)
        .unwrap();
    (Reaped(daemon), address.trim().to_owned())
}

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
fn hosting_holds_a_sleep_inhibitor_while_logind_is_there() {
    let dir = tempfile::tempdir().unwrap();
    let (_bus, address) = private_bus(dir.path());
    // SAFETY: the only test in this binary; set before any D-Bus connection exists.
    unsafe { std::env::set_var("DBUS_SYSTEM_BUS_ADDRESS", &address) };
    let log = dir.path().join("logind.log");
    let mut fake = Command::new("python3")
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

    // No logind on the bus: no lock, no error.
    let bare = tempfile::tempdir().unwrap();
    let (_bare_bus, bare_address) = private_bus(bare.path());
    unsafe { std::env::set_var("DBUS_SYSTEM_BUS_ADDRESS", &bare_address) };
    assert!(confab_desktop::awake::inhibit().is_none());
}
