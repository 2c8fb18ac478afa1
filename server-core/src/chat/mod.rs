//! The chat service: the rules of accounts, rooms and messages, shared by the REST API and the
//! WebSocket protocol so both behave and broadcast identically.

pub mod accounts;
pub mod admin;
pub mod avatars;
pub mod bidi;
pub mod connections;
pub mod decode_budget;
pub mod dms;
pub mod export;
pub mod limits;
mod log;
pub mod media;
pub mod mentions;
pub mod messages;
pub mod nodes;
mod passwords;
pub mod people;
pub mod pins;
pub mod presence;
pub mod reactions;
pub mod replay;
pub mod retention;
pub mod room_settings;
pub mod rooms;
pub mod search;
pub mod seed;
pub mod shared_limits;
pub mod threads;
mod throttle;
mod typing;
pub mod uploads;
pub mod validate;

pub use limits::Limiter;
pub use log::MessageLog;
pub use passwords::Passwords;
pub use presence::Presence;
pub use throttle::LoginThrottle;
pub use typing::Typing;
