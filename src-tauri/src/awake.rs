//! Keeping the computer awake while it hosts the office chat: on Linux a systemd-logind
//! inhibitor lock ("sleep:idle", mode "block"), held as the file descriptor logind hands out
//! and released by closing it. Where there is no logind (containers, CI, other init systems)
//! the app carries on without one and says so in the host panel.

#[cfg(target_os = "linux")]
use std::time::Duration;

/// Why the app holds the lock, as logind shows it (`systemd-inhibit --list`).
pub const WHY: &str = "Hosting the Confab chat for colleagues";

/// A held inhibitor; dropping it lets the computer sleep again.
pub struct Inhibitor {
    #[cfg(target_os = "linux")]
    _fd: dbus::arg::OwnedFd,
}

impl std::fmt::Debug for Inhibitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Inhibitor")
    }
}

/// Asks the OS not to sleep or idle-suspend. `None` (logged, never an error for the person)
/// where the OS has no such service or refuses. Blocks on D-Bus: call it off the window's
/// thread.
pub fn inhibit() -> Option<Inhibitor> {
    #[cfg(target_os = "linux")]
    {
        match logind_inhibit() {
            Ok(fd) => {
                tracing::info!("holding a logind inhibitor: no sleep while hosting");
                Some(Inhibitor { _fd: fd })
            }
            Err(e) => {
                tracing::info!(error = %e, "no logind inhibitor (no systemd-logind?); the computer may sleep");
                None
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        tracing::info!("keeping the computer awake is not supported on this platform yet");
        None
    }
}

#[cfg(target_os = "linux")]
fn logind_inhibit() -> Result<dbus::arg::OwnedFd, dbus::Error> {
    let connection = dbus::blocking::Connection::new_system()?;
    let proxy = connection.with_proxy(
        "org.freedesktop.login1",
        "/org/freedesktop/login1",
        Duration::from_secs(3),
    );
    let (fd,): (dbus::arg::OwnedFd,) = proxy.method_call(
        "org.freedesktop.login1.Manager",
        "Inhibit",
        ("sleep:idle", "Confab", WHY, "block"),
    )?;
    Ok(fd)
}
