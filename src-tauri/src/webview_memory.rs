//! How much memory the webview's content process keeps on Linux: WebKitGTK's memory pressure
//! settings for the web process, which Tauri does not expose.
//!
//! WebKit's web process looks at its own footprint every `poll` seconds and, above a fraction of
//! its memory limit, drops caches it can rebuild (conservative) or also collects garbage
//! (strict). Its default limit is the machine's RAM capped at 3 GB, so on a desktop it never
//! acts. With a 50 MB limit, Confab's busy room (25–30 MiB of the web process's anonymous
//! memory) is trimmed every 10 s, and what 50 colleagues' messages leave behind is given back:
//! 3 MiB less in the benchmark's busy room and 6–11 MiB less while hosting, for no measurable
//! CPU time (docs/performance.md, "The desktop app's footprint"); the bare benchmark window gets
//! the same settings. The kill threshold is left unset: the web process is never killed for its
//! size.

/// The web process's memory pressure settings: WebKit's memory limit in MB, the fractions of it
/// above which it releases caches (conservative) and everything it can (strict), and how often
/// it looks, in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pressure {
    pub limit_mb: u32,
    pub conservative: f64,
    pub strict: f64,
    pub poll_s: f64,
}

/// What Confab (and the bare benchmark window) uses.
pub const PRESSURE: Pressure = Pressure {
    limit_mb: 50,
    conservative: 0.33,
    strict: 0.5,
    poll_s: 10.0,
};

/// Reads `CONFAB_WEBKIT_PRESSURE` (`limit_mb:conservative:strict:poll_s`), for measuring other
/// settings with the same binaries (`off` measures WebKit's defaults); `None` when it is not
/// four valid numbers.
pub fn parse(text: &str) -> Option<Pressure> {
    let parts: Vec<&str> = text.split(':').collect();
    let [limit, conservative, strict, poll] = parts.as_slice() else {
        return None;
    };
    let pressure = Pressure {
        limit_mb: limit.trim().parse().ok()?,
        conservative: conservative.trim().parse().ok()?,
        strict: strict.trim().parse().ok()?,
        poll_s: poll.trim().parse().ok()?,
    };
    // WebKit's own preconditions (it asserts them): 0 < conservative < strict < 1, poll > 0.
    let valid = pressure.limit_mb > 0
        && 0.0 < pressure.conservative
        && pressure.conservative < pressure.strict
        && pressure.strict < 1.0
        && pressure.poll_s > 0.0;
    valid.then_some(pressure)
}

/// Gives every web context this process creates from now on [`PRESSURE`] (or the measured
/// override). Call it from `main` before the first window exists and before other threads run.
pub fn configure() {
    #[cfg(target_os = "linux")]
    {
        let chosen = std::env::var("CONFAB_WEBKIT_PRESSURE").ok();
        if chosen.as_deref() == Some("off") {
            return;
        }
        linux::install(chosen.as_deref().and_then(parse).unwrap_or(PRESSURE));
    }
}

#[cfg(target_os = "linux")]
mod linux {
    //! The web context's memory pressure settings are a construct-only property, and wry builds
    //! the context itself (`WebContext::builder().build()`), so the property is filled in by
    //! WebKitWebContext's GObject constructor, wrapped here, when the caller left it unset.

    use super::Pressure;
    use std::ffi::{CStr, c_uint};
    use std::sync::OnceLock;
    use webkit2gtk::ffi;
    use webkit2gtk::glib::ffi::GType;
    use webkit2gtk::glib::gobject_ffi::{self, GObject, GObjectClass, GObjectConstructParam};

    type Constructor = unsafe extern "C" fn(GType, c_uint, *mut GObjectConstructParam) -> *mut GObject;

    /// The class's own constructor and the settings to hand it: a C class's vtable entry has no
    /// room for state, so the wrapper finds both here. Set once, before any context exists.
    static HOOK: OnceLock<(Constructor, usize)> = OnceLock::new();

    const PROPERTY: &CStr = c"memory-pressure-settings";

    pub fn install(pressure: Pressure) {
        // SAFETY: plain calls into WebKitGTK and GObject on this (the main) thread before any
        // web context exists; the class reference is kept for the life of the process, so the
        // patched vtable stays valid, and the settings are never freed (they are copied by
        // every context constructed).
        unsafe {
            let settings = ffi::webkit_memory_pressure_settings_new();
            ffi::webkit_memory_pressure_settings_set_memory_limit(settings, pressure.limit_mb);
            ffi::webkit_memory_pressure_settings_set_conservative_threshold(settings, pressure.conservative);
            ffi::webkit_memory_pressure_settings_set_strict_threshold(settings, pressure.strict);
            ffi::webkit_memory_pressure_settings_set_poll_interval(settings, pressure.poll_s);
            let class =
                gobject_ffi::g_type_class_ref(ffi::webkit_web_context_get_type()) as *mut GObjectClass;
            let Some(original) = (*class).constructor else {
                return;
            };
            if HOOK.set((original, settings as usize)).is_ok() {
                (*class).constructor = Some(construct);
            }
        }
    }

    /// WebKitWebContext's constructor with the memory pressure settings filled in.
    unsafe extern "C" fn construct(
        type_: GType,
        count: c_uint,
        params: *mut GObjectConstructParam,
    ) -> *mut GObject {
        let (original, settings) = *HOOK.get().expect("installed before it is called");
        // SAFETY: GObject passes `count` construct parameters, every construct property of the
        // class with its given or default value; the boxed value is copied by set_boxed.
        unsafe {
            if !params.is_null() {
                for param in std::slice::from_raw_parts_mut(params, count as usize) {
                    let name = CStr::from_ptr(gobject_ffi::g_param_spec_get_name(param.pspec));
                    if name == PROPERTY && gobject_ffi::g_value_get_boxed(param.value).is_null() {
                        gobject_ffi::g_value_set_boxed(param.value, settings as *const _);
                    }
                }
            }
            original(type_, count, params)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_override_is_four_numbers() {
        assert_eq!(
            parse("150:0.3:0.5:2"),
            Some(Pressure {
                limit_mb: 150,
                conservative: 0.3,
                strict: 0.5,
                poll_s: 2.0
            })
        );
    }

    #[test]
    fn an_override_webkit_would_refuse_is_ignored() {
        assert_eq!(parse(""), None);
        assert_eq!(parse("150:0.3:0.5"), None);
        assert_eq!(parse("0:0.3:0.5:2"), None);
        assert_eq!(parse("150:0.5:0.3:2"), None);
        assert_eq!(parse("150:0.3:1.0:2"), None);
        assert_eq!(parse("150:0.3:0.5:0"), None);
    }
}
