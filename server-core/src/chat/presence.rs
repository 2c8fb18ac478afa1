//! Presence: a user is online while at least one of their sockets is authenticated, and away
//! (unless they chose another status) once none of their sockets has done anything for
//! `Timing::away_after`. Changes are written to the database and announced to every connected
//! user. The first change goes out at once; changes arriving within the next interval are
//! coalesced into one `user_status_batch`, so a crowd connecting at once costs one frame per
//! socket per interval instead of one per arrival.
//!
//! When other servers share the database (PostgreSQL), this server's sockets are not the whole
//! truth: a user may be connected through another node only. What others see is then this
//! hub's answer or the stored flag the nodes keep together (see `store::PresenceStore`).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::cluster::NodeId;
use crate::context::AppContext;
use crate::error::Result;
use crate::events;
use crate::fanout::{Audience, Fanout};
use crate::hub::Hub;
use crate::model::{Member, Status, User, UserId, UserStatus};
use crate::store::Store;
use crate::time::{Clock, Millis};

/// Everyone online right now. The hub is the truth about this server's sockets; the
/// database's flag lags by up to one presence interval and would leave out someone who just
/// connected — even the asker — so it only adds those connected through other nodes.
pub async fn online_users(ctx: &AppContext) -> Result<Vec<User>> {
    let mut ids = ctx.hub.online_user_ids();
    if ctx.store.is_shared() {
        ids.extend(ctx.store.online_user_ids().await?);
        ids.sort_unstable();
        ids.dedup();
    }
    let mut users = ctx.store.users_by_ids(&ids).await?;
    for user in &mut users {
        user.set_presence(true, ctx.presence.is_idle(user.id));
    }
    Ok(users)
}

/// Marks each member online, away or offline as the hub and presence see them now.
pub fn overlay(ctx: &AppContext, members: &mut [Member]) {
    for member in members {
        let online = seen_online(&ctx.hub, &ctx.store, member.id, member.is_online);
        member.set_presence(online, ctx.presence.is_idle(member.id));
    }
}

/// `user` as others see them now (see [`overlay`]).
pub fn settle(ctx: &AppContext, user: &mut User) {
    let online = seen_online(&ctx.hub, &ctx.store, user.id, user.is_online);
    user.set_presence(online, ctx.presence.is_idle(user.id));
}

/// Whether `user` is online as everyone sees it now (asks the database when this server's
/// sockets are not the whole truth).
pub async fn is_online(ctx: &AppContext, user: UserId) -> Result<bool> {
    if ctx.hub.is_online(user) {
        return Ok(true);
    }
    if !ctx.store.is_shared() {
        return Ok(false);
    }
    Ok(ctx.store.user(user).await?.is_some_and(|u| u.is_online))
}

/// Online with a socket here or, when servers share the database, by the flag `stored` read
/// with the user's row (kept by every node).
fn seen_online(hub: &Hub, store: &Store, user: UserId, stored: bool) -> bool {
    hub.is_online(user) || (store.is_shared() && stored)
}

