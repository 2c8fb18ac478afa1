//! Whether the machine is idle or locked, as the desktop's screen saver says over D-Bus (Linux
//! and the BSDs): its `ActiveChanged(bool)` signal, on the freedesktop interface (KDE, Xfce,
//! xscreensaver bridges, …) or GNOME's. The web client turns it into my `away` status.

/// Follows the screen saver on a thread of its own, calling `changed(active)` on each change.
/// Without a session bus, or on platforms without one, it does nothing: people then go away
/// only by the server's own idle timer.
pub fn watch(changed: impl Fn(bool) + Send + 'static) {
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        let spawned = std::thread::Builder::new()
            .name("screen-saver".into())
            .spawn(move || {
                if let Err(e) = follow(&changed) {
                    tracing::info!(error = %e, "not following the screen saver");
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "could not start following the screen saver");
        }
    }
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    drop(changed);
}

/// Whether a signal on `interface` named `member` is a screen saver starting or stopping.
pub fn is_screen_saver_change(interface: Option<&str>, member: Option<&str>) -> bool {
    const INTERFACES: [&str; 2] = ["org.freedesktop.ScreenSaver", "org.gnome.ScreenSaver"];
    member == Some("ActiveChanged") && interface.is_some_and(|i| INTERFACES.contains(&i))
}

#[cfg(all(unix, not(target_os = "macos")))]
fn follow(changed: &dyn Fn(bool)) -> zbus::Result<()> {
    let connection = zbus::blocking::Connection::session()?;
    // Signals from any sender: the service owning the name differs between desktops.
    let rule = zbus::MatchRule::builder()
        .msg_type(zbus::message::Type::Signal)
        .member("ActiveChanged")?
        .build();
    for message in zbus::blocking::MessageIterator::for_match_rule(rule, &connection, Some(16))? {
        let message = message?;
        let header = message.header();
        let interface = header.interface().map(|i| i.as_str());
        let member = header.member().map(|m| m.as_str());
        if !is_screen_saver_change(interface, member) {
            continue;
        }
        if let Ok(active) = message.body().deserialize::<bool>() {
            changed(active);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_screen_saver_signals_count() {
        assert!(is_screen_saver_change(
            Some("org.freedesktop.ScreenSaver"),
            Some("ActiveChanged")
        ));
        assert!(is_screen_saver_change(
            Some("org.gnome.ScreenSaver"),
            Some("ActiveChanged")
        ));
        assert!(!is_screen_saver_change(
            Some("org.example.Player"),
            Some("ActiveChanged")
        ));
        assert!(!is_screen_saver_change(
            Some("org.freedesktop.ScreenSaver"),
            Some("WakeUpScreen")
        ));
        assert!(!is_screen_saver_change(None, Some("ActiveChanged")));
    }
}
