//! Updates of the app itself, the Tauri-free part: where this build looks for them and with
//! which key, what the person is shown at each step, and how a failure is put into words. The
//! checking, downloading and signature checking are `tauri-plugin-updater`'s; `flow` wires
//! them to the app.

pub mod flow;

use serde::Serialize;
use serde_json::Value;
use url::Url;

/// Where to look for updates instead of the release endpoint built into the app (a test's
/// local server, a company mirror).
pub const URL_VAR: &str = "CONFAB_UPDATE_URL";
/// The public key to check signatures with instead of the built-in one. Debug builds only: a
/// released app trusts nothing but the key it was built with.
pub const KEY_VAR: &str = "CONFAB_UPDATE_PUBKEY";

/// Where and with which key this build checks for updates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    pub endpoint: Url,
    pub pubkey: String,
}

/// The key that replaces the built-in one, if this is a debug build and `env` names one.
pub fn key_override(env: impl Fn(&str) -> Option<String>) -> Option<String> {
    if !cfg!(debug_assertions) {
        return None;
    }
    env(KEY_VAR)
        .map(|key| key.trim().to_owned())
        .filter(|key| !key.is_empty())
}

/// Where this build looks for updates: `CONFAB_UPDATE_URL`, else the first endpoint of the
/// updater's configuration (`plugins.updater` in `tauri.conf.json`), checked with the
/// configured key (or [`key_override`]). `Ok(None)` when either is missing: a build without a
/// signing key (a developer's) never checks. A malformed address is an error.
pub fn source(
    configured: Option<&Value>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<Source>, String> {
    let pubkey = key_override(&env).or_else(|| {
        configured
            .and_then(|c| c.get("pubkey"))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|key| !key.is_empty())
            .map(str::to_owned)
    });
    let endpoint = match env(URL_VAR).filter(|url| !url.trim().is_empty()) {
        Some(url) => Some(url.trim().to_owned()),
        None => configured
            .and_then(|c| c.get("endpoints"))
            .and_then(Value::as_array)
            .and_then(|list| list.first())
            .and_then(Value::as_str)
            .map(str::to_owned),
    };
    let (Some(endpoint), Some(pubkey)) = (endpoint, pubkey) else {
        return Ok(None);
    };
    let endpoint =
        Url::parse(&endpoint).map_err(|e| format!("{URL_VAR} is not a valid address ({e}): {endpoint}"))?;
    if !matches!(endpoint.scheme(), "http" | "https") {
        return Err(format!(
            "updates are fetched over https, not {}",
            endpoint.scheme()
        ));
    }
    Ok(Some(Source { endpoint, pubkey }))
}

/// A newer version the update endpoint announced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Offer {
    pub version: String,
    /// What is new: the release's CHANGELOG section.
    pub notes: Option<String>,
    /// When it was published (RFC 3339), if the manifest says.
    pub date: Option<String>,
}

/// What the settings page shows about updates, sent as the `update-status` event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum UpdateState {
    /// This build has no update source: it never checks.
    Unavailable,
    /// Nothing checked yet this run.
    Idle,
    Checking,
    UpToDate,
    Available(Offer),
    Downloading(Offer),
    /// Downloaded and its signature checked; `installable` is false where this copy of the app
    /// cannot replace itself (run from a build folder rather than an installer or AppImage).
    Verified {
        #[serde(flatten)]
        offer: Offer,
        installable: bool,
    },
    /// Installed: the new version runs from the next start.
    Installed(Offer),
    Failed {
        offer: Option<Offer>,
        code: &'static str,
        message: String,
    },
}

impl UpdateState {
    /// The version on offer, if any.
    pub fn offer(&self) -> Option<&Offer> {
        match self {
            UpdateState::Available(offer)
            | UpdateState::Downloading(offer)
            | UpdateState::Installed(offer) => Some(offer),
            UpdateState::Verified { offer, .. } => Some(offer),
            UpdateState::Failed { offer, .. } => offer.as_ref(),
            _ => None,
        }
    }
}

/// How an update went wrong, in the person's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The download does not match the signature, or the signature not the app's key.
    BadSignature,
    /// The endpoint did not answer, or not with a manifest.
    Unreachable,
    /// The manifest has nothing for this platform.
    NoBuild,
    /// Installing the verified download failed.
    Install,
}

