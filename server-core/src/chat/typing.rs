//! Typing indicators: who is typing in which room. A `typing_start` lasts a few seconds unless
//! renewed; renewals are silent, so a client may repeat it while the person types.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::events;
use crate::fanout::{Audience, Fanout};
use crate::model::{RoomId, UserId};

/// Who types where: (room, user) → (when it lapses, their name).
type Typists = HashMap<(RoomId, UserId), (Instant, String)>;

#[derive(Clone)]
pub struct Typing {
    typists: Arc<Mutex<Typists>>,
    ttl: Duration,
}

impl Typing {
    pub fn new(ttl: Duration) -> Typing {
        Typing {
            typists: Arc::default(),
            ttl,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Typists> {
        self.typists.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `user` is typing in `room`: tells the room's other members unless it already knew.
    pub fn start(&self, fanout: &dyn Fanout, room: RoomId, user: UserId, username: &str) {
        let deadline = Instant::now() + self.ttl;
        let fresh = self
            .lock()
            .insert((room, user), (deadline, username.to_owned()))
            .is_none();
        if fresh {
            fanout.publish(
                Audience::room(room).except_user(user),
                &events::typing_update(room, user, username, true),
            );
        }
    }

    /// `user` stopped typing in `room` (or sent their message).
    pub fn stop(&self, fanout: &dyn Fanout, room: RoomId, user: UserId) {
        let removed = self.lock().remove(&(room, user));
        if let Some((_, username)) = removed {
            fanout.publish(
                Audience::room(room).except_user(user),
                &events::typing_update(room, user, &username, false),
            );
        }
    }

    /// `user` disconnected: they stop typing everywhere.
    pub fn stop_everywhere(&self, fanout: &dyn Fanout, user: UserId) {
        let rooms: Vec<RoomId> = self
            .lock()
            .keys()
            .filter(|(_, u)| *u == user)
            .map(|(room, _)| *room)
            .collect();
        for room in rooms {
            self.stop(fanout, room, user);
        }
    }

    /// Expires stale indicators until `stop` is cancelled.
    pub async fn run_expiry(self, fanout: Arc<dyn Fanout>, stop: CancellationToken) {
        let tick = (self.ttl / 4).max(Duration::from_millis(50));
        let mut interval = tokio::time::interval(tick);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = interval.tick() => {}
                () = stop.cancelled() => return,
            }
            let now = Instant::now();
            let expired: Vec<(RoomId, UserId, String)> = {
                let mut typists = self.lock();
                let expired: Vec<(RoomId, UserId)> = typists
                    .iter()
                    .filter(|(_, (deadline, _))| *deadline <= now)
                    .map(|(key, _)| *key)
                    .collect();
                expired
                    .into_iter()
                    .filter_map(|key| typists.remove(&key).map(|(_, name)| (key.0, key.1, name)))
                    .collect()
            };
            for (room, user, username) in expired {
                fanout.publish(
                    Audience::room(room).except_user(user),
                    &events::typing_update(room, user, &username, false),
                );
            }
        }
    }
}
