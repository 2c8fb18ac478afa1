//! Updates wired to the app: the check at start and then daily (while the setting is on), the
//! check and install the person asks for, and the `update-status` event that keeps the web
//! client told. The plugin downloads and verifies; nothing is installed that failed its
//! signature check.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_updater::{Update, UpdaterExt};

use super::{Failure, Offer, Source, UpdateState};
use crate::Desktop;

/// How often a running app looks again.
const EVERY: Duration = Duration::from_secs(24 * 60 * 60);
/// A request that hangs must not leave "Checking…" on screen forever.
const TIMEOUT: Duration = Duration::from_secs(120);

/// The app's update state, managed by Tauri.
pub struct Updates {
    source: Option<Source>,
    state: Mutex<UpdateState>,
    /// What the last check found, to download and install on request.
    found: tokio::sync::Mutex<Option<Update>>,
}

impl Updates {
    pub fn new(source: Option<Source>) -> Self {
        let state = if source.is_some() {
            UpdateState::Idle
        } else {
            UpdateState::Unavailable
        };
        Updates {
            source,
            state: Mutex::new(state),
            found: tokio::sync::Mutex::new(None),
        }
    }

    pub fn state(&self) -> UpdateState {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// The updater, checking signatures with the built-in key (or, in debug builds, a test's).
pub fn plugin() -> tauri::plugin::TauriPlugin<tauri::Wry, tauri_plugin_updater::Config> {
    let mut updater = tauri_plugin_updater::Builder::new();
    if let Some(key) = super::key_override(|name| std::env::var(name).ok()) {
        updater = updater.pubkey(key);
    }
    updater.build()
}

fn set(app: &AppHandle, state: UpdateState) -> UpdateState {
    *app.state::<Updates>()
        .state
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = state.clone();
    let _ = app.emit_to(crate::MAIN, "update-status", state.clone());
    state
}

/// Checks at start and then every day, each time only if the setting is on then.
pub fn schedule(app: &AppHandle) {
    if app.state::<Updates>().source.is_none() {
        tracing::info!("this build has no update source; not checking for updates");
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            if app.state::<Desktop>().settings().check_updates {
                check(&app).await;
            }
            tokio::time::sleep(EVERY).await;
        }
    });
}

/// Asks the update endpoint for a newer version; the answer is the new state.
pub async fn check(app: &AppHandle) -> UpdateState {
    let updates = app.state::<Updates>();
    let Some(source) = updates.source.clone() else {
        return UpdateState::Unavailable;
    };
    let mut found = updates.found.lock().await;
    set(app, UpdateState::Checking);
    let checked = match app
        .updater_builder()
        .endpoints(vec![source.endpoint.clone()])
        .map(|b| b.timeout(TIMEOUT).build())
    {
        Ok(Ok(updater)) => updater.check().await,
        Ok(Err(e)) | Err(e) => Err(e),
    };
    let state = match checked {
        Ok(Some(update)) => {
            let offer = offer_of(&update);
            tracing::info!(version = %offer.version, "an update is available");
            *found = Some(update);
            UpdateState::Available(offer)
        }
        Ok(None) => {
            *found = None;
            UpdateState::UpToDate
        }
        Err(e) => {
            tracing::warn!(error = %e, endpoint = %source.endpoint, "checking for updates failed");
            failure(&e).state(None, &e.to_string())
        }
    };
    set(app, state)
}

/// Downloads what the last check found, checks its signature, and installs it where this copy
/// of the app can replace itself.
pub async fn install(app: &AppHandle) -> UpdateState {
    let updates = app.state::<Updates>();
    let found = updates.found.lock().await;
    let Some(update) = found.clone() else {
        return set(
            app,
            UpdateState::Failed {
                offer: None,
                code: "no_update",
                message: "There is no update to install; check for updates first.".into(),
            },
        );
    };
    let offer = offer_of(&update);
    set(app, UpdateState::Downloading(offer.clone()));
    let bytes = match update.download(|_, _| {}, || {}).await {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::warn!(error = %e, version = %offer.version, "the update was refused");
            return set(app, failure(&e).state(Some(offer), &e.to_string()));
        }
    };
    tracing::info!(version = %offer.version, bytes = bytes.len(), "update downloaded; its signature is good");
    if !can_replace_itself() {
        return set(
            app,
            UpdateState::Verified {
                offer,
                installable: false,
            },
        );
    }
    match update.install(&bytes) {
        Ok(()) => set(app, UpdateState::Installed(offer)),
        Err(e) => {
            tracing::warn!(error = %e, "installing the update failed");
            let failure = match failure(&e) {
                Failure::BadSignature => Failure::BadSignature,
                _ => Failure::Install,
            };
            set(app, failure.state(Some(offer), &e.to_string()))
        }
    }
}

fn offer_of(update: &Update) -> Offer {
    Offer {
        version: update.version.clone(),
        notes: update.body.clone().filter(|notes| !notes.trim().is_empty()),
        // As the manifest wrote it (RFC 3339): the plugin only keeps it if it parsed.
        date: update
            .date
            .and_then(|_| update.raw_json.get("pub_date"))
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned),
    }
}

/// Whether this copy can be replaced by an update: an installed package or an AppImage on Linux
/// (a binary run from a build folder would overwrite that build), any bundle elsewhere.
fn can_replace_itself() -> bool {
    if cfg!(target_os = "linux") && std::env::var_os("APPIMAGE").is_some() {
        return true;
    }
    tauri::utils::platform::bundle_type().is_some()
}

fn failure(error: &tauri_plugin_updater::Error) -> Failure {
    use tauri_plugin_updater::Error as E;
    match error {
        E::Minisign(_)
        | E::Base64(_)
        | E::SignatureUtf8(_)
        | E::SignedVersionMismatch { .. }
        | E::MissingSignedVersion => Failure::BadSignature,
        E::TargetNotFound(_) | E::TargetsNotFound(_) => Failure::NoBuild,
        E::Reqwest(_)
        | E::Network(_)
        | E::ReleaseNotFound
        | E::Serialization(_)
        | E::UrlParse(_)
        | E::InsecureTransportProtocol => Failure::Unreachable,
        _ => Failure::Install,
    }
}
