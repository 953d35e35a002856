//! The catalog handlers (`reference/meta-api.md` §8): a business's owned and client
//! catalogs (list, create), a WABA's connected catalog (list, connect, disconnect; one
//! per WABA), `POST /{catalog}/items_batch` (each request checked by `catalog_rules`,
//! refused items named in `validation_status`, the rest applied; a handle for the batch;
//! more calls in the hour than the catalog's budget → 80014), `GET
//! /{catalog}/check_batch_request_status` (`in_progress` until the batch's ingestion time
//! `catalog_batch_delay` passed, then finished with the errors and the refused retailer
//! ids; accepted items are applied only then, batch after batch) and `GET /{catalog}/products`. Bodies are JSON or form fields, as Meta
//! takes both. A handler module: imports `catalog_rules`, `faults`, `guard`, `model` and
//! `state`.

use super::catalog_rules::{check, Catalog};
use super::faults::ApiError;
use super::guard::{authorize, check_version};
use super::model::now_unix;
use super::state::Shared;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// Parameters from the query, a JSON body or a form body.
fn params(q: &HashMap<String, String>, body: &Bytes) -> HashMap<String, Value> {
    let mut out: HashMap<String, Value> = q
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    if let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(body) {
        out.extend(m);
    } else if let Ok(text) = std::str::from_utf8(body) {
        for pair in text.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                let s = s.replace('+', " ");
                let mut bytes = Vec::new();
                let mut it = s.bytes();
                while let Some(b) = it.next() {
                    if b == b'%' {
                        let h: String = it.by_ref().take(2).map(char::from).collect();
                        bytes.push(u8::from_str_radix(&h, 16).unwrap_or(b'?'));
                    } else {
                        bytes.push(b);
                    }
                }
                String::from_utf8_lossy(&bytes).into_owned()
            };
            out.insert(decode(k), Value::String(decode(v)));
        }
    }
    out
}

