//! The footprint benchmark's baseline (`scripts/bench-desktop`): a bare Tauri 2 window with the
//! same webview, configuration and plugins as Confab, showing an empty page. Confab's figures
//! are compared with this one's, measured in the same run.

fn main() {
    tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|_, _, _| {}))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            None,
        ))
        .plugin(tauri_plugin_store::Builder::default().build())
        .plugin(tauri_plugin_opener::init())
        .setup(|app| {
            tauri::WebviewWindowBuilder::new(
                app,
                "main",
                // A line of text, so its first frame is not blank (as Confab's is not).
                tauri::WebviewUrl::External(
                    "data:text/html,<h1 style=font-family:sans-serif>Bare window</h1>".parse()?,
                ),
            )
            .title("Bare window")
            .inner_size(1180.0, 760.0)
            .build()?;
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("running the bare window");
}
