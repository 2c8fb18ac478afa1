//! The store's interface for reactions: adding and removing one person's emoji on a message. Each
//! change takes the message a new revision.

use crate::error::Result;
use crate::model::{MessageId, UserId};
use async_trait::async_trait;

/// What became of a reaction change.
#[derive(Debug, PartialEq, Eq)]
pub enum ReactOutcome {
    /// Stored; the message took a new revision.
    Changed,
    /// It already was so (adding a reaction I had, removing one I had not).
    Unchanged,
    /// The message already has this many distinct emoji and this one is new.
    TooMany,
    /// No live message with that id.
    Gone,
}

/// The store for reactions, as every backend implements it.
#[async_trait]
pub trait ReactionStore: Send + Sync {
    /// Adds (`add`) or removes `user`'s `emoji` on message `id`, allowing at most `max_distinct`
    /// distinct emoji per message.
    async fn react(
        &self,
        id: MessageId,
        user: UserId,
        emoji: &str,
        add: bool,
        max_distinct: i64,
    ) -> Result<ReactOutcome>;
}
