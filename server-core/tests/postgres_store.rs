//! The PostgreSQL store's accounts and rooms against a real cluster: what a person would see
//! through the API (taken names, expired sessions, one conversation per set of people, unread
//! counts, the last administrator kept), as the SQLite store answers it, including when two
//! nodes race for the same row.

use server_core::Error;
use server_core::store::postgres::PgStore;
use server_core::store::prelude::*;
use server_core::store::{AuditEntry, NewInvite, NewUser, RoomEdit};

use crate::postgres_cluster;

/// A store on a fresh database of the test cluster, or `None` (the test then passes with a
/// note) when PostgreSQL is not installed.
async fn store() -> Option<(PgStore, sqlx::PgPool)> {
    let db = postgres_cluster::database().await?;
    let store = PgStore::open_with(db.options.clone())
        .await
        .expect("open the PostgreSQL store");
    Some((store, db.pool))
}

/// A validated account as registration makes it: the display name, its key (lowercase) and
/// its confusable skeleton.
async fn register(store: &PgStore, name: &str) -> Result<i64, Error> {
    let key = name.to_lowercase();
    let skeleton: String = unicode_security::skeleton(name).collect();
    let new = NewUser {
        username: name,
        username_key: &key,
        username_skeleton: &skeleton,
        email: None,
        password_hash: "hash",
        is_admin: false,
    };
    store.create_user(&new, 1_000).await.map(|(me, _)| me.user.id)
}

#[track_caller]
fn assert_conflict(result: Result<i64, Error>, code: &str, message_part: &str) {
    match result {
        Err(Error::Conflict {
            code: got, message, ..
        }) => {
            assert_eq!(got, code);
            assert!(message.contains(message_part), "{message}");
        }
        other => panic!("expected a {code} conflict, got {other:?}"),
    }
}