/// Tells everyone, on every node, about these presence changes: one frame for all of them.
pub fn announce(fanout: &dyn Fanout, statuses: &[UserStatus]) {
    match statuses {
        [] => {}
        [one] => fanout.publish(Audience::everyone(), &events::user_status_update(one)),
        many => fanout.publish(Audience::everyone(), &events::user_status_batch(many)),
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
    activity: Mutex<Activity>,
    wake: Notify,
}

/// When each connected user last did something, who is idle, and whose idleness changed
/// since the last flush.
#[derive(Default)]
struct Activity {
    last: HashMap<UserId, Instant>,
    idle: HashSet<UserId>,
    changed: HashSet<UserId>,
}

impl Presence {
    /// Records that `user` came online or went offline.
    pub fn changed(&self, user: UserId, online: bool) {
        {
            let mut activity = self.activity();
            activity.idle.remove(&user);
            if online {
                activity.last.insert(user, Instant::now());
            } else {
                activity.last.remove(&user);
            }
        }
        self.inner
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(user, online);
        self.inner.wake.notify_one();
    }

    /// Records that `user` did something (sent a frame other than `ping`); an idle user is
    /// announced as back.
    pub fn active(&self, user: UserId) {
        let mut activity = self.activity();
        activity.last.insert(user, Instant::now());
        if activity.idle.remove(&user) {
            activity.changed.insert(user);
            drop(activity);
            self.inner.wake.notify_one();
        }
    }

    /// Whether `user` has been idle long enough to show as away.
    pub fn is_idle(&self, user: UserId) -> bool {
        self.activity().idle.contains(&user)
    }

    fn activity(&self) -> std::sync::MutexGuard<'_, Activity> {
        self.inner.activity.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves users with no activity for `away_after` to idle; true if any did.
    fn find_idle(&self, hub: &Hub, away_after: Duration) -> bool {
        let now = Instant::now();
        let mut activity = self.activity();
        let Activity { last, idle, changed } = &mut *activity;
        let mut any = false;
        for (&user, &at) in last.iter() {
            if now.duration_since(at) >= away_after && !idle.contains(&user) && hub.is_online(user) {
                idle.insert(user);
                changed.insert(user);
                any = true;
            }
        }
        any
    }

    /// Announces changes until `stop` is cancelled, at most once per `interval`; looks for
    /// idle users every quarter of `away_after` (never, if it is zero).
    pub async fn run(self, ctx: Watch, stop: CancellationToken) {
        let Watch {
            store,
            fanout,
            hub,
            clock,
            node,
            interval,
            away_after,
        } = ctx;
        let check_every = if away_after.is_zero() {
            Duration::from_secs(24 * 3600)
        } else {
            (away_after / 4).max(Duration::from_millis(50))
        };
        let mut idle_check = tokio::time::interval(check_every);
        loop {
            tokio::select! {
                () = self.inner.wake.notified() => {}
                _ = idle_check.tick(), if !away_after.is_zero() => {
                    if !self.find_idle(&hub, away_after) {
                        continue;
                    }
                }
                () = stop.cancelled() => return,
            }
            self.flush(&store, &*fanout, &hub, node, clock.now()).await;
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                () = stop.cancelled() => return,
            }
        }
    }

    async fn flush(&self, store: &Store, fanout: &dyn Fanout, hub: &Hub, node: NodeId, now: Millis) {
        let changes: Vec<(UserId, bool)> =
            std::mem::take(&mut *self.inner.pending.lock().unwrap_or_else(PoisonError::into_inner))
                .into_iter()
                .collect();
        let idled: Vec<UserId> = std::mem::take(&mut self.activity().changed)
            .into_iter()
            .filter(|id| !changes.iter().any(|(c, _)| c == id))
            .collect();
        let mut statuses = Vec::new();
        if !changes.is_empty() {
            match store.set_node_presence(node, &changes, now).await {
                Ok(changed) => statuses.extend(changed),
                Err(e) => tracing::error!(error = %e, "recording presence failed"),
            }
        }
        if !idled.is_empty() {
            match store.users_by_ids(&idled).await {
                Ok(users) => statuses.extend(users.into_iter().map(|mut u| {
                    u.set_presence(seen_online(hub, store, u.id, u.is_online), self.is_idle(u.id));
                    UserStatus {
                        user_id: u.id,
                        username: u.username,
                        is_online: u.is_online,
                        last_seen: u.last_seen,
                        status: u.status,
                        status_text: u.status_text,
                    }
                })),
                Err(e) => tracing::error!(error = %e, "reading idle users failed"),
            }
        }
        for status in &mut statuses {
            if status.status == Status::Online && self.is_idle(status.user_id) {
                status.status = Status::Away;
            }
        }
        announce(fanout, &statuses);
    }
}

/// What the presence task watches and announces with.
pub struct Watch {
    pub store: Store,
    pub fanout: Arc<dyn Fanout>,
    pub hub: Hub,
    pub clock: Clock,
    /// This server in the cluster (whose sockets' users it records).
    pub node: NodeId,
    /// Presence changes are announced at most this often.
    pub interval: Duration,
    /// No activity for this long shows as away; zero never does.
    pub away_after: Duration,
}
