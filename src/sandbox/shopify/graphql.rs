//! `POST /admin/api/{version}/graphql.json`: the Admin GraphQL endpoint as Shopify runs
//! it. In order: injected faults; the token (401 with Shopify's body); the JSON body;
//! the document validated against the SDL (200 with `errors`, nothing run); the
//! operation's requested cost against the single-query limit (1,000) and the shop's
//! bucket (`THROTTLED`, nothing run); then the root fields resolved and projected, with
//! `extensions.cost` on every answer that ran.

use super::project::project;
use super::state::{Shared, ShopifyFault};
use super::{bulk, cost, resolve, schema};
use apollo_compiler::executable::Selection;
use apollo_compiler::validation::Valid;
use apollo_compiler::Schema;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// The most a single query may request (every plan).
const MAX_COST: u64 = 1_000;

/// What the handler needs.
pub struct Ctx {
    /// Shops, faults, counts.
    pub shared: Arc<Shared>,
    /// The SDL.
    pub schema: Arc<Valid<Schema>>,
}

fn status_fault(code: u16) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = match code {
        401 => {
            json!({"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})
        }
        403 => {
            json!({"errors": "[API] This action requires merchant approval for the required scope."})
        }
        429 => {
            json!({"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."})
        }
        _ => json!({"errors": "Internal Server Error"}),
    };
    let mut r = (status, Json(body)).into_response();
    if code == 429 {
        r.headers_mut()
            .insert("Retry-After", axum::http::HeaderValue::from_static("1"));
    }
    r
}

fn throttled(requested: u64, available: f64, maximum: f64, restore: f64) -> Response {
    Json(json!({
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED",
            "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
        "extensions": {"cost": {"requestedQueryCost": requested, "actualQueryCost": null,
            "throttleStatus": {"maximumAvailable": maximum, "currentlyAvailable": available.floor(), "restoreRate": restore}}}
    }))
    .into_response()
}

/// The endpoint.
pub async fn handle(
    State(ctx): State<Arc<Ctx>>,
    Path(_version): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (shop, token) = (
        header("X-Shopify-Shop-Domain"),
        header("X-Shopify-Access-Token"),
    );
    {
        let mut st = ctx.shared.lock();
        match st.faults.pop_front() {
            Some(ShopifyFault::Status(code)) => {
                st.count(&format!("fault_{code}"));
                return status_fault(code);
            }
            Some(ShopifyFault::Throttled) => {
                st.count("fault_throttled");
                return throttled(100, 0.0, 1_000.0, 100.0);
            }
            None => {}
        }
        let authorised = st.shops.get(&shop).is_some_and(|s| s.accepts(&token));
        if !authorised {
            st.count("unauthorized");
            return status_fault(401);
        }
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"errors": "body is not valid JSON"})),
        )
            .into_response();
    };
    let query = request["query"].as_str().unwrap_or_default();
    let vars = request
        .get("variables")
        .cloned()
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    let doc = match schema::validate(&ctx.schema, query) {
        Ok(d) => d,
        Err(errors) => {
            ctx.shared.lock().count("invalid");
            return Json(json!({"errors": errors})).into_response();
        }
    };
    let Ok(op) = doc.operations.get(request["operationName"].as_str()) else {
        return Json(json!({"errors": [{"message": "An operation name is required when the document has several operations"}]})).into_response();
    };
    let requested = cost::requested(op, &doc, &vars);
    if requested > MAX_COST {
        return Json(json!({"errors": [{"message": format!("Query cost is {requested}, which exceeds the single query max cost limit ({MAX_COST})."),
            "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": MAX_COST}}]})).into_response();
    }
    {
        let mut st = ctx.shared.lock();
        st.count(op.name.as_ref().map_or("anonymous", |n| n.as_str()));
        let Some(s) = st.shops.get_mut(&shop) else {
            return status_fault(401);
        };
        if !s.bucket.try_take(requested as f64) {
            let (max, rate) = (s.bucket.maximum, s.bucket.restore_rate);
            let available = s.bucket.available();
            return throttled(requested, available, max, rate);
        }
    }
    let mut data = Map::new();
    let mut errors = Vec::new();
    for sel in &op.selection_set.selections {
        let Selection::Field(f) = sel else { continue };
        let key = f.response_key().to_string();
        let resolved = match f.name.as_str() {
            "bulkOperationRunQuery" => {
                let run = bulk::run(&ctx.shared, &ctx.schema, &shop, f, &vars);
                if let Some(id) = run["bulkOperation"]["id"].as_str() {
                    bulk::announce(&ctx.shared, &shop, id);
                }
                Ok(run)
            }
            "bulkOperation" => Ok(bulk::status(&ctx.shared, &shop, f, &vars)),
            "appSubscriptionCreate" => Ok(super::billing::create(&ctx.shared, &shop, f, &vars)),
            _ => {
                let mut st = ctx.shared.lock();
                let mut next = st.last_id;
                let resolved = match st.shops.get_mut(&shop) {
                    None => Err("the shop is gone".to_string()),
                    Some(s) if op.operation_type.is_mutation() => {
                        let mut ids = || {
                            next += 1;
                            next
                        };
                        resolve::mutation(s, &mut ids, f, &vars)
                    }
                    Some(s) => resolve::query(&shop, s, f, &vars),
                };
                st.last_id = next;
                resolved
            }
        };
        match resolved {
            Ok(v) => {
                data.insert(key, project(&v, &f.selection_set, &doc));
            }
            Err(message) => {
                errors.push(json!({"message": message, "path": [key], "extensions": {"code": "NOT_IMPLEMENTED_IN_EMULATOR"}}));
                data.insert(key, Value::Null);
            }
        }
    }
    let data = Value::Object(data);
    let actual = cost::actual(op, &doc, &vars, &data).min(requested);
    let (max, rate, available) = {
        let mut st = ctx.shared.lock();
        match st.shops.get_mut(&shop) {
            Some(s) => {
                s.bucket.refund((requested - actual) as f64);
                (
                    s.bucket.maximum,
                    s.bucket.restore_rate,
                    s.bucket.available(),
                )
            }
            None => (0.0, 0.0, 0.0),
        }
    };
    let mut answer = json!({
        "data": data,
        "extensions": {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual,
            "throttleStatus": {"maximumAvailable": max, "currentlyAvailable": available.floor(), "restoreRate": rate}}}
    });
    if !errors.is_empty() {
        answer["errors"] = Value::Array(errors);
    }
    Json(answer).into_response()
}