impl Failure {
    pub fn code(self) -> &'static str {
        match self {
            Failure::BadSignature => "update_bad_signature",
            Failure::Unreachable => "update_unreachable",
            Failure::NoBuild => "update_not_for_this_platform",
            Failure::Install => "update_install_failed",
        }
    }

    /// The sentence shown; `detail` is the underlying error, kept for the curious.
    pub fn message(self, version: Option<&str>, detail: &str) -> String {
        let version = version
            .map(|v| format!("Confab {v}"))
            .unwrap_or_else(|| "the update".into());
        match self {
            Failure::BadSignature => format!(
                "The download of {version} was refused: its signature does not match Confab's signing key, so it may have been tampered with. Nothing was installed. ({detail})"
            ),
            Failure::Unreachable => format!("Could not check for updates: {detail}"),
            Failure::NoBuild => format!("{version} has no download for this computer's system."),
            Failure::Install => {
                format!("{version} was downloaded and checked, but installing it failed: {detail}")
            }
        }
    }

    pub fn state(self, offer: Option<Offer>, detail: &str) -> UpdateState {
        let message = self.message(offer.as_ref().map(|o| o.version.as_str()), detail);
        UpdateState::Failed {
            offer,
            code: self.code(),
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn no_key_means_no_checking() {
        let configured = json!({"pubkey": "", "endpoints": ["https://example.com/latest.json"]});
        assert_eq!(source(Some(&configured), env(&[])), Ok(None));
        assert_eq!(
            source(None, env(&[(URL_VAR, "http://127.0.0.1:1/latest.json")])),
            Ok(None)
        );
    }

    #[test]
    fn the_variable_replaces_the_configured_endpoint() {
        let configured = json!({"pubkey": "KEY", "endpoints": ["https://example.com/latest.json"]});
        let built_in = source(Some(&configured), env(&[])).unwrap().unwrap();
        assert_eq!(built_in.endpoint.as_str(), "https://example.com/latest.json");
        assert_eq!(built_in.pubkey, "KEY");
        let local = source(
            Some(&configured),
            env(&[(URL_VAR, "http://127.0.0.1:9/latest.json")]),
        )
        .unwrap()
        .unwrap();
        assert_eq!(local.endpoint.as_str(), "http://127.0.0.1:9/latest.json");
        assert!(source(Some(&configured), env(&[(URL_VAR, "file:///etc/passwd")])).is_err());
        assert!(source(Some(&configured), env(&[(URL_VAR, "not a url")])).is_err());
    }

    #[test]
    fn only_debug_builds_take_another_key() {
        let configured = json!({"pubkey": "BUILT-IN", "endpoints": ["https://example.com/x.json"]});
        let found = source(Some(&configured), env(&[(KEY_VAR, "TEST-KEY")]))
            .unwrap()
            .unwrap();
        let expected = if cfg!(debug_assertions) {
            "TEST-KEY"
        } else {
            "BUILT-IN"
        };
        assert_eq!(found.pubkey, expected);
    }

    #[test]
    fn states_serialize_flat_for_the_web_client() {
        let offer = Offer {
            version: "0.2.0".into(),
            notes: Some("### Added\n- Updates".into()),
            date: None,
        };
        let json = serde_json::to_value(UpdateState::Available(offer.clone())).unwrap();
        assert_eq!(json["state"], "available");
        assert_eq!(json["version"], "0.2.0");
        let json = serde_json::to_value(UpdateState::Verified {
            offer: offer.clone(),
            installable: false,
        })
        .unwrap();
        assert_eq!(
            (json["state"].as_str(), json["installable"].as_bool()),
            (Some("verified"), Some(false))
        );
        let json = serde_json::to_value(Failure::BadSignature.state(Some(offer), "key id mismatch")).unwrap();
        assert_eq!(json["code"], "update_bad_signature");
        assert!(
            json["message"]
                .as_str()
                .unwrap()
                .contains("Confab 0.2.0 was refused")
        );
        assert_eq!(json["offer"]["version"], "0.2.0");
    }
}
