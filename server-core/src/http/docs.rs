//! The API's own description: `GET /api/openapi.json`, the OpenAPI 3.1 document assembled from
//! the routes exactly as the router declares them, with the answers every route shares, and
//! `GET /api/asyncapi.json`, the WebSocket protocol's AsyncAPI document.

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use utoipa::openapi::path::{Operation, Paths};
use utoipa::openapi::schema::{AdditionalProperties, Schema};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    Components, ContentBuilder, InfoBuilder, LicenseBuilder, OpenApi, OpenApiBuilder, Ref, RefOr,
    ResponseBuilder, Tag,
};
use utoipa::{PartialSchema, ToSchema};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::api::{Api, endpoint};
use crate::error::{ErrorBody, ErrorResponse};

/// Declares the document's own route; the returned function finishes it once every other
/// route has been declared, so the document covers them all.
pub fn routes(api: &mut Api) -> impl FnOnce(Api) -> (BoxedFilter<(Response,)>, String) + use<> {
    let route = endpoint!(api, __path_openapi);
    let asyncapi_route = endpoint!(api, __path_asyncapi);
    let asyncapi_body = Bytes::from(crate::ws::asyncapi::document());
    let page_route = endpoint!(api, __path_page).and(warp::header::optional::<String>("if-none-match"));
    move |api| {
        let mut text = document(api).to_pretty_json().expect("the document serialises");
        text.push('\n');
        let body = Bytes::from(text.clone());
        let routes = route
            .map(move || openapi(body.clone()))
            .or(asyncapi_route.map(move || asyncapi(asyncapi_body.clone())))
            .unify()
            .or(page_route.map(page))
            .unify()
            .boxed();
        (routes, text)
    }
}

/// This document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "meta", security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document of this server's REST API.", content_type = "application/json")))]
fn openapi(body: Bytes) -> Response {
    json(body)
}

/// The AsyncAPI 3.0 document of the WebSocket protocol at `/ws`.
#[utoipa::path(get, path = "/api/asyncapi.json", tag = "meta", security(()),
    responses((status = 200, description = "The AsyncAPI 3.0 document of this server's WebSocket protocol: every event both ways with its JSON Schema.", content_type = "application/json")))]
fn asyncapi(body: Bytes) -> Response {
    json(body)
}

/// The API reference: this document rendered for people, by a renderer embedded in the server
/// (it works offline; nothing is fetched from another site).
#[utoipa::path(get, path = "/api/docs", operation_id = "api_docs", tag = "meta", security(()),
    responses((status = 200, description = "An HTML page rendering `/api/openapi.json`.", content_type = "text/html"),
        (status = 304, description = "Unchanged since the `ETag` given in `If-None-Match`.")))]
fn page(if_none_match: Option<String>) -> Response {
    super::assets::api_docs(if_none_match.as_deref())
}

fn json(body: Bytes) -> Response {
    let mut response = Response::new(body.into());
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    *response.status_mut() = StatusCode::OK;
    response
}

/// The whole document: the declared paths and their schemas, the bearer scheme, and the
/// errors any route may answer added to each operation.
pub fn document(api: Api) -> OpenApi {
    let (mut paths, mut components) = api.into_parts();
    components
        .schemas
        .insert(ErrorResponse::name().into_owned(), ErrorResponse::schema());
    components
        .schemas
        .insert(ErrorBody::name().into_owned(), ErrorBody::schema());
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("A session token from `POST /api/auth/login` or `register`."))
                .build(),
        ),
    );
    closed_request_bodies(&paths, &mut components);
    link_field_names(&mut paths);
    for item in paths.paths.values_mut() {
        for operation in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            shared_answers(operation);
        }
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Confab")
                .version(crate::VERSION)
                .description(Some(DESCRIPTION))
                .license(Some(LicenseBuilder::new().name("MIT").build())),
        )
        .paths(paths)
        .components(Some(components))
        .security(Some([SecurityRequirement::new("bearer", Vec::<String>::new())]))
        .tags(Some(TAGS.iter().map(|(name, about)| {
            let mut tag = Tag::new(*name);
            tag.description = Some((*about).to_owned());
            tag
        })))
        .build()
}

const DESCRIPTION: &str = "The REST API of a Confab server. Real-time events travel over the \
WebSocket at `/ws`, described in `/api/asyncapi.json`. Every error answers \
`{\"error\": {\"code\", \"message\", \"field\"?, \"retry_after\"?}}`; each route lists its codes.";

