//! The store's interface for server settings chosen at run time (`server_meta` keys `settings.*`)
//! and the default rooms new accounts join.

use crate::error::Result;
use crate::model::RoomId;
use async_trait::async_trait;

/// The store for server settings chosen at run time and the default rooms, as every backend
/// implements it.
#[async_trait]
pub trait SettingsStore: Send + Sync {
    /// Every setting an administrator chose: name (without `settings.`) and value.
    async fn settings(&self) -> Result<Vec<(String, String)>>;

    /// Stores one chosen setting.
    async fn set_setting(&self, name: &str, value: &str) -> Result<()>;

    /// The public rooms every new account joins.
    async fn default_room_ids(&self) -> Result<Vec<RoomId>>;

    /// Makes exactly `ids` the default rooms, if each is a public room (not private, not a
    /// conversation); whether it did.
    async fn set_default_rooms(&self, ids: &[RoomId]) -> Result<bool>;
}
