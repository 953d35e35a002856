//! The root fields the emulator answers, each returning a superset value for the
//! selection to pick from ([`super::project`]). Mutations change the shop's state and
//! answer `userErrors` the way Shopify words them. A root field the SDL has but the
//! emulator does not implement is refused by name, never answered with made-up data.

use super::project::argument;
use super::state::{EmulatedSubscription, ShopState};
use apollo_compiler::executable::Field;
use serde_json::{json, Value};

/// The value of query root field `field`.
///
/// # Errors
/// The field is not emulated.
pub fn query(shop: &str, s: &ShopState, field: &Field, vars: &Value) -> Result<Value, String> {
    match field.name.as_str() {
        "shop" => Ok(json!({
            "__typename": "Shop",
            "id": "gid://shopify/Shop/1",
            "name": s.name,
            "myshopifyDomain": shop,
            "currencyCode": s.currency,
            "ianaTimezone": s.time_zone,
        })),
        "webhookSubscriptions" => {
            let first = argument(field, "first", vars)
                .and_then(|v| v.as_u64())
                .unwrap_or(0);
            let after = argument(field, "after", vars)
                .and_then(|v| {
                    v.as_str()
                        .and_then(|c| c.strip_prefix("c").map(str::to_string))
                })
                .and_then(|c| c.parse::<u64>().ok())
                .unwrap_or(0);
            let topics: Vec<String> = argument(field, "topics", vars)
                .and_then(|v| serde_json::from_value(v).ok())
                .unwrap_or_default();
            let all: Vec<&EmulatedSubscription> = (s.subscriptions.range(after + 1..))
                .map(|(_, sub)| sub)
                .filter(|sub| topics.is_empty() || topics.contains(&sub.topic))
                .collect();
            let page: Vec<&EmulatedSubscription> =
                all.iter().take(first as usize).copied().collect();
            Ok(connection(
                page.iter()
                    .map(|sub| (format!("c{}", sub.id), subscription(sub)))
                    .collect(),
                all.len() > page.len(),
                after > 0,
            ))
        }
        "customers" => Ok(updated_page(&s.customers, field, vars)),
        "orders" => Ok(updated_page(&s.orders, field, vars)),
        "products" => Ok(updated_page(&s.products, field, vars)),
        "abandonedCheckouts" => Ok(abandoned_checkouts(s, field, vars)),
        other => Err(format!(
            "the Shopify emulator does not implement the query field `{other}`"
        )),
    }
}

