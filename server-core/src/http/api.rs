//! The REST API's routes and its OpenAPI document from one declaration: each endpoint's method
//! and path are read from its handler's `#[utoipa::path]`, and [`Api`] collects exactly the
//! endpoints the router serves, so the document cannot miss a route nor describe one that
//! does not exist.

use std::str::FromStr;
use std::sync::Arc;

use utoipa::openapi::path::{HttpMethod, Paths};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::{Components, RefOr};
use warp::filters::BoxedFilter;
use warp::path::FullPath;
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use crate::error::Error;

/// The endpoints declared so far, with the schemas their operations refer to.
#[derive(Default)]
pub struct Api {
    paths: Paths,
    schemas: Vec<(String, RefOr<Schema>)>,
    /// Each endpoint's path template and method, for [`Api::fallback`].
    routes: Vec<Route>,
    operation_ids: Vec<String>,
}

impl Api {
    /// Records endpoint `P` and returns the filter matching its path, extracting the path's
    /// `{parameters}` as raw (still percent-encoded) segments; [`method`] matches its method.
    pub fn endpoint<P>(&mut self) -> impl Filter<Extract = (Segments,), Error = Rejection> + Clone + use<P>
    where
        P: utoipa::Path + utoipa::__dev::SchemaReferences,
    {
        let path = P::path();
        let methods = P::methods();
        // Only one method per handler: a handler serving two would be two endpoints.
        assert_eq!(methods.len(), 1, "{path}: one method per handler");
        let method = method_name(&methods[0]);
        let operation = P::operation();
        // Links and generated clients name operations by id; two of one name would be ambiguous
        // (the handler's name is the default, so give one an explicit `operation_id`).
        let id = operation.operation_id.clone().unwrap_or_default();
        assert!(
            !self.operation_ids.contains(&id),
            "{path}: operation id {id} is taken"
        );
        self.operation_ids.push(id);
        self.paths.add_path_operation(&path, methods, operation);
        // The generated code's own way of listing the schemas an operation refers to; the
        // `OpenApi` derive uses the same, and it is only reachable through `__dev`.
        P::schemas(&mut self.schemas);
        let template: Arc<[Segment]> = path
            .trim_start_matches('/')
            .split('/')
            .map(|s| {
                if s.starts_with('{') && s.ends_with('}') {
                    Segment::Param
                } else {
                    Segment::Literal(s.to_owned())
                }
            })
            .collect();
        self.routes.push((template.clone(), method));
        warp::path::full().and_then(move |full: FullPath| {
            let found = matches(&template, full.as_str());
            async move { found.ok_or_else(warp::reject::not_found) }
        })
    }

    /// What answers a request no endpoint took, when its path is an endpoint's but its method
    /// is not: `405` with the `Allow` header (RFC 9110). Otherwise it passes, and the endpoint's
    /// own refusal stands (a bad query's 400, or 404 for `/api/rooms/abc` whatever other
    /// methods `/api/rooms/{id}` has).
    pub fn fallback(&self) -> BoxedFilter<(Response,)> {
        let routes: Arc<[Route]> = self.routes.clone().into();
        warp::path::full()
            .and(warp::method())
            .and_then(move |full: FullPath, method: http::Method| {
                let allowed: Vec<&str> = routes
                    .iter()
                    .filter(|(template, _)| matches(template, full.as_str()).is_some())
                    .map(|(_, m)| *m)
                    .collect();
                let answer = if allowed.is_empty() || allowed.contains(&method.as_str()) {
                    Err(warp::reject::not_found())
                } else {
                    let mut response = Error::MethodNotAllowed.into_response();
                    if let Ok(value) = http::HeaderValue::from_str(&allowed.join(", ")) {
                        response.headers_mut().insert(http::header::ALLOW, value);
                    }
                    Ok(response)
                };
                async move { answer }
            })
            .boxed()
    }

    /// The paths, with the schemas they use, for the document.
    pub fn into_parts(self) -> (Paths, Components) {
        let mut components = Components::new();
        for (name, schema) in self.schemas {
            // Two types of one name would share one entry, and one of them be described wrongly.
            if let Some(known) = components.schemas.get(&name) {
                let same = serde_json::to_value(known).ok() == serde_json::to_value(&schema).ok();
                assert!(same, "two different types are both named {name} in the document");
            }
            components.schemas.insert(name, schema);
        }
        (self.paths, components)
    }
}

