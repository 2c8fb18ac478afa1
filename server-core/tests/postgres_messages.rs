//! The PostgreSQL store's messages half against a real cluster: sending in order and once per
//! client id (also through two servers sharing the database), paging, edits and deletes with
//! their revisions, threads, reactions, pins, mentions and search in Chinese and English, each
//! as a person using Confab would see it.

use std::collections::BTreeSet;

use server_core::model::{Message, MessageId, MessageType, RoomId, UserId};
use server_core::search::parse;
use server_core::store::postgres::PgStore;
use server_core::store::prelude::*;
use server_core::store::{AppendOutcome, NewMessage, Paging, ReactOutcome, SearchFilter};

use crate::postgres_cluster::{self, TestDatabase};

/// A fresh database with alice (1), bob (2) and carol (3); rooms `general` (1, everyone),
/// `plans` (2, public, alice and bob) and `secret` (3, private, alice). `None` without
/// PostgreSQL installed.
async fn setup() -> Option<(TestDatabase, PgStore)> {
    let db = postgres_cluster::database().await?;
    let store = open(&db).await;
    sqlx::raw_sql(
        r#"insert into users (id, username, username_key, password_hash, created_at)
               values (1, 'alice', 'alice', 'x', 0), (2, 'bob', 'bob', 'x', 0), (3, 'carol', 'carol', 'x', 0);
           insert into rooms (id, name, name_key, is_private, created_at)
               values (1, 'general', 'general', false, 0), (2, 'plans', 'plans', false, 0),
                      (3, 'secret', 'secret', true, 0);
           insert into room_memberships (room_id, user_id, joined_at)
               values (1, 1, 0), (1, 2, 0), (1, 3, 0), (2, 1, 0), (2, 2, 0), (3, 1, 0);"#,
    )
    .execute(&db.pool)
    .await
    .unwrap();
    Some((db, store))
}

/// Another server on the same database (a second node).
async fn open(db: &TestDatabase) -> PgStore {
    let socket = db
        .options
        .get_socket()
        .expect("the test cluster listens on a socket");
    let url = format!(
        "postgres://postgres@localhost/{}?host={}",
        db.name,
        socket.display()
    );
    PgStore::open(&url).await.unwrap()
}

fn text(room: RoomId, user: UserId, content: &str, client_msg_id: Option<&str>) -> NewMessage {
    NewMessage {
        room_id: room,
        user_id: Some(user),
        username: None,
        content: content.to_owned(),
        message_type: MessageType::Text,
        client_msg_id: client_msg_id.map(str::to_owned),
        meta: None,
        attachment: None,
        mention_keys: Vec::new(),
        mentions_room: false,
        reply_to: None,
        thread_id: None,
        also_to_room: false,
    }
}

