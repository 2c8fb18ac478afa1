//! Replies, threads, reactions, pins and thread following, over REST and WebSocket.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestServer, TestUser};

/// A public room made by `owner` that `others` joined.
async fn room_with(server: &TestServer, owner: &TestUser, others: &[&TestUser], name: &str) -> i64 {
    let room = server.create_room(owner, name, false).await;
    for user in others {
        let (status, body) = server
            .post(Some(&user.token), &format!("/api/rooms/{room}/join"), json!({}))
            .await;
        assert!(status.is_success(), "{} joining: {body}", user.name);
    }
    room
}

async fn send(server: &TestServer, user: &TestUser, room: i64, body: Value) -> (StatusCode, Value) {
    server
        .post(Some(&user.token), &format!("/api/rooms/{room}/messages"), body)
        .await
}

#[track_caller]
fn code(body: &Value) -> &str {
    body["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {body}"))
}

#[tokio::test]
async fn a_reply_quotes_a_plain_excerpt_and_shows_when_the_original_is_gone() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let room = room_with(&server, &alice, &[&bob], "replies").await;
    let long = format!(
        "**Plan**: see [the doc](https://x.example/d) and `run` it. {}",
        "word ".repeat(60)
    );
    let original = server.say(&alice, room, &long).await;
    let original_id = original["id"].as_i64().unwrap();
    assert_eq!(original["reply_to"], Value::Null);

    let (status, body) = send(
        &server,
        &bob,
        room,
        json!({"content": "agreed", "reply_to": original_id}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let quote = &body["message"]["reply_to"];
    assert_eq!(quote["id"], original_id);
    assert_eq!(quote["user_id"], alice.id);
    assert_eq!(quote["username"], "alice");
    let excerpt = quote["excerpt"].as_str().unwrap();
    assert!(
        excerpt.starts_with("Plan: see the doc and run it. word"),
        "{excerpt}"
    );
    assert_eq!(excerpt.chars().count(), 140, "{excerpt}");
    assert!(excerpt.ends_with('…'));

    // Once the original is deleted, the quote says so and keeps nothing of it.
    let (status, _) = server
        .delete(Some(&alice.token), &format!("/api/messages/{original_id}"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, page) = server
        .get(Some(&bob.token), &format!("/api/rooms/{room}/messages"))
        .await;
    let reply = page["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(reply["reply_to"], json!({"id": original_id, "is_deleted": true}));

    // Replying to it now, to an unknown id or to another room's message is refused.
    let other = server.create_room(&bob, "elsewhere", false).await;
    let there = server.say(&bob, other, "over here").await["id"].as_i64().unwrap();
    for (target, expected) in [
        (original_id, "reply_to_deleted"),
        (there, "invalid_reply_to"),
        (999_999, "invalid_reply_to"),
    ] {
        let (status, body) = send(&server, &bob, room, json!({"content": "x", "reply_to": target})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(code(&body), expected);
    }
}

#[tokio::test]
async fn thread_replies_update_their_root_and_page_in_order() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let room = room_with(&server, &alice, &[&bob], "threads").await;
    let root = server.say(&alice, room, "shall we ship?").await;
    let root_id = root["id"].as_i64().unwrap();
    assert_eq!(root["thread"], Value::Null);
    let mut alice_ws = server.ws(&alice).await;
    let rev_before = server
        .get(Some(&alice.token), &format!("/api/rooms/{room}/messages"))
        .await
        .1["changes_rev"]
        .as_i64()
        .unwrap();

    let (status, body) = send(
        &server,
        &bob,
        room,
        json!({"content": "yes", "thread_id": root_id}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let first = body["message"].clone();
    assert_eq!(first["thread_id"], root_id);
    assert_eq!(first["also_to_room"], false);

    // The room hears the root's new summary.
    let updated = alice_ws
        .expect_where("message_updated", |f| f["data"]["message"]["id"] == root_id)
        .await;
    let thread = &updated["data"]["message"]["thread"];
    assert_eq!(thread["reply_count"], 1, "{updated}");
    assert_eq!(thread["participant_ids"], json!([bob.id]));
    assert_eq!(thread["last_reply_at"], first["timestamp"]);

    // A reply to a reply joins the same thread; one may go to the room too.
    let (_, body) = send(
        &server,
        &alice,
        room,
        json!({"content": "then go", "thread_id": first["id"], "also_to_room": true}),
    )
    .await;
    assert_eq!(body["message"]["thread_id"], root_id, "{body}");
    assert_eq!(body["message"]["also_to_room"], true);
    for i in 0..3 {
        send(
            &server,
            &bob,
            room,
            json!({"content": format!("more {i}"), "thread_id": root_id}),
        )
        .await;
    }

    // Replies kept to the thread are not the room's unread messages; one sent to the room is.
    let unread = |user: &TestUser| {
        let token = user.token.clone();
        let server = &server;
        async move {
            server.get(Some(&token), &format!("/api/rooms/{room}")).await.1["room"]["unread_count"].clone()
        }
    };
    assert_eq!(unread(&alice).await, 0);
    assert_eq!(
        unread(&bob).await,
        2,
        "alice's root and her reply sent to the room too"
    );

    // History includes the replies, marked, and the root's summary; catching up by revision
    // brings the root back with its new count.
    let (_, page) = server
        .get(Some(&alice.token), &format!("/api/rooms/{room}/messages"))
        .await;
    let messages = page["messages"].as_array().unwrap();
    let replies: Vec<&Value> = messages.iter().filter(|m| m["thread_id"] == root_id).collect();
    assert_eq!(replies.len(), 5);
    let root_now = messages.iter().find(|m| m["id"] == root_id).unwrap();
    assert_eq!(root_now["thread"]["reply_count"], 5);
    let mut participants: Vec<i64> = root_now["thread"]["participant_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    participants.sort_unstable();
    assert_eq!(participants, vec![alice.id, bob.id]);
    let (_, changes) = server
        .get(
            Some(&alice.token),
            &format!("/api/rooms/{room}/messages?changed_after={rev_before}"),
        )
        .await;
    assert!(
        changes["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == root_id && m["thread"]["reply_count"] == 5),
        "{changes}"
    );

    // The thread pages forward from `after`.
    let (status, first_page) = server
        .get(
            Some(&bob.token),
            &format!("/api/messages/{root_id}/thread?limit=2"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{first_page}");
    assert_eq!(first_page["root"]["id"], root_id);
    let texts = |page: &Value| -> Vec<String> {
        page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["content"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(texts(&first_page), ["yes", "then go"]);
    assert_eq!(first_page["has_more"], true);
    let last = first_page["messages"][1]["id"].as_i64().unwrap();
    let (_, rest) = server
        .get(
            Some(&bob.token),
            &format!("/api/messages/{root_id}/thread?after={last}&limit=10"),
        )
        .await;
    assert_eq!(texts(&rest), ["more 0", "more 1", "more 2"]);
    assert_eq!(rest["has_more"], false);
    for bad in ["after=soon", "limit=0", "limit=201"] {
        let (status, body) = server
            .get(Some(&bob.token), &format!("/api/messages/{root_id}/thread?{bad}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }

    // A deleted reply leaves the count.
    let gone = rest["messages"][2]["id"].as_i64().unwrap();
    server
        .delete(Some(&bob.token), &format!("/api/messages/{gone}"))
        .await;
    let updated = alice_ws
        .expect_where("message_updated", |f| {
            f["data"]["message"]["id"] == root_id && f["data"]["message"]["thread"]["reply_count"] == 4
        })
        .await;
    assert_eq!(updated["data"]["message"]["content"], "shall we ship?");
}

#[tokio::test]
async fn thread_ids_must_name_a_live_message_of_the_room() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let room = server.create_room(&alice, "here", false).await;
    let other = server.create_room(&alice, "there", false).await;
    let elsewhere = server.say(&alice, other, "elsewhere").await["id"]
        .as_i64()
        .unwrap();
    let doomed = server.say(&alice, room, "soon gone").await["id"]
        .as_i64()
        .unwrap();
    server
        .delete(Some(&alice.token), &format!("/api/messages/{doomed}"))
        .await;
    for (thread, expected) in [
        (elsewhere, "invalid_thread_id"),
        (123_456, "invalid_thread_id"),
        (doomed, "thread_root_deleted"),
    ] {
        let (status, body) = send(
            &server,
            &alice,
            room,
            json!({"content": "x", "thread_id": thread}),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(code(&body), expected);
    }
    // Over the WebSocket the sender gets the same error.
    let mut ws = server.ws(&alice).await;
    ws.send_ref(
        "send_message",
        json!({"room_id": room, "content": "x", "thread_id": doomed}),
        "t1",
    )
    .await;
    let error = ws.expect("error").await;
    assert_eq!(error["ref"], "t1");
    assert_eq!(error["data"]["code"], "thread_root_deleted", "{error}");
}

#[tokio::test]
async fn reactions_toggle_idempotently_and_reach_the_room() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let room = room_with(&server, &alice, &[&bob], "reactions").await;
    let id = server.say(&alice, room, "lunch?").await["id"].as_i64().unwrap();
    let mut alice_ws = server.ws(&alice).await;
    let rev = server
        .get(Some(&alice.token), &format!("/api/rooms/{room}/messages"))
        .await
        .1["changes_rev"]
        .as_i64()
        .unwrap();
    let path = |emoji: &str| format!("/api/messages/{id}/reactions/{}", urlencode(emoji));

    for _ in 0..2 {
        let (status, body) = server.put(Some(&bob.token), &path("👍"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            body["reactions"],
            json!([{"emoji": "👍", "count": 1, "user_ids": [bob.id]}])
        );
    }
    let event = alice_ws.expect("reactions_updated").await;
    assert_eq!(
        event["data"],
        json!({"room_id": room, "message_id": id, "reactions": [{"emoji": "👍", "count": 1, "user_ids": [bob.id]}]})
    );
    // The second PUT changed nothing, so the room heard once.
    alice_ws
        .expect_none("reactions_updated", Duration::from_millis(300))
        .await;

    // First-used order, whoever adds later.
    server.put(Some(&alice.token), &path(":tada:"), json!({})).await;
    let (_, body) = server.put(Some(&alice.token), &path("👍"), json!({})).await;
    assert_eq!(body["reactions"][0]["emoji"], "👍");
    assert_eq!(body["reactions"][0]["count"], 2);
    assert_eq!(body["reactions"][1]["emoji"], ":tada:");

    // A catch-up by revision brings the reactions.
    let (_, changes) = server
        .get(
            Some(&alice.token),
            &format!("/api/rooms/{room}/messages?changed_after={rev}"),
        )
        .await;
    let changed = &changes["messages"][0];
    assert_eq!(changed["id"], id, "{changes}");
    assert_eq!(changed["reactions"].as_array().unwrap().len(), 2);

    // Removing twice is fine; the emoji goes when its last reaction does.
    for _ in 0..2 {
        let (status, _) = server.delete(Some(&bob.token), &path("👍")).await;
        assert_eq!(status, StatusCode::OK);
    }
    server.delete(Some(&alice.token), &path("👍")).await;
    let (_, body) = server.delete(Some(&alice.token), &path("👍")).await;
    assert_eq!(
        body["reactions"],
        json!([{"emoji": ":tada:", "count": 1, "user_ids": [alice.id]}])
    );

    // Over the WebSocket too.
    let mut bob_ws = server.ws(&bob).await;
    bob_ws
        .send_ref("add_reaction", json!({"message_id": id, "emoji": "❤️"}), "r1")
        .await;
    let mine = bob_ws.expect("reactions_updated").await;
    assert_eq!(mine["ref"], "r1");
    let seen = alice_ws
        .expect_where("reactions_updated", |f| {
            f["data"]["reactions"].to_string().contains("❤️")
        })
        .await;
    assert_eq!(seen["data"]["reactions"][0]["emoji"], ":tada:");
    assert_eq!(seen["data"]["reactions"][1]["emoji"], "❤️");
    bob_ws
        .send_ref(
            "remove_reaction",
            json!({"message_id": id, "emoji": "👍👍"}),
            "r2",
        )
        .await;
    let error = bob_ws.expect("error").await;
    assert_eq!(error["data"]["code"], "invalid_emoji");
}

#[tokio::test]
async fn reactions_are_checked_and_capped_at_twenty_emoji() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let outsider = server.register("mallory").await;
    let room = server.create_room(&alice, "secret", true).await;
    let id = server.say(&alice, room, "private").await["id"].as_i64().unwrap();
    let path = |emoji: &str| format!("/api/messages/{id}/reactions/{}", urlencode(emoji));

    for bad in ["a", "hello", "👍👍", ":Not Ok:", "<script>"] {
        let (status, body) = server.put(Some(&alice.token), &path(bad), json!({})).await;
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::NOT_FOUND,
            "{bad:?}: {status} {body}"
        );
        if status == StatusCode::BAD_REQUEST {
            assert_eq!(code(&body), "invalid_emoji");
        }
    }
    // Outsiders of a private room learn nothing.
    let (status, _) = server.put(Some(&outsider.token), &path("👍"), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let emoji: Vec<char> = "😀😃😄😁😆😅🤣😂🙂🙃😉😊😇🥰😍🤩😘😋😛😜".chars().collect();
    assert_eq!(emoji.len(), 20);
    for e in &emoji {
        let (status, body) = server
            .put(Some(&alice.token), &path(&e.to_string()), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = server.put(Some(&alice.token), &path("🤪"), json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(code(&body), "too_many_reactions");
    // An emoji already there still takes more people.
    let (status, _) = server.put(Some(&alice.token), &path("😀"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn pins_are_listed_and_announced() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let room = room_with(&server, &alice, &[&bob], "pins").await;
    let first = server.say(&alice, room, "the plan").await["id"].as_i64().unwrap();
    let second = server.say(&alice, room, "the budget").await["id"]
        .as_i64()
        .unwrap();
    let mut alice_ws = server.ws(&alice).await;

    for id in [first, second, second] {
        let (status, body) = server
            .put(Some(&bob.token), &format!("/api/messages/{id}/pin"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["message"]["is_pinned"], true);
    }
    let updated = alice_ws
        .expect_where("message_updated", |f| f["data"]["message"]["id"] == first)
        .await;
    assert_eq!(updated["data"]["message"]["is_pinned"], true);
    let notice = alice_ws
        .expect_where("new_message", |f| {
            f["data"]["message"]["message_type"] == "system"
        })
        .await;
    let system = &notice["data"]["message"]["system"];
    assert_eq!(system["kind"], "message_pinned", "{notice}");
    assert_eq!(system["message_id"], first);
    assert_eq!(system["by_username"], "bob");

    let (_, pins) = server
        .get(Some(&alice.token), &format!("/api/rooms/{room}/pins"))
        .await;
    let ids: Vec<i64> = pins["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [second, first], "most recently pinned first");
    // Two pins (the repeat changed nothing), two notices.
    let (_, page) = server
        .get(Some(&alice.token), &format!("/api/rooms/{room}/messages"))
        .await;
    let notices = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["system"]["kind"] == "message_pinned")
        .count();
    assert_eq!(notices, 2);

    let (status, body) = server
        .delete(Some(&alice.token), &format!("/api/messages/{first}/pin"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["message"]["is_pinned"], false);
    let (_, pins) = server
        .get(Some(&alice.token), &format!("/api/rooms/{room}/pins"))
        .await;
    assert_eq!(pins["messages"].as_array().unwrap().len(), 1);

    // Only members pin.
    let carol = server.register("carol").await;
    let (status, body) = server
        .put(
            Some(&carol.token),
            &format!("/api/messages/{first}/pin"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(code(&body), "not_a_member");
}

#[tokio::test]
async fn followers_hear_new_replies_and_count_them_until_read() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let carol = server.register("carol").await;
    let room = room_with(&server, &alice, &[&bob, &carol], "follow").await;
    let root = server.say(&alice, room, "question").await["id"].as_i64().unwrap();
    let mut alice_ws = server.ws(&alice).await;
    let mut carol_ws = server.ws(&carol).await;

    // Bob replies and mentions carol: alice (the starter), bob and carol now follow.
    send(
        &server,
        &bob,
        room,
        json!({"content": "ask @carol", "thread_id": root}),
    )
    .await;
    let heard = alice_ws.expect("thread_reply").await;
    assert_eq!(heard["data"]["message"]["thread_id"], root);
    carol_ws.expect("thread_reply").await;
    send(
        &server,
        &bob,
        room,
        json!({"content": "or me", "thread_id": root}),
    )
    .await;
    carol_ws
        .expect_where("thread_reply", |f| f["data"]["message"]["content"] == "or me")
        .await;

    let threads = |user: &TestUser| {
        let token = user.token.clone();
        let server = &server;
        async move {
            let (status, body) = server.get(Some(&token), "/api/threads").await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body["threads"].as_array().unwrap().clone()
        }
    };
    let alices = threads(&alice).await;
    assert_eq!(alices.len(), 1);
    assert_eq!(alices[0]["root"]["id"], root);
    assert_eq!(alices[0]["unread_count"], 2);
    assert_eq!(
        threads(&bob).await[0]["unread_count"],
        0,
        "one's own replies are read"
    );
    assert_eq!(threads(&carol).await[0]["unread_count"], 2);

    let (status, _) = server
        .post(
            Some(&alice.token),
            &format!("/api/messages/{root}/thread/read"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(threads(&alice).await[0]["unread_count"], 0);

    // Carol unfollows: no more news for her, and the thread leaves her list.
    let (status, body) = server
        .delete(Some(&carol.token), &format!("/api/messages/{root}/follow"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["is_following"], false);
    send(
        &server,
        &bob,
        room,
        json!({"content": "anyone?", "thread_id": root}),
    )
    .await;
    alice_ws.expect("thread_reply").await;
    carol_ws
        .expect_none("thread_reply", Duration::from_millis(300))
        .await;
    assert!(threads(&carol).await.is_empty());
    assert_eq!(threads(&alice).await[0]["unread_count"], 1);

    // Someone who left the room hears nothing more of its threads, followed or not.
    let (status, _) = server
        .put(
            Some(&carol.token),
            &format!("/api/messages/{root}/follow"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = server
        .post(Some(&carol.token), &format!("/api/rooms/{room}/leave"), json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    send(
        &server,
        &bob,
        room,
        json!({"content": "after carol left", "thread_id": root}),
    )
    .await;
    alice_ws
        .expect_where("thread_reply", |f| {
            f["data"]["message"]["content"] == "after carol left"
        })
        .await;
    carol_ws
        .expect_none("thread_reply", Duration::from_millis(300))
        .await;
    assert!(threads(&carol).await.is_empty());
    let (status, _) = server
        .post(Some(&carol.token), &format!("/api/rooms/{room}/join"), json!({}))
        .await;
    assert!(status.is_success());

    // Following again brings it back.
    server
        .put(
            Some(&carol.token),
            &format!("/api/messages/{root}/follow"),
            json!({}),
        )
        .await;
    assert_eq!(threads(&carol).await.len(), 1);
}

/// Percent-encodes every byte that is not unreserved, as a browser's `encodeURIComponent` does.
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn a_client_that_was_away_catches_up_on_missed_replies_and_reactions() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let room = room_with(&server, &alice, &[&bob], "away").await;
    let root = server.say(&alice, room, "plan").await["id"].as_i64().unwrap();
    // Alice's client reads the latest page, then goes away.
    let (_, page) = server
        .get(Some(&alice.token), &format!("/api/rooms/{room}/messages"))
        .await;
    let last = page["messages"].as_array().unwrap().last().unwrap()["id"]
        .as_i64()
        .unwrap();
    let rev = page["changes_rev"].as_i64().unwrap();

    let (_, reply) = send(
        &server,
        &bob,
        room,
        json!({"content": "in the thread", "thread_id": root}),
    )
    .await;
    server
        .put(
            Some(&bob.token),
            &format!("/api/messages/{root}/reactions/%F0%9F%91%8D"),
            json!({}),
        )
        .await;

    // Back: `after=` brings the reply, marked as the thread's; `changed_after=` the root with its
    // reply count and the reaction.
    let (_, newer) = server
        .get(
            Some(&alice.token),
            &format!("/api/rooms/{room}/messages?after={last}"),
        )
        .await;
    let missed = &newer["messages"][0];
    assert_eq!(missed["id"], reply["message"]["id"], "{newer}");
    assert_eq!(missed["thread_id"], root);
    let (_, changes) = server
        .get(
            Some(&alice.token),
            &format!("/api/rooms/{room}/messages?changed_after={rev}"),
        )
        .await;
    let changed = changes["messages"].as_array().unwrap();
    assert_eq!(
        changed.len(),
        1,
        "the root once, however often it changed: {changes}"
    );
    assert_eq!(changed[0]["thread"]["reply_count"], 1);
    assert_eq!(changed[0]["reactions"][0]["emoji"], "👍");
}