/// A message from `user` in `room` at `timestamp`, written as the messages half would.
async fn post(pool: &sqlx::PgPool, room: i64, user: i64, kind: &str, timestamp: i64) -> i64 {
    sqlx::query_scalar(
        r#"insert into messages (room_id, user_id, content, message_type, timestamp)
           values ($1, $2, 'hi', $3, $4) returning id"#,
    )
    .bind(room)
    .bind(user)
    .bind(kind)
    .bind(timestamp)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn usernames_are_unique_ignoring_case_and_look_alikes() {
    let Some((store, _)) = store().await else { return };
    let alice = register(&store, "alice").await.unwrap();
    assert_conflict(register(&store, "ALICE").await, "username_taken", "is taken");
    // A Cyrillic а: another key, the same skeleton.
    assert_conflict(
        register(&store, "\u{430}lice").await,
        "username_taken",
        "looks too much like",
    );
    let bob = register(&store, "bob").await.unwrap();
    assert_ne!(alice, bob);

    // Lists are in code-point order (as SQLite's), whatever the database's locale.
    let zed = register(&store, "Zed").await.unwrap();
    let al_x = register(&store, "al_x").await.unwrap();
    let names = |users: Vec<server_core::model::User>| -> Vec<String> {
        users.into_iter().map(|u| u.username).collect()
    };
    let found = store.search_users("al", 10).await.unwrap();
    assert_eq!(names(found), ["al_x", "alice"]);
    // `_` is a character, not a wildcard.
    assert_eq!(names(store.search_users("al_", 10).await.unwrap()), ["al_x"]);
    assert_eq!(names(store.search_users("al", 1).await.unwrap()), ["al_x"]);
    let everyone = store.users_by_ids(&[zed, alice, bob, al_x]).await.unwrap();
    assert_eq!(names(everyone), ["al_x", "alice", "bob", "Zed"]);
    assert!(store.user_exists("alice").await.unwrap());
    assert!(!store.user_exists("carol").await.unwrap());
}

#[tokio::test]
async fn sessions_last_until_they_expire_or_are_revoked() {
    let Some((store, _)) = store().await else { return };
    let alice = register(&store, "alice").await.unwrap();
    let first = store
        .create_session(alice, b"token-1", 1_000, 5_000)
        .await
        .unwrap();
    let second = store
        .create_session(alice, b"token-2", 1_000, 9_000)
        .await
        .unwrap();

    let found = store
        .find_session(b"token-1", 4_999)
        .await
        .unwrap()
        .expect("live session");
    assert_eq!((found.session_id, found.user_id), (first, alice));
    assert_eq!(found.username, "alice");
    assert!(
        store.find_session(b"token-1", 5_000).await.unwrap().is_none(),
        "expired"
    );
    assert!(store.find_session(b"nope", 1_000).await.unwrap().is_none());

    assert_eq!(store.purge_expired_sessions(5_000).await.unwrap(), 1);
    assert_eq!(store.live_sessions(&[first, second]).await.unwrap(), [second]);

    let third = store
        .create_session(alice, b"token-3", 1_000, 9_000)
        .await
        .unwrap();
    assert_eq!(store.delete_other_sessions(alice, third).await.unwrap(), [second]);
    // A deactivated account's session no longer signs anyone in.
    let (done, revoked) = store.deactivate(alice, 2_000).await.unwrap();
    assert_eq!(done, server_core::store::Demotion::Done);
    assert_eq!(revoked, [third]);
    assert!(store.find_session(b"token-3", 2_000).await.unwrap().is_none());
}

#[tokio::test]
async fn one_set_of_people_has_one_conversation_even_when_two_nodes_open_it() {
    let Some((store, _)) = store().await else { return };
    let alice = register(&store, "alice").await.unwrap();
    let bob = register(&store, "bob").await.unwrap();
    let carol = register(&store, "carol").await.unwrap();

    let (pair, created) = store.open_dm(alice, &[alice, bob], 1_000).await.unwrap();
    assert!(created);
    assert_eq!(
        store.open_dm(bob, &[bob, alice], 2_000).await.unwrap(),
        (pair, false)
    );
    let (three, created) = store.open_dm(alice, &[alice, bob, carol], 1_000).await.unwrap();
    assert!(created && three != pair);

    // Two nodes opening a new conversation at the same moment: one room, created once.
    let tries = (0..8).map(|i| {
        let store = store.clone();
        let opener = if i % 2 == 0 { bob } else { carol };
        async move { store.open_dm(opener, &[bob, carol], 3_000).await.unwrap() }
    });
    let opened = futures_util::future::join_all(tries).await;
    assert_eq!(
        opened.iter().filter(|(_, created)| *created).count(),
        1,
        "{opened:?}"
    );
    assert!(opened.iter().all(|(id, _)| *id == opened[0].0), "{opened:?}");

    // Closed, it is hidden from the closer only, until they open it again.
    assert!(store.close_dm(pair, alice).await.unwrap());
    let mine = store.room_for(alice, false, pair).await.unwrap().unwrap();
    assert!(mine.is_hidden);
    let theirs = store.room_for(bob, false, pair).await.unwrap().unwrap();
    assert!(!theirs.is_hidden);
    let people: Vec<String> = theirs.dm_users.unwrap().into_iter().map(|u| u.username).collect();
    assert_eq!(people, ["alice"]);
    store.open_dm(alice, &[alice, bob], 4_000).await.unwrap();
    assert!(
        !store
            .room_for(alice, false, pair)
            .await
            .unwrap()
            .unwrap()
            .is_hidden
    );
    // Nobody else sees a conversation they are not in.
    assert!(store.room_for(carol, true, pair).await.unwrap().is_none());
    assert!(!store.close_dm(pair, carol).await.unwrap());
}

#[tokio::test]
async fn unread_and_mention_counts_follow_the_read_marker() {
    let Some((store, pool)) = store().await else {
        return;
    };
    let alice = register(&store, "alice").await.unwrap();
    let bob = register(&store, "bob").await.unwrap();
    let room = store
        .create_room("Plans", "plans", "", false, alice, 1_000)
        .await
        .unwrap();
    let early = post(&pool, room, alice, "text", 1_000).await;
    // Joining later: what was said before is there to read, not unread.
    assert!(store.add_member(room, bob, 1_500).await.unwrap());
    assert!(
        !store.add_member(room, bob, 1_600).await.unwrap(),
        "already a member"
    );
    let first = post(&pool, room, alice, "text", 2_000).await;
    post(&pool, room, alice, "system", 2_100).await;
    post(&pool, room, bob, "text", 2_200).await;
    let mention = post(&pool, room, alice, "text", 2_300).await;
    sqlx::query("insert into message_mentions (user_id, room_id, message_id) values ($1, $2, $3)")
        .bind(bob)
        .bind(room)
        .bind(mention)
        .execute(&pool)
        .await
        .unwrap();

    let seen = store.room_for(bob, false, room).await.unwrap().unwrap();
    assert_eq!(seen.last_read_message_id, early);
    // Alice's two texts; not the system message, not bob's own.
    assert_eq!((seen.unread_count, seen.mention_count), (2, 1));
    assert_eq!(seen.last_message_id, Some(mention));
    assert!(seen.is_member && !seen.is_admin);
    assert_eq!(seen.member_count, 2);

    assert_eq!(
        store.mark_read(room, bob, first).await.unwrap(),
        Some((first, 1, 1))
    );
    // Never backwards, never past the newest message.
    assert_eq!(
        store.mark_read(room, bob, early).await.unwrap(),
        Some((first, 1, 1))
    );
    assert_eq!(
        store.mark_read(room, bob, mention + 100).await.unwrap(),
        Some((mention, 0, 0))
    );
    assert_eq!(
        store
            .mark_read(room, register(&store, "eve").await.unwrap(), 1)
            .await
            .unwrap(),
        None
    );

    // A server administrator moderates public rooms without being a member.
    let boss = register(&store, "boss").await.unwrap();
    let seen = store.room_for(boss, true, room).await.unwrap().unwrap();
    assert!(seen.is_admin && !seen.is_member);
    assert_eq!(seen.unread_count, 0);
    let rooms = store.rooms_for(bob, false).await.unwrap();
    assert_eq!(rooms.iter().map(|r| r.id).collect::<Vec<_>>(), [room]);
}

#[tokio::test]
async fn room_names_rooms_admins_and_leaving() {
    let Some((store, _)) = store().await else { return };
    let alice = register(&store, "alice").await.unwrap();
    let bob = register(&store, "bob").await.unwrap();
    let plans = store
        .create_room("Plans", "plans", "", false, alice, 1_000)
        .await
        .unwrap();
    let taken = store.create_room("PLANS", "plans", "", false, bob, 1_000).await;
    assert_conflict(taken, "room_name_taken", "already exists");
    // A private room may share a public room's name.
    let secret = store
        .create_room("Plans", "plans", "", true, bob, 1_000)
        .await
        .unwrap();
    let rename = RoomEdit {
        name: Some(("Plans".into(), "plans".into())),
        ..RoomEdit::default()
    };
    let made_public = RoomEdit {
        is_private: Some(false),
        ..RoomEdit::default()
    };
    assert!(store.update_room(secret, &rename).await.is_ok());
    assert_conflict(
        store.update_room(secret, &made_public).await.map(|()| 0),
        "room_name_taken",
        "already exists",
    );
    assert!(!store.ensure_room("plans", "plans", "", 1_000).await.unwrap());
    assert!(store.ensure_room("general", "general", "", 1_000).await.unwrap());

    // The last admin stays; leaving hands admin rights to the longest-standing member.
    use server_core::store::AdminChange;
    assert_eq!(
        store.set_room_admin(plans, alice, false).await.unwrap(),
        AdminChange::LastAdmin
    );
    assert_eq!(
        store.set_room_admin(plans, bob, true).await.unwrap(),
        AdminChange::NotMember
    );
    store.add_member(plans, bob, 2_000).await.unwrap();
    assert!(store.remove_member(plans, alice).await.unwrap());
    let members = store.members(plans).await.unwrap();
    assert_eq!(members.len(), 1);
    assert!(members[0].is_admin && members[0].id == bob);
    assert!(!store.remove_member(plans, alice).await.unwrap());
}

#[tokio::test]
async fn two_nodes_cannot_remove_a_rooms_last_two_admins() {
    let Some((store, _)) = store().await else { return };
    let alice = register(&store, "alice").await.unwrap();
    let bob = register(&store, "bob").await.unwrap();
    let room = store
        .create_room("Plans", "plans", "", false, alice, 1_000)
        .await
        .unwrap();
    store.add_member(room, bob, 1_000).await.unwrap();
    store.set_room_admin(room, bob, true).await.unwrap();
    for _ in 0..10 {
        let (a, b) = tokio::join!(
            store.set_room_admin(room, alice, false),
            store.set_room_admin(room, bob, false)
        );
        let done = [a.unwrap(), b.unwrap()];
        let admins = store
            .members(room)
            .await
            .unwrap()
            .iter()
            .filter(|m| m.is_admin)
            .count();
        assert_eq!(admins, 1, "{done:?}");
        // Both admins again for the next round.
        store.set_room_admin(room, alice, true).await.unwrap();
        store.set_room_admin(room, bob, true).await.unwrap();
    }
}

#[tokio::test]
async fn the_last_administrator_is_kept_even_when_two_nodes_demote_at_once() {
    let Some((store, _)) = store().await else { return };
    use server_core::store::Demotion;
    let alice = register(&store, "alice").await.unwrap();
    let bob = register(&store, "bob").await.unwrap();
    assert!(store.promote(alice).await.unwrap());
    assert!(!store.promote(alice).await.unwrap());
    assert_eq!(store.demote(alice).await.unwrap(), Demotion::LastAdmin);
    assert_eq!(store.demote(bob).await.unwrap(), Demotion::NotAdmin);
    assert_eq!(store.deactivate(alice, 1).await.unwrap().0, Demotion::LastAdmin);
    for _ in 0..10 {
        store.promote(bob).await.unwrap();
        let (a, b) = tokio::join!(store.demote(alice), store.deactivate(bob, 5));
        let outcomes = (a.unwrap(), b.unwrap().0);
        assert_eq!(store.admin_count().await.unwrap(), 1, "{outcomes:?}");
        // Undo whichever won.
        store.promote(alice).await.unwrap();
        store.reactivate(bob).await.unwrap();
        store.demote(bob).await.unwrap();
    }
    // The setup code makes the first administrator only while there is none.
    store.set_setup_code(Some("abc")).await.unwrap();
    assert!(!store.consume_setup_code("abc").await.unwrap());
    let admins = store.admin_users("", 10).await.unwrap();
    assert_eq!(admins.iter().filter(|u| u.is_server_admin).count(), 1);
    assert_eq!(store.admin_users("li", 10).await.unwrap().len(), 1);
    assert_eq!(store.accounts().await.unwrap().len(), 2);
}

#[tokio::test]
async fn password_resets_and_the_admin_revision() {
    let Some((store, _)) = store().await else { return };
    let alice = register(&store, "alice").await.unwrap();
    let session = store.create_session(alice, b"t", 0, 10).await.unwrap();
    assert_eq!(store.reset_password(alice, "temporary").await.unwrap(), [session]);
    let credentials = store.credentials_by_key("alice").await.unwrap().unwrap();
    assert!(credentials.must_change_password);
    assert_eq!(credentials.password_hash, "temporary");
    store.set_password_hash(alice, "chosen").await.unwrap();
    assert!(
        !store
            .credentials_by_id(alice)
            .await
            .unwrap()
            .unwrap()
            .must_change_password
    );

    assert_eq!(store.admin_revision().await.unwrap(), 0);
    store.bump_admin_revision().await.unwrap();
    store.bump_admin_revision().await.unwrap();
    assert_eq!(store.admin_revision().await.unwrap(), 2);
}

#[tokio::test]
async fn profiles_avatars_statuses_and_presence() {
    let Some((store, _)) = store().await else { return };
    use server_core::model::Status;
    use server_core::store::ProfileUpdate;
    let alice = register(&store, "alice").await.unwrap();
    let update = ProfileUpdate {
        email: Some(Some("a@example.org".into())),
        avatar_url: None,
    };
    let me = store.update_profile(alice, &update).await.unwrap().unwrap();
    assert_eq!(me.email.as_deref(), Some("a@example.org"));
    assert!(store.update_profile(alice + 1, &update).await.unwrap().is_none());

    assert_eq!(
        store.set_avatar(alice, Some("/avatars/1.png")).await.unwrap(),
        None
    );
    assert!(store.avatar_in_use("/avatars/1.png").await.unwrap());
    assert_eq!(
        store.set_avatar(alice, None).await.unwrap().as_deref(),
        Some("/avatars/1.png")
    );

    let shown = store
        .set_status(alice, Status::Dnd, Some("focus"), false)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (shown.status, shown.status_text.as_deref()),
        (Status::Offline, Some("focus"))
    );
    store.node_started(7, 5_000).await.unwrap();
    let statuses = store.set_node_presence(7, &[(alice, true)], 5_000).await.unwrap();
    assert_eq!(statuses[0].status, Status::Dnd);
    let gone = store.node_stopped(7, 6_000).await.unwrap();
    assert_eq!(gone.len(), 1);
    let user = store.user(alice).await.unwrap().unwrap();
    assert_eq!((user.status, user.last_seen), (Status::Offline, Some(6_000)));
    assert_eq!(user.chosen_status, Status::Dnd);
}

