//! What server administrators see: accounts, rooms (never their content), invites and the
//! audit log. Field names here are the wire format of docs/protocol.md, "Administration".

use serde::Serialize;
use sqlx::FromRow;

use super::{RoomId, RoomKind, UserId};
use crate::time::{self, Millis};

/// An account as server administrators see it.
#[derive(Clone, Debug, Serialize, FromRow, utoipa::ToSchema)]
pub struct AdminUser {
    pub id: UserId,
    pub username: String,
    pub email: Option<String>,
    #[sqlx(rename = "is_admin")]
    pub is_server_admin: bool,
    pub is_deactivated: bool,
    pub is_online: bool,
    #[serde(serialize_with = "time::ser_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_seen: Option<Millis>,
    #[serde(serialize_with = "time::ser")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Millis,
}

/// A room as server administrators see it: never its content.
#[derive(Clone, Debug, Serialize, FromRow, utoipa::ToSchema)]
pub struct AdminRoom {
    pub id: RoomId,
    /// `null` for a direct conversation: its people are its name, and its privacy is theirs.
    pub name: Option<String>,
    pub kind: RoomKind,
    pub is_private: bool,
    pub is_default: bool,
    pub is_archived: bool,
    pub member_count: i64,
    pub created_by: Option<UserId>,
    pub created_by_name: Option<String>,
    #[serde(serialize_with = "time::ser")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Millis,
    /// When the last message was sent, if any is left.
    #[serde(serialize_with = "time::ser_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_activity: Option<Millis>,
}

/// An invite to register under the `invite` policy.
#[derive(Clone, Debug, Serialize, FromRow, utoipa::ToSchema)]
pub struct Invite {
    pub id: i64,
    pub code: String,
    pub created_by: Option<UserId>,
    pub created_by_name: Option<String>,
    #[serde(serialize_with = "time::ser")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Millis,
    #[serde(serialize_with = "time::ser_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Millis>,
    /// `null`: unlimited.
    pub max_uses: Option<u32>,
    pub uses: u32,
    pub is_revoked: bool,
}

/// One administrative action in the audit log.
#[derive(Clone, Debug, Serialize, FromRow, utoipa::ToSchema)]
pub struct AuditRecord {
    pub id: i64,
    /// `null` for the command line, or an account since deleted.
    pub actor_id: Option<UserId>,
    /// The account's name then, or `cli`.
    pub actor_name: String,
    pub action: String,
    pub target: Option<String>,
    /// The client's address, when the action came over the network.
    pub address: Option<String>,
    #[serde(serialize_with = "time::ser")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Millis,
}
