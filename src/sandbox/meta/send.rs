//! `POST /{version}/{phone-number-id}/messages`, in Meta's order: version and token
//! (190; 100/33 when the token does not own the number) → body validation (100) → read
//! receipts answer `{"success": true}` → an injected [`Fault`] → template lookup
//! (132001/132015/132016/132000/132012) or the 24 h window for anything else (131047) →
//! per-number throughput (130429) → the recipient's pair bucket (131056) → accepted: a
//! new `wamid`, recorded, and the status webhooks scheduled. A handler module: imports
//! `faults`, `guard`, `model`, `state`, `validate` and `webhooks`; never another handler
//! module nor the router.

use super::faults::{ApiError, Fault};
use super::guard::{authorize, check_version, Auth};
use super::model::SentMessage;
use super::state::Shared;
use super::validate::{self, Request};
use super::webhooks::{self, StatusPlan};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

/// The handler.
pub(crate) async fn messages(
    State(sh): State<Arc<Shared>>,
    Path((version, pnid)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match handle(&sh, &version, &pnid, &q, &headers, &body).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn handle(
    sh: &Arc<Shared>,
    version: &str,
    pnid: &str,
    q: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Value, ApiError> {
    // Counted under the engine client's operation names.
    let receipt = serde_json::from_slice::<Value>(body)
        .ok()
        .is_some_and(|v| v.get("status").is_some());
    sh.lock()
        .count(if receipt { "mark_read" } else { "send_message" });
    check_version(sh, version)?;
    let rec = match authorize(sh, headers, q)? {
        Auth::Token(rec) if rec.phone_number_ids.iter().any(|p| p == pnid) => rec,
        _ => return Err(ApiError::no_object("post", pnid)),
    };
    let body: Value = serde_json::from_slice(body)
        .map_err(|_| ApiError::invalid("The request body must be JSON."))?;
    let out = match validate::parse(&body)? {
        Request::Read { message_id } => {
            let mut st = sh.lock();
            if st.inbound.get(&message_id).map(String::as_str) != Some(pnid) {
                return Err(ApiError::invalid("Invalid value for parameter message_id."));
            }
            st.marked_read.push(message_id);
            return Ok(json!({ "success": true }));
        }
        Request::Message(out) => out,
    };
    let fault = sh.lock().take_fault();
    let mut failure = None;
    if let Some(f) = fault {
        if let Some(e) = f.error() {
            return Err(e);
        }
        match f {
            Fault::Timeout if !sh.sleep(sh.cfg.timeout_fault_delay).await => {
                return Err(ApiError::unavailable());
            }
            Fault::FailedStatus(code) => failure = Some(code),
            _ => {}
        }
    }
    let now = Instant::now();
    let (plan, template) = {
        let mut st = sh.lock();
        let display = st
            .numbers
            .get(pnid)
            .map(|n| n.display.clone())
            .unwrap_or_default();
        if out.wa_id == display {
            return Err(ApiError::code(131021));
        }
        let open = st.window_open(pnid, &out.wa_id);
        let (category, free) = match &out.template {
            Some(t) => {
                let cat =
                    st.templates
                        .for_send(&rec.waba_id, &t.name, &t.language, &t.components)?;
                let free = open && cat == "utility";
                (cat, free)
            }
            None if open => ("service".to_owned(), true),
            None => return Err(ApiError::code(131047)),
        };
        if !st.throughput_ok(pnid, sh.cfg.messages_per_second, now) {
            return Err(ApiError::code(130429));
        }
        let key = (pnid.to_owned(), out.wa_id.clone());
        if !st.pair_ok(&key, &sh.cfg, now) {
            return Err(ApiError::code(131056));
        }
        st.consume(pnid, &key, now);
        let wamid = st.next_wamid(&out.wa_id);
        st.sent.push(SentMessage {
            wamid: wamid.clone(),
            phone_number_id: pnid.to_owned(),
            to: out.wa_id.clone(),
            body: body.clone(),
            at: SystemTime::now(),
        });
        let plan = StatusPlan {
            waba_id: rec.waba_id.clone(),
            phone_number_id: pnid.to_owned(),
            display,
            wamid,
            recipient: out.wa_id.clone(),
            category,
            free,
            failure,
        };
        (plan, out.template.is_some())
    };
    let mut message = json!({ "id": plan.wamid });
    if template {
        message["message_status"] = "accepted".into();
    }
    let answer = json!({
        "messaging_product": "whatsapp",
        "contacts": [{ "input": out.input, "wa_id": out.wa_id }],
        "messages": [message],
    });
    webhooks::spawn_statuses(sh.clone(), plan);
    Ok(answer)
}
