//! Bulk operations, emulated: `bulkOperationRunQuery` validates its inner query against
//! the SDL (an invalid one is a `userErrors` entry, as Shopify answers), runs it over the
//! shop's records at once — each node projected onto the query's `edges { node { … } }`
//! selection, one JSON object per line — and keeps the file, served at
//! `GET /bulk/{id}.jsonl`; `bulkOperation(id)` reports it COMPLETED with its URL. The
//! `customers`, `products`, `orders` and `collections` connections are emulated; any other
//! is refused by name. A nested connection's nodes are lines of their own with
//! `__parentId`, written after their parent but — as Shopify allows — not right after:
//! the children of a parent come after the *next* parent, so a reader that assumes
//! adjacency fails here as it would against Shopify.

use super::project::{argument, project};
use super::state::{BulkResult, Shared};
use apollo_compiler::executable::{Field, Selection};
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Schema};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::sync::Arc;

fn refused(message: String) -> Value {
    json!({"bulkOperation": null, "userErrors": [{"field": ["query"], "message": message, "code": "INVALID"}]})
}

fn gid(n: u64) -> String {
    format!("gid://shopify/BulkOperation/{n}")
}

/// `bulkOperationRunQuery`.
pub fn run(
    shared: &Shared,
    schema: &Valid<Schema>,
    shop: &str,
    field: &Field,
    vars: &Value,
) -> Value {
    let inner = argument(field, "query", vars)
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let doc = match ExecutableDocument::parse_and_validate(schema, inner, "bulk.graphql") {
        Ok(d) => d,
        Err(e) => return refused(format!("Invalid bulk query: {}", e.errors)),
    };
    let Ok(op) = doc.operations.get(None) else {
        return refused("Invalid bulk query: exactly one operation is expected".into());
    };
    let Some(Selection::Field(root)) = op.selection_set.selections.first() else {
        return refused("Invalid bulk query: no connection".into());
    };
    if !["customers", "products", "orders", "collections"].contains(&root.name.as_str()) {
        return refused(format!(
            "the Shopify emulator does not implement bulk `{}`",
            root.name
        ));
    }
    let node_set = root.selection_set.selections.iter().find_map(|s| match s {
        Selection::Field(e) if e.name == "edges" => {
            e.selection_set.selections.iter().find_map(|n| match n {
                Selection::Field(n) if n.name == "node" => Some(n.selection_set.clone()),
                _ => None,
            })
        }
        _ => None,
    });
    let Some(node_set) = node_set else {
        return refused(
            "Invalid bulk query: the connection must select `edges { node { … } }`".into(),
        );
    };
    let mut st = shared.lock();
    let lines: Vec<String> = st
        .shops
        .get(shop)
        .map(|s| {
            let records = match root.name.as_str() {
                "products" => &s.products,
                "orders" => &s.orders,
                "collections" => &s.collections,
                _ => &s.customers,
            };
            jsonl_lines(records.values().map(|c| project(c, &node_set, &doc)))
        })
        .unwrap_or_default();
    let n = st.next_id();
    let failed = std::mem::take(&mut st.fail_bulk);
    let mut lines = lines;
    if failed {
        lines.truncate(lines.len() / 2);
    }
    let external = st.shops.get(shop).and_then(|s| s.bulk_source.clone());
    let mut objects = lines.len() as u64;
    if let Some((_, n)) = &external {
        objects = *n;
    }
    let roots = lines
        .iter()
        .filter(|l| !l.contains("\"__parentId\""))
        .count() as u64;
    let mut jsonl = lines.join("\n");
    if !jsonl.is_empty() {
        jsonl.push('\n');
    }
    let ready_at = std::time::Instant::now() + std::time::Duration::from_millis(st.bulk_ms);
    st.bulk.insert(
        n,
        BulkResult {
            shop: shop.to_string(),
            jsonl: Arc::new(jsonl),
            objects,
            roots,
            ready_at,
            failed,
            url: external.map(|(u, _)| u),
        },
    );
    st.count("bulk_run");
    json!({"bulkOperation": {"id": gid(n), "status": "CREATED", "createdAt": "2026-12-01T00:00:00Z"}, "userErrors": []})
}

