//! The router (every route of the emulator) and the Graph-side reads:
//! `GET /{version}/{node-id}` (phone number, WABA, template or media, with `fields`,
//! including `health_status` per `reference/meta-api.md` §10) and
//! `GET /{version}/debug_token`. Token and version checks are `guard.rs`, sending
//! `send.rs`, media `media.rs`, templates `templates.rs`, the steering API `control.rs`.
//! The only module that imports the handler modules; nothing in `sandbox::meta` but the
//! facade (`mod.rs`) imports it.

use super::faults::{ApiError, REVOKED_MESSAGE};
use super::guard::{authorize, check_version, Auth};
use super::model::Health;
use super::state::{Shared, State as Data};
use super::{catalogs, control, media, send, templates};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// The whole server.
pub(crate) fn router(sh: Arc<Shared>) -> Router {
    Router::new()
        .route("/{version}/debug_token", get(debug_token))
        .route("/{version}/{node}", get(node))
        .route("/{version}/{node}/messages", post(send::messages))
        .route(
            "/{version}/{node}/media",
            post(media::upload).layer(DefaultBodyLimit::max(media::MAX_UPLOAD)),
        )
        .route(
            "/{version}/{node}/message_templates",
            get(templates::list)
                .post(templates::create)
                .delete(templates::delete),
        )
        .route(
            "/{version}/{node}/owned_product_catalogs",
            get(catalogs::list_owned).post(catalogs::create),
        )
        .route(
            "/{version}/{node}/client_product_catalogs",
            get(catalogs::list_client),
        )
        .route(
            "/{version}/{node}/product_catalogs",
            get(catalogs::waba_catalogs)
                .post(catalogs::waba_catalogs)
                .delete(catalogs::waba_catalogs),
        )
        // 5,000 full items are several MB: above axum's 2 MB default (Meta documents no
        // byte limit for items_batch, only the 5,000 requests).
        .route(
            "/{version}/{node}/items_batch",
            post(catalogs::items_batch).layer(DefaultBodyLimit::max(64 << 20)),
        )
        .route(
            "/{version}/{node}/check_batch_request_status",
            get(catalogs::batch_status),
        )
        .route("/{version}/{node}/products", get(catalogs::products))
        .route("/_emulator/media/{id}", get(media::download))
        .nest("/_emulator", control::router())
        .fallback(unknown_path)
        .with_state(sh)
}

async fn unknown_path(uri: Uri) -> Response {
    let msg = format!("Unknown path components: {}", uri.path());
    ApiError::graph(400, &msg, "OAuthException", 2500, None).into_response()
}

fn fields(q: &HashMap<String, String>) -> Option<Vec<String>> {
    q.get("fields").map(|f| {
        f.split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    })
}

/// Keeps the requested fields (or `default`) and the id.
fn select(all: Map<String, Value>, wanted: Option<&[String]>, default: &[&str]) -> Value {
    let keep =
        |k: &str| k == "id" || wanted.map_or(default.contains(&k), |w| w.iter().any(|f| f == k));
    Value::Object(all.into_iter().filter(|(k, _)| keep(k)).collect())
}