fn text(p: &HashMap<String, Value>, k: &str) -> Option<String> {
    p.get(k).and_then(|v| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

fn guard(
    sh: &Shared,
    version: &str,
    headers: &HeaderMap,
    q: &HashMap<String, String>,
) -> Result<(), ApiError> {
    check_version(sh, version)?;
    authorize(sh, headers, q).map(|_| ())
}

fn catalog_view(c: &Catalog) -> Value {
    json!({"id": c.id, "name": c.name, "vertical": "commerce", "product_count": c.items.len()})
}

/// `GET /{version}/{business}/owned_product_catalogs`.
pub(crate) async fn list_owned(
    sh: State<Arc<Shared>>,
    path: Path<(String, String)>,
    q: Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    list(sh, path, q, headers, true)
}

/// `GET /{version}/{business}/client_product_catalogs`.
pub(crate) async fn list_client(
    sh: State<Arc<Shared>>,
    path: Path<(String, String)>,
    q: Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    list(sh, path, q, headers, false)
}

fn list(
    State(sh): State<Arc<Shared>>,
    Path((version, business)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    owned: bool,
) -> Response {
    sh.lock().count("list_catalogs");
    if let Err(e) = guard(&sh, &version, &headers, &q) {
        return e.into_response();
    }
    if business != sh.cfg.business_id {
        return ApiError::no_object("get", &business).into_response();
    }
    let st = sh.lock();
    let data: Vec<Value> = st
        .catalogs
        .values()
        .filter(|c| c.owned == owned)
        .map(catalog_view)
        .collect();
    Json(json!({"data": data, "paging": {"cursors": {"before": "", "after": ""}}})).into_response()
}

/// `POST /{version}/{business}/owned_product_catalogs` (`name`).
pub(crate) async fn create(
    State(sh): State<Arc<Shared>>,
    Path((version, business)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    sh.lock().count("create_catalog");
    if let Err(e) = guard(&sh, &version, &headers, &q) {
        return e.into_response();
    }
    if business != sh.cfg.business_id {
        return ApiError::no_object("post", &business).into_response();
    }
    let p = params(&q, &body);
    let Some(name) = text(&p, "name").filter(|n| !n.trim().is_empty()) else {
        return ApiError::invalid("(#100) The parameter name is required").into_response();
    };
    let id = sh.lock().add_catalog(&name, true);
    Json(json!({"id": id})).into_response()
}

/// `GET|POST|DELETE /{version}/{waba}/product_catalogs`.
pub(crate) async fn waba_catalogs(
    State(sh): State<Arc<Shared>>,
    Path((version, waba)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    method: axum::http::Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    sh.lock().count("waba_catalogs");
    if let Err(e) = guard(&sh, &version, &headers, &q) {
        return e.into_response();
    }
    let p = params(&q, &body);
    let mut st = sh.lock();
    match method.as_str() {
        "GET" => {
            let data: Vec<Value> = st
                .waba_catalog
                .get(&waba)
                .and_then(|id| st.catalogs.get(id))
                .map(catalog_view)
                .into_iter()
                .collect();
            Json(json!({"data": data})).into_response()
        }
        "POST" => {
            let Some(id) = text(&p, "catalog_id") else {
                return ApiError::invalid("(#100) The parameter catalog_id is required")
                    .into_response();
            };
            if !st.catalogs.contains_key(&id) {
                return ApiError::no_object("post", &id).into_response();
            }
            if st.waba_catalog.get(&waba).is_some_and(|c| *c != id) {
                return ApiError::invalid("Only one catalog can be connected to a WhatsApp Business Account; disconnect the current one first").into_response();
            }
            st.waba_catalog.insert(waba, id);
            Json(json!({"success": true})).into_response()
        }
        _ => {
            let removed = st.waba_catalog.remove(&waba).is_some();
            Json(json!({"success": removed})).into_response()
        }
    }
}

/// `POST /{version}/{catalog}/items_batch`.
pub(crate) async fn items_batch(
    State(sh): State<Arc<Shared>>,
    Path((version, catalog)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    sh.lock().count("items_batch");
    if let Err(e) = guard(&sh, &version, &headers, &q) {
        return e.into_response();
    }
    let p = params(&q, &body);
    if text(&p, "item_type").as_deref() != Some("PRODUCT_ITEM") {
        return ApiError::invalid(
            "(#100) The parameter item_type is required and must be PRODUCT_ITEM",
        )
        .into_response();
    }
    let requests: Vec<Value> = match p.get("requests") {
        Some(Value::Array(a)) => a.clone(),
        Some(Value::String(s)) => serde_json::from_str(s).unwrap_or_default(),
        _ => Vec::new(),
    };
    if requests.is_empty() || requests.len() > 5_000 {
        return ApiError::invalid("(#100) requests must be a JSON array of 1 to 5000 requests")
            .into_response();
    }
    let now_hour = now_unix() / 3600;
    let budget = sh.cfg.catalog_calls_per_hour;
    let batch_delay = sh.cfg.catalog_batch_delay;
    let mut st = sh.lock();
    let handle_n = st.next_seq();
    let Some(c) = st.catalogs.get_mut(&catalog) else {
        return ApiError::no_object("post", &catalog).into_response();
    };
    if c.hour != now_hour {
        c.hour = now_hour;
        c.calls = 0;
    }
    if c.calls >= budget {
        return ApiError::graph(
            400,
            "(#80014) There have been too many calls for this catalog. Wait a bit and try again.",
            "OAuthException",
            80014,
            None,
        )
        .into_response();
    }
    c.calls += 1;
    let now = std::time::Instant::now();
    c.settle(now);
    let mut status = Vec::new();
    let mut errors = Vec::new();
    let mut refused = Vec::new();
    let mut accepted = Vec::new();
    for r in &requests {
        let method = r["method"]
            .as_str()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let data = &r["data"];
        let id = data["id"].as_str().unwrap_or_default().to_string();
        let known = c.items.contains_key(&id)
            || c.pending
                .iter()
                .any(|b| b.requests.iter().any(|(_, i, _)| *i == id));
        let (errs, warns) = check(&method, data, known);
        if !errs.is_empty() || !warns.is_empty() {
            status.push(json!({"retailer_id": id,
                "errors": errs.iter().map(|m| json!({"message": m})).collect::<Vec<_>>(),
                "warnings": warns.iter().map(|m| json!({"message": m})).collect::<Vec<_>>()}));
        }
        if !errs.is_empty() {
            for m in &errs {
                errors.push(json!({"line": 0, "id": id, "message": m}));
            }
            refused.push(id);
            continue;
        }
        accepted.push((method, id, data.clone()));
    }
    let handles: Vec<String> = if !accepted.is_empty() || !refused.is_empty() {
        let handle = format!("AcyEmulatedHandle{handle_n:012}");
        c.batches.insert(handle.clone(), (errors, refused));
        c.pending.push(super::catalog_rules::PendingBatch {
            handle: handle.clone(),
            ready_at: now + batch_delay,
            requests: accepted,
        });
        vec![handle]
    } else {
        Vec::new()
    };
    Json(json!({"handles": handles, "validation_status": status})).into_response()
}

/// `GET /{version}/{catalog}/check_batch_request_status?handle=…`.
pub(crate) async fn batch_status(
    State(sh): State<Arc<Shared>>,
    Path((version, catalog)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    sh.lock().count("check_batch_request_status");
    if let Err(e) = guard(&sh, &version, &headers, &q) {
        return e.into_response();
    }
    let Some(handle) = q.get("handle") else {
        return ApiError::invalid("(#100) The parameter handle is required").into_response();
    };
    let with_ids = q
        .get("load_ids_of_invalid_requests")
        .is_some_and(|v| v == "true");
    let mut st = sh.lock();
    let Some(c) = st.catalogs.get_mut(&catalog) else {
        return ApiError::invalid("(#100) The handle does not belong to this catalog")
            .into_response();
    };
    c.settle(std::time::Instant::now());
    let finished = !c.in_progress(handle);
    let Some((errors, refused)) = c.batches.get(handle) else {
        return ApiError::invalid("(#100) The handle does not belong to this catalog")
            .into_response();
    };
    if !finished {
        return Json(json!({"data": [{"handle": handle, "status": "in_progress",
            "errors": [], "errors_total_count": 0, "warnings": [], "warnings_total_count": 0,
            "ids_of_invalid_requests": []}]}))
        .into_response();
    }
    Json(
        json!({"data": [{"handle": handle, "status": "finished", "errors": errors,
        "errors_total_count": errors.len(), "warnings": [], "warnings_total_count": 0,
        "ids_of_invalid_requests": if with_ids { refused.clone() } else { Vec::new() }}]}),
    )
    .into_response()
}

/// `GET /{version}/{catalog}/products` (read-side names: `retailer_id`, `name`, `url`,
/// `image_url`).
pub(crate) async fn products(
    State(sh): State<Arc<Shared>>,
    Path((version, catalog)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    sh.lock().count("catalog_products");
    if let Err(e) = guard(&sh, &version, &headers, &q) {
        return e.into_response();
    }
    let start = match q.get("after").map(|c| super::model::decode_cursor(c)) {
        None => 0,
        Some(Some(n)) => n,
        Some(None) => {
            return ApiError::invalid("(#100) Param after is not a valid cursor.").into_response()
        }
    };
    let limit = q
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(25)
        .clamp(1, 1_000);
    let mut st = sh.lock();
    let Some(c) = st.catalogs.get_mut(&catalog) else {
        return ApiError::no_object("get", &catalog).into_response();
    };
    c.settle(std::time::Instant::now());
    let total = c.items.len();
    let data: Vec<Value> = c
        .items
        .iter()
        .enumerate()
        .skip(start)
        .take(limit)
        .map(|(i, (id, item))| {
            json!({"id": format!("{}{i:06}", c.id), "retailer_id": id, "name": item["title"],
                "price": item["price"], "sale_price": item["sale_price"], "availability": item["availability"],
                "url": item["link"], "image_url": item["image"][0]["url"], "inventory": item["quantity_to_sell_on_facebook"],
                "review_status": "approved"})
        })
        .collect();
    let end = start + data.len();
    let mut paging = json!({});
    if !data.is_empty() {
        paging["cursors"] = json!({"before": super::model::encode_cursor(start),
            "after": super::model::encode_cursor(end)});
    }
    if end < total {
        paging["next"] = json!(format!(
            "{}/{version}/{catalog}/products?limit={limit}&after={}",
            sh.base_url,
            super::model::encode_cursor(end)
        ));
    }
    Json(json!({"data": data, "paging": paging})).into_response()
}
