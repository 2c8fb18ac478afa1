//! The chat domain's types as stored and as sent to clients: users, rooms, members, messages.
//! Field names here are the wire format documented in `docs/protocol.md`.

use serde::{Deserialize, Serialize, Serializer};
use sqlx::FromRow;

use crate::time::{self, Millis};

mod admin;

pub use admin::{AdminRoom, AdminUser, AuditRecord, Invite};

pub type UserId = i64;
pub type RoomId = i64;
pub type MessageId = i64;
pub type SessionId = i64;

/// A person's presence as others see it: `offline` without a connection, else what they chose.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum Status {
    #[default]
    Online,
    Away,
    /// Do not disturb: chosen by the person; clients suppress notifications.
    Dnd,
    Offline,
}

impl Status {
    /// What others see of a person who chose `self`: offline without a connection, away when
    /// idle (unless they chose away or do-not-disturb themselves).
    pub fn shown(self, online: bool, idle: bool) -> Status {
        match self {
            _ if !online => Status::Offline,
            Status::Online if idle => Status::Away,
            chosen => chosen,
        }
    }
}

/// A user as anyone may see them.
#[derive(Clone, Debug, Serialize, FromRow, utoipa::ToSchema)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub avatar_url: Option<String>,
    /// A server administrator (moderates every public room).
    #[sqlx(rename = "is_admin")]
    pub is_server_admin: bool,
    pub is_online: bool,
    #[serde(serialize_with = "time::ser_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_seen: Option<Millis>,
    #[serde(serialize_with = "time::ser")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Millis,
    /// `online`, `away`, `dnd` or `offline` (see [`User::set_online`]).
    pub status: Status,
    pub status_text: Option<String>,
    /// The status the person chose, shown while they are online.
    #[serde(skip)]
    #[sqlx(rename = "chosen_status")]
    pub chosen_status: Status,
    /// A server administrator deactivated the account: their messages stay, marked so.
    pub is_deactivated: bool,
}

impl User {
    /// Records whether the user is connected and idle, keeping `status` in step.
    pub fn set_presence(&mut self, online: bool, idle: bool) {
        self.is_online = online;
        self.status = self.chosen_status.shown(online, idle);
    }
}

/// A user as they see themselves: with their email.
#[derive(Clone, Debug, Serialize, FromRow, utoipa::ToSchema)]
pub struct Me {
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub user: User,
    pub email: Option<String>,
}

/// Who is making a request: the user behind a valid session.
#[derive(Clone, Debug)]
pub struct Caller {
    pub session_id: SessionId,
    pub user_id: UserId,
    pub username: String,
    pub is_server_admin: bool,
    /// When the session stops being valid.
    pub expires_at: Millis,
    /// Signed in with a temporary password: only changing it (and signing out) is allowed.
    pub must_change_password: bool,
}

/// A room as one particular user sees it.
#[derive(Clone, Debug, Serialize, FromRow, utoipa::ToSchema)]
pub struct Room {
    pub id: RoomId,
    pub name: String,
    pub description: String,
    pub is_private: bool,
    pub created_by: Option<UserId>,
    #[serde(serialize_with = "time::ser")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Millis,
    pub member_count: i64,
    pub is_member: bool,
    /// May manage members and delete any message here.
    pub is_admin: bool,
    /// Messages from others after `last_read_message_id` (capped at 1000).
    pub unread_count: i64,
    pub last_read_message_id: MessageId,
    pub last_message_id: Option<MessageId>,
    pub kind: RoomKind,
    /// Unread messages that mention me, plus every unread message of a direct room (capped).
    pub mention_count: i64,
    /// A direct conversation I closed; the next message in it opens it again.
    pub is_hidden: bool,
    /// Read-only for everyone (a server administrator archived it).
    pub is_archived: bool,
    /// A direct room's other participants.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[sqlx(skip)]
    pub dm_users: Option<Vec<User>>,
}

/// A room is a channel (named; public or private) or a direct conversation between 2–8 people.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, sqlx::Type, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum RoomKind {
    Channel,
    Direct,
}

