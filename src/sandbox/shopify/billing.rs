//! App subscriptions, emulated: `appSubscriptionCreate` keeps a PENDING subscription and
//! answers the confirmation URL; opening it (`GET /admin/charges/{n}/confirm`, the
//! merchant's click; `?decline=1` declines) makes it ACTIVE — cancelling the shop's
//! previous active one, as Shopify's standard replacement does — sends the signed
//! `app_subscriptions/update` webhook of each change, and redirects to the app's
//! `returnUrl` with `charge_id`.

use super::project::argument;
use super::state::Shared;
use apollo_compiler::executable::Field;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn gid(n: u64) -> String {
    format!("gid://shopify/AppSubscription/{n}")
}

/// `appSubscriptionCreate`.
pub fn create(shared: &Shared, shop: &str, field: &Field, vars: &Value) -> Value {
    let arg = |n: &str| argument(field, n, vars).unwrap_or(Value::Null);
    let (name, return_url, items) = (arg("name"), arg("returnUrl"), arg("lineItems"));
    let priced = items.as_array().is_some_and(|l| {
        !l.is_empty()
            && l.iter().all(|i| {
                i["plan"]["appRecurringPricingDetails"]["price"]["amount"].is_string()
                    || i["plan"]["appUsagePricingDetails"].is_object()
            })
    });
    let problem = if name.as_str().is_none_or(str::is_empty) {
        Some((vec!["name"], "Name can't be blank"))
    } else if !return_url.as_str().is_some_and(|u| u.starts_with("http")) {
        Some((vec!["returnUrl"], "Return url is invalid"))
    } else if !priced {
        Some((vec!["lineItems"], "Line items must have a price"))
    } else {
        None
    };
    if let Some((path, message)) = problem {
        return json!({"appSubscription": null, "confirmationUrl": null,
            "userErrors": [{"field": path, "message": message}]});
    }
    let mut st = shared.lock();
    let n = st.next_id();
    let base = st.base_url.clone();
    let created = now();
    let sub = json!({"id": gid(n), "name": name, "status": "PENDING", "trialDays": arg("trialDays").as_u64().unwrap_or(0),
        "createdAt": created, "returnUrl": return_url, "test": arg("test").as_bool().unwrap_or(false)});
    if let Some(s) = st.shops.get_mut(shop) {
        s.app_subscriptions.insert(n, sub.clone());
    }
    st.count("app_subscription_create");
    json!({"appSubscription": sub, "confirmationUrl": format!("{base}/admin/charges/{n}/confirm?shop={shop}"),
        "userErrors": []})
}

/// `GET /admin/charges/{n}/confirm?shop=…[&decline=1]`.
pub async fn confirm(
    State(shared): State<Arc<Shared>>,
    Path(n): Path<u64>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let shop = q.get("shop").cloned().unwrap_or_default();
    let declined = q.get("decline").is_some_and(|v| v == "1");
    let mut changed: Vec<Value> = Vec::new();
    let return_url = {
        let mut st = shared.lock();
        let Some(s) = st.shops.get_mut(&shop) else {
            return (StatusCode::NOT_FOUND, "no such shop").into_response();
        };
        let Some(status) = s.app_subscriptions.get(&n).map(|x| x["status"].clone()) else {
            return (StatusCode::NOT_FOUND, "no such charge").into_response();
        };
        if status != "PENDING" {
            return (StatusCode::CONFLICT, "this charge was already answered").into_response();
        }
        let at = now();
        if !declined {
            for (id, other) in s.app_subscriptions.iter_mut() {
                if *id != n && other["status"] == "ACTIVE" {
                    other["status"] = json!("CANCELLED");
                    other["updatedAt"] = json!(at);
                    changed.push(other.clone());
                }
            }
        }
        let Some(sub) = s.app_subscriptions.get_mut(&n) else {
            return (StatusCode::NOT_FOUND, "no such charge").into_response();
        };
        sub["status"] = json!(if declined { "DECLINED" } else { "ACTIVE" });
        sub["updatedAt"] = json!(at);
        changed.push(sub.clone());
        sub["returnUrl"].as_str().unwrap_or_default().to_string()
    };
    for sub in &changed {
        let body = json!({"app_subscription": {
            "admin_graphql_api_id": sub["id"], "name": sub["name"], "status": sub["status"],
            "admin_graphql_api_shop_id": "gid://shopify/Shop/1", "created_at": sub["createdAt"],
            "updated_at": sub["updatedAt"], "currency": "USD", "interval": "every_30_days"}});
        super::webhooks::send(
            &shared,
            &shop,
            "APP_SUBSCRIPTIONS_UPDATE",
            "app_subscriptions/update",
            &body,
        );
    }
    let sep = if return_url.contains('?') { '&' } else { '?' };
    (
        StatusCode::FOUND,
        [(header::LOCATION, format!("{return_url}{sep}charge_id={n}"))],
    )
        .into_response()
}