fn system(room: RoomId, content: &str) -> NewMessage {
    NewMessage {
        user_id: None,
        message_type: MessageType::System,
        meta: Some(r#"{"kind":"room_created"}"#.to_owned()),
        ..text(room, 0, content, None)
    }
}

fn created(outcome: &AppendOutcome) -> &Message {
    match outcome {
        AppendOutcome::Created(m, _) => m,
        other => panic!("not stored: {other:?}"),
    }
}

async fn send(store: &PgStore, new: NewMessage) -> Message {
    let outcomes = store.append_messages(&[new], 1).await.unwrap();
    created(&outcomes[0]).clone()
}

fn page(before: Option<MessageId>, after: Option<MessageId>, limit: u32) -> Paging {
    Paging { before, after, limit }
}

fn contents(messages: &[Message]) -> Vec<&str> {
    messages.iter().map(|m| m.content.as_str()).collect()
}

/// One batch with every kind of entry: new messages, a system message, a message to a room the
/// sender is not in and one to a private room they cannot see, a client id sent before and one
/// repeated within the batch. What history shows afterwards is exactly what was stored.
#[tokio::test]
async fn a_batch_stores_in_order_and_once_per_client_id() {
    let Some((_db, store)) = setup().await else { return };
    let before = send(&store, text(1, 3, "before", Some("c-0"))).await;

    let batch = [
        text(1, 3, "one", Some("c-1")),
        system(1, "系统 \"quoted\" \\ ☃"),
        text(2, 3, "not a member", Some("c-2")),
        text(3, 3, "cannot see", None),
        text(1, 3, "retry", Some("c-0")),
        text(1, 3, "two", None),
        text(1, 3, "one again", Some("c-1")),
    ];
    let outcomes = store.append_messages(&batch, 2).await.unwrap();
    let stored: Vec<&Message> = [0, 1, 5].iter().map(|&i| created(&outcomes[i])).collect();
    assert!(stored.windows(2).all(|w| w[0].id < w[1].id), "{outcomes:?}");
    assert!(matches!(outcomes[2], AppendOutcome::NotMember));
    assert!(matches!(outcomes[3], AppendOutcome::NoSuchRoom));
    assert!(
        matches!(&outcomes[4], AppendOutcome::Duplicate(m) if m.id == before.id && m.content == "before")
    );
    assert!(matches!(&outcomes[6], AppendOutcome::Duplicate(m) if m.id == stored[0].id));

    let history = store.history(1, page(None, None, 10)).await.unwrap();
    assert_eq!(
        contents(&history.messages),
        ["before", "one", "系统 \"quoted\" \\ ☃", "two"]
    );
    assert!(!history.has_more);
    let notice = &history.messages[2];
    assert_eq!(notice.message_type, MessageType::System);
    assert_eq!(notice.user_id, None);
    assert_eq!(notice.system.as_deref(), Some(r#"{"kind":"room_created"}"#));
    assert_eq!(history.messages[1].username.as_deref(), Some("carol"));
    assert_eq!(history.messages[1].timestamp, 2);

    let by_client = store.message_by_client_id(3, "c-1").await.unwrap().unwrap();
    assert_eq!(by_client.id, stored[0].id);
    assert!(store.message_by_client_id(2, "c-1").await.unwrap().is_none());
}

/// An archived room takes no one's messages, but still records what happened to it.
#[tokio::test]
async fn archived_rooms_take_only_system_messages() {
    let Some((db, store)) = setup().await else { return };
    sqlx::query("update rooms set archived_at = 5 where id = 2")
        .execute(&db.pool)
        .await
        .unwrap();
    let outcomes = store
        .append_messages(&[text(2, 1, "hello?", None), system(2, "archived")], 6)
        .await
        .unwrap();
    assert!(matches!(outcomes[0], AppendOutcome::Archived));
    assert_eq!(created(&outcomes[1]).content, "archived");
}

/// Paging back from the newest, forward from a position, and around a message.
#[tokio::test]
async fn history_pages_backwards_forwards_and_around() {
    let Some((_db, store)) = setup().await else { return };
    let batch: Vec<NewMessage> = (1..=10).map(|i| text(1, 1, &format!("m{i}"), None)).collect();
    let outcomes = store.append_messages(&batch, 1).await.unwrap();
    let ids: Vec<MessageId> = outcomes.iter().map(|o| created(o).id).collect();

    let latest = store.history(1, page(None, None, 4)).await.unwrap();
    assert_eq!(contents(&latest.messages), ["m7", "m8", "m9", "m10"]);
    assert!(latest.has_more);
    let older = store.history(1, page(Some(ids[6]), None, 4)).await.unwrap();
    assert_eq!(contents(&older.messages), ["m3", "m4", "m5", "m6"]);
    let oldest = store.history(1, page(Some(ids[2]), None, 4)).await.unwrap();
    assert_eq!(contents(&oldest.messages), ["m1", "m2"]);
    assert!(!oldest.has_more);

    let forward = store.history(1, page(None, Some(ids[1]), 3)).await.unwrap();
    assert_eq!(contents(&forward.messages), ["m3", "m4", "m5"]);
    assert!(forward.has_more);
    let between = store
        .history(1, page(Some(ids[5]), Some(ids[1]), 10))
        .await
        .unwrap();
    assert_eq!(contents(&between.messages), ["m3", "m4", "m5"]);
    assert!(!between.has_more);

    let around = store.history_around(1, ids[4], 4).await.unwrap();
    assert_eq!(contents(&around.messages), ["m3", "m4", "m5", "m6"]);
    assert_eq!((around.has_more, around.has_newer), (true, Some(true)));
    let near_end = store.history_around(1, ids[9], 4).await.unwrap();
    assert_eq!(contents(&near_end.messages), ["m7", "m8", "m9", "m10"]);
    assert_eq!(near_end.has_newer, Some(false));

    let some = store.messages_by_ids(&[ids[3], ids[0], 999_999]).await.unwrap();
    assert_eq!(
        contents(&some),
        ["m4", "m1"],
        "in the order asked, missing ones left out"
    );
    // What a cluster node compares its rooms with: rooms without messages are left out.
    let latest = store.latest_ids(&[2, 1, 999]).await.unwrap();
    assert_eq!(latest, [(1, ids[9])]);
}

/// Two servers on one database write to the same room at once while a client catches up with
/// `after=` the newest id it has: it sees every message exactly once, in id order, and the
/// ids are those the writers were given.
#[tokio::test]
async fn two_nodes_writing_one_room_leave_no_gap_for_a_client_catching_up() {
    let Some((db, first)) = setup().await else { return };
    let second = open(&db).await;
    const BATCHES: usize = 40;
    const PER_BATCH: usize = 3;

    let writer = |store: PgStore, node: usize| async move {
        let mut ids = Vec::new();
        for b in 0..BATCHES {
            let batch: Vec<NewMessage> = (0..PER_BATCH)
                .map(|i| text(1, 1 + node as UserId, &format!("n{node} b{b} m{i}"), None))
                .collect();
            for outcome in store.append_messages(&batch, 1).await.unwrap() {
                ids.push(created(&outcome).id);
            }
        }
        ids
    };
    let reader = {
        let store = first.clone();
        async move {
            let mut seen: Vec<MessageId> = Vec::new();
            // Bounded: stops once it has everything, or after as many polls as could ever be
            // needed with at least one new message each.
            for _ in 0..(2 * BATCHES * PER_BATCH * 4) {
                let after = seen.last().copied().unwrap_or(0);
                let page = store.history(1, page(None, Some(after), 50)).await.unwrap();
                seen.extend(page.messages.iter().map(|m| m.id));
                if seen.len() >= 2 * BATCHES * PER_BATCH {
                    break;
                }
                tokio::task::yield_now().await;
            }
            seen
        }
    };
    let (a, b, seen) = tokio::join!(
        tokio::spawn(writer(first.clone(), 0)),
        tokio::spawn(writer(second.clone(), 1)),
        tokio::spawn(reader)
    );
    let mut written: Vec<MessageId> = a.unwrap().into_iter().chain(b.unwrap()).collect();
    written.sort_unstable();
    let seen = seen.unwrap();
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "in order, each once");
    assert_eq!(seen, written, "the client caught up on every message");
}

/// The same message sent twice at once through two servers (a client retrying on another
/// node): stored once, and both get the same message back.
#[tokio::test]
async fn a_client_id_sent_through_two_nodes_at_once_is_stored_once() {
    let Some((db, first)) = setup().await else { return };
    let second = open(&db).await;
    for round in 0..10 {
        let cid = format!("retry-{round}");
        let batch = [text(1, 2, "once", Some(&cid))];
        let (a, b) = tokio::join!(
            first.append_messages(&batch, 1),
            second.append_messages(&batch, 1),
        );
        let (a, b) = (a.unwrap().remove(0), b.unwrap().remove(0));
        let id = |o: &AppendOutcome| match o {
            AppendOutcome::Created(m, _) | AppendOutcome::Duplicate(m) => m.id,
            other => panic!("{other:?}"),
        };
        assert_eq!(id(&a), id(&b));
        let kinds = [&a, &b].map(|o| matches!(o, AppendOutcome::Created(..)));
        assert_eq!(kinds.iter().filter(|c| **c).count(), 1, "{a:?} {b:?}");
    }
    let history = first.history(1, page(None, None, 50)).await.unwrap();
    assert_eq!(history.messages.len(), 10);
}

/// Edits and deletes show up as changes after a revision, a deleted message as its tombstone;
/// a gone message cannot be edited or deleted again.
#[tokio::test]
async fn edits_and_deletes_are_changes_in_revision_order() {
    let Some((_db, store)) = setup().await else { return };
    let a = send(&store, text(1, 1, "first", None)).await;
    let b = send(&store, text(1, 1, "second", None)).await;
    let start = store.history(1, page(None, None, 10)).await.unwrap();
    assert_eq!(start.changes_rev, 0);

    let edited = store
        .edit_message(a.id, "first, fixed", &[], false, 7)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(edited.content, "first, fixed");
    assert_eq!(edited.edited_at, Some(7));
    assert_eq!(store.delete_message(b.id).await.unwrap(), Some(vec![]));
    assert_eq!(store.delete_message(b.id).await.unwrap(), None, "already gone");
    assert!(
        store
            .edit_message(b.id, "x", &[], false, 8)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .edit_message(999_999, "x", &[], false, 8)
            .await
            .unwrap()
            .is_none()
    );

    let changes = store.changes(1, 0, 10).await.unwrap();
    assert_eq!(
        changes
            .messages
            .iter()
            .map(|m| (m.id, m.content.as_str(), m.is_deleted))
            .collect::<Vec<_>>(),
        [(a.id, "first, fixed", false), (b.id, "", true)]
    );
    assert_eq!(changes.changes_rev, 2);
    let first_only = store.changes(1, 0, 1).await.unwrap();
    assert_eq!((first_only.messages.len(), first_only.has_more), (1, true));
    assert_eq!(first_only.changes_rev, 1);
    assert!(store.changes(1, 2, 10).await.unwrap().messages.is_empty());
    assert_eq!(store.changes_rev(2).await.unwrap(), 0, "revisions are per room");
}

/// Reactions on one message from two servers at once each take a revision of their own, so a
/// client catching up on changes misses none.
#[tokio::test]
async fn reactions_through_two_nodes_take_distinct_revisions() {
    let Some((db, first)) = setup().await else { return };
    let second = open(&db).await;
    let m = send(&first, text(1, 1, "react to me", None)).await;
    let emoji: [&'static str; 6] = ["👍", "🎉", "❤️", "😂", "👀", "🚀"];
    let mut tasks = Vec::new();
    for (i, e) in emoji.into_iter().enumerate() {
        let store = if i % 2 == 0 { first.clone() } else { second.clone() };
        let user = 1 + (i as UserId % 3);
        tasks.push(tokio::spawn(async move {
            store.react(m.id, user, e, true, 20).await.unwrap()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), ReactOutcome::Changed);
    }
    let revs: Vec<i64> = sqlx::query_scalar("select rev from messages where room_id = 1")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(revs, [6], "six changes, six revisions");
    assert_eq!(first.changes_rev(1).await.unwrap(), 6);
}

/// Adding, repeating, removing and the distinct-emoji limit, as the message then shows them.
#[tokio::test]
async fn reactions_are_counted_per_emoji_in_order_of_first_use() {
    let Some((_db, store)) = setup().await else { return };
    let m = send(&store, text(1, 1, "lunch?", None)).await;
    assert_eq!(
        store.react(m.id, 2, "🍕", true, 2).await.unwrap(),
        ReactOutcome::Changed
    );
    assert_eq!(
        store.react(m.id, 1, "👍", true, 2).await.unwrap(),
        ReactOutcome::Changed
    );
    assert_eq!(
        store.react(m.id, 1, "🍕", true, 2).await.unwrap(),
        ReactOutcome::Changed
    );
    assert_eq!(
        store.react(m.id, 1, "🍕", true, 2).await.unwrap(),
        ReactOutcome::Unchanged
    );
    assert_eq!(
        store.react(m.id, 3, "🍣", true, 2).await.unwrap(),
        ReactOutcome::TooMany
    );
    assert_eq!(
        store.react(m.id, 3, "🍣", false, 2).await.unwrap(),
        ReactOutcome::Unchanged
    );

    let shown = store.message(m.id).await.unwrap().unwrap();
    let reactions: Vec<(&str, i64, &[UserId])> = shown
        .reactions
        .iter()
        .map(|r| (r.emoji.as_str(), r.count, r.user_ids.as_slice()))
        .collect();
    assert_eq!(reactions, [("🍕", 2, &[1, 2][..]), ("👍", 1, &[1][..])]);

    assert_eq!(
        store.react(m.id, 1, "👍", false, 2).await.unwrap(),
        ReactOutcome::Changed
    );
    let shown = store.message(m.id).await.unwrap().unwrap();
    assert_eq!(shown.reactions.len(), 1);
    store.delete_message(m.id).await.unwrap();
    assert_eq!(
        store.react(m.id, 1, "👍", true, 2).await.unwrap(),
        ReactOutcome::Gone
    );
}

/// Replies in a thread: the root's summary, who follows, unread replies and reading them.
#[tokio::test]
async fn threads_summarise_replies_and_track_followers() {
    let Some((_db, store)) = setup().await else { return };
    let root = send(&store, text(1, 1, "release plan?", None)).await;
    let reply = |user, content: &str| NewMessage {
        thread_id: Some(root.id),
        ..text(1, user, content, None)
    };
    let mention = NewMessage {
        mention_keys: vec!["carol".into()],
        ..reply(2, "friday, @carol?")
    };
    let outcomes = store
        .append_messages(&[reply(2, "monday"), mention, reply(2, "or tuesday")], 50)
        .await
        .unwrap();
    assert_eq!(created(&outcomes[1]).mentions, [3]);

    let shown = store.message(root.id).await.unwrap().unwrap();
    let thread = shown.thread.expect("a thread");
    assert_eq!(thread.reply_count, 3);
    assert_eq!(thread.last_reply_at, 50);
    assert_eq!(thread.participant_ids, [2]);
    assert!(shown.thread_id.is_none());

    let (replies, more) = store.thread_replies(root.id, 0, 2).await.unwrap();
    assert_eq!(contents(&replies), ["monday", "friday, @carol?"]);
    assert!(more);
    let (rest, more) = store.thread_replies(root.id, replies[1].id, 2).await.unwrap();
    assert_eq!(contents(&rest), ["or tuesday"]);
    assert!(!more);

    let mut followers = store.thread_followers(root.id).await.unwrap();
    followers.sort_unstable();
    assert_eq!(followers, [1, 2, 3], "the author, the replier and the mentioned");

    let alice = store.followed_threads(1, 10).await.unwrap();
    assert_eq!(alice.len(), 1);
    assert_eq!((alice[0].root.id, alice[0].unread_count), (root.id, 3));
    let bob = store.followed_threads(2, 10).await.unwrap();
    assert_eq!(bob[0].unread_count, 0, "bob has read his own replies");
    store.mark_thread_read(1, root.id, None).await.unwrap();
    assert_eq!(store.followed_threads(1, 10).await.unwrap()[0].unread_count, 0);
    store.mark_thread_read(1, root.id, Some(1)).await.unwrap();
    assert_eq!(
        store.followed_threads(1, 10).await.unwrap()[0].unread_count,
        0,
        "reading never moves backwards"
    );

    store.set_following(1, root.id, false).await.unwrap();
    assert!(store.followed_threads(1, 10).await.unwrap().is_empty());
    assert!(!store.thread_followers(root.id).await.unwrap().contains(&1));
    let before = store.changes_rev(1).await.unwrap();
    store.touch_root(root.id).await.unwrap();
    assert_eq!(store.changes_rev(1).await.unwrap(), before + 1);
}

/// Pinning and unpinning: a room's pins, the most recently pinned first.
#[tokio::test]
async fn pins_list_the_most_recently_pinned_first() {
    let Some((_db, store)) = setup().await else { return };
    let a = send(&store, text(1, 1, "a", None)).await;
    let b = send(&store, text(1, 1, "b", None)).await;
    assert_eq!(store.set_pinned(a.id, 2, true, 10).await.unwrap(), Some(true));
    assert_eq!(store.set_pinned(b.id, 2, true, 20).await.unwrap(), Some(true));
    assert_eq!(store.set_pinned(b.id, 2, true, 30).await.unwrap(), Some(false));
    assert_eq!(contents(&store.pins(1).await.unwrap()), ["b", "a"]);
    assert!(store.message(a.id).await.unwrap().unwrap().is_pinned);
    assert_eq!(store.set_pinned(b.id, 2, false, 40).await.unwrap(), Some(true));
    assert_eq!(contents(&store.pins(1).await.unwrap()), ["a"]);
    store.delete_message(a.id).await.unwrap();
    assert!(store.pins(1).await.unwrap().is_empty());
    assert_eq!(store.set_pinned(a.id, 2, true, 50).await.unwrap(), None);
}

/// Mentions by name and `@room`: whom they reach, edits replacing them, and the list of a
/// person's recent mentions.
#[tokio::test]
async fn mentions_reach_members_and_follow_edits() {
    let Some((_db, store)) = setup().await else { return };
    let to_bob = send(
        &store,
        NewMessage {
            mention_keys: vec!["bob".into(), "carol".into(), "alice".into()],
            ..text(2, 1, "@bob @carol @alice", None)
        },
    )
    .await;
    assert_eq!(to_bob.mentions, [2], "carol is not in the room, alice wrote it");
    let everyone = send(
        &store,
        NewMessage {
            mentions_room: true,
            ..text(1, 2, "@room lunch", None)
        },
    )
    .await;

    let (bob, more) = store.mentions_of(2, MessageId::MAX, 10).await.unwrap();
    assert_eq!(contents(&bob), ["@bob @carol @alice"], "not his own @room");
    assert!(!more);
    let (carol, _) = store.mentions_of(3, MessageId::MAX, 10).await.unwrap();
    assert_eq!(contents(&carol), ["@room lunch"]);
    let (alice, more) = store.mentions_of(1, MessageId::MAX, 1).await.unwrap();
    assert_eq!((contents(&alice), more), (vec!["@room lunch"], false));

    let edited = store
        .edit_message(to_bob.id, "never mind", &[], false, 9)
        .await
        .unwrap()
        .unwrap();
    assert!(edited.mentions.is_empty());
    assert!(
        store
            .mentions_of(2, MessageId::MAX, 10)
            .await
            .unwrap()
            .0
            .is_empty()
    );
    store.delete_message(everyone.id).await.unwrap();
    assert!(
        store
            .mentions_of(3, MessageId::MAX, 10)
            .await
            .unwrap()
            .0
            .is_empty()
    );
}

async fn found(store: &PgStore, user: UserId, q: &str) -> BTreeSet<String> {
    let query = parse(q).unwrap();
    let filter = SearchFilter {
        user,
        matching: query.fts(),
        max_id: MessageId::MAX,
        has_link: query.has.link,
        pinned: query.pinned,
        ..SearchFilter::default()
    };
    let hits = store.search(&filter, 50).await.unwrap();
    assert!(hits.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    hits.into_iter().map(|h| h.content).collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The searches of tests/search.rs, against the PostgreSQL index: one- and two-character and
/// longer Chinese queries, mixed scripts, phrases, exclusions, word forms and accents.
#[tokio::test]
async fn search_finds_chinese_and_english_as_sqlite_does() {
    let Some((_db, store)) = setup().await else { return };
    let batch: Vec<NewMessage> = [
        "明天部署新版本",
        "部署 v2 完成了",
        "v2部署失败",
        "今天天气很好",
        "我们明天开会",
        "Meet me at the Café",
        "We DEPLOYED the fix",
        "deploying tonight",
        "the deployment plan",
        "party time 🎉",
        "see WWW.example.com",
    ]
    .iter()
    .map(|t| text(1, 1, t, None))
    .collect();
    store.append_messages(&batch, 1).await.unwrap();

    let deploy_cn = set(&["v2部署失败", "明天部署新版本", "部署 v2 完成了"]);
    assert_eq!(found(&store, 1, "部署").await, deploy_cn);
    assert_eq!(found(&store, 1, "署").await, deploy_cn);
    assert_eq!(found(&store, 1, "明天部署").await, set(&["明天部署新版本"]));
    assert_eq!(found(&store, 1, "天气").await, set(&["今天天气很好"]));
    assert!(found(&store, 1, "部门").await.is_empty());
    assert!(
        found(&store, 1, "明部").await.is_empty(),
        "characters must be adjacent"
    );
    assert_eq!(
        found(&store, 1, "部署 v2").await,
        set(&["v2部署失败", "部署 v2 完成了"])
    );
    assert_eq!(found(&store, 1, "cafe").await, set(&["Meet me at the Café"]));
    assert_eq!(found(&store, 1, "CAFÉ").await, set(&["Meet me at the Café"]));
    assert_eq!(
        found(&store, 1, "deploy").await,
        set(&["We DEPLOYED the fix", "deploying tonight", "the deployment plan"])
    );
    assert_eq!(
        found(&store, 1, "\"the fix\"").await,
        set(&["We DEPLOYED the fix"])
    );
    assert!(found(&store, 1, "\"fix the\"").await.is_empty());
    assert_eq!(
        found(&store, 1, "deploy -tonight").await,
        set(&["We DEPLOYED the fix", "the deployment plan"])
    );
    assert_eq!(found(&store, 1, "party").await, set(&["party time 🎉"]));
    assert_eq!(found(&store, 1, "has:link").await, set(&["see WWW.example.com"]));
    assert!(found(&store, 2, "cafe").await.len() == 1, "bob is in general too");
}

/// Search sees only the searcher's rooms, follows edits at once, forgets deleted messages, and
/// honours the filters and the snapshot id.
#[tokio::test]
async fn search_follows_edits_deletes_rooms_and_filters() {
    let Some((_db, store)) = setup().await else { return };
    let secret = send(&store, text(3, 1, "secret launch date", None)).await;
    let public = send(&store, text(1, 2, "launch party", None)).await;
    let notice = send(&store, system(1, "launch room created")).await;
    assert_eq!(
        found(&store, 1, "launch").await,
        set(&["secret launch date", "launch party"])
    );
    assert_eq!(found(&store, 2, "launch").await, set(&["launch party"]));
    assert!(notice.id > public.id);

    store
        .edit_message(public.id, "release party", &[], false, 3)
        .await
        .unwrap();
    assert_eq!(found(&store, 2, "launch").await, set(&[]));
    assert_eq!(found(&store, 2, "released").await, set(&["release party"]));
    store.delete_message(secret.id).await.unwrap();
    assert!(found(&store, 1, "launch").await.is_empty());

    let query = parse("party").unwrap();
    let filter = SearchFilter {
        user: 1,
        matching: query.fts(),
        max_id: public.id - 1,
        ..SearchFilter::default()
    };
    assert!(
        store.search(&filter, 10).await.unwrap().is_empty(),
        "after the snapshot"
    );
    let from_alice = SearchFilter {
        max_id: MessageId::MAX,
        from: Some(1),
        ..filter.clone()
    };
    assert!(store.search(&from_alice, 10).await.unwrap().is_empty());
    let pinned = SearchFilter {
        max_id: MessageId::MAX,
        pinned: true,
        ..filter
    };
    assert!(store.search(&pinned, 10).await.unwrap().is_empty());
    store.set_pinned(public.id, 1, true, 4).await.unwrap();
    assert_eq!(store.search(&pinned, 10).await.unwrap().len(), 1);

    assert_eq!(store.newest_message_id().await.unwrap(), notice.id);
    assert_eq!(store.member_room_by_key(1, "secret").await.unwrap(), Some(3));
    assert_eq!(store.member_room_by_key(3, "secret").await.unwrap(), None);
    let mut rooms = store.room_summaries(&[1, 3]).await.unwrap();
    rooms.sort_by_key(|r| r.0);
    assert_eq!(
        rooms.iter().map(|r| (r.0, r.1.as_str())).collect::<Vec<_>>(),
        [(1, "general"), (3, "secret")]
    );
}
