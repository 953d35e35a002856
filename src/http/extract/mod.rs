//! The request extractors every handler uses for what the caller sends: [`ApiJson`] for
//! bodies, [`ApiQuery`] for query strings, [`path_id`] for numeric ids in paths. Each
//! rejection is the JSON [`ApiError`] with its real status: 400 naming the problem, 413
//! with the configured body limit, 415 for a body that is not declared JSON. axum's own
//! `Json` and `Query` answer `text/plain` and accept arrays for structs, so handlers do
//! not use them for input.

pub mod strict;

use super::error::ApiError;
use super::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A JSON object body read into `T`. The body must be declared `application/json` (or
/// `+json`), fit the body limit, parse, be an object, and match `T` with every nested
/// struct an object too (see [`strict`]).
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

fn declared_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = ct.split(';').next().unwrap_or_default().trim();
    let essence = essence.to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        if !declared_json(req.headers()) {
            return Err(ApiError::UnsupportedMediaType(
                "send the body as JSON with `Content-Type: application/json`".into(),
            ));
        }
        let limit = state.max_body_bytes;
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge(limit)
            } else {
                ApiError::bad_request("unreadable_body", r.body_text())
            }
        })?;
        Ok(ApiJson(parse_object(&bytes)?))
    }
}

/// Parses a JSON body that must be an object into `T`, strictly.
///
/// # Errors
/// 400 `invalid_json` (not JSON), `invalid_body` (not an object, or not a `T`).
pub fn parse_object<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_request("invalid_json", format!("the body is not valid JSON: {e}"))
    })?;
    if !value.is_object() {
        return Err(ApiError::bad_request(
            "invalid_body",
            "the body must be a JSON object",
        ));
    }
    serde_path_to_error::deserialize(strict::Strict(&value)).map_err(|e| {
        let path = e.path().to_string();
        let message = if path == "." {
            format!("invalid body: {}", e.inner())
        } else {
            format!("invalid body at `{path}`: {}", e.inner())
        };
        ApiError::bad_request("invalid_body", message)
    })
}

/// A query string read into `T`; a rejection is a JSON 400 `invalid_query` naming the
/// parameter.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(t)| ApiQuery(t))
            .map_err(|r| ApiError::bad_request("invalid_query", r.body_text()))
    }
}

/// An id in a path: plain ASCII digits (no sign, no spaces), at most 20 of them, and a
/// `u64`. `str::parse::<u64>` alone would take `+1`.
///
/// # Errors
/// 400 `invalid_id` naming `what` the id should be.
pub fn path_id(raw: &str, what: &str) -> Result<u64, ApiError> {
    let digits = !raw.is_empty() && raw.len() <= 20 && raw.bytes().all(|b| b.is_ascii_digit());
    digits
        .then(|| raw.parse::<u64>().ok())
        .flatten()
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_id",
                format!("`{raw}` is not a {what} (plain digits, an unsigned 64-bit integer)"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_ids_are_plain_digits() {
        assert_eq!(path_id("42", "thread id").ok(), Some(42));
        assert_eq!(path_id("0", "thread id").ok(), Some(0));
        for bad in [
            "",
            "+1",
            "-1",
            " 1",
            "1 ",
            "1e3",
            "18446744073709551616",
            "0x1",
        ] {
            assert!(path_id(bad, "thread id").is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn bodies_must_be_objects() {
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct B {
            a: Option<u8>,
        }
        assert!(parse_object::<B>(br#"{"a":1}"#).is_ok());
        assert!(parse_object::<B>(b"[1]").is_err());
        assert!(parse_object::<B>(b"null").is_err());
        assert!(parse_object::<B>(b"{").is_err());
    }
}