const TAGS: &[(&str, &str)] = &[
    ("meta", "The server itself: health, limits, this document."),
    ("auth", "Accounts and sessions: register, sign in, my profile."),
    ("rooms", "Rooms, their members and read markers."),
    ("messages", "History, sending, editing and deleting messages."),
    ("threads", "Threads and following them."),
    ("reactions", "Emoji reactions."),
    ("pins", "Pinned messages."),
    ("dms", "Direct conversations."),
    ("users", "People on the server."),
    ("files", "Uploads, downloads and avatars."),
    ("search", "Full-text search."),
    ("admin", "Server administration (server administrators only)."),
];

/// utoipa 5.5 writes a Link Object's `operationId` in snake case (`operation_id`), which no
/// OpenAPI tool reads (schemathesis refuses the document): it moves to the field's proper name,
/// through the extensions utoipa writes verbatim.
fn link_field_names(paths: &mut Paths) {
    let responses = paths
        .paths
        .values_mut()
        .flat_map(|item| {
            [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
        })
        .flatten()
        .flat_map(|operation| operation.responses.responses.values_mut());
    for response in responses {
        let RefOr::T(response) = response else {
            continue;
        };
        for link in response.links.values_mut() {
            if let RefOr::T(link) = link
                && !link.operation_id.is_empty()
            {
                let id = std::mem::take(&mut link.operation_id);
                link.extensions
                    .get_or_insert_with(Default::default)
                    .insert("operationId".to_owned(), id.into());
            }
        }
    }
}

/// Marks every JSON request body's schema `additionalProperties: false`: `json_body` refuses a
/// property its type does not have (`unknown_field`), so a misspelt one is an error rather
/// than silently ignored.
fn closed_request_bodies(paths: &Paths, components: &mut Components) {
    let operations = paths.paths.values().flat_map(|item| {
        [&item.get, &item.post, &item.put, &item.patch, &item.delete]
            .into_iter()
            .flatten()
    });
    for operation in operations {
        let Some(json) = operation
            .request_body
            .as_ref()
            .and_then(|body| body.content.get("application/json"))
        else {
            continue;
        };
        let Some(RefOr::Ref(reference)) = &json.schema else {
            continue;
        };
        let name = reference.ref_location.trim_start_matches("#/components/schemas/");
        if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(name) {
            object.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
        }
    }
}

/// Adds the answers that do not depend on the route: a missing or bad token, a temporary
/// password not yet replaced, a body too large or not JSON, limits, a server shutting down.
fn shared_answers(operation: &mut Operation) {
    // Public, or open to both (`/api/auth/check` answers either way): never 401.
    let public = operation
        .security
        .as_ref()
        .is_some_and(|s| s.iter().any(|r| *r == SecurityRequirement::default()));
    let admin = operation
        .tags
        .as_ref()
        .is_some_and(|tags| tags.iter().any(|t| t == "admin"));
    // A route that documents its own 403 (claiming the role) is open to everyone signed in.
    if admin && !operation.responses.responses.contains_key("403") {
        add(
            operation,
            403,
            "`not_server_admin`: only server administrators may.",
        );
    }
    if !public {
        add(
            operation,
            401,
            "`unauthorized`: no token, or an expired or revoked one.",
        );
        add(
            operation,
            403,
            "`password_change_required`: a temporary password must be replaced first.",
        );
    }
    if operation.request_body.is_some() {
        add(
            operation,
            400,
            "`invalid_body`, `invalid_json`, `invalid_request`, `unknown_field`: the body is not the JSON object described (`field` names the property at fault).",
        );
        add(operation, 413, "`payload_too_large`: the body is over the limit.");
    }
    add(
        operation,
        429,
        "`rate_limited`: too many requests; `retry_after` says when to try again.",
    );
    add(
        operation,
        503,
        "`shutting_down`, `server_busy`: try again shortly.",
    );
}

/// Adds an error answer with `status`, or appends `codes` to the one the route already lists.
fn add(operation: &mut Operation, status: u16, codes: &str) {
    let key = status.to_string();
    match operation.responses.responses.get_mut(&key) {
        Some(RefOr::T(response)) => {
            if !response.description.contains(codes) {
                response.description = format!("{} {codes}", response.description);
            }
        }
        Some(RefOr::Ref(_)) => {}
        None => {
            let response = ResponseBuilder::new()
                .description(codes)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name(ErrorResponse::name())))
                        .build(),
                )
                .build();
            operation.responses.responses.insert(key, RefOr::T(response));
        }
    }
}
