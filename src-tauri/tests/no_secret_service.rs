//! The token store where no credential store runs: it says so and keeps tokens in memory only.
//! A test binary of its own: libdbus reads the session bus's address once per process.

mod common;

use confab_desktop::secrets::TokenStore;

#[test]
fn without_a_secret_service_tokens_live_in_memory_only() {
    let service = format!("confab-test-{}", std::process::id());
    let bare = tempfile::tempdir().unwrap();
    let (_bare_bus, bare_address) = common::private_bus(bare.path());
    // SAFETY: the only test in this binary; set before any D-Bus connection exists.
    unsafe { std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &bare_address) };
    let store = TokenStore::open(&service);
    assert!(!store.persistent(), "no Secret Service here");
    store.set("http://127.0.0.1:8080", "token-two");
    assert_eq!(store.get("http://127.0.0.1:8080").as_deref(), Some("token-two"));
    assert_eq!(
        TokenStore::open(&service).get("http://127.0.0.1:8080"),
        None,
        "a restart without a credential store starts signed out"
    );
}
