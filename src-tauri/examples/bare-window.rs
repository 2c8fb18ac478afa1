//! The footprint benchmark's baseline (`scripts/bench-desktop`): a bare Tauri 2 window with the
//! same webview, configuration and plugins as Confab, showing an empty page. Confab's figures
//! are compared with this one's, measured in the same run.

fn main() {
    // The same rendering choice as Confab's own main.
    confab_desktop::rendering::configure();
    confab_desktop::webview_memory::configure();
    tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|_, _, _| {}))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            None,
        ))
        .plugin(tauri_plugin_store::Builder::default().build())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_updater::Builder::new().build())
        // A line of text, so its first frame is not blank (as Confab's is not), served the way
        // Confab's page is (a custom protocol): `data:` URLs need a wry feature Confab lacks.
        .register_uri_scheme_protocol("bare", |_, _| {
            tauri::http::Response::builder()
                .header("content-type", "text/html")
                .body(b"<h1 style=\"font-family:sans-serif\">Bare window</h1>".to_vec())
                .expect("a static response")
        })
        .setup(|app| {
            tauri::WebviewWindowBuilder::new(
                app,
                "main",
                tauri::WebviewUrl::CustomProtocol("bare://localhost/".parse()?),
            )
            .title("Bare window")
            .inner_size(1180.0, 760.0)
            .build()?;
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("running the bare window");
}
