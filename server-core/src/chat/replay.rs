//! What a cluster node reads back from the database when hints from other nodes came late or
//! not at all: a room's missed messages as the frames the room hears when they are sent, its
//! newest message, the `resync` event that makes clients catch up by themselves, and the
//! sessions and memberships lost hints may have changed. The cluster's orderer
//! (`cluster/order.rs`) decides when; this decides what the sockets get.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;

use super::messages::MAX_PAGE;
use crate::cluster::{Backfill, Head, Missed};
use crate::error::Result;
use crate::events::{self, Frame};
use crate::model::{MessageId, RoomId, SessionId, UserId};
use crate::store::{Paging, Store};

/// The [`Backfill`] of a node on `store`.
pub fn backfill(store: Store) -> Arc<dyn Backfill> {
    Arc::new(Replay { store })
}

struct Replay {
    store: Store,
}

#[async_trait]
impl Backfill for Replay {
    async fn missed(&self, room: RoomId, after: MessageId, before: MessageId) -> Result<Missed> {
        let paging = Paging {
            before: Some(before),
            after: Some(after),
            limit: MAX_PAGE,
        };
        let page = self.store.history(room, paging).await?;
        // Exactly what `messages::announce` sends the room for a new message; thread replies
        // are in a room's history too, as they are in its live stream.
        let frames = page
            .messages
            .iter()
            .map(|m| (m.id, events::new_message(m, None)))
            .collect();
        Ok(Missed {
            frames,
            more: page.has_more,
        })
    }

    async fn heads(&self, rooms: &[RoomId]) -> Result<Vec<Head>> {
        let latest: HashMap<RoomId, MessageId> = self.store.latest_ids(rooms).await?.into_iter().collect();
        Ok(rooms
            .iter()
            .map(|&room| Head {
                room,
                latest: latest.get(&room).copied().unwrap_or(0),
            })
            .collect())
    }

    fn resync(&self, room: RoomId) -> Frame {
        events::resync(&[room])
    }

    async fn live_sessions(&self, sessions: &[SessionId]) -> Result<Vec<SessionId>> {
        self.store.live_sessions(sessions).await
    }

    async fn memberships(&self, user: UserId) -> Result<Vec<RoomId>> {
        self.store.member_room_ids(user).await
    }
}
