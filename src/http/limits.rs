//! Request-body limits, enforced by a middleware before any handler runs: a declared
//! `Content-Length` above `max_body_bytes` is refused with 413 before a byte of the body is
//! read (so hyper never sends `100 Continue`), the bytes of request bodies held at once are
//! bounded by a budget (503 with `Retry-After` when it is spent), and a whole body must
//! arrive within a deadline (408, connection closed). It owns those three rules only: it
//! never looks at what a body means, and handlers extract it exactly as before.
//!
//! Why not the ready-made pieces: axum's `DefaultBodyLimit` only caps the bytes an
//! extractor collects (the body is polled first, so `100 Continue` goes out and the
//! refusal comes late), tower-http's `RequestBodyTimeout` restarts its timer on every
//! frame (a body trickled a byte at a time never times out), and neither bounds memory
//! across requests. This middleware uses `http_body_util::Limited`, `tokio::time::timeout`
//! and a `tokio::sync::Semaphore` of bytes.

use super::error::ApiError;
use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The body rules of one server. Cheap to clone (the budget is shared).
#[derive(Clone, Debug)]
pub struct BodyLimits {
    /// Largest body accepted, in bytes.
    max_body_bytes: usize,
    /// Time a whole body has to arrive, from the end of the headers.
    deadline: Duration,
    /// One permit per byte of request body held at once, across all connections.
    budget: Arc<Semaphore>,
}

impl BodyLimits {
    /// Rules for bodies of at most `max_body_bytes`, at most `in_flight` bytes of them held
    /// at once (clamped to `u32::MAX`, the most one acquisition can ask for), each read
    /// within `deadline`.
    pub fn new(max_body_bytes: usize, in_flight: usize, deadline: Duration) -> Self {
        let in_flight = in_flight.min(u32::MAX as usize);
        Self {
            max_body_bytes,
            deadline,
            budget: Arc::new(Semaphore::new(in_flight)),
        }
    }
}

fn refused(reason: &'static str, error: ApiError) -> Response {
    metrics::counter!("galantis_http_bodies_refused_total", "reason" => reason).increment(1);
    let close = !matches!(error, ApiError::Unavailable(_));
    let mut resp = error.into_response();
    if close {
        // The body was not (fully) read: the connection cannot carry another request.
        resp.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    resp
}

/// The middleware (`axum::middleware::from_fn_with_state`): checks the declared length,
/// reserves the body's bytes in the budget, reads the body under the deadline, then hands
/// the request on with the body in memory; the reservation is released with the response.
pub async fn guard_body(State(limits): State<BodyLimits>, req: Request, next: Next) -> Response {
    let hint = req.body().size_hint();
    if hint.exact() == Some(0) {
        return next.run(req).await;
    }
    let max = limits.max_body_bytes;
    if hint.lower() > max as u64 {
        return refused("too_large", ApiError::TooLarge(max));
    }
    // A declared length is what the body will take; a chunked one may take the maximum.
    let reserve = hint.exact().map_or(max, |n| n as usize);
    let permit = u32::try_from(reserve)
        .ok()
        .and_then(|n| limits.budget.clone().try_acquire_many_owned(n).ok());
    let Some(permit) = permit else {
        return refused(
            "budget",
            ApiError::Unavailable(
                "too many request bodies are being received at once; retry shortly".into(),
            ),
        );
    };
    let (parts, body) = req.into_parts();
    let read = tokio::time::timeout(limits.deadline, Limited::new(body, max).collect()).await;
    let bytes = match read {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return refused("too_large", ApiError::TooLarge(max));
        }
        Ok(Err(e)) => {
            tracing::debug!(message = "Request body could not be read.", error = %e);
            return refused(
                "unreadable",
                ApiError::bad_request("invalid_body", "the request body could not be read"),
            );
        }
        Err(_) => {
            return refused(
                "timeout",
                ApiError::BodyTimeout(format!(
                    "the request body did not arrive within {} ms",
                    limits.deadline.as_millis()
                )),
            );
        }
    };
    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    drop(permit);
    resp
}
