//! Shopify's OAuth endpoints, emulated: `GET /admin/oauth/authorize` (the merchant
//! approves at once: a redirect to `redirect_uri` with a one-time code, signed like
//! Shopify signs it) and `POST /admin/oauth/access_token` (code exchange, token exchange
//! of a session token or of a non-expiring token, refresh with a rotating refresh
//! token). A granted token replaces the shop's previous one; expiring tokens stop
//! working after their lifetime. Errors are Shopify's `{error, error_description}`.

use super::state::Shared;
use crate::logic::shopify::oauth::{sign_query, verify_session_token};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the endpoints need.
pub struct Ctx {
    /// Shops and counts.
    pub shared: Arc<Shared>,
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: String,
}

/// The two routes.
pub fn router(ctx: Arc<Ctx>) -> axum::Router {
    axum::Router::new()
        .route("/admin/oauth/authorize", axum::routing::get(authorize))
        .route(
            "/admin/oauth/access_token",
            axum::routing::post(access_token),
        )
        .with_state(ctx)
}

fn refuse(error: &str, description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

async fn authorize(
    State(ctx): State<Arc<Ctx>>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    let (shop, redirect, state) = (get("shop"), get("redirect_uri"), get("state"));
    if get("client_id") != ctx.client_id {
        return refuse("invalid_request", "unknown client_id");
    }
    let code = hex::encode(rand::random::<[u8; 12]>());
    {
        let mut st = ctx.shared.lock();
        if !st.shops.contains_key(&shop) {
            return (StatusCode::NOT_FOUND, "There's no store at this address.").into_response();
        }
        st.codes.insert(code.clone(), shop.clone());
        st.count("oauth_authorize");
    }
    let ts = (crate::domain::Timestamp::now().millis() / 1000).to_string();
    let mut params: Vec<(String, String)> = vec![
        ("code".into(), code),
        ("host".into(), "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvZW11".into()),
        ("shop".into(), shop),
        ("state".into(), state),
        ("timestamp".into(), ts),
    ];
    let hmac = sign_query(&params, ctx.client_secret.as_bytes());
    params.push(("hmac".into(), hmac));
    let Ok(mut url) = reqwest::Url::parse(&redirect) else {
        return refuse("invalid_request", "redirect_uri is not a URL");
    };
    for (k, v) in &params {
        url.query_pairs_mut().append_pair(k, v);
    }
    (StatusCode::FOUND, [(header::LOCATION, url.to_string())]).into_response()
}

async fn access_token(
    State(ctx): State<Arc<Ctx>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let shop = headers
        .get("X-Shopify-Shop-Domain")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let s = |k: &str| body[k].as_str().unwrap_or_default().to_string();
    if s("client_id") != ctx.client_id || s("client_secret") != ctx.client_secret {
        return refuse("invalid_client", "Client authentication failed");
    }
    let mut st = ctx.shared.lock();
    let ttl = st.access_ttl_s;
    let kind: &str;
    let mut want_expiring = s("expiring") == "1";
    match s("grant_type").as_str() {
        "" => {
            kind = "oauth_code";
            if st.codes.remove(&s("code")).as_deref() != Some(shop.as_str()) {
                return refuse(
                    "invalid_request",
                    "The authorization code was not found or was already used",
                );
            }
        }
        "urn:ietf:params:oauth:grant-type:token-exchange" => {
            kind = "oauth_exchange";
            let subject = s("subject_token");
            let from_offline = s("subject_token_type")
                == "urn:shopify:params:oauth:token-type:offline-access-token";
            let now = crate::domain::Timestamp::now().millis() / 1000;
            let ok = if from_offline {
                st.shops
                    .get(&shop)
                    .is_some_and(|x| x.accepts(&subject) && x.token_expires.is_none())
            } else {
                verify_session_token(
                    &subject,
                    &[ctx.client_secret.as_bytes().to_vec()],
                    &ctx.client_id,
                    now,
                )
                .is_ok_and(|sess| sess.shop.as_str() == shop)
            };
            if !ok {
                return refuse(
                    "invalid_subject_token",
                    "The subject token is invalid or expired",
                );
            }
        }
        "refresh_token" => {
            kind = "oauth_refresh";
            want_expiring = true;
            let given = s("refresh_token");
            let Some(x) = st.shops.get(&shop) else {
                return refuse("invalid_request", "unknown shop");
            };
            let current = x.refresh.as_deref() == Some(given.as_str());
            let previous = x.previous_refresh.as_deref() == Some(given.as_str());
            if given.is_empty() || !(current || previous) {
                return refuse(
                    "invalid_grant",
                    "The refresh token is invalid, expired or revoked",
                );
            }
        }
        _ => return refuse("unsupported_grant_type", "unsupported grant_type"),
    }
    let n = st.next_id();
    st.count(kind);
    let Some(x) = st.shops.get_mut(&shop) else {
        return refuse("invalid_request", "unknown shop");
    };
    let token = format!("shpat_emu_{n}");
    x.token = token.clone();
    let mut grant =
        json!({"access_token": token, "scope": "read_customers,read_orders,read_products"});
    if want_expiring {
        let refresh = format!("shprt_emu_{n}");
        x.token_expires = Some(Instant::now() + Duration::from_secs(ttl));
        x.previous_refresh = x.refresh.replace(refresh.clone());
        grant["expires_in"] = json!(ttl);
        grant["refresh_token"] = json!(refresh);
        grant["refresh_token_expires_in"] = json!(7_776_000);
    } else {
        x.token_expires = None;
        x.refresh = None;
        x.previous_refresh = None;
    }
    Json(grant).into_response()
}
