//! The message template handlers: `POST/GET/DELETE /{waba-id}/message_templates`
//! (create as PENDING, with auto-approval when configured; cursor-paged list with
//! `fields`/`name`/`status`/`category`/`language` filters; delete every language of a
//! name), seeding (`MetaEmulator::add_template`) and the Graph rendering of a template.
//! The store and send-time lookup are `template_store.rs`, the review decisions and their
//! webhooks `review.rs`. A handler module: imports `faults`, `guard`, `model`, `review`,
//! `state` and `template_rules`; never another handler module nor the router.

use super::faults::ApiError;
use super::guard::{authorize, check_version, Auth};
use super::model::{decode_cursor, encode_cursor, now_unix, Change, EmulatedTemplate};
use super::review;
use super::state::Shared;
use super::template_rules::check_definition;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// Template ids are large numbers like Meta's (`1689556908129832`).
const ID_BASE: u64 = 1_689_556_908_000_000;
/// Default and largest page sizes of the list.
const DEFAULT_LIMIT: usize = 25;
const MAX_LIMIT: usize = 1000;
/// Fields listed when the request names none.
const DEFAULT_FIELDS: &[&str] = &["name", "components", "language", "status", "category", "id"];

/// Validates and stores a template.
fn insert(
    sh: &Shared,
    waba_id: &str,
    body: &Value,
    status: &str,
) -> Result<EmulatedTemplate, ApiError> {
    let def = check_definition(body)?;
    let mut st = sh.lock();
    if st
        .templates
        .iter()
        .any(|t| t.waba_id == waba_id && t.name == def.name && t.language == def.language)
    {
        return Err(ApiError::invalid_sub(
            2388024,
            "Content in this language already exists.",
        ));
    }
    let t = EmulatedTemplate {
        id: st.next_id(ID_BASE),
        waba_id: waba_id.to_owned(),
        name: def.name,
        language: def.language,
        category: def.category,
        status: status.to_owned(),
        parameter_format: def.parameter_format,
        components: def.components,
        rejected_reason: "NONE".into(),
    };
    st.templates.push(t.clone());
    Ok(t)
}

/// `MetaEmulator::add_template`.
pub(crate) fn add(
    sh: &Shared,
    waba_id: &str,
    body: &Value,
    status: &str,
) -> anyhow::Result<String> {
    let status = status.to_ascii_uppercase();
    if !matches!(
        status.as_str(),
        "APPROVED" | "PENDING" | "REJECTED" | "PAUSED" | "DISABLED"
    ) {
        anyhow::bail!("unknown template status {status}");
    }
    insert(sh, waba_id, body, &status)
        .map(|t| t.id)
        .map_err(|e| anyhow::anyhow!("template refused: {}", e.body.unwrap_or_default()))
}

fn waba_auth(
    sh: &Shared,
    headers: &HeaderMap,
    q: &HashMap<String, String>,
    waba: &str,
    method: &str,
) -> Result<(), ApiError> {
    match authorize(sh, headers, q)? {
        Auth::Token(rec) if rec.waba_id == waba => Ok(()),
        _ => Err(ApiError::no_object(method, waba)),
    }
}