/// A member of a room.
#[derive(Clone, Debug, Serialize, FromRow, utoipa::ToSchema)]
pub struct Member {
    pub id: UserId,
    pub username: String,
    pub avatar_url: Option<String>,
    pub is_online: bool,
    #[serde(serialize_with = "time::ser_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_seen: Option<Millis>,
    /// Administers this room.
    pub is_admin: bool,
    #[serde(serialize_with = "time::ser")]
    #[schema(value_type = String, format = DateTime)]
    pub joined_at: Millis,
    pub status: Status,
    pub status_text: Option<String>,
    #[serde(skip)]
    pub chosen_status: Status,
    /// Deactivated by a server administrator.
    pub is_deactivated: bool,
}

impl Member {
    /// Records whether the member is connected and idle, keeping `status` in step.
    pub fn set_presence(&mut self, online: bool, idle: bool) {
        self.is_online = online;
        self.status = self.chosen_status.shown(online, idle);
    }
}

/// What a message holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum MessageType {
    Text,
    Emoji,
    Image,
    File,
    /// Made by the server (joins, leaves, …); clients may not send it.
    System,
}

/// A chat message, flat, as clients receive it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Message {
    pub id: MessageId,
    pub room_id: RoomId,
    pub user_id: Option<UserId>,
    pub username: Option<String>,
    /// Empty once deleted; an optional caption for image and file messages.
    pub content: String,
    pub message_type: MessageType,
    #[serde(serialize_with = "time::ser")]
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: Millis,
    #[serde(serialize_with = "time::ser_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub edited_at: Option<Millis>,
    pub is_deleted: bool,
    pub client_msg_id: Option<String>,
    /// For system messages: what happened, so clients can word it in their own language.
    #[serde(
        rename = "system",
        serialize_with = "raw_json",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<SystemEvent>)]
    pub system: Option<String>,
    /// The uploaded file of an image or file message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachment: Option<Attachment>,
    /// The members this message mentions by `@name` (never its author).
    pub mentions: Vec<UserId>,
    /// Mentions everyone in the room (`@room`, `@all`, `@所有人`).
    pub mentions_room: bool,
    /// The message this one quotes (an inline reply).
    pub reply_to: Option<ReplyTo>,
    /// The root of the thread this message replies in.
    pub thread_id: Option<MessageId>,
    /// A thread reply that is also shown in the room's timeline.
    pub also_to_room: bool,
    /// For a thread's root: its replies so far (`None` until the first one).
    pub thread: Option<ThreadSummary>,
    /// Reactions, each emoji in the order it was first used.
    pub reactions: Vec<Reaction>,
    pub is_pinned: bool,
}

/// What a reply shows of the message it quotes.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum ReplyTo {
    Live {
        id: MessageId,
        user_id: Option<UserId>,
        username: Option<String>,
        /// The original's text without Markdown marks, at most 140 characters.
        excerpt: String,
    },
    Deleted {
        id: MessageId,
        is_deleted: bool,
    },
}

impl ReplyTo {
    /// The quoted message's id.
    pub fn id(&self) -> MessageId {
        match self {
            ReplyTo::Live { id, .. } | ReplyTo::Deleted { id, .. } => *id,
        }
    }
}

/// A thread as its root shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ThreadSummary {
    pub reply_count: i64,
    #[serde(serialize_with = "time::ser")]
    #[schema(value_type = String, format = DateTime)]
    pub last_reply_at: Millis,
    /// Everyone who replied, in no particular order.
    pub participant_ids: Vec<UserId>,
}

/// One emoji's reactions on a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Reaction {
    /// One emoji, or a `:shortcode:`.
    pub emoji: String,
    pub count: i64,
    /// Who reacted.
    pub user_ids: Vec<UserId>,
}

/// An uploaded file as clients see it. Its bytes are at `url` (and a small preview of an image
/// at `thumbnail_url`), for members of the room, with the usual Authorization header.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Attachment {
    pub id: String,
    pub file_name: String,
    pub size: i64,
    pub content_type: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub url: String,
    pub thumbnail_url: Option<String>,
}

