//! Server settings administrators change at run time: the server's name, the registration
//! policy, retention and the upload limit (stored in the database; a setting nobody chose
//! follows the command line), and the default rooms new accounts join.

use std::net::IpAddr;
use std::sync::{Arc, PoisonError, RwLock};

use serde::Serialize;

use super::{audit, require};
use crate::config::{Config, RegistrationPolicy};
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::model::{Caller, RoomId};
use crate::store::Store;

const MB: u64 = 1024 * 1024;
/// The largest upload limit an administrator may choose (as `--max-upload-mb`).
const MAX_UPLOAD_MB: u64 = 1024;
/// A hundred years: beyond that, choose 0 (forever).
const MAX_RETENTION_DAYS: u32 = 36_500;
const MAX_SERVER_NAME_CHARS: usize = 64;

/// The settings in force now.
#[derive(Clone, Debug)]
pub struct Current {
    pub server_name: String,
    pub registration: RegistrationPolicy,
    pub retention_days: u32,
    pub max_upload_bytes: u64,
}

/// The settings in force, shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct Settings {
    current: Arc<RwLock<Current>>,
}

impl Settings {
    /// The command line's values, overridden by whatever administrators chose.
    pub async fn load(store: &Store, config: &Config) -> Result<Settings> {
        Ok(Settings {
            current: Arc::new(RwLock::new(stored(store, config).await?)),
        })
    }

    /// Reads them again from the database, where another node sharing it may have changed
    /// them (`admin::watch` calls this when `admin.revision` moved).
    pub async fn reload(&self, store: &Store, config: &Config) -> Result<()> {
        self.set(stored(store, config).await?);
        Ok(())
    }

    pub fn get(&self) -> Current {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set(&self, current: Current) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = current;
    }
}

/// The command line's values, overridden by what the database holds.
async fn stored(store: &Store, config: &Config) -> Result<Current> {
    let mut current = Current {
        server_name: config.server_name.clone(),
        registration: config.registration,
        retention_days: config.retention_days,
        max_upload_bytes: config.max_upload_bytes,
    };
    for (name, value) in store.settings().await? {
        apply_stored(&mut current, &name, &value);
    }
    Ok(current)
}

/// The retention a stored setting chose, if any (for `confab-server cleanup`, which has no
/// running server's settings).
pub async fn stored_retention_days(store: &Store) -> Result<Option<u32>> {
    Ok(store
        .settings()
        .await?
        .into_iter()
        .find(|(name, _)| name == "retention_days")
        .and_then(|(_, value)| value.parse().ok()))
}

fn apply_stored(current: &mut Current, name: &str, value: &str) {
    match name {
        "server_name" => current.server_name = value.to_owned(),
        "registration" => {
            if let Some(policy) = RegistrationPolicy::parse(value) {
                current.registration = policy;
            }
        }
        "retention_days" => {
            if let Ok(days) = value.parse() {
                current.retention_days = days;
            }
        }
        "max_upload_mb" => {
            if let Ok(mb) = value.parse::<u64>() {
                current.max_upload_bytes = mb * MB;
            }
        }
        _ => tracing::warn!(name, "ignoring an unknown stored setting"),
    }
}

/// The settings as `GET /api/admin/settings` shows them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct View {
    pub server_name: String,
    pub registration: RegistrationPolicy,
    pub retention_days: u32,
    pub max_upload_mb: u64,
    pub default_room_ids: Vec<RoomId>,
}

/// A change: absent fields stay.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = SettingsEdit)]
pub struct Edit {
    pub server_name: Option<String>,
    pub registration: Option<RegistrationPolicy>,
    #[schema(maximum = 36_500)]
    pub retention_days: Option<u32>,
    #[schema(minimum = 1, maximum = 1024)]
    pub max_upload_mb: Option<u64>,
    pub default_room_ids: Option<Vec<RoomId>>,
}

pub async fn view(ctx: &AppContext, caller: &Caller) -> Result<View> {
    require(caller)?;
    current_view(ctx).await
}

async fn current_view(ctx: &AppContext) -> Result<View> {
    let current = ctx.settings.get();
    Ok(View {
        server_name: current.server_name,
        registration: current.registration,
        retention_days: current.retention_days,
        max_upload_mb: current.max_upload_bytes / MB,
        default_room_ids: ctx.store.default_room_ids().await?,
    })
}

/// Validates every field first, then stores and applies them; each changed setting is audited.
pub async fn update(ctx: &AppContext, caller: &Caller, edit: Edit, addr: Option<IpAddr>) -> Result<View> {
    require(caller)?;
    let server_name = edit.server_name.as_deref().map(server_name).transpose()?;
    if edit.retention_days.is_some_and(|days| days > MAX_RETENTION_DAYS) {
        return Err(Error::invalid(
            "invalid_setting",
            "retention_days",
            format!("retention_days must be 0 (forever) to {MAX_RETENTION_DAYS}"),
        ));
    }
    if edit
        .max_upload_mb
        .is_some_and(|mb| !(1..=MAX_UPLOAD_MB).contains(&mb))
    {
        return Err(Error::invalid(
            "invalid_setting",
            "max_upload_mb",
            format!("max_upload_mb must be 1 to {MAX_UPLOAD_MB}"),
        ));
    }
    if let Some(ids) = &edit.default_room_ids {
        if !ctx.store.set_default_rooms(ids).await? {
            return Err(Error::invalid(
                "invalid_setting",
                "default_room_ids",
                "default rooms must be existing public rooms",
            ));
        }
        audit(
            ctx,
            (caller.user_id, &caller.username),
            "set_default_rooms",
            None,
            addr,
        )
        .await;
    }
    let mut current = ctx.settings.get();
    let mut changes: Vec<(&str, String)> = Vec::new();
    if let Some(name) = server_name {
        current.server_name = name.clone();
        changes.push(("server_name", name));
    }
    if let Some(policy) = edit.registration {
        current.registration = policy;
        changes.push(("registration", policy.as_str().to_owned()));
    }
    if let Some(days) = edit.retention_days {
        current.retention_days = days;
        changes.push(("retention_days", days.to_string()));
    }
    if let Some(mb) = edit.max_upload_mb {
        current.max_upload_bytes = mb * MB;
        changes.push(("max_upload_mb", mb.to_string()));
    }
    for (name, value) in &changes {
        ctx.store.set_setting(name, value).await?;
        let target = format!("{name}={value}");
        audit(
            ctx,
            (caller.user_id, &caller.username),
            "set_setting",
            Some(&target),
            addr,
        )
        .await;
    }
    ctx.settings.set(current);
    // Every other node sharing the database reloads its settings when it sees this move.
    ctx.store.bump_admin_revision().await?;
    current_view(ctx).await
}

fn server_name(raw: &str) -> Result<String> {
    let name = raw.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_SERVER_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(Error::invalid(
            "invalid_setting",
            "server_name",
            format!(
                "server_name must be 1 to {MAX_SERVER_NAME_CHARS} characters, without control characters"
            ),
        ));
    }
    Ok(name.to_owned())
}
