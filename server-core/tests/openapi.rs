//! The OpenAPI document: served without sign-in, the same as the committed
//! `docs/openapi.json`, and describing routes that exist, each with its answers.

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::TestServer;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");

async fn served(server: &TestServer) -> (String, Value) {
    let response = reqwest::get(server.url("/api/openapi.json")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    let text = response.text().await.unwrap();
    let document = serde_json::from_str(&text).unwrap();
    (text, document)
}

#[tokio::test]
async fn the_served_document_is_the_committed_one() {
    let server = TestServer::start().await;
    let (text, document) = served(&server).await;
    assert!(
        document["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        document["openapi"]
    );
    assert_eq!(document["info"]["version"], server_core::VERSION);
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        text == committed,
        "docs/openapi.json differs from what the server serves; regenerate it with\n  \
         cargo run -p server-core --bin confab-server -- openapi > docs/openapi.json"
    );
    assert_eq!(
        server.server().openapi(),
        text,
        "the openapi command prints what is served"
    );
}

/// Every operation the document lists answers with a status it documents, and none answers
/// "no such endpoint" or "wrong method": the document describes the router, not a wish.
#[tokio::test]
async fn every_documented_operation_exists_and_answers_a_documented_status() {
    let server = TestServer::start().await;
    let (_, document) = served(&server).await;
    let alice = server.register("alice").await;
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.len() >= 50, "only {} paths", paths.len());
    let client = reqwest::Client::new();
    let mut wrong = Vec::new();
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<reqwest::Method>() else {
                continue;
            };
            // Ids that exist nowhere: every route must still be found, then refuse or answer.
            let concrete = path
                .split('/')
                .map(|s| if s.starts_with('{') { "999999" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            // Logging out would end the session the rest of the loop uses.
            if concrete == "/api/auth/logout" || concrete.starts_with("/api/admin/backup") {
                continue;
            }
            let mut request = client
                .request(method.clone(), server.url(&concrete))
                .bearer_auth(&alice.token);
            if operation.get("requestBody").is_some() {
                request = request.json(&serde_json::json!({}));
            }
            let response = request.send().await.unwrap();
            let status = response.status();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}: {body}");
            assert_ne!(
                body["error"]["message"], "endpoint not found",
                "{method} {path} is documented but not routed"
            );
            if operation["responses"][status.as_str()].is_null() {
                wrong.push(format!(
                    "{method} {path} answered {status}, which it does not document: {body}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Routes are declared through the `endpoint!` macro, which records them in the document; a
/// `warp::path!` route would bypass it.
#[test]
fn no_route_bypasses_the_document() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/http");
    let mut bypassing = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(dir)];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if std::fs::read_to_string(&path).unwrap().contains("warp::path!(") {
                bypassing.push(path);
            }
        }
    }
    assert!(
        bypassing.is_empty(),
        "routes declared with warp::path! in {bypassing:?}"
    );
}

#[tokio::test]
async fn every_operation_documents_how_it_succeeds() {
    let server = TestServer::start().await;
    let (_, document) = served(&server).await;
    let mut silent = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            if !responses.keys().any(|status| status.starts_with('2')) {
                silent.push(format!("{method} {path}"));
            }
        }
    }
    assert!(silent.is_empty(), "no success documented for {silent:?}");
}

/// Found by schemathesis: a method the path does not have answers 405 naming the ones it has
/// (RFC 9110), while a bad query on the right method keeps its own 400.
#[tokio::test]
async fn a_wrong_method_answers_405_with_the_allowed_ones() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let response = server
        .http
        .put(server.url("/api/rooms/1"))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let allow = response.headers()["allow"].to_str().unwrap().to_owned();
    for method in ["GET", "PATCH", "DELETE"] {
        assert!(allow.contains(method), "Allow: {allow}");
    }
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");

    let (status, body) = server.get(Some(&alice.token), "/api/mentions?limit=many").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "invalid_query");
    let (status, _) = server.get(Some(&alice.token), "/api/rooms/abc").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