#[tokio::test]
async fn invites_are_used_up_once_even_by_racing_registrations() {
    let Some((store, _)) = store().await else { return };
    let alice = register(&store, "alice").await.unwrap();
    let new = NewInvite {
        code: "welcome",
        created_by: alice,
        expires_at: Some(10_000),
        max_uses: Some(3),
    };
    let invite = store.create_invite(&new, 1_000).await.unwrap();
    assert_eq!((invite.max_uses, invite.uses), (Some(3), 0));
    assert_eq!(invite.created_by_name.as_deref(), Some("alice"));
    let racing = (0..8).map(|_| store.use_invite("welcome", 2_000));
    let used = futures_util::future::join_all(racing).await;
    assert_eq!(used.into_iter().filter(|r| *r.as_ref().unwrap()).count(), 3);
    store.unuse_invite("welcome").await.unwrap();
    assert!(!store.use_invite("welcome", 10_000).await.unwrap(), "expired");
    assert!(store.use_invite("welcome", 2_000).await.unwrap());
    assert_eq!(store.invites().await.unwrap()[0].uses, 3);
    assert!(store.revoke_invite("welcome", 3_000).await.unwrap());
    assert!(!store.revoke_invite("welcome", 3_000).await.unwrap());
    assert!(store.invites().await.unwrap().is_empty());
}