/// The lines of projected root nodes: each nested connection (a field whose value has
/// `edges`) taken out of its parent and written as child lines with `__parentId`, after
/// the next parent's line.
fn jsonl_lines(nodes: impl Iterator<Item = Value>) -> Vec<String> {
    let mut out = Vec::new();
    let mut held: Vec<String> = Vec::new();
    for mut node in nodes {
        let parent = node["id"].clone();
        let mut children = Vec::new();
        if let Value::Object(fields) = &mut node {
            let nested: Vec<String> = fields
                .iter()
                .filter(|(_, v)| v.get("edges").is_some())
                .map(|(k, _)| k.clone())
                .collect();
            for k in nested {
                if let Some(Value::Array(edges)) = fields
                    .remove(&k)
                    .and_then(|mut c| c.get_mut("edges").map(Value::take))
                {
                    for e in edges {
                        let mut child = e.get("node").cloned().unwrap_or(Value::Null);
                        if let Value::Object(c) = &mut child {
                            c.insert("__parentId".into(), parent.clone());
                            children.push(child.to_string());
                        }
                    }
                }
            }
        }
        out.push(node.to_string());
        out.append(&mut held);
        held = children;
    }
    out.append(&mut held);
    out
}

/// Sends `bulk_operations/finish` for operation `id` once it has run.
pub fn announce(shared: &Arc<Shared>, shop: &str, id: &str) {
    let (wait, failed) = {
        let st = shared.lock();
        let n = id
            .rsplit('/')
            .next()
            .and_then(|x| x.parse::<u64>().ok())
            .unwrap_or(0);
        (
            std::time::Duration::from_millis(st.bulk_ms),
            st.bulk.get(&n).is_some_and(|b| b.failed),
        )
    };
    let (status, code) = if failed {
        ("failed", json!("internal_server_error"))
    } else {
        ("completed", Value::Null)
    };
    let body = json!({"admin_graphql_api_id": id, "completed_at": "2026-12-01T00:00:01Z",
        "created_at": "2026-12-01T00:00:00Z", "error_code": code, "status": status, "type": "query"});
    let (shared, shop) = (shared.clone(), shop.to_string());
    tokio::spawn(async move {
        tokio::time::sleep(wait).await;
        super::webhooks::send(
            &shared,
            &shop,
            "BULK_OPERATIONS_FINISH",
            "bulk_operations/finish",
            &body,
        );
    });
}

/// `bulkOperation(id)`.
pub fn status(shared: &Shared, shop: &str, field: &Field, vars: &Value) -> Value {
    let id = argument(field, "id", vars)
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let n = id
        .rsplit('/')
        .next()
        .and_then(|x| x.parse::<u64>().ok())
        .unwrap_or(0);
    let st = shared.lock();
    match st.bulk.get(&n).filter(|b| b.shop == shop) {
        Some(b) if std::time::Instant::now() < b.ready_at => json!({"id": id, "status": "RUNNING",
            "errorCode": null, "type": "QUERY", "objectCount": "0", "rootObjectCount": "0",
            "fileSize": null, "url": null, "partialDataUrl": null, "createdAt": "2026-12-01T00:00:00Z",
            "completedAt": null, "query": ""}),
        Some(b) if b.failed => {
            json!({"id": id, "status": "FAILED", "errorCode": "INTERNAL_SERVER_ERROR",
            "type": "QUERY", "objectCount": b.objects.to_string(), "rootObjectCount": b.roots.to_string(),
            "fileSize": null, "url": null, "partialDataUrl": format!("{}/bulk/{n}.jsonl", st.base_url),
            "createdAt": "2026-12-01T00:00:00Z", "completedAt": null, "query": ""})
        }
        Some(b) => json!({"id": id, "status": "COMPLETED", "errorCode": null, "type": "QUERY",
            "objectCount": b.objects.to_string(), "rootObjectCount": b.roots.to_string(),
            "fileSize": b.jsonl.len().to_string(),
            "url": b.url.clone().unwrap_or_else(|| format!("{}/bulk/{n}.jsonl", st.base_url)),
            "partialDataUrl": null, "createdAt": "2026-12-01T00:00:00Z", "completedAt": "2026-12-01T00:00:01Z",
            "query": ""}),
        None => Value::Null,
    }
}

/// `GET /bulk/{n}.jsonl`.
pub async fn file(State(shared): State<Arc<Shared>>, Path(name): Path<String>) -> Response {
    let n = name
        .strip_suffix(".jsonl")
        .and_then(|x| x.parse::<u64>().ok());
    let body = n.and_then(|n| shared.lock().bulk.get(&n).map(|b| b.jsonl.clone()));
    match body {
        Some(text) => (
            [(header::CONTENT_TYPE, "application/jsonl")],
            text.to_string(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}
