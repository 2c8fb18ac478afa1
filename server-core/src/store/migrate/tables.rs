//! What `confab-server migrate` copies: every table of the SQLite schema with its columns and
//! their types, in the order the copy takes them.

/// A column's type on SQLite (left) and PostgreSQL (right): ids, counters and times are
/// integers / bigint, 0/1 flags become booleans, digests blobs / bytea.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Int,
    Flag,
    Text,
    Blob,
}

impl Kind {
    pub(super) fn array_type(self) -> &'static str {
        match self {
            Kind::Int => "bigint[]",
            Kind::Flag => "boolean[]",
            Kind::Text => "text[]",
            Kind::Blob => "bytea[]",
        }
    }
}

/// One table to copy.
pub(super) struct Table {
    pub(super) name: &'static str,
    /// The order rows are read and written in: the primary key, so ids go in ascending.
    pub(super) order: &'static str,
    pub(super) columns: &'static [(&'static str, Kind)],
    /// Has an identity `id` whose sequence must continue past the copied ids.
    pub(super) identity: bool,
}

use Kind::{Blob, Flag, Int, Text};

/// Every table, parents before children: a row's foreign keys name rows already copied.
/// (`messages.thread_id` names an older message of the same table: ascending ids keep it so.)
pub(super) const TABLES: &[Table] = &[
    Table {
        name: "users",
        order: "id",
        identity: true,
        columns: &[
            ("id", Int),
            ("username", Text),
            ("username_key", Text),
            ("email", Text),
            ("password_hash", Text),
            ("avatar_url", Text),
            ("is_admin", Flag),
            ("is_online", Flag),
            ("last_seen", Int),
            ("created_at", Int),
            ("username_skeleton", Text),
            ("status", Text),
            ("status_text", Text),
            ("deactivated_at", Int),
            ("must_change_password", Flag),
        ],
    },
    Table {
        name: "sessions",
        order: "id",
        identity: true,
        columns: &[
            ("id", Int),
            ("user_id", Int),
            ("token_hash", Blob),
            ("created_at", Int),
            ("expires_at", Int),
        ],
    },
    Table {
        name: "rooms",
        order: "id",
        identity: true,
        columns: &[
            ("id", Int),
            ("name", Text),
            ("name_key", Text),
            ("description", Text),
            ("is_private", Flag),
            ("created_by", Int),
            ("created_at", Int),
            ("is_default", Flag),
            ("kind", Text),
            ("dm_key", Text),
            ("archived_at", Int),
        ],
    },
    Table {
        name: "room_memberships",
        order: "room_id, user_id",
        identity: false,
        columns: &[
            ("room_id", Int),
            ("user_id", Int),
            ("joined_at", Int),
            ("is_admin", Flag),
            ("last_read_message_id", Int),
            ("is_hidden", Flag),
        ],
    },
    Table {
        name: "messages",
        order: "id",
        identity: true,
        columns: &[
            ("id", Int),
            ("room_id", Int),
            ("user_id", Int),
            ("content", Text),
            ("message_type", Text),
            ("timestamp", Int),
            ("edited_at", Int),
            ("is_deleted", Flag),
            ("client_msg_id", Text),
            ("meta", Text),
            ("rev", Int),
            ("mentions_room", Flag),
            ("reply_to_id", Int),
            ("thread_id", Int),
            ("also_to_room", Flag),
            ("pinned_at", Int),
            ("pinned_by", Int),
        ],
    },
    Table {
        name: "attachments",
        order: "id",
        identity: false,
        columns: &[
            ("id", Text),
            ("message_id", Int),
            ("room_id", Int),
            ("file_name", Text),
            ("size", Int),
            ("content_type", Text),
            ("is_image", Flag),
            ("width", Int),
            ("height", Int),
            ("created_at", Int),
        ],
    },
    Table {
        name: "message_mentions",
        order: "user_id, room_id, message_id",
        identity: false,
        columns: &[("user_id", Int), ("room_id", Int), ("message_id", Int)],
    },
    Table {
        name: "message_reactions",
        order: "id",
        identity: true,
        columns: &[
            ("id", Int),
            ("message_id", Int),
            ("user_id", Int),
            ("emoji", Text),
        ],
    },
    Table {
        name: "thread_follows",
        order: "user_id, root_id",
        identity: false,
        columns: &[
            ("user_id", Int),
            ("root_id", Int),
            ("is_following", Flag),
            ("last_read_id", Int),
        ],
    },
    Table {
        name: "invites",
        order: "id",
        identity: true,
        columns: &[
            ("id", Int),
            ("code", Text),
            ("created_by", Int),
            ("created_at", Int),
            ("expires_at", Int),
            ("max_uses", Int),
            ("uses", Int),
            ("revoked_at", Int),
        ],
    },
    Table {
        name: "audit_log",
        order: "id",
        identity: true,
        columns: &[
            ("id", Int),
            ("actor_id", Int),
            ("actor_name", Text),
            ("action", Text),
            ("target", Text),
            ("detail", Text),
            ("address", Text),
            ("created_at", Int),
        ],
    },
    Table {
        name: "server_meta",
        order: "key",
        identity: false,
        columns: &[("key", Text), ("value", Text)],
    },
];

/// SQLite's tables that are not data of their own: the search index (rebuilt as each message's
/// `search` vector) and bookkeeping of SQLite and sqlx.
pub(super) fn derived_sqlite_table(name: &str) -> bool {
    name.starts_with("sqlite_") || name.starts_with("_sqlx") || name.starts_with("message_search")
}
