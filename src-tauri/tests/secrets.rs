//! The token store against a real Secret Service: a private D-Bus session bus with
//! `gnome-keyring-daemon` unlocked for the test. (`no_secret_service.rs` has the other case.)

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Reaped, private_bus};

use confab_desktop::secrets::{Migration, TokenStore};

fn use_bus(address: &str) {
    // SAFETY: this test binary has one test, and it sets the variable before any thread that
    // reads the environment (D-Bus connections) exists for the new bus.
    unsafe { std::env::set_var("DBUS_SESSION_BUS_ADDRESS", address) };
}

/// Starts `gnome-keyring-daemon` on the bus, unlocked with a password given on its input,
/// and waits (at most 20 s) until the token store finds it.
fn keyring_daemon(home: &Path) -> Reaped {
    let mut daemon = Command::new("gnome-keyring-daemon")
        .args(["--foreground", "--unlock", "--components=secrets"])
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_RUNTIME_DIR", home)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("gnome-keyring-daemon (package gnome-keyring) is needed");
    let mut input = daemon.stdin.take().unwrap();
    input.write_all(b"test-password").unwrap();
    drop(input);
    let daemon = Reaped(daemon);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !TokenStore::open("confab-test-probe").persistent() {
        assert!(Instant::now() < deadline, "the keyring never answered");
        std::thread::sleep(Duration::from_millis(200));
    }
    daemon
}

#[test]
fn tokens_live_in_the_secret_service_and_survive_a_restart() {
    let service = format!("confab-test-{}", std::process::id());

    // With a Secret Service: tokens go there, an old settings file's tokens move there, and a
    // new store (the app after a restart) finds them.
    let dir = tempfile::tempdir().unwrap();
    let (_bus, address) = private_bus(dir.path());
    use_bus(&address);
    let _keyring = keyring_daemon(dir.path());
    let store = TokenStore::open(&service);
    assert!(store.persistent());
    store.set("http://127.0.0.1:8080", "token-one");
    let mut old_file = BTreeMap::from([(
        "http://chat.example.com".to_owned(),
        "token-from-settings".to_owned(),
    )]);
    assert_eq!(
        store.migrate(&mut old_file),
        Migration {
            to_keychain: 1,
            to_memory: 0
        }
    );
    assert!(old_file.is_empty(), "nothing is left for the settings file");
    let restarted = TokenStore::open(&service);
    assert_eq!(
        restarted.get("http://127.0.0.1:8080").as_deref(),
        Some("token-one")
    );
    assert_eq!(
        restarted.get("http://chat.example.com").as_deref(),
        Some("token-from-settings")
    );
    // What other programs see: the token under the service and the server's address.
    let lookup = Command::new("secret-tool")
        .args(["lookup", "service", &service, "username", "http://127.0.0.1:8080"])
        .output()
        .expect("secret-tool (package libsecret-tools) is needed");
    assert_eq!(String::from_utf8_lossy(&lookup.stdout), "token-one");
    restarted.remove("http://127.0.0.1:8080");
    assert_eq!(
        TokenStore::open(&service).get("http://127.0.0.1:8080"),
        None,
        "signing out forgets it in the keychain too"
    );
    restarted.remove("http://chat.example.com");
}