/// The value of mutation root field `field` (it may change `s`).
///
/// # Errors
/// The field is not emulated.
pub fn mutation(
    s: &mut ShopState,
    next_id: &mut dyn FnMut() -> u64,
    field: &Field,
    vars: &Value,
) -> Result<Value, String> {
    match field.name.as_str() {
        "webhookSubscriptionCreate" => {
            let topic = argument(field, "topic", vars)
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let input = argument(field, "webhookSubscription", vars).unwrap_or(Value::Null);
            let uri = input["uri"].as_str().unwrap_or_default().to_string();
            let format = input["format"].as_str().unwrap_or("JSON").to_string();
            if let Some(problem) = bad_uri(&uri) {
                return Ok(user_errors(
                    "webhookSubscription",
                    &[("webhookSubscription.uri", problem)],
                ));
            }
            if s.subscriptions
                .values()
                .any(|x| x.topic == topic && x.uri == uri)
            {
                return Ok(user_errors(
                    "webhookSubscription",
                    &[(
                        "webhookSubscription.callbackUrl",
                        "Address for this topic has already been taken",
                    )],
                ));
            }
            let sub = EmulatedSubscription {
                id: next_id(),
                topic,
                uri,
                format,
            };
            let value = subscription(&sub);
            s.subscriptions.insert(sub.id, sub);
            Ok(json!({"webhookSubscription": value, "userErrors": []}))
        }
        "webhookSubscriptionDelete" => {
            let id = argument(field, "id", vars)
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let num = id.rsplit('/').next().and_then(|n| n.parse::<u64>().ok());
            match num.and_then(|n| s.subscriptions.remove(&n)) {
                Some(_) => Ok(json!({"deletedWebhookSubscriptionId": id, "userErrors": []})),
                None => Ok(json!({"deletedWebhookSubscriptionId": null,
                    "userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}]})),
            }
        }
        other => Err(format!(
            "the Shopify emulator does not implement the mutation `{other}`"
        )),
    }
}

/// Shopify wants an HTTPS address; the emulator also takes plain HTTP on loopback (tests
/// and the sandbox have no TLS), its one leniency.
fn bad_uri(uri: &str) -> Option<&'static str> {
    let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
        .iter()
        .any(|p| uri.starts_with(p));
    if uri.starts_with("https://") && uri.len() > "https://".len() || loopback {
        None
    } else {
        Some("Address is invalid")
    }
}

fn user_errors(payload: &str, errors: &[(&str, &str)]) -> Value {
    let list: Vec<Value> = errors
        .iter()
        .map(|(f, m)| json!({"field": f.split('.').collect::<Vec<_>>(), "message": m}))
        .collect();
    let mut out = serde_json::Map::new();
    out.insert(payload.to_string(), Value::Null);
    out.insert("userErrors".into(), Value::Array(list));
    Value::Object(out)
}

fn subscription(s: &EmulatedSubscription) -> Value {
    json!({
        "__typename": "WebhookSubscription",
        "id": s.gid(),
        "topic": s.topic,
        "uri": s.uri,
        "format": s.format,
        "includeFields": [],
        "filter": null,
        "apiVersion": {"handle": "2026-04"},
    })
}

/// A connection value with edges, nodes and page info.
fn connection(items: Vec<(String, Value)>, has_next: bool, has_previous: bool) -> Value {
    let start = items.first().map(|(c, _)| c.clone());
    let end = items.last().map(|(c, _)| c.clone());
    let edges: Vec<Value> = items
        .iter()
        .map(|(c, n)| json!({"cursor": c, "node": n}))
        .collect();
    let nodes: Vec<Value> = items.into_iter().map(|(_, n)| n).collect();
    json!({
        "edges": edges,
        "nodes": nodes,
        "pageInfo": {"hasNextPage": has_next, "hasPreviousPage": has_previous,
                     "startCursor": start, "endCursor": end},
    })
}

/// A searched connection's arguments as the engine sends them: `first`, a positional
/// `after`, and the `query` text.
struct Search {
    first: usize,
    start: usize,
    query: String,
}

impl Search {
    fn of(field: &Field, vars: &Value) -> Self {
        let text =
            |name: &str| argument(field, name, vars).and_then(|v| v.as_str().map(str::to_string));
        Self {
            first: argument(field, "first", vars)
                .and_then(|v| v.as_u64())
                .unwrap_or(0) as usize,
            start: text("after")
                .and_then(|c| c.strip_prefix('o').and_then(|n| n.parse().ok()))
                .unwrap_or(0),
            query: text("query").unwrap_or_default(),
        }
    }

    /// The `updated_at:>'…'` bound of the query.
    fn since(&self) -> Option<&str> {
        self.query
            .split("updated_at:>'")
            .nth(1)
            .and_then(|r| r.split('\'').next())
    }

    /// Whether `record` was updated after the bound.
    fn newer(&self, record: &Value) -> bool {
        self.since()
            .is_none_or(|t| record["updatedAt"].as_str().unwrap_or_default() > t)
    }

    /// The page of `all` (already filtered and ordered) as a connection.
    fn page(&self, all: &[&Value]) -> Value {
        let page: Vec<(String, Value)> = all
            .iter()
            .enumerate()
            .skip(self.start)
            .take(self.first)
            .map(|(i, c)| (format!("o{}", i + 1), (*c).clone()))
            .collect();
        let more = self.start + page.len() < all.len();
        connection(page, more, self.start > 0)
    }
}

/// `customers|orders|products(first, after, query, sortKey)`: the filter
/// `updated_at:>'…'` (the one the engine uses) and the `UPDATED_AT` or `ID` order;
/// cursors are positions. Nested connections are answered whole.
fn updated_page(
    records: &std::collections::BTreeMap<u64, Value>,
    field: &Field,
    vars: &Value,
) -> Value {
    let search = Search::of(field, vars);
    let by_update = argument(field, "sortKey", vars).and_then(|v| v.as_str().map(str::to_string))
        == Some("UPDATED_AT".into());
    let mut all: Vec<&Value> = records.values().filter(|c| search.newer(c)).collect();
    if by_update {
        all.sort_by(|a, b| a["updatedAt"].as_str().cmp(&b["updatedAt"].as_str()));
    }
    search.page(&all)
}

/// `abandonedCheckouts(first, after, query)`: `status:open` and `updated_at:>'…'` as the
/// engine sends them, oldest first; cursors are positions.
fn abandoned_checkouts(s: &ShopState, field: &Field, vars: &Value) -> Value {
    let search = Search::of(field, vars);
    let open_only = search.query.contains("status:open");
    let mut all: Vec<&Value> = s
        .checkouts
        .values()
        .filter(|c| search.newer(c))
        .filter(|c| !open_only || c["completedAt"].is_null())
        .collect();
    all.sort_by(|a, b| a["createdAt"].as_str().cmp(&b["createdAt"].as_str()));
    search.page(&all)
}