/// `POST /{version}/{waba-id}/message_templates`.
pub(crate) async fn create(
    State(sh): State<Arc<Shared>>,
    Path((version, waba)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    sh.lock().count("create_template");
    let result = (|| {
        check_version(&sh, &version)?;
        waba_auth(&sh, &headers, &q, &waba, "post")?;
        let body: Value = serde_json::from_slice(&body)
            .map_err(|_| ApiError::invalid("The request body must be JSON."))?;
        insert(&sh, &waba, &body, "PENDING")
    })();
    match result {
        Ok(t) => {
            if let Some(after) = sh.cfg.auto_approve_after {
                let (sh2, id) = (sh.clone(), t.id.clone());
                tokio::spawn(async move {
                    if sh2.sleep(after).await {
                        let pending = |t: &EmulatedTemplate| t.id == id && t.status == "PENDING";
                        review::apply(&sh2, pending, &Change::Approve).await;
                    }
                });
            }
            Json(json!({"id": t.id, "status": t.status, "category": t.category})).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// `GET /{version}/{waba-id}/message_templates`.
pub(crate) async fn list(
    State(sh): State<Arc<Shared>>,
    Path((version, waba)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    sh.lock().count("list_templates");
    let result = (|| {
        check_version(&sh, &version)?;
        waba_auth(&sh, &headers, &q, &waba, "get")?;
        page(&sh, &version, &waba, &q)
    })();
    match result {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

fn page(
    sh: &Shared,
    version: &str,
    waba: &str,
    q: &HashMap<String, String>,
) -> Result<Value, ApiError> {
    let limit = match q.get("limit") {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| {
                ApiError::invalid("Param limit must be a positive integer of at most 1000.")
            })?,
    };
    let start = match q.get("after") {
        None => 0,
        Some(c) => decode_cursor(c)
            .ok_or_else(|| ApiError::invalid("Param after is not a valid cursor."))?,
    };
    let fields: Vec<String> = match q.get("fields") {
        Some(f) => f
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        None => DEFAULT_FIELDS.iter().map(|s| (*s).to_owned()).collect(),
    };
    let upper = |k: &str| q.get(k).map(|s| s.to_ascii_uppercase());
    let (status, category) = (upper("status"), upper("category"));
    let all: Vec<EmulatedTemplate> = sh
        .lock()
        .templates
        .iter()
        .filter(|t| t.waba_id == waba)
        .filter(|t| q.get("name").is_none_or(|n| t.name.contains(n.as_str())))
        .filter(|t| q.get("language").is_none_or(|l| &t.language == l))
        .filter(|t| {
            status
                .as_ref()
                .is_none_or(|s| s.split(',').any(|s| s == t.status))
        })
        .filter(|t| {
            category
                .as_ref()
                .is_none_or(|c| c.split(',').any(|c| c == t.category))
        })
        .cloned()
        .collect();
    let data: Vec<Value> = all
        .iter()
        .skip(start)
        .take(limit)
        .map(|t| render(t, &fields))
        .collect();
    let end = start + data.len();
    let mut paging = json!({});
    if !data.is_empty() {
        paging["cursors"] = json!({"before": encode_cursor(start), "after": encode_cursor(end)});
    }
    if end < all.len() {
        let mut next = format!(
            "{}/{version}/{waba}/message_templates?limit={limit}&after={}",
            sh.base_url,
            encode_cursor(end)
        );
        if let Some(f) = q.get("fields") {
            next.push_str(&format!("&fields={f}"));
        }
        paging["next"] = next.into();
    }
    Ok(json!({"data": data, "paging": paging}))
}

/// A template with the requested fields (and always its id).
pub(crate) fn render(t: &EmulatedTemplate, fields: &[String]) -> Value {
    let mut m = Map::new();
    for f in fields.iter().map(String::as_str).chain(["id"]) {
        let v = match f {
            "id" => t.id.clone().into(),
            "name" => t.name.clone().into(),
            "language" => t.language.clone().into(),
            "status" => t.status.clone().into(),
            "category" => t.category.clone().into(),
            "components" => t.components.clone(),
            "parameter_format" => t.parameter_format.to_ascii_uppercase().into(),
            "rejected_reason" => t.rejected_reason.clone().into(),
            "quality_score" => json!({"score": "UNKNOWN", "date": now_unix()}),
            _ => continue,
        };
        m.insert(f.to_owned(), v);
    }
    Value::Object(m)
}

/// `DELETE /{version}/{waba-id}/message_templates?name=…[&hsm_id=…]`.
pub(crate) async fn delete(
    State(sh): State<Arc<Shared>>,
    Path((version, waba)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    sh.lock().count("delete_template");
    let result = (|| {
        check_version(&sh, &version)?;
        waba_auth(&sh, &headers, &q, &waba, "delete")?;
        let name = q
            .get("name")
            .filter(|n| !n.is_empty())
            .ok_or_else(|| ApiError::invalid("The parameter name is required."))?;
        let id = q.get("hsm_id");
        let mut st = sh.lock();
        let removed = st
            .templates
            .retain(|t| !(t.waba_id == waba && &t.name == name && id.is_none_or(|id| &t.id == id)));
        if removed == 0 {
            return Err(ApiError::invalid(&format!(
                "Message template \"{name}\" could not be found."
            )));
        }
        Ok(())
    })();
    match result {
        Ok(()) => Json(json!({"success": true})).into_response(),
        Err(e) => e.into_response(),
    }
}
