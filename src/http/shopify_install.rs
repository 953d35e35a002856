//! The app-install endpoints, called by Shopify and the merchant's browser (no bearer
//! key: Shopify's HMAC, our one-time `state` nonce and App Bridge's session token are the
//! proofs). `GET /shopify/install` (the App URL) checks Shopify's signature and sends the
//! browser to Shopify's authorize page with a fresh `state`; `GET /shopify/callback` (the
//! `redirect_uri`) checks the signature, the shop, the timestamp and that `state` is the
//! pending nonce of that shop (single use, 10 minutes), exchanges the code and creates or
//! refreshes the tenant; `POST /shopify/session` does the same for embedded apps by token
//! exchange of a verified session token. A new tenant's API key is in the answer once.
//! Every refusal names its reason and creates nothing.

use crate::domain::Timestamp;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::ApiQuery;
use crate::http::AppState;
use crate::integrations::shopify::admin::AdminError;
use crate::logic::shopify::oauth::{self, OauthError};
use crate::services::shopify_auth::{self, AuthError, Installed};
use crate::store::whatsapp::text_id;
use crate::store::{Batch, Kind};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// How long an install's `state` stays usable.
const STATE_TTL_MS: i64 = 10 * 60 * 1000;

impl From<OauthError> for ApiError {
    fn from(e: OauthError) -> Self {
        let code = match e {
            OauthError::Missing(_) => "missing_parameter",
            OauthError::BadHmac => "bad_hmac",
            OauthError::BadShop(_) => "bad_shop",
            OauthError::Stale(_) => "stale_request",
            OauthError::BadState => "bad_state",
            OauthError::Malformed(_) | OauthError::BadSignature | OauthError::Claims(_) => {
                return ApiError::Unauthorized {
                    code: "invalid_session_token",
                    message: e.to_string(),
                }
            }
        };
        ApiError::bad_request(code, e.to_string())
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Shopify(AdminError::Refused(_)) => {
                ApiError::bad_request("grant_refused", e.to_string())
            }
            AuthError::Shopify(AdminError::Unauthorized { .. }) => ApiError::Unprocessable {
                code: "shopify_token_invalid",
                message: e.to_string(),
            },
            AuthError::Shopify(s) => ApiError::Upstream {
                code: "shopify_error",
                message: s.to_string(),
            },
            AuthError::UnknownShop(_) => ApiError::not_found("unknown_shop", e.to_string()),
            AuthError::Uninstalled(_) => ApiError::Conflict(e.to_string()),
            AuthError::Tenant(t) => ApiError::Conflict(t.to_string()),
            AuthError::Store(s) => s.into(),
            AuthError::Engine(x) => x.into(),
            AuthError::Sealed(_) => ApiError::internal(e),
        }
    }
}

fn now_s() -> i64 {
    Timestamp::now().millis() / 1000
}

fn configured(state: &AppState) -> Result<(), ApiError> {
    let app = &state.services.shopify_app;
    if app.client_id.is_empty() || app.app_url.is_none() {
        return Err(ApiError::not_found(
            "installs_not_configured",
            "installs are not configured on this engine: set shopify.client_id and shopify.app_url",
        ));
    }
    Ok(())
}

/// Shopify's App URL: the merchant opened the app; sends the browser to Shopify's
/// authorize page with a one-time `state`.
#[utoipa::path(get, path = "/shopify/install", tag = "shopify",
    params(("shop" = String, Query), ("timestamp" = String, Query), ("hmac" = String, Query)),
    responses((status = 302, description = "to Shopify's authorize page"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody, description = "installs not configured")))]
pub async fn install(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    configured(&state)?;
    let app = state.services.shopify_app.clone();
    let shop = oauth::verify_query(&params, &app.secrets(), now_s())?;
    let nonce = hex::encode(rand::random::<[u8; 16]>());
    let mut b = Batch::new();
    b.put(
        shop.as_str(),
        Kind::OauthState,
        text_id(&nonce),
        &Timestamp::now().millis(),
    )?;
    state.engine.store().commit(b)?;
    let redirect = format!(
        "{}/shopify/callback",
        app.app_url
            .as_deref()
            .unwrap_or_default()
            .trim_end_matches('/')
    );
    let mut url =
        reqwest::Url::parse(&state.services.shopify.oauth_url(shop.as_str(), "authorize"))
            .map_err(ApiError::internal)?;
    url.query_pairs_mut()
        .append_pair("client_id", &app.client_id)
        .append_pair("scope", &app.scopes)
        .append_pair("redirect_uri", &redirect)
        .append_pair("state", &nonce)
        .append_pair("shop", shop.as_str());
    Ok((StatusCode::FOUND, [(header::LOCATION, url.to_string())]).into_response())
}

/// Shopify's redirect after the merchant approved: checks, exchanges the code, creates or
/// refreshes the tenant.
#[utoipa::path(get, path = "/shopify/callback", tag = "shopify",
    params(("shop" = String, Query), ("code" = String, Query), ("state" = String, Query), ("timestamp" = String, Query), ("hmac" = String, Query)),
    responses((status = 200, body = Installed, description = "installed"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody, description = "installs not configured"), (status = 409, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn callback(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<Vec<(String, String)>>,
) -> Result<Json<Installed>, ApiError> {
    configured(&state)?;
    let app = state.services.shopify_app.clone();
    let shop = oauth::verify_query(&params, &app.secrets(), now_s())?;
    let get = |k: &'static str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .ok_or(OauthError::Missing(k))
    };
    let nonce = get("state")?;
    let code = get("code")?;
    let store = state.engine.store();
    let issued: Option<i64> = store.get(shop.as_str(), Kind::OauthState, text_id(&nonce))?;
    let fresh = issued.is_some_and(|at| Timestamp::now().millis() - at <= STATE_TTL_MS);
    if !fresh {
        return Err(OauthError::BadState.into());
    }
    let mut b = Batch::new();
    b.remove(shop.as_str(), Kind::OauthState, text_id(&nonce));
    store.commit(b)?;
    let grant = shopify_auth::exchange_code(&state.services, &shop, &code).await?;
    Ok(Json(
        shopify_auth::install(&state.services, &shop, grant).await?,
    ))
}

/// Token exchange for embedded apps: `Authorization: Bearer <App Bridge session token>`.
#[utoipa::path(post, path = "/shopify/session", tag = "shopify",
    responses((status = 200, body = Installed, description = "installed or refreshed"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody, description = "installs not configured"), (status = 409, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn session(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Installed>, ApiError> {
    configured(&state)?;
    let app = state.services.shopify_app.clone();
    let jwt = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(OauthError::Malformed(
            "no `Authorization: Bearer` session token",
        ))?;
    let session = oauth::verify_session_token(jwt, &app.secrets(), &app.client_id, now_s())?;
    let grant = shopify_auth::exchange_session(&state.services, &session.shop, jwt).await?;
    Ok(Json(
        shopify_auth::install(&state.services, &session.shop, grant).await?,
    ))
}
