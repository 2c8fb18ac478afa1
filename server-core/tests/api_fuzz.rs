//! What schemathesis (`scripts/fuzz-api`) found when fuzzing the REST API against its OpenAPI
//! document, one test per finding: each failed before its fix.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::admin_users::server_with_admin;
use crate::common::TestServer;

async fn document(server: &TestServer) -> Value {
    let (status, document) = server.get(None, "/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    document
}

/// Panics unless the document lists `status` among `method path`'s answers.
#[track_caller]
fn assert_documented(document: &Value, method: &str, path: &str, status: StatusCode) {
    let responses = &document["paths"][path][method]["responses"];
    assert!(
        !responses[status.as_str()].is_null(),
        "{method} {path} answers {status} but documents only {:?}",
        responses.as_object().map(|r| r.keys().collect::<Vec<_>>())
    );
}

async fn raw(
    server: &TestServer,
    method: reqwest::Method,
    token: &str,
    path: &str,
    body: &str,
) -> (StatusCode, Value) {
    let response = server
        .http
        .request(method, server.url(path))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A POST to no endpoint, or to an id past the integer range, answered 405 (the web client's
/// GET-only route refused the method) with no `Allow` header: it is 404.
#[tokio::test]
async fn a_path_no_route_takes_is_not_found_whatever_the_method() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    for (method, path) in [
        (reqwest::Method::POST, "/api/nope"),
        (reqwest::Method::DELETE, "/api/messages/9223372036854775808"),
        (reqwest::Method::POST, "/api/rooms/9223372036854775808/join"),
        (reqwest::Method::PUT, "/no/such/page"),
    ] {
        let (status, body) = raw(&server, method.clone(), &alice.token, path, "{}").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {body}");
        assert_eq!(body["error"]["code"], "not_found", "{method} {path}");
    }
}

/// `[null, null]` was read as a struct by position and accepted.
#[tokio::test]
async fn a_json_array_is_not_a_request_body() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let (status, body) = raw(
        &server,
        reqwest::Method::PUT,
        &alice.token,
        "/api/auth/profile",
        "[null, null]",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "invalid_json");
}

/// `24.0` is an integer to JSON Schema, so the document allowed it; the server refused it.
#[tokio::test]
async fn a_whole_number_written_with_a_fraction_is_that_integer() {
    let (server, boss) = server_with_admin().await;
    let (status, body) = server
        .post(
            Some(&boss.token),
            "/api/admin/invites",
            json!({"expires_in_hours": 24.0, "max_uses": 3.0}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["invite"]["max_uses"], 3);
    let (status, body) = server
        .post(Some(&boss.token), "/api/admin/invites", json!({"max_uses": 2.5}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "max_uses");
}

/// Unknown properties were ignored by most bodies and refused by a few: now every body refuses
/// them, naming the property, as the document's `additionalProperties: false` says.
#[tokio::test]
async fn an_unknown_property_is_refused_and_named() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let (status, body) = server
        .post(
            Some(&alice.token),
            "/api/rooms",
            json!({"name": "secret", "is_privat": true}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "unknown_field");
    assert_eq!(body["error"]["field"], "is_privat");
    let (status, rooms) = server.get(Some(&alice.token), "/api/rooms").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!rooms.to_string().contains("secret"), "nothing was created");

    // The same answer where a few bodies used to refuse them their own way.
    let room = server.create_room(&alice, "plans", false).await;
    let (status, body) = server
        .patch(
            Some(&alice.token),
            &format!("/api/rooms/{room}"),
            json!({"nmae": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "unknown_field");
    assert_eq!(body["error"]["field"], "nmae");

    let document = document(&server).await;
    let schema = &document["components"]["schemas"]["NewRoomBody"];
    assert_eq!(schema["additionalProperties"], false, "{schema}");
}

/// A field of the wrong type was reported without naming it.
#[tokio::test]
async fn a_field_of_the_wrong_type_is_named() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let (status, body) = server
        .post(Some(&alice.token), "/api/rooms", json!({"name": 3}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "name", "{body}");
    let (status, body) = server.post(Some(&alice.token), "/api/rooms", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "name", "{body}");
}

/// An administrator resetting their own password through the admin API was signed out of the
/// session they acted from; deactivating themselves (with another administrator about) locked
/// them out.
#[tokio::test]
async fn an_administrator_cannot_reset_or_deactivate_their_own_account() {
    let (server, boss) = server_with_admin().await;
    let alice = server.register("alice").await;
    let (status, body) = server
        .post(
            Some(&boss.token),
            &format!("/api/admin/users/{}/promote", alice.id),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for action in ["reset-password", "deactivate"] {
        let path = format!("/api/admin/users/{}/{action}", boss.id);
        let (status, body) = server.post(Some(&boss.token), &path, json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{action}: {body}");
        assert_eq!(body["error"]["code"], "own_account", "{action}");
    }
    let (status, _) = server.get(Some(&boss.token), "/api/admin/users").await;
    assert_eq!(status, StatusCode::OK, "still signed in, still an administrator");
}

/// Register and login answered 400 with no token, yet the document said they needed one.
#[tokio::test]
async fn signing_up_and_in_need_no_token_in_the_document() {
    let server = TestServer::start().await;
    let document = document(&server).await;
    for path in ["/api/auth/register", "/api/auth/login"] {
        assert_eq!(document["paths"][path]["post"]["security"], json!([{}]), "{path}");
    }
    let (status, body) = server
        .post(
            None,
            "/api/auth/login",
            json!({"username": "nobody", "password": "wrong-password"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_documented(&document, "post", "/api/auth/login", status);
}

/// Several operations shared an `operationId` (`list`, `create`, `get`, …), which links and
/// generated clients cannot tell apart.
#[tokio::test]
async fn every_operation_id_is_unique() {
    let server = TestServer::start().await;
    let document = document(&server).await;
    let mut seen = std::collections::HashMap::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap().to_owned();
            if let Some(other) = seen.insert(id.clone(), format!("{method} {path}")) {
                panic!("{id} names both {other} and {method} {path}");
            }
        }
    }
}

/// Taken names answered 409, which the create routes did not document.
#[tokio::test]
async fn a_taken_name_answers_a_documented_409() {
    let (server, boss) = server_with_admin().await;
    let document = document(&server).await;
    server.create_room(&boss, "plans", false).await;
    let (status, body) = server
        .post(Some(&boss.token), "/api/rooms", json!({"name": "plans"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_documented(&document, "post", "/api/rooms", status);
    let (status, body) = server
        .post(
            Some(&boss.token),
            "/api/admin/users",
            json!({"username": "admin"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_documented(&document, "post", "/api/admin/users", status);
    let (status, body) = server
        .post(
            None,
            "/api/auth/register",
            json!({"username": "boss", "password": "a-long-passphrase-1"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_documented(&document, "post", "/api/auth/register", status);
    let alice = server.register("alice").await;
    let room = server.create_room(&boss, "crew", false).await;
    let path = format!("/api/rooms/{room}/members");
    server
        .post(Some(&boss.token), &path, json!({"username": "alice"}))
        .await;
    let (status, body) = server
        .post(Some(&boss.token), &path, json!({"username": "alice"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_documented(&document, "post", "/api/rooms/{id}/members", status);
    let _ = alice;
}

/// Leaving, or marking read, a room one is not in answered an undocumented 409; removing
/// oneself an undocumented 400; opening a conversation with nobody real an undocumented 404.
#[tokio::test]
async fn membership_refusals_are_documented() {
    let server = TestServer::start().await;
    let document = document(&server).await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let room = server.create_room(&alice, "attic", false).await;
    let (status, body) = server
        .post(Some(&bob.token), &format!("/api/rooms/{room}/leave"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_documented(&document, "post", "/api/rooms/{id}/leave", status);
    let (status, body) = server
        .post(
            Some(&bob.token),
            &format!("/api/rooms/{room}/read"),
            json!({"message_id": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_documented(&document, "post", "/api/rooms/{id}/read", status);
    let (status, body) = server
        .delete(
            Some(&alice.token),
            &format!("/api/rooms/{room}/members/{}", alice.id),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_documented(&document, "delete", "/api/rooms/{id}/members/{user}", status);
    let (status, body) = server
        .post(Some(&alice.token), "/api/dms", json!({"user_ids": [999999]}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_documented(&document, "post", "/api/dms", status);
}

/// `limit=0` answered an undocumented 400; the document now gives the bounds and the 400.
#[tokio::test]
async fn query_bounds_are_documented() {
    let (server, boss) = server_with_admin().await;
    let document = document(&server).await;
    for (path, template, max) in [
        ("/api/users?limit=0", "/api/users", 50),
        ("/api/admin/audit?limit=0", "/api/admin/audit", 200),
    ] {
        let (status, body) = server.get(Some(&boss.token), path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_documented(&document, "get", template, status);
        let params = document["paths"][template]["get"]["parameters"]
            .as_array()
            .unwrap();
        let limit = params.iter().find(|p| p["name"] == "limit").unwrap();
        assert_eq!(limit["schema"]["minimum"], 1, "{template}");
        assert_eq!(limit["schema"]["maximum"], max, "{template}");
    }
}

/// Values the document allowed and the server refuses are now outside the documented schema:
/// `offline` as a chosen status, a room name of "", a 7-character password, 8 others in a
/// conversation, an upload limit of 0.
#[tokio::test]
async fn documented_field_bounds_match_the_server() {
    let server = TestServer::start().await;
    let document = document(&server).await;
    let schemas = &document["components"]["schemas"];
    let status = &schemas["StatusChoice"]["properties"]["status"];
    let chosen = &schemas[status["$ref"].as_str().unwrap().rsplit('/').next().unwrap()];
    assert!(
        !chosen["enum"].as_array().unwrap().contains(&json!("offline")),
        "{chosen}"
    );
    assert_eq!(schemas["NewRoomBody"]["properties"]["name"]["minLength"], 1);
    assert_eq!(schemas["RegisterBody"]["properties"]["password"]["minLength"], 8);
    assert_eq!(schemas["OpenBody"]["properties"]["user_ids"]["maxItems"], 7);
    assert_eq!(
        schemas["SettingsEdit"]["properties"]["max_upload_mb"]["minimum"],
        1
    );
}

/// The stateful phase had no links to follow, so it never chained a create with what comes
/// next; the document now links each create answer to the operations on what it created.
#[tokio::test]
async fn create_answers_link_to_the_next_operations() {
    let server = TestServer::start().await;
    let document = document(&server).await;
    let links = &document["paths"]["/api/rooms"]["post"]["responses"]["201"]["links"];
    assert_eq!(links["SendMessage"]["operationId"], "send", "{links}");
    assert_eq!(
        links["SendMessage"]["parameters"]["id"],
        "$response.body#/room/id"
    );
    let links = &document["paths"]["/api/rooms/{id}/messages"]["post"]["responses"]["201"]["links"];
    for (name, operation) in [("EditMessage", "edit"), ("DeleteMessage", "delete_message")] {
        assert_eq!(links[name]["operationId"], operation, "{links}");
    }
    // Every link names an operation that exists.
    let ids: Vec<&str> = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .map(|operation| operation["operationId"].as_str().unwrap())
        .collect();
    let mut count = 0;
    for item in document["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            for response in operation["responses"].as_object().unwrap().values() {
                for link in response["links"].as_object().into_iter().flat_map(|l| l.values()) {
                    count += 1;
                    let target = link["operationId"].as_str().unwrap();
                    assert!(ids.contains(&target), "a link to {target}, which does not exist");
                }
            }
        }
    }
    assert!(count >= 15, "only {count} links");
}

/// With registration closed by an administrator, signing up answered a 403 whose code the
/// document did not give (it listed only `password_change_required`, a signed-in refusal, and
/// once register was marked public, no 403 at all).
#[tokio::test]
async fn closed_registration_answers_a_documented_403() {
    let (server, boss) = server_with_admin().await;
    let document = document(&server).await;
    let (status, body) = server
        .put(
            Some(&boss.token),
            "/api/admin/settings",
            json!({"registration": "closed"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = server
        .post(
            None,
            "/api/auth/register",
            json!({"username": "carol", "password": "a-long-passphrase-1"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "registration_closed");
    assert_documented(&document, "post", "/api/auth/register", status);
    let description = &document["paths"]["/api/auth/register"]["post"]["responses"]["403"]["description"];
    assert!(
        description.as_str().unwrap().contains("`registration_closed`"),
        "{description}"
    );
}