/// A path template and one method it is served with.
type Route = (Arc<[Segment]>, &'static str);

#[derive(Debug)]
enum Segment {
    Literal(String),
    Param,
}

/// The raw text of a path's parameters, in order.
#[derive(Debug)]
pub struct Segments(Vec<String>);

impl Segments {
    /// The parameters as the handler's types, or "not found" when one does not parse (as
    /// warp's own `path!` answers for `/rooms/abc`).
    pub fn parse<T: FromSegments>(self) -> Result<T, Rejection> {
        T::from_segments(self.0).ok_or_else(warp::reject::not_found)
    }
}

fn matches(template: &[Segment], path: &str) -> Option<Segments> {
    let mut parts = path.trim_start_matches('/').split('/');
    let mut params = Vec::new();
    for segment in template {
        let part = parts.next()?;
        match segment {
            Segment::Literal(literal) if literal == part => {}
            Segment::Literal(_) => return None,
            Segment::Param if part.is_empty() => return None,
            Segment::Param => params.push(part.to_owned()),
        }
    }
    parts.next().is_none().then_some(Segments(params))
}

fn method_name(method: &HttpMethod) -> &'static str {
    match method {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
        HttpMethod::Put => "PUT",
        HttpMethod::Patch => "PATCH",
        HttpMethod::Delete => "DELETE",
        HttpMethod::Head => "HEAD",
        HttpMethod::Options => "OPTIONS",
        HttpMethod::Trace => "TRACE",
    }
}

/// The filter matching endpoint `P`'s method. It comes after the parameters are parsed, so
/// `/api/rooms/abc` answers 404 like any unknown path, not 405 for the other methods of
/// `/api/rooms/{id}`.
pub fn method<P: utoipa::Path>() -> BoxedFilter<()> {
    match &P::methods()[0] {
        HttpMethod::Get => warp::get().boxed(),
        HttpMethod::Post => warp::post().boxed(),
        HttpMethod::Put => warp::put().boxed(),
        HttpMethod::Patch => warp::patch().boxed(),
        HttpMethod::Delete => warp::delete().boxed(),
        HttpMethod::Head => warp::head().boxed(),
        HttpMethod::Options => warp::options().boxed(),
        HttpMethod::Trace => panic!("TRACE is never served"),
    }
}

/// Path parameters as a tuple of the handler's types.
pub trait FromSegments: Sized {
    fn from_segments(segments: Vec<String>) -> Option<Self>;
}

impl FromSegments for () {
    fn from_segments(segments: Vec<String>) -> Option<Self> {
        segments.is_empty().then_some(())
    }
}

macro_rules! from_segments {
    ($($name:ident),+) => {
        impl<$($name: FromStr),+> FromSegments for ($($name,)+) {
            fn from_segments(segments: Vec<String>) -> Option<Self> {
                let mut segments = segments.into_iter();
                let value = ($($name::from_str(&segments.next()?).ok()?,)+);
                segments.next().is_none().then_some(value)
            }
        }
    };
}
from_segments!(A);
from_segments!(A, B);
from_segments!(A, B, C);

/// The filter of the endpoint whose `#[utoipa::path]` generated `$path` (`__path_<handler>`),
/// recorded in `$api`, extracting the path's parameters as `$param`s.
macro_rules! endpoint {
    ($api:expr, $path:ty $(, $param:ty)*) => {
        $api.endpoint::<$path>()
            .and_then(|segments: $crate::http::api::Segments| async move {
                segments.parse::<($($param,)*)>()
            })
            .untuple_one()
            .and($crate::http::api::method::<$path>())
    };
}
pub(crate) use endpoint;

#[cfg(test)]
mod tests {
    use super::*;

    fn template(path: &str) -> Vec<Segment> {
        path.trim_start_matches('/')
            .split('/')
            .map(|s| {
                if s.starts_with('{') {
                    Segment::Param
                } else {
                    Segment::Literal(s.into())
                }
            })
            .collect()
    }

    #[test]
    fn a_path_matches_its_template_exactly() {
        let t = template("/api/messages/{id}/reactions/{emoji}");
        let found = matches(&t, "/api/messages/12/reactions/%F0%9F%91%8D").unwrap();
        assert_eq!(found.0, ["12", "%F0%9F%91%8D"]);
        assert!(matches(&t, "/api/messages/12/reactions").is_none());
        assert!(matches(&t, "/api/messages/12/reactions/x/y").is_none());
        assert!(matches(&t, "/api/messages//reactions/x").is_none());
        assert!(matches(&t, "/api/message/12/reactions/x").is_none());
    }

    #[test]
    fn parameters_parse_into_the_handlers_types() {
        let ok: (i64, String) = Segments(vec!["7".into(), "x".into()]).parse().unwrap();
        assert_eq!(ok, (7, "x".into()));
        assert!(
            Segments(vec!["seven".into(), "x".into()])
                .parse::<(i64, String)>()
                .is_err()
        );
        assert!(Segments(vec!["7".into()]).parse::<(i64, String)>().is_err());
        assert!(Segments(vec![]).parse::<()>().is_ok());
    }
}
