//! `/_emulator/…`: a small unauthenticated HTTP API (the emulator listens on loopback) so
//! a person running `galantis sandbox` can chat as a customer and steer the emulator:
//!
//! - `POST /_emulator/customer-says` `{phone_number_id, from, text, name?}` → `{wamid}`
//! - `POST /_emulator/customer-sends` `{phone_number_id, from, message, name?}` → `{wamid}`
//! - `GET /_emulator/sent`, `/calls`, `/webhook-failures`, `/templates`
//! - `POST /_emulator/templates/{name}/{language}/approve|reject|pause` (`{reason?}`)
//! - `POST /_emulator/faults` `{fault, times?, code?}`; `DELETE /_emulator/faults`
//! - `POST /_emulator/webhook-url` `{url}`, `/revoke` `{token}`,
//!   `/health` `{node_id, state: AVAILABLE|LIMITED|BLOCKED, info?}`
//!
//! (`GET /_emulator/media/{id}`, the media download behind Meta-style URLs, is routed by
//! `server.rs` to `media.rs`.) A handler module: imports `faults`, `model`, `state`,
//! `webhooks` and `review`; never another handler module (`media`, `send`, `templates`)
//! nor the router.

use super::faults::Fault;
use super::model::{Change, Health};
use super::state::Shared;
use super::{review, webhooks};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

/// The control routes (nested under `/_emulator`).
pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/customer-says", post(customer_says))
        .route("/customer-sends", post(customer_sends))
        .route("/sent", get(|State(sh): State<Arc<Shared>>| async move { Json(json!(sh.lock().sent)) }))
        .route("/calls", get(|State(sh): State<Arc<Shared>>| async move { Json(json!(sh.lock().calls)) }))
        .route(
            "/webhook-failures",
            get(|State(sh): State<Arc<Shared>>| async move { Json(json!(sh.lock().failures)) }),
        )
        .route(
            "/templates",
            get(|State(sh): State<Arc<Shared>>| async move { Json(json!(sh.lock().templates.all())) }),
        )
        .route("/templates/{name}/{language}/{action}", post(template_action))
        .route("/faults", post(add_fault).delete(clear_faults))
        .route("/webhook-url", post(webhook_url))
        .route("/revoke", post(revoke))
        .route("/health", post(health))
}

fn bad(msg: impl std::fmt::Display) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": msg.to_string() })),
    )
        .into_response()
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("invalid JSON body: {e}"))
}

#[derive(Deserialize)]
struct Says {
    phone_number_id: String,
    from: String,
    text: Option<String>,
    message: Option<Value>,
    name: Option<String>,
}

async fn customer_says(State(sh): State<Arc<Shared>>, body: Bytes) -> Response {
    let says: Says = match parse(&body) {
        Ok(s) => s,
        Err(e) => return bad(e),
    };
    let Some(text) = says.text else {
        return bad("`text` is required");
    };
    let content = json!({ "type": "text", "text": { "body": text } });
    chat(&sh, says.phone_number_id, says.from, says.name, content).await
}

async fn customer_sends(State(sh): State<Arc<Shared>>, body: Bytes) -> Response {
    let says: Says = match parse(&body) {
        Ok(s) => s,
        Err(e) => return bad(e),
    };
    let Some(message) = says.message else {
        return bad("`message` is required ({\"type\": \"location\", \"location\": {…}} …)");
    };
    chat(&sh, says.phone_number_id, says.from, says.name, message).await
}

async fn chat(
    sh: &Shared,
    pnid: String,
    from: String,
    name: Option<String>,
    content: Value,
) -> Response {
    let failures = sh.lock().failures.len();
    match webhooks::customer_message(sh, &pnid, &from, name.as_deref(), content).await {
        Ok(wamid) => {
            let delivered = sh.lock().failures.len() == failures;
            Json(json!({ "wamid": wamid, "delivered": delivered })).into_response()
        }
        Err(e) => bad(e),
    }
}

#[derive(Deserialize, Default)]
struct Reason {
    reason: Option<String>,
}

async fn template_action(
    State(sh): State<Arc<Shared>>,
    Path((name, language, action)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let reason: Reason = if body.is_empty() {
        Reason::default()
    } else {
        match parse(&body) {
            Ok(r) => r,
            Err(e) => return bad(e),
        }
    };
    let change = match action.as_str() {
        "approve" => Change::Approve,
        "reject" => Change::Reject(reason.reason.unwrap_or_else(|| "INVALID_FORMAT".into())),
        "pause" => Change::Pause,
        _ => return bad("the action must be approve, reject or pause"),
    };
    match review::transition(&sh, &name, &language, change).await {
        Ok(()) => Json(json!({ "success": true })).into_response(),
        Err(e) => (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": e.to_string() })),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct FaultBody {
    fault: String,
    times: Option<u32>,
    code: Option<i64>,
}

async fn add_fault(State(sh): State<Arc<Shared>>, body: Bytes) -> Response {
    let f: FaultBody = match parse(&body) {
        Ok(f) => f,
        Err(e) => return bad(e),
    };
    let Some(fault) = Fault::parse(&f.fault, f.code) else {
        return bad(
            "fault must be rate_limited, pair_rate_limited, spam_rate_limited, server_error, \
             unavailable, token_expired, timeout, or final / failed_status with a code",
        );
    };
    let times = f.times.unwrap_or(1);
    let mut st = sh.lock();
    if times > 0 {
        st.faults.push_back((fault, times));
    }
    let queued: u32 = st.faults.iter().map(|(_, n)| n).sum();
    Json(json!({ "queued": queued })).into_response()
}

async fn clear_faults(State(sh): State<Arc<Shared>>) -> Response {
    sh.lock().faults.clear();
    Json(json!({ "queued": 0 })).into_response()
}

async fn webhook_url(State(sh): State<Arc<Shared>>, body: Bytes) -> Response {
    #[derive(Deserialize)]
    struct Url {
        url: Option<String>,
    }
    match parse::<Url>(&body) {
        Ok(u) => {
            sh.lock().webhook_url = u.url.clone();
            Json(json!({ "url": u.url })).into_response()
        }
        Err(e) => bad(e),
    }
}

async fn revoke(State(sh): State<Arc<Shared>>, body: Bytes) -> Response {
    #[derive(Deserialize)]
    struct Token {
        token: String,
    }
    match parse::<Token>(&body) {
        Ok(t) => {
            sh.lock().revoked.insert(t.token);
            Json(json!({ "success": true })).into_response()
        }
        Err(e) => bad(e),
    }
}

async fn health(State(sh): State<Arc<Shared>>, body: Bytes) -> Response {
    #[derive(Deserialize)]
    struct Set {
        node_id: String,
        state: String,
        info: Option<String>,
    }
    let s: Set = match parse(&body) {
        Ok(s) => s,
        Err(e) => return bad(e),
    };
    let info = s.info.unwrap_or_else(|| "Set by the Meta emulator.".into());
    let h = match s.state.to_ascii_uppercase().as_str() {
        "AVAILABLE" => Health::Available,
        "LIMITED" => Health::Limited(vec![info]),
        "BLOCKED" => Health::Blocked {
            error_code: 131031,
            description: info,
            solution: "Contact WhatsApp support.".into(),
        },
        _ => return bad("state must be AVAILABLE, LIMITED or BLOCKED"),
    };
    sh.lock().health.insert(s.node_id, h);
    Json(json!({ "success": true })).into_response()
}
