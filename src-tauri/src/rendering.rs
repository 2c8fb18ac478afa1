//! How the webview draws on Linux: whether WebKitGTK's accelerated compositing is turned off
//! because the machine has no GPU to accelerate it.
//!
//! Without a GPU render node, WebKitGTK composites through Mesa's software rasteriser
//! (llvmpipe): every layer's tiles and textures then live in the web process's own memory,
//! next to the GL driver, and nothing is faster for it. On such machines (virtual machines,
//! remote desktops, the benchmark's virtual X display) the web process of a bare window takes
//! 155 MiB composited and 90 MiB without, and Confab's busy window 230–320 MiB against
//! 135 MiB (docs/performance.md). Machines with a GPU keep compositing.

use std::path::Path;

/// The environment variable WebKitGTK reads (in the app and in the web process it starts).
pub const DISABLE_COMPOSITING: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

/// Whether to turn compositing off: never when the person set the variable themselves (either
/// way); otherwise when there is no GPU render node (`/dev/dri/renderD*`), or Mesa is told to
/// render in software anyway (`LIBGL_ALWAYS_SOFTWARE`).
pub fn compositing_off(already_set: bool, render_nodes: usize, always_software: Option<&str>) -> bool {
    let software =
        always_software.is_some_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"));
    !already_set && (render_nodes == 0 || software)
}

/// The GPU render nodes under `dri` (normally `/dev/dri`); none when it does not exist.
pub fn render_nodes(dri: &Path) -> usize {
    std::fs::read_dir(dri)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().starts_with("renderD"))
                .count()
        })
        .unwrap_or(0)
}

/// Applies [`compositing_off`] to this process's environment, which the web process inherits.
/// Call it first thing in `main`, before any thread exists (the bare benchmark window calls it
/// too, so both are measured with the same webview configuration).
pub fn configure() {
    #[cfg(target_os = "linux")]
    {
        let off = compositing_off(
            std::env::var_os(DISABLE_COMPOSITING).is_some(),
            render_nodes(Path::new("/dev/dri")),
            std::env::var("LIBGL_ALWAYS_SOFTWARE").ok().as_deref(),
        );
        if off {
            // SAFETY: called at the start of `main`, before any other thread can read the
            // environment.
            unsafe { std::env::set_var(DISABLE_COMPOSITING, "1") };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_gpu_turns_compositing_off() {
        assert!(compositing_off(false, 0, None));
    }

    #[test]
    fn a_gpu_keeps_compositing() {
        assert!(!compositing_off(false, 1, None));
        assert!(!compositing_off(false, 2, Some("0")));
        assert!(!compositing_off(false, 1, Some("")));
    }

    #[test]
    fn software_gl_on_a_gpu_machine_turns_it_off() {
        assert!(compositing_off(false, 1, Some("1")));
        assert!(compositing_off(false, 1, Some("true")));
    }

    #[test]
    fn the_persons_own_setting_wins() {
        assert!(!compositing_off(true, 0, None));
        assert!(!compositing_off(true, 1, Some("1")));
    }

    #[test]
    fn render_nodes_are_counted_by_name() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(render_nodes(&dir.path().join("missing")), 0);
        std::fs::write(dir.path().join("card0"), "").unwrap();
        assert_eq!(render_nodes(dir.path()), 0);
        std::fs::write(dir.path().join("renderD128"), "").unwrap();
        assert_eq!(render_nodes(dir.path()), 1);
    }
}
