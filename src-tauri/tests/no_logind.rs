//! Keeping the computer awake where there is no systemd-logind (containers, CI): no lock, no
//! error. A test binary of its own: libdbus reads the system bus's address once per process.

#![cfg(target_os = "linux")]

mod common;

#[test]
fn without_logind_nothing_is_held_and_nothing_fails() {
    let bare = tempfile::tempdir().unwrap();
    let (_bus, address) = common::private_bus(bare.path());
    // SAFETY: the only test in this binary; set before any D-Bus connection exists.
    unsafe { std::env::set_var("DBUS_SYSTEM_BUS_ADDRESS", &address) };
    assert!(confab_desktop::awake::inhibit().is_none());
}
