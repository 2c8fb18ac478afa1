//! Presence: a user is online while at least one of their sockets is authenticated. Changes
//! are written to the database and announced to every connected user. The first change goes
//! out at once; changes arriving within the next interval are coalesced into one
//! `user_status_batch`, so a crowd connecting at once costs one frame per socket per interval
//! instead of one per arrival.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::context::AppContext;
use crate::error::Result;
use crate::events;
use crate::fanout::{Audience, Fanout};
use crate::hub::Hub;
use crate::model::UserId;
use crate::model::{Member, User};
use crate::store::Store;
use crate::time::{Clock, Millis};

/// Everyone online right now. The hub is the truth; the database's flag lags by up to one
/// presence interval and would leave out someone who just connected — even the asker.
pub async fn online_users(ctx: &AppContext) -> Result<Vec<User>> {
    let mut users = ctx.store.users_by_ids(&ctx.hub.online_user_ids()).await?;
    for user in &mut users {
        user.set_online(true);
    }
    Ok(users)
}

/// Marks each member online or offline as the hub sees them now (see [`online_users`]).
pub fn overlay(hub: &Hub, members: &mut [Member]) {
    for member in members {
        member.set_online(hub.is_online(member.id));
    }
}

#[derive(Clone, Default)]
pub struct Presence {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Latest state per user since the last flush.
    pending: Mutex<HashMap<UserId, bool>>,
    wake: Notify,
}

impl Presence {
    /// Records that `user` came online or went offline.
    pub fn changed(&self, user: UserId, online: bool) {
        self.inner
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(user, online);
        self.inner.wake.notify_one();
    }

    /// Announces changes until `stop` is cancelled, at most once per `interval`.
    pub async fn run(
        self,
        store: Store,
        fanout: Arc<dyn Fanout>,
        clock: Clock,
        interval: Duration,
        stop: CancellationToken,
    ) {
        loop {
            tokio::select! {
                () = self.inner.wake.notified() => {}
                () = stop.cancelled() => return,
            }
            self.flush(&store, &*fanout, clock.now()).await;
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                () = stop.cancelled() => return,
            }
        }
    }

    async fn flush(&self, store: &Store, fanout: &dyn Fanout, now: Millis) {
        let changes: Vec<(UserId, bool)> =
            std::mem::take(&mut *self.inner.pending.lock().unwrap_or_else(PoisonError::into_inner))
                .into_iter()
                .collect();
        if changes.is_empty() {
            return;
        }
        match store.set_presence(&changes, now).await {
            Ok(statuses) => match statuses.as_slice() {
                [] => {}
                [one] => fanout.publish(Audience::everyone(), &events::user_status_update(one)),
                many => fanout.publish(Audience::everyone(), &events::user_status_batch(many)),
            },
            Err(e) => tracing::error!(error = %e, "recording presence failed"),
        }
    }
}
