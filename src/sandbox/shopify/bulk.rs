//! Bulk operations, emulated: `bulkOperationRunQuery` validates its inner query against
//! the SDL (an invalid one is a `userErrors` entry, as Shopify answers), runs it over the
//! shop's records at once — each node projected onto the query's `edges { node { … } }`
//! selection, one JSON object per line — and keeps the file, served at
//! `GET /bulk/{id}.jsonl`; `bulkOperation(id)` reports it COMPLETED with its URL. Only the
//! `customers` connection is emulated; any other is refused by name.

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
    if root.name != "customers" {
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
            s.customers
                .values()
                .map(|c| project(c, &node_set, &doc).to_string())
                .collect()
        })
        .unwrap_or_default();
    let n = st.next_id();
    let objects = lines.len() as u64;
    let mut jsonl = lines.join("\n");
    if !jsonl.is_empty() {
        jsonl.push('\n');
    }
    st.bulk.insert(
        n,
        BulkResult {
            shop: shop.to_string(),
            jsonl: Arc::new(jsonl),
            objects,
        },
    );
    st.count("bulk_run");
    json!({"bulkOperation": {"id": gid(n), "status": "CREATED", "createdAt": "2026-12-01T00:00:00Z"}, "userErrors": []})
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
        Some(b) => json!({"id": id, "status": "COMPLETED", "errorCode": null, "type": "QUERY",
            "objectCount": b.objects.to_string(), "rootObjectCount": b.objects.to_string(),
            "fileSize": b.jsonl.len().to_string(), "url": format!("{}/bulk/{n}.jsonl", st.base_url),
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
