//! The web client: the `ui/` folder, embedded into the binary at build time (read from disk in
//! debug builds, so UI edits show on reload), served at `/` with content types and ETags.

use http::{HeaderValue, StatusCode, header};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

#[derive(rust_embed::Embed)]
#[folder = "../ui/"]
#[exclude = "node_modules/*"]
#[exclude = "tests/*"]
#[exclude = "package*.json"]
struct Ui;

/// What the web client may load when served by Confab itself: only its own scripts and styles,
/// API and socket on this origin, and images from here (avatars and attachments arrive through
/// the API as `blob:`s). No other site is ever asked for an image, so none learns who is reading.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: blob:; connect-src 'self' ws: wss:; \
    object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// GET (or HEAD) /{path} — a file of the web client; `/` is `index.html`. Anything else (including
/// every `/api/` path) is left to the other routes and the rejection handler.
pub fn routes() -> BoxedFilter<(Response,)> {
    // Other methods are "not found" here, not "method not allowed": warp's `get()` would
    // reject every POST to an unknown path (`/api/nope`, or `/api/rooms/{id}` with an id out
    // of range) with a 405 that no route stands behind and no `Allow` header can name.
    warp::method()
        .and_then(|method: http::Method| async move {
            if method == http::Method::GET || method == http::Method::HEAD {
                Ok(())
            } else {
                Err(warp::reject::not_found())
            }
        })
        .untuple_one()
        .and(warp::path::full())
        .and(warp::header::optional::<String>("if-none-match"))
        .and_then(
            |path: warp::path::FullPath, if_none_match: Option<String>| async move {
                serve(path.as_str(), if_none_match.as_deref()).ok_or_else(warp::reject::not_found)
            },
        )
        .boxed()
}

/// The API reference page, `ui/api-docs.html`, for `GET /api/docs`.
pub fn api_docs(if_none_match: Option<&str>) -> Response {
    file("api-docs.html", if_none_match, DOCS_CSP).unwrap_or_else(|| {
        let mut response = Response::default();
        *response.status_mut() = StatusCode::NOT_FOUND;
        response
    })
}

/// The web client's policy, but RapiDoc's templates carry `style="…"` attributes, which only
/// `'unsafe-inline'` styles allow; scripts stay `'self'` only, so no injected script can run.
const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; \
    object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

fn serve(path: &str, if_none_match: Option<&str>) -> Option<Response> {
    let path = path.trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    if path.starts_with("api/")
        || path
            .split('/')
            .any(|segment| segment == ".." || segment.contains('\\'))
    {
        return None;
    }
    file(path, if_none_match, CSP)
}

fn file(path: &str, if_none_match: Option<&str>, csp: &'static str) -> Option<Response> {
    let file = Ui::get(path)?;
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..16]));
    let mut response = if if_none_match == Some(etag.as_str()) {
        let mut response = Response::default();
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        response
    } else {
        Response::new(file.data.into_owned().into())
    };
    let headers = response.headers_mut();
    let mime = file.metadata.mimetype();
    let content_type = if mime.starts_with("text/") || mime.ends_with("javascript") || mime.ends_with("json")
    {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_owned()
    };
    if let Ok(value) = HeaderValue::from_str(&content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    // Revalidate every time: an upgraded server must never leave browsers on an old client.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if path.ends_with(".html") {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
        headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    }
    Some(response)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
