//! The `confab-desktop` binary: starts the app (everything lives in the library).

// No console window behind the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    confab_desktop::rendering::configure();
    confab_desktop::webview_memory::configure();
    confab_desktop::run();
}
