//! Posting, paging, editing and deleting messages over REST.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::TestServer;

fn ids(page: &Value) -> Vec<i64> {
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn history_pages_backwards_and_catches_up_forwards() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let room = server.create_room(&alice, "busy", false).await;
    let mut posted = Vec::new();
    for i in 0..120 {
        posted.push(
            server.say(&alice, room, &format!("message {i}")).await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    let path = format!("/api/rooms/{room}/messages");

    let (status, latest) = server.get(Some(&alice.token), &path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&latest), posted[70..].to_vec(), "the newest 50, oldest first");
    assert_eq!(latest["has_more"], true);
    let first = &latest["messages"][0];
    for field in [
        "id",
        "room_id",
        "user_id",
        "username",
        "content",
        "message_type",
        "timestamp",
        "edited_at",
        "is_deleted",
        "client_msg_id",
    ] {
        assert!(first.get(field).is_some(), "message lacks {field}: {first}");
    }
    assert!(
        first["timestamp"].as_str().unwrap().ends_with('Z'),
        "RFC 3339 UTC"
    );

    // Scroll up until the beginning.
    let mut seen = ids(&latest);
    let mut before = seen[0];
    loop {
        let (_, page) = server
            .get(Some(&alice.token), &format!("{path}?before={before}&limit=40"))
            .await;
        let mut page_ids = ids(&page);
        assert!(page_ids.windows(2).all(|w| w[0] < w[1]), "ascending");
        page_ids.extend(seen);
        seen = page_ids;
        before = seen[0];
        if page["has_more"] == false {
            break;
        }
    }
    let (_, all_with_system) = server.get(Some(&alice.token), &format!("{path}?limit=200")).await;
    assert_eq!(seen, ids(&all_with_system), "paging saw everything exactly once");

    // Catch up after message 100.
    let (_, newer) = server
        .get(
            Some(&alice.token),
            &format!("{path}?after={}&limit=10", posted[100]),
        )
        .await;
    assert_eq!(ids(&newer), posted[101..111].to_vec());
    assert_eq!(newer["has_more"], true);
    let (_, tail) = server
        .get(Some(&alice.token), &format!("{path}?after={}", posted[110]))
        .await;
    assert_eq!(ids(&tail), posted[111..].to_vec());
    assert_eq!(tail["has_more"], false);
    // A window between two ids.
    let (_, window) = server
        .get(
            Some(&alice.token),
            &format!("{path}?after={}&before={}", posted[10], posted[14]),
        )
        .await;
    assert_eq!(ids(&window), posted[11..14].to_vec());

    for bad in [
        "limit=0",
        "limit=201",
        "before=abc",
        "after=-x",
        "after=10&before=5",
    ] {
        let (status, body) = server.get(Some(&alice.token), &format!("{path}?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
}

#[tokio::test]
async fn history_around_a_message_shows_it_in_context_and_pages_on_both_sides() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let mallory = server.register("mallory").await;
    let room = server.create_room(&alice, "deep", true).await;
    for i in 0..60 {
        server.say(&alice, room, &format!("message {i}")).await;
    }
    let path = format!("/api/rooms/{room}/messages");
    let (_, everything) = server.get(Some(&alice.token), &format!("{path}?limit=200")).await;
    let all = ids(&everything);
    let target = all[20];

    // Half before it, the message itself and the rest after, oldest first.
    let (status, page) = server
        .get(Some(&alice.token), &format!("{path}?around={target}&limit=10"))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(ids(&page), all[15..25].to_vec());
    assert_eq!(page["has_more"], true, "older messages exist: {page}");
    assert_eq!(page["has_newer"], true, "newer messages exist: {page}");
    assert!(page["changes_rev"].is_i64());

    // Paging on from either end continues without gaps or repeats.
    let (_, older) = server
        .get(Some(&alice.token), &format!("{path}?before={}&limit=10", all[15]))
        .await;
    assert_eq!(ids(&older), all[5..15].to_vec());
    let (_, newer) = server
        .get(Some(&alice.token), &format!("{path}?after={}&limit=10", all[24]))
        .await;
    assert_eq!(ids(&newer), all[25..35].to_vec());

    // Near either end the other side fills the page, and says it reached the end.
    let (_, first) = server
        .get(Some(&alice.token), &format!("{path}?around={}&limit=10", all[1]))
        .await;
    assert_eq!(ids(&first), all[..10].to_vec());
    assert_eq!(
        (first["has_more"].clone(), first["has_newer"].clone()),
        (json!(false), json!(true))
    );
    let last = *all.last().unwrap();
    let (_, latest) = server
        .get(Some(&alice.token), &format!("{path}?around={last}&limit=10"))
        .await;
    assert_eq!(ids(&latest), all[all.len() - 10..].to_vec());
    assert_eq!(
        (latest["has_more"].clone(), latest["has_newer"].clone()),
        (json!(true), json!(false))
    );
    // Plain pages keep their shape.
    assert!(everything.get("has_newer").is_none(), "{everything}");

    // Bad combinations and limits are refused; someone outside the private room sees nothing.
    for (query, code) in [
        (format!("around={target}&before={last}"), "invalid_query"),
        (format!("around={target}&after=1"), "invalid_query"),
        (format!("around={target}&changed_after=0"), "invalid_query"),
        (format!("around={target}&limit=0"), "invalid_limit"),
        ("around=abc".to_owned(), "invalid_query"),
    ] {
        let (status, body) = server.get(Some(&alice.token), &format!("{path}?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query} → {body}");
        assert_eq!(body["error"]["code"], code, "{query} → {body}");
    }
    let (status, _) = server
        .get(Some(&mallory.token), &format!("{path}?around={target}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn content_rules() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let room = server.create_room(&alice, "rules", false).await;
    let path = format!("/api/rooms/{room}/messages");
    let bad = [
        (json!({"content": ""}), "invalid_content"),
        (json!({"content": "  \n\t "}), "invalid_content"),
        (json!({"content": "字".repeat(4001)}), "invalid_content"),
        (
            json!({"content": "hi", "message_type": "system"}),
            "invalid_message_type",
        ),
        (
            json!({"content": "https://example.com/a.png", "message_type": "image"}),
            "invalid_message_type",
        ),
        (
            json!({"content": "report.pdf", "message_type": "file"}),
            "invalid_message_type",
        ),
        (
            json!({"content": "hi", "message_type": "video"}),
            "invalid_request",
        ),
        (json!({"content": 42}), "invalid_request"),
        (json!({"text": "hi"}), "invalid_request"),
        (
            json!({"content": "hi", "client_msg_id": "has spaces"}),
            "invalid_client_msg_id",
        ),
    ];
    for (body, code) in bad {
        let (status, answer) = server.post(Some(&alice.token), &path, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {answer}");
        assert_eq!(answer["error"]["code"], code, "{body} → {answer}");
    }
    let (status, body) = server
        .post(Some(&alice.token), &path, json!({"content": "  padded  "}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["message"]["content"], "padded");
    let longest = "字".repeat(4000);
    let (status, body) = server
        .post(Some(&alice.token), &path, json!({"content": longest}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["message"]["content"].as_str().unwrap().chars().count(), 4000);
    let (status, body) = server
        .post(
            Some(&alice.token),
            &path,
            json!({"content": "🎉", "message_type": "emoji"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["message"]["message_type"], "emoji");
    // Markup is data: stored and returned exactly as written, for clients to show as text.
    let html = "<script>alert('x')</script><b>bold</b> & \"quotes\"";
    let message = server.say(&alice, room, html).await;
    assert_eq!(message["content"], html);
}

#[tokio::test]
async fn a_retried_client_msg_id_stores_one_message() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let room = server.create_room(&alice, "retry", false).await;
    let path = format!("/api/rooms/{room}/messages");
    let body = json!({"content": "exactly once", "client_msg_id": "c-42"});
    let (status, first) = server.post(Some(&alice.token), &path, body.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, second) = server.post(Some(&alice.token), &path, body).await;
    assert_eq!(status, StatusCode::OK, "a retry answers with the stored message");
    assert_eq!(first["message"]["id"], second["message"]["id"]);
    assert_eq!(second["message"]["client_msg_id"], "c-42");
    let (_, history) = server.get(Some(&alice.token), &path).await;
    let copies = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["content"] == "exactly once")
        .count();
    assert_eq!(copies, 1);
    // Another user may use the same id for their own message.
    let bob = server.register("bob").await;
    server
        .post(Some(&bob.token), &format!("/api/rooms/{room}/join"), json!({}))
        .await;
    let (status, theirs) = server
        .post(
            Some(&bob.token),
            &path,
            json!({"content": "mine", "client_msg_id": "c-42"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_ne!(theirs["message"]["id"], first["message"]["id"]);
}

#[tokio::test]
async fn editing_is_for_authors_and_keeps_the_original_on_bad_input() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let lobby = server.room_id(&alice, "大厅").await;
    let message = server.say(&alice, lobby, "first draft").await;
    let path = format!("/api/messages/{}", message["id"]);

    let (status, body) = server
        .put(Some(&alice.token), &path, json!({"content": "final"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["message"]["content"], "final");
    assert!(body["message"]["edited_at"].is_string());

    let (status, body) = server
        .put(Some(&bob.token), &path, json!({"content": "hijacked"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "not_author");
    let (status, _) = server
        .put(Some(&alice.token), &path, json!({"content": "   "}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = server
        .put(
            Some(&alice.token),
            "/api/messages/999999",
            json!({"content": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, history) = server
        .get(Some(&alice.token), &format!("/api/rooms/{lobby}/messages"))
        .await;
    let stored = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == message["id"])
        .unwrap();
    assert_eq!(stored["content"], "final", "failed edits changed nothing");
}

#[tokio::test]
async fn deleting_is_for_authors_and_room_admins() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let carol = server.register("carol").await;
    let room = server.create_room(&alice, "moderated", false).await;
    for user in [&bob, &carol] {
        server
            .post(Some(&user.token), &format!("/api/rooms/{room}/join"), json!({}))
            .await;
    }
    let by_bob = server.say(&bob, room, "bob's").await;
    let by_carol = server.say(&carol, room, "carol's").await;

    let (status, body) = server
        .delete(Some(&carol.token), &format!("/api/messages/{}", by_bob["id"]))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = server
        .delete(Some(&bob.token), &format!("/api/messages/{}", by_bob["id"]))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server
        .delete(Some(&bob.token), &format!("/api/messages/{}", by_bob["id"]))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "deleting twice is harmless");
    let (status, _) = server
        .delete(Some(&alice.token), &format!("/api/messages/{}", by_carol["id"]))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "the room admin moderates");

    let (_, history) = server
        .get(Some(&alice.token), &format!("/api/rooms/{room}/messages"))
        .await;
    for id in [&by_bob["id"], &by_carol["id"]] {
        let stored = history["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| &m["id"] == id)
            .unwrap();
        assert_eq!(stored["is_deleted"], true);
        assert_eq!(stored["content"], "", "deleted content is gone");
    }
    let (status, _) = server
        .put(
            Some(&bob.token),
            &format!("/api/messages/{}", by_bob["id"]),
            json!({"content": "undo"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a deleted message cannot be edited back"
    );
}

#[tokio::test]
async fn server_admins_moderate_public_rooms() {
    let server = TestServer::start().await;
    let (status, admin) = server
        .post(
            None,
            "/api/auth/login",
            json!({"username": "admin", "password": "admin123"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the testing profile has the demo admin: {admin}"
    );
    assert_eq!(admin["user"]["is_server_admin"], true);
    let admin_token = admin["token"].as_str().unwrap();
    let alice = server.register("alice").await;
    let lobby = server.room_id(&alice, "大厅").await;
    let spam = server.say(&alice, lobby, "buy now").await;
    let (status, _) = server
        .delete(Some(admin_token), &format!("/api/messages/{}", spam["id"]))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // But a private room stays private, even from server admins.
    let secret = server.create_room(&alice, "diary", true).await;
    let note = server.say(&alice, secret, "dear diary").await;
    let (status, _) = server
        .delete(Some(admin_token), &format!("/api/messages/{}", note["id"]))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_client_that_was_away_learns_of_edits_and_deletes_by_revision() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let room = server.create_room(&alice, "notes", true).await;
    let other = server.create_room(&alice, "elsewhere", false).await;
    let path = format!("/api/rooms/{room}/messages");
    let mut posted = Vec::new();
    for i in 0..5 {
        posted.push(
            server.say(&alice, room, &format!("note {i}")).await["id"]
                .as_i64()
                .unwrap(),
        );
    }

    // Alice's view of the room, before she goes away (the changes are made from another device).
    let (_, seen) = server.get(Some(&alice.token), &path).await;
    let rev = seen["changes_rev"].as_i64().unwrap();
    let (_, nothing) = server
        .get(Some(&alice.token), &format!("{path}?changed_after={rev}"))
        .await;
    assert_eq!(ids(&nothing), Vec::<i64>::new(), "nothing changed yet");
    assert_eq!(nothing["changes_rev"], rev);

    // Meanwhile: an edit, a delete, a second edit of the same message, and a change elsewhere.
    let edit = |id: i64, content: &'static str| {
        let server = &server;
        let alice = &alice;
        async move {
            let (status, body) = server
                .put(
                    Some(&alice.token),
                    &format!("/api/messages/{id}"),
                    json!({"content": content}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    };
    edit(posted[1], "note 1, corrected").await;
    let (status, _) = server
        .delete(Some(&alice.token), &format!("/api/messages/{}", posted[3]))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    edit(posted[0], "note 0, corrected").await;
    edit(posted[1], "note 1, corrected twice").await;
    let elsewhere = server.say(&alice, other, "not in notes").await["id"]
        .as_i64()
        .unwrap();
    edit(elsewhere, "still not in notes").await;

    // What changed, oldest change first, each message once and as it is now.
    let (status, changed) = server
        .get(Some(&alice.token), &format!("{path}?changed_after={rev}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(ids(&changed), vec![posted[3], posted[0], posted[1]]);
    assert_eq!(changed["messages"][0]["is_deleted"], true);
    assert_eq!(changed["messages"][0]["content"], "");
    assert_eq!(changed["messages"][2]["content"], "note 1, corrected twice");
    assert!(changed["messages"][2]["edited_at"].is_string());
    assert_eq!(changed["has_more"], false);
    let now = changed["changes_rev"].as_i64().unwrap();
    assert!(now > rev);

    // In pages, continuing from each page's changes_rev.
    let (_, first) = server
        .get(Some(&alice.token), &format!("{path}?changed_after={rev}&limit=2"))
        .await;
    assert_eq!(ids(&first), vec![posted[3], posted[0]]);
    assert_eq!(first["has_more"], true);
    let (_, rest) = server
        .get(
            Some(&alice.token),
            &format!("{path}?changed_after={}&limit=2", first["changes_rev"]),
        )
        .await;
    assert_eq!(ids(&rest), vec![posted[1]]);
    assert_eq!(rest["changes_rev"], now);
    let (_, latest) = server.get(Some(&alice.token), &path).await;
    assert_eq!(
        latest["changes_rev"], now,
        "pages are current to the newest change"
    );

    // Only for those who can see the room, and only with sensible parameters.
    let (status, _) = server
        .get(Some(&bob.token), &format!("{path}?changed_after=0"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a private room bob is not in");
    for bad in [
        "changed_after=-1",
        "changed_after=x",
        "changed_after=0&after=1",
        "changed_after=0&limit=0",
    ] {
        let (status, body) = server.get(Some(&alice.token), &format!("{path}?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(body["error"]["code"].is_string());
    }
}