#[tokio::test]
async fn settings_default_rooms_audit_and_statistics() {
    let Some((store, pool)) = store().await else {
        return;
    };
    store.set_setting("registration", "invite").await.unwrap();
    store.set_setting("registration", "open").await.unwrap();
    assert_eq!(
        store.settings().await.unwrap(),
        [("registration".into(), "open".into())]
    );

    let alice = register(&store, "alice").await.unwrap();
    let lobby = store
        .create_room("Lobby", "lobby", "", false, alice, 1_000)
        .await
        .unwrap();
    let secret = store
        .create_room("Secret", "secret", "", true, alice, 1_000)
        .await
        .unwrap();
    assert!(
        !store.set_default_rooms(&[lobby, secret]).await.unwrap(),
        "private"
    );
    assert!(store.set_default_rooms(&[lobby, lobby]).await.unwrap());
    assert_eq!(store.default_room_ids().await.unwrap(), [lobby]);
    // New accounts join the default rooms, with nothing unread from before.
    post(&pool, lobby, alice, "text", 1_000).await;
    let bob = NewUser {
        username: "bob",
        username_key: "bob",
        username_skeleton: "bob",
        email: None,
        password_hash: "x",
        is_admin: false,
    };
    let (_, joined) = store.create_user(&bob, 2_000).await.unwrap();
    assert_eq!(joined.iter().map(|r| r.id).collect::<Vec<_>>(), [lobby]);

    let entry = AuditEntry {
        actor_id: Some(alice),
        actor_name: "alice",
        action: "settings",
        target: None,
        address: Some("127.0.0.1"),
    };
    store.audit(&entry, 1).await.unwrap();
    store.audit(&entry, 2).await.unwrap();
    let page = store.audit_page(None, 10).await.unwrap();
    assert_eq!(page.iter().map(|e| e.created_at).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(store.audit_page(Some(page[0].id), 10).await.unwrap().len(), 1);

    const DAY: i64 = 24 * 60 * 60 * 1000;
    post(&pool, lobby, alice, "text", 3 * DAY + 5).await;
    post(&pool, lobby, alice, "system", 3 * DAY + 6).await;
    let counts = store.counts(3 * DAY).await.unwrap();
    assert_eq!((counts.people, counts.rooms, counts.messages), (2, 2, 2));
    assert_eq!(store.messages_per_day(0).await.unwrap(), [(0, 1), (3, 1)]);
    let exported = store.export_messages(alice).await.unwrap();
    assert_eq!(exported.len(), 3);
    assert_eq!(exported[0].room_name, "Lobby");
}

#[tokio::test]
async fn retention_deletes_old_messages_with_their_files_and_rooms_go_whole() {
    let Some((store, pool)) = store().await else {
        return;
    };
    let alice = register(&store, "alice").await.unwrap();
    let room = store
        .create_room("Plans", "plans", "", false, alice, 1_000)
        .await
        .unwrap();
    let old = post(&pool, room, alice, "file", 1_000).await;
    post(&pool, room, alice, "text", 1_100).await;
    post(&pool, room, alice, "text", 9_000).await;
    sqlx::query(
        r#"insert into attachments (id, message_id, room_id, file_name, size, content_type,
                                    is_image, created_at)
           values ('f1', $1, $2, 'a.pdf', 3000000000, 'application/pdf', false, 1000)"#,
    )
    .bind(old)
    .bind(room)
    .execute(&pool)
    .await
    .unwrap();
    let stored = store.attachment("f1").await.unwrap().unwrap();
    assert_eq!((stored.room_id, stored.file_name.as_str()), (room, "a.pdf"));
    // Bytes beyond 32 bits add up.
    assert_eq!(
        store.count_messages_before(5_000).await.unwrap(),
        (2, 1, 3_000_000_000)
    );
    assert_eq!(
        store.delete_messages_before(5_000, 1).await.unwrap(),
        (1, vec!["f1".to_owned()])
    );
    assert!(!store.attachment_exists("f1").await.unwrap());
    assert_eq!(
        store.delete_messages_before(5_000, 10).await.unwrap(),
        (1, vec![])
    );
    assert_eq!(
        store.delete_messages_before(5_000, 10).await.unwrap(),
        (0, vec![])
    );

    assert!(store.set_archived(room, Some(2)).await.unwrap());
    assert!(
        !store.set_archived(room, Some(3)).await.unwrap(),
        "already archived"
    );
    let listed = store.admin_rooms().await.unwrap();
    assert!(listed[0].is_archived);
    assert_eq!(listed[0].last_activity, Some(9_000));
    let gone = store.delete_room(room).await.unwrap().unwrap();
    assert_eq!(
        (gone.name.as_str(), gone.members.as_slice()),
        ("Plans", &[alice][..])
    );
    assert!(store.delete_room(room).await.unwrap().is_none());
}

/// A backup archive cannot hold a PostgreSQL database: the administrator is told to use
/// pg_dump, with a status that is not a server fault.
#[tokio::test]
async fn a_backup_archive_points_the_administrator_to_pg_dump() {
    let Some((store, _)) = store().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let error = store.snapshot_into(&dir.path().join("x.db")).await.unwrap_err();
    assert_eq!(error.status(), http::StatusCode::NOT_IMPLEMENTED);
    let body = error.body();
    assert_eq!(body.code, "backup_not_supported");
    assert!(body.message.contains("pg_dump"), "{}", body.message);
    assert!(store.checkpoint().await.is_ok());
    store.close().await;
}