/// `GET /{version}/{node-id}`.
async fn node(
    State(sh): State<Arc<Shared>>,
    Path((version, id)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let wanted = fields(&q);
    let health = wanted
        .as_ref()
        .is_some_and(|f| f.iter().any(|f| f == "health_status"));
    sh.lock()
        .count(if health { "health_status" } else { "get_node" });
    match read_node(&sh, &version, &id, &q, &headers, wanted.as_deref()) {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

fn read_node(
    sh: &Shared,
    version: &str,
    id: &str,
    q: &HashMap<String, String>,
    headers: &HeaderMap,
    wanted: Option<&[String]>,
) -> Result<Value, ApiError> {
    check_version(sh, version)?;
    let Auth::Token(rec) = authorize(sh, headers, q)? else {
        return Err(ApiError::no_object("get", id));
    };
    let st = sh.lock();
    if let Some(m) = st.media.get(id) {
        if !rec.phone_number_ids.contains(&m.phone_number_id)
            || q.get("phone_number_id")
                .is_some_and(|p| *p != m.phone_number_id)
        {
            return Err(ApiError::no_object("get", id));
        }
        return Ok(media::info(sh, m));
    }
    let chain = |first: Vec<(&'static str, String)>| {
        let mut c = first;
        c.push(("WABA", rec.waba_id.clone()));
        c.push(("BUSINESS", sh.cfg.business_id.clone()));
        c.push(("APP", sh.cfg.app_id.clone()));
        c
    };
    let (mut all, default, entities): (Map<String, Value>, &[&str], _) = if rec
        .phone_number_ids
        .iter()
        .any(|p| p == id)
    {
        let display = st
            .numbers
            .get(id)
            .map(|n| n.display.clone())
            .unwrap_or_default();
        let quality = st.quality.get(id).map_or("GREEN", String::as_str);
        let v = json!({
            "id": id, "display_phone_number": format!("+{display}"), "verified_name": "Galantis Sandbox",
            "quality_rating": quality, "code_verification_status": "VERIFIED", "platform_type": "CLOUD_API",
            "throughput": {"level": "STANDARD"}, "name_status": "APPROVED",
            "whatsapp_business_manager_messaging_limit": "TIER_2K",
        });
        let default: &[&str] = &[
            "verified_name",
            "code_verification_status",
            "display_phone_number",
            "quality_rating",
            "platform_type",
            "throughput",
        ];
        (
            obj(v),
            default,
            chain(vec![("PHONE_NUMBER", id.to_owned())]),
        )
    } else if rec.waba_id == id {
        let v = json!({"id": id, "name": "Galantis Sandbox", "currency": "USD", "timezone_id": "1",
                       "message_template_namespace": format!("sandbox_{id}")});
        (
            obj(v),
            &[
                "name",
                "currency",
                "timezone_id",
                "message_template_namespace",
            ][..],
            chain(vec![]),
        )
    } else if let Some(t) = st.templates.by_id(id).filter(|t| t.waba_id == rec.waba_id) {
        let names = [
            "name",
            "language",
            "status",
            "category",
            "components",
            "parameter_format",
            "rejected_reason",
            "quality_score",
        ];
        let v = templates::render(t, &names.map(str::to_owned));
        (
            obj(v),
            &["name", "language", "status", "category", "components"][..],
            chain(vec![("MESSAGE_TEMPLATE", id.to_owned())]),
        )
    } else {
        return Err(ApiError::no_object("get", id));
    };
    all.insert("health_status".into(), health_status(&st, &entities));
    Ok(select(all, wanted, default))
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// `health_status` over a chain of entities; the overall value is the worst.
fn health_status(st: &Data, entities: &[(&str, String)]) -> Value {
    let mut worst = Health::Available;
    let list: Vec<Value> = entities
        .iter()
        .map(|(kind, id)| {
            let h = st.health.get(id).cloned().unwrap_or_else(|| default_health(st, kind, id));
            let mut e = json!({"entity_type": kind, "id": id, "can_send_message": h.as_str()});
            if matches!(*kind, "PHONE_NUMBER" | "APP" | "MESSAGE_TEMPLATE") {
                e["can_receive_call_sip"] = "AVAILABLE".into();
            }
            match &h {
                Health::Available => {}
                Health::Limited(info) => e["additional_info"] = json!(info),
                Health::Blocked { error_code, description, solution } => {
                    e["errors"] = json!([{"error_code": error_code, "error_description": description, "possible_solution": solution}]);
                }
            }
            if h.rank() > worst.rank() {
                worst = h;
            }
            e
        })
        .collect();
    json!({"can_send_message": worst.as_str(), "entities": list})
}

fn default_health(st: &Data, kind: &str, id: &str) -> Health {
    match st.templates.by_id(id) {
        Some(t) if kind == "MESSAGE_TEMPLATE" && t.status != "APPROVED" => Health::Blocked {
            error_code: 141002,
            description: "Message templates can only be sent out if they are approved.".into(),
            solution: "Edit or appeal the message template review decision.".into(),
        },
        _ => Health::Available,
    }
}

/// `GET /{version}/debug_token?input_token=…`.
async fn debug_token(
    State(sh): State<Arc<Shared>>,
    Path(version): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    sh.lock().count("debug_token");
    let result = (|| {
        check_version(&sh, &version)?;
        authorize(&sh, &headers, &q)?;
        let input = q
            .get("input_token")
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::invalid("The parameter input_token is required."))?;
        Ok::<_, ApiError>(token_info(&sh, input))
    })();
    match result {
        Ok(v) => Json(json!({ "data": v })).into_response(),
        Err(e) => e.into_response(),
    }
}

fn token_info(sh: &Shared, input: &str) -> Value {
    let app = &sh.cfg.app_id;
    if input == format!("{app}|{}", sh.cfg.app_secret) {
        return json!({"app_id": app, "type": "APP", "application": "Galantis Sandbox", "is_valid": true, "scopes": []});
    }
    let st = sh.lock();
    let Some(rec) = st.tokens.get(input) else {
        return json!({"error": {"code": 190, "message": "Invalid OAuth access token - Cannot parse access token"},
                      "is_valid": false, "scopes": []});
    };
    let mut h = DefaultHasher::new();
    input.hash(&mut h);
    let user_id = format!("122{:015}", h.finish() % 1_000_000_000_000_000);
    let mut v = json!({
        "app_id": app, "type": "SYSTEM_USER", "application": "Galantis Sandbox",
        "data_access_expires_at": 0, "expires_at": 0, "issued_at": rec.issued_at, "user_id": user_id,
    });
    if st.revoked.contains(input) {
        v["is_valid"] = false.into();
        v["scopes"] = json!([]);
        v["granular_scopes"] = json!([]);
        v["error"] = json!({"code": 190, "message": REVOKED_MESSAGE, "subcode": 460});
    } else {
        v["is_valid"] = true.into();
        v["scopes"] = json!([
            "business_management",
            "whatsapp_business_management",
            "whatsapp_business_messaging"
        ]);
        v["granular_scopes"] = json!([
            {"scope": "whatsapp_business_management", "target_ids": [rec.waba_id]},
            {"scope": "whatsapp_business_messaging", "target_ids": [rec.waba_id]},
        ]);
    }
    v
}
