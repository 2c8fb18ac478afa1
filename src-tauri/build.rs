//! Build script: stages the web client for embedding, then runs Tauri's build step.
//!
//! `ui/` also holds the client's test tooling (`node_modules/`, `tests/`, `package*.json`),
//! which must not end up inside the app, so the files the app needs are copied to `dist/`
//! (the `frontendDist` of `tauri.conf.json`) first.

use std::fs;
use std::path::Path;

const SKIP: &[&str] = &["node_modules", "tests", "package.json", "package-lock.json"];

fn copy_ui(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if SKIP.iter().any(|skip| name == *skip) || name.to_string_lossy().starts_with('.') {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type()?.is_dir() {
            copy_ui(&entry.path(), &target)?;
        } else {
            println!("cargo:rerun-if-changed={}", entry.path().display());
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

fn main() {
    let ui = Path::new("../ui");
    let dist = Path::new("dist");
    // Start clean so files deleted from ui/ do not linger in the app.
    let _ = fs::remove_dir_all(dist);
    copy_ui(ui, dist).expect("staging ui/ into src-tauri/dist");
    println!("cargo:rerun-if-changed=../ui");

    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(
        tauri_build::AppManifest::new().commands(&[
            "get_settings",
            "update_settings",
            "remember_session",
            "forget_session",
            "check_server",
            "host_start",
            "host_stop",
            "host_status",
            "pick_image",
            "take_picked_image",
            "notify",
            "set_unread_count",
            "save_download",
            "quit",
            "take_links",
            "keep_awake_status",
            "update_status",
            "update_check",
            "update_install",
            "probe_server",
            "trust_server",
            "forget_server",
            "pinned_servers",
            "ws_open",
            "ws_send",
            "ws_close",
            "lan_watch",
            "lan_unwatch",
            "lan_scan",
            "download_file",
            "pick_files",
            "upload_file",
            "release_picked_file",
            "cancel_transfer",
        ]),
    ))
    .expect("running tauri-build");
}
