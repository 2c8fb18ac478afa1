//! A launch that reaches this instance while it quits. Single instance hands every launch to
//! the running app, and a quitting app keeps that role until its built-in server has stopped:
//! the person who quit and started Confab again would see nothing. Such a launch is kept here
//! and started as a process of its own once this instance has let go.

use std::process::{Command, Stdio};
use std::sync::{Mutex, PoisonError};

/// The launch kept while quitting, if any.
#[derive(Default)]
pub struct Relaunch(Mutex<Option<Launch>>);

struct Launch {
    /// The command line the second launch ran, its program first.
    args: Vec<String>,
    cwd: String,
}

impl Relaunch {
    /// Keeps the launch `args` (program first) run in `cwd`; of several, the last one counts.
    pub fn defer(&self, args: Vec<String>, cwd: String) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(Launch { args, cwd });
    }

    /// Starts the kept launch, if any, as it was run: its own program path (this one's may
    /// have been replaced by an update meanwhile), arguments and folder. Call it only after
    /// releasing the single-instance lock, or the new process hands itself back to this one.
    pub fn start(&self) {
        let Some(launch) = self.0.lock().unwrap_or_else(PoisonError::into_inner).take() else {
            return;
        };
        let Some((program, args)) = launch.args.split_first() else {
            return;
        };
        let mut command = Command::new(program);
        command.args(args).stdin(Stdio::null());
        if !launch.cwd.is_empty() {
            command.current_dir(&launch.cwd);
        }
        match command.spawn() {
            Ok(child) => tracing::info!(pid = child.id(), "started the launch that came while quitting"),
            Err(e) => {
                tracing::warn!(error = %e, program, "starting the launch that came while quitting failed")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn wait_for(path: &std::path::Path) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(text) = std::fs::read_to_string(path)
                && text.ends_with('\n')
            {
                return text;
            }
            assert!(Instant::now() < deadline, "{} was never written", path.display());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn the_last_launch_kept_starts_once_with_its_arguments_and_folder() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let relaunch = Relaunch::default();
        let launch = |word: &str| {
            let script = format!("echo \"$(pwd) {word} $1\" > '{}'", out.display());
            ["/bin/sh", "-c", &script, "sh", "confab://join/x"]
                .map(str::to_owned)
                .to_vec()
        };
        relaunch.defer(launch("first"), "/".to_owned());
        relaunch.defer(launch("second"), dir.path().display().to_string());
        relaunch.start();
        let written = wait_for(&out);
        assert_eq!(
            written,
            format!("{} second confab://join/x\n", dir.path().display())
        );

        std::fs::remove_file(&out).unwrap();
        relaunch.start();
        std::thread::sleep(Duration::from_millis(300));
        assert!(!out.exists(), "a kept launch starts once");
    }
}