impl Attachment {
    /// The client-facing view of a stored attachment.
    pub fn new(
        id: String,
        file_name: String,
        size: i64,
        content_type: String,
        dimensions: Option<(i64, i64)>,
    ) -> Self {
        let url = format!("/api/files/{id}");
        Attachment {
            thumbnail_url: dimensions.map(|_| format!("{url}/thumbnail")),
            width: dimensions.map(|d| d.0),
            height: dimensions.map(|d| d.1),
            url,
            id,
            file_name,
            size,
            content_type,
        }
    }
}

/// What a system message records.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SystemEvent {
    RoomCreated {
        user_id: UserId,
        username: String,
    },
    MemberJoined {
        user_id: UserId,
        username: String,
    },
    MemberLeft {
        user_id: UserId,
        username: String,
    },
    MemberAdded {
        user_id: UserId,
        username: String,
        by_id: UserId,
        by_username: String,
    },
    MemberRemoved {
        user_id: UserId,
        username: String,
        by_id: UserId,
        by_username: String,
    },
    MessagePinned {
        message_id: MessageId,
        by_id: UserId,
        by_username: String,
    },
    RoomArchived {
        by_id: UserId,
        by_username: String,
    },
    /// A room admin changed the room: only the fields that changed are present.
    RoomUpdated {
        by_id: UserId,
        by_username: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        is_private: Option<bool>,
    },
    AdminAdded {
        user_id: UserId,
        username: String,
        by_id: UserId,
        by_username: String,
    },
    AdminRemoved {
        user_id: UserId,
        username: String,
        by_id: UserId,
        by_username: String,
    },
    RoomUnarchived {
        by_id: UserId,
        by_username: String,
    },
}

impl SystemEvent {
    /// The English sentence stored as the message content, for clients that don't know the kind.
    pub fn describe(&self, room: &str) -> String {
        match self {
            SystemEvent::RoomCreated { username, .. } => format!("{username} created {room}"),
            SystemEvent::MemberJoined { username, .. } => format!("{username} joined {room}"),
            SystemEvent::MemberLeft { username, .. } => format!("{username} left {room}"),
            SystemEvent::MemberAdded {
                username,
                by_username,
                ..
            } => {
                format!("{by_username} added {username} to {room}")
            }
            SystemEvent::MemberRemoved {
                username,
                by_username,
                ..
            } => {
                format!("{by_username} removed {username} from {room}")
            }
            SystemEvent::MessagePinned { by_username, .. } => {
                format!("{by_username} pinned a message to {room}")
            }
            SystemEvent::RoomArchived { by_username, .. } => {
                format!("{by_username} archived {room}: it is read-only now")
            }
            SystemEvent::RoomUnarchived { by_username, .. } => {
                format!("{by_username} unarchived {room}")
            }
            SystemEvent::RoomUpdated {
                by_username,
                name,
                description,
                is_private,
                ..
            } => {
                let mut changes = Vec::new();
                if let Some(name) = name {
                    changes.push(format!("renamed the room to {name}"));
                }
                if description.is_some() {
                    changes.push("changed the description".to_owned());
                }
                match is_private {
                    Some(true) => changes.push("made the room private".to_owned()),
                    Some(false) => changes.push("made the room public".to_owned()),
                    None => {}
                }
                format!("{by_username} {}", changes.join(" and "))
            }
            SystemEvent::AdminAdded {
                username,
                by_username,
                ..
            } => format!("{by_username} made {username} an admin of {room}"),
            SystemEvent::AdminRemoved {
                username,
                by_username,
                ..
            } => format!("{by_username} removed {username} as an admin of {room}"),
        }
    }
}

fn raw_json<S: Serializer>(value: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match value
        .as_deref()
        .map(serde_json::from_str::<&serde_json::value::RawValue>)
    {
        Some(Ok(raw)) => raw.serialize(s),
        _ => s.serialize_none(),
    }
}

/// A presence change as broadcast to clients.
#[derive(Clone, Debug, Serialize, FromRow, utoipa::ToSchema)]
pub struct UserStatus {
    pub user_id: UserId,
    pub username: String,
    pub is_online: bool,
    #[serde(serialize_with = "time::ser_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_seen: Option<Millis>,
    pub status: Status,
    pub status_text: Option<String>,
}
