//! Request bodies: the size limit, and JSON bodies read as the handler's type under the rules
//! the OpenAPI document states — an object, no properties the type does not have, each bad
//! field named in the error.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use warp::{Filter, Rejection};

use super::MAX_BODY;
use crate::error::{Error, Result};

/// The request body parsed as JSON `T`, or the error explaining why it is not (413 when over
/// [`MAX_BODY`], whether or not the client sent a Content-Length).
pub fn json_body<T: DeserializeOwned + ToSchema + Send + 'static>()
-> impl Filter<Extract = (Result<T>,), Error = Rejection> + Clone {
    let fields: Arc<Option<Vec<String>>> = Arc::new(properties::<T>());
    warp::header::optional::<u64>("content-length")
        .and(warp::body::stream())
        .then(move |length: Option<u64>, body| {
            let fields = fields.clone();
            async move {
                let bytes = read_limited(length, body).await?;
                parse_json(&bytes, fields.as_deref())
            }
        })
}

/// The property names `T`'s schema declares, when it is a plain object (the document then
/// says `additionalProperties: false`, see `docs::closed_request_bodies`).
fn properties<T: ToSchema>() -> Option<Vec<String>> {
    match T::schema() {
        RefOr::T(Schema::Object(object)) => Some(object.properties.keys().cloned().collect()),
        _ => None,
    }
}

async fn read_limited<S, B>(length: Option<u64>, body: S) -> Result<Bytes>
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: bytes::Buf,
{
    if length.is_some_and(|l| l > MAX_BODY as u64) {
        return Err(Error::PayloadTooLarge { limit: MAX_BODY });
    }
    let mut body = std::pin::pin!(body);
    let mut buffer = BytesMut::new();
    while let Some(chunk) = body.next().await {
        let mut chunk =
            chunk.map_err(|e| Error::bad_request("invalid_body", format!("reading the body failed: {e}")))?;
        if buffer.len() + chunk.remaining() > MAX_BODY {
            return Err(Error::PayloadTooLarge { limit: MAX_BODY });
        }
        while chunk.has_remaining() {
            let part = chunk.chunk();
            buffer.extend_from_slice(part);
            let n = part.len();
            chunk.advance(n);
        }
    }
    Ok(buffer.freeze())
}

/// `bytes` as `T`. The body must be a JSON object: serde would otherwise read a struct from an
/// array by position (`[null, null]`), which no client means. A property outside `fields` is
/// refused, so a misspelt one is reported instead of silently doing nothing. A whole number
/// written with a fraction (`24.0`) is that integer, as JSON Schema's `integer` says.
fn parse_json<T: DeserializeOwned>(bytes: &[u8], fields: Option<&[String]>) -> Result<T> {
    let not_an_object = || Error::bad_request("invalid_json", "the request body must be a JSON object");
    let mut value: Value = serde_json::from_slice(bytes).map_err(|_| not_an_object())?;
    let Value::Object(object) = &mut value else {
        return Err(not_an_object());
    };
    // Checked after the known fields, so a missing or mistyped one is reported first.
    let unknown = fields.and_then(|fields| {
        let unknown = object.keys().find(|key| !fields.contains(key))?;
        Some(Error::invalid_field(
            "unknown_field",
            unknown.clone(),
            format!(
                "unknown field `{unknown}`; expected one of: {}",
                fields.join(", ")
            ),
        ))
    });
    whole_numbers(object);
    let parsed = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let text = e.into_inner().to_string();
        let message = text.split(" at line ").next().unwrap_or(&text).to_owned();
        // A missing field is reported on the object itself; its name is in the message.
        let field = if path == "." {
            message.split('`').nth(1).map(str::to_owned)
        } else {
            Some(path)
        };
        match field {
            Some(field) => Error::invalid_field("invalid_request", field, message),
            None => Error::bad_request("invalid_request", message),
        }
    })?;
    match unknown {
        Some(error) => Err(error),
        None => Ok(parsed),
    }
}

/// Rewrites numbers like `24.0` as the integers they are, everywhere in `object`.
fn whole_numbers(object: &mut Map<String, Value>) {
    fn visit(value: &mut Value) {
        match value {
            Value::Number(n) => {
                // Only where the integer is exact in an f64: beyond 2^53 the fraction is gone.
                if let Some(f) = n.as_f64().filter(|_| n.is_f64())
                    && f.fract() == 0.0
                    && f.abs() <= 9_007_199_254_740_992.0
                {
                    *n = Number::from(f as i64);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(visit),
            Value::Object(object) => object.values_mut().for_each(visit),
            _ => {}
        }
    }
    object.values_mut().for_each(visit);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Invite {
        max_uses: Option<u32>,
        note: Option<String>,
    }

    fn fields() -> Vec<String> {
        vec!["max_uses".into(), "note".into()]
    }

    fn parse(text: &str) -> Result<Invite> {
        parse_json(text.as_bytes(), Some(&fields()))
    }

    fn field(error: Error) -> (String, Option<String>) {
        let body = error.body();
        (body.code.to_owned(), body.field.map(|f| f.into_owned()))
    }

    #[test]
    fn only_an_object_is_a_body() {
        for text in ["[null, null]", "null", "3", "\"x\"", "", "{"] {
            let (code, _) = field(parse(text).unwrap_err());
            assert_eq!(code, "invalid_json", "{text}");
        }
        assert_eq!(
            parse("{}").unwrap(),
            Invite {
                max_uses: None,
                note: None
            }
        );
    }

    #[test]
    fn an_unknown_property_is_named() {
        let (code, name) = field(parse(r#"{"max_use": 3}"#).unwrap_err());
        assert_eq!(
            (code.as_str(), name.as_deref()),
            ("unknown_field", Some("max_use"))
        );
        // A known field's own error comes first.
        let (code, name) = field(parse(r#"{"max_use": 3, "note": 3}"#).unwrap_err());
        assert_eq!(
            (code.as_str(), name.as_deref()),
            ("invalid_request", Some("note"))
        );
        // Types whose schema is not a plain object are not checked this way.
        let any: Invite = parse_json(br#"{"max_use": 3}"#, None).unwrap();
        assert_eq!(any.max_uses, None);
    }

    #[test]
    fn a_mistyped_field_is_named() {
        let (code, name) = field(parse(r#"{"note": 3}"#).unwrap_err());
        assert_eq!(
            (code.as_str(), name.as_deref()),
            ("invalid_request", Some("note"))
        );
        let (_, name) = field(parse(r#"{"max_uses": -1}"#).unwrap_err());
        assert_eq!(name.as_deref(), Some("max_uses"));
        let (_, name) = field(parse(r#"{"max_uses": 1.5}"#).unwrap_err());
        assert_eq!(name.as_deref(), Some("max_uses"));
    }

    #[test]
    fn a_whole_number_with_a_fraction_is_an_integer() {
        assert_eq!(parse(r#"{"max_uses": 24.0}"#).unwrap().max_uses, Some(24));
        assert_eq!(parse(r#"{"max_uses": 24}"#).unwrap().max_uses, Some(24));
    }

    #[test]
    fn a_missing_field_is_named() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Login {
            username: String,
        }
        let error = parse_json::<Login>(b"{}", None).unwrap_err();
        let (_, name) = field(error);
        assert_eq!(name.as_deref(), Some("username"));
    }
}
