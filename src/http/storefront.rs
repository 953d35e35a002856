//! The public storefront endpoints under `/storefront/v1/`, called by the shop's
//! back-in-stock widget from shoppers' browsers: subscribe to a sold-out variant, read
//! and cancel one's own subscription. No bearer key: the shop is named in the request,
//! the subscriber's phone number is the proof of ownership, and [`guard`] adds CORS for
//! the shop's storefront origin and rate limits per client IP and per phone number.
//! Handlers parse → `services::back_in_stock` → format; errors are JSON `{code, message}`.
//!
//! Input limits: `shop` ≤ 255 characters (a myshopify domain), `phone` ≤ 32, `country`
//! exactly 2 letters (ISO 3166-1 alpha-2, the region a national number is read in),
//! `variant_id` a JSON integer or a string of at most 20 digits; the body is bounded by
//! `server.max_body_bytes` like every body.

pub mod guard;

use crate::domain::back_in_stock::Subscription;
use crate::domain::phone::{PhoneE164, PhoneError};
use crate::domain::ShopDomain;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{path_id, ApiJson, ApiQuery};
use crate::http::AppState;
use crate::services::back_in_stock::{self as service, BackInStockError, SubscribeRequest};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

/// Longest `shop`.
pub const SHOP_CHARS: usize = 255;
/// Longest `phone` as typed.
pub const PHONE_CHARS: usize = 32;
/// Most digits of an id given as a string.
pub const ID_DIGITS: usize = 20;

/// Why a storefront request is refused.
#[derive(Debug, thiserror::Error)]
pub enum StorefrontError {
    /// A malformed field, body, query or path (400 and others from the extractors).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The phone number cannot be read as E.164.
    #[error("{message}")]
    Phone {
        /// `phone_missing_calling_code` or `invalid_phone`.
        code: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// A subscription refusal or an engine failure.
    #[error(transparent)]
    Service(#[from] BackInStockError),
    /// Over a rate limit: 429 with `Retry-After`.
    #[error("{message}")]
    RateLimited {
        /// Which limit.
        message: String,
        /// Seconds to wait.
        retry_after: u64,
    },
    /// A CORS preflight from an origin that is not an installed shop's storefront.
    #[error("this origin may not call the storefront API")]
    OriginNotAllowed,
}

impl IntoResponse for StorefrontError {
    fn into_response(self) -> Response {
        use BackInStockError as B;
        let (status, code) = match &self {
            StorefrontError::Api(_) => return self.into_api().into_response(),
            StorefrontError::Phone { code, .. } => (StatusCode::BAD_REQUEST, *code),
            StorefrontError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            StorefrontError::OriginNotAllowed => (StatusCode::FORBIDDEN, "origin_not_allowed"),
            StorefrontError::Service(B::UnknownShop(_)) => (StatusCode::NOT_FOUND, "unknown_shop"),
            StorefrontError::Service(B::Uninstalled(_)) => (StatusCode::GONE, "shop_uninstalled"),
            StorefrontError::Service(B::UnknownVariant(_)) => {
                (StatusCode::NOT_FOUND, "unknown_variant")
            }
            StorefrontError::Service(B::InStock { .. }) => {
                (StatusCode::CONFLICT, "variant_in_stock")
            }
            StorefrontError::Service(B::NotFound(_)) => {
                (StatusCode::NOT_FOUND, "subscription_not_found")
            }
            StorefrontError::Service(B::Engine(_) | B::Store(_)) => {
                return self.into_api().into_response()
            }
        };
        let message = self.to_string();
        let mut resp = (status, Json(ErrorBody { code, message })).into_response();
        if let StorefrontError::RateLimited { retry_after, .. } = self {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        resp
    }
}

impl StorefrontError {
    fn into_api(self) -> ApiError {
        match self {
            StorefrontError::Api(e) => e,
            StorefrontError::Service(BackInStockError::Engine(e)) => e.into(),
            StorefrontError::Service(BackInStockError::Store(e)) => e.into(),
            other => ApiError::internal(other),
        }
    }
}

/// A variant id as the widget has it: a JSON integer, or a string of digits (Liquid's
/// `variant.id` renders as a number; JavaScript code often holds it as a string).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum VariantIdInput {
    /// As a number.
    Number(u64),
    /// As a string of up to 20 digits.
    Text(String),
}

/// `POST /storefront/v1/back-in-stock`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SubscribeBody {
    /// The shop's myshopify domain.
    #[schema(
        max_length = 255,
        pattern = "^[A-Za-z0-9]([A-Za-z0-9-]{0,58}[A-Za-z0-9])?\\.myshopify\\.com$",
        example = "demo-store.myshopify.com"
    )]
    pub shop: String,
    /// The sold-out variant.
    pub variant_id: VariantIdInput,
    /// The shopper's WhatsApp number: E.164 (`+14155550123`), or national with `country`.
    #[schema(max_length = 32, example = "+14155550123")]
    pub phone: String,
    /// ISO 3166-1 alpha-2 region to read a national `phone` in (e.g. the storefront's
    /// country).
    #[schema(
        min_length = 2,
        max_length = 2,
        pattern = "^[A-Za-z]{2}$",
        example = "US"
    )]
    pub country: Option<String>,
}

/// The proof of ownership of `GET` and cancel: the shop and the subscriber's number.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OwnerQuery {
    /// The shop's myshopify domain.
    #[param(
        max_length = 255,
        pattern = "^[A-Za-z0-9]([A-Za-z0-9-]{0,58}[A-Za-z0-9])?\\.myshopify\\.com$"
    )]
    pub shop: String,
    /// The subscriber's number, as given when subscribing (or in E.164).
    #[param(max_length = 32)]
    pub phone: String,
    /// Region to read a national `phone` in.
    #[param(min_length = 2, max_length = 2, pattern = "^[A-Za-z]{2}$")]
    pub country: Option<String>,
}

fn shop_of(raw: &str) -> Result<ShopDomain, StorefrontError> {
    crate::http::input_limits::max_chars("shop", raw, SHOP_CHARS)?;
    ShopDomain::parse(raw).map_err(|_| {
        ApiError::bad_request(
            "invalid_shop",
            "`shop` must be the shop's myshopify domain, e.g. `demo-store.myshopify.com`",
        )
        .into()
    })
}

fn phone_of(raw: &str, country: Option<&str>) -> Result<PhoneE164, StorefrontError> {
    crate::http::input_limits::max_chars("phone", raw, PHONE_CHARS)?;
    if let Some(c) = country {
        if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_alphabetic()) {
            let msg = "`country` must be 2 letters (ISO 3166-1 alpha-2, e.g. `US`)";
            return Err(ApiError::bad_request("invalid_field", msg).into());
        }
    }
    PhoneE164::from_raw(raw, country).map_err(|e| match e {
        PhoneError::MissingCallingCode => StorefrontError::Phone {
            code: "phone_missing_calling_code",
            message:
                "`phone` has no country calling code: send it as +<code><number> or give `country`"
                    .into(),
        },
        PhoneError::Invalid => StorefrontError::Phone {
            code: "invalid_phone",
            message: "`phone` is not a valid phone number for the given country".into(),
        },
    })
}

fn variant_of(v: &VariantIdInput) -> Result<u64, StorefrontError> {
    let bad = || {
        ApiError::bad_request(
            "invalid_field",
            format!("`variant_id` must be a variant id: an integer or up to {ID_DIGITS} digits"),
        )
    };
    let id = match v {
        VariantIdInput::Number(n) => *n,
        VariantIdInput::Text(t) => {
            let digits =
                !t.is_empty() && t.len() <= ID_DIGITS && t.bytes().all(|b| b.is_ascii_digit());
            digits
                .then(|| t.parse::<u64>().ok())
                .flatten()
                .ok_or_else(bad)?
        }
    };
    crate::domain::ids::checked_id(id).map_err(|_| bad().into())
}

/// Subscribes a phone number to a sold-out variant, with the shopper's marketing consent.
#[utoipa::path(post, path = "/storefront/v1/back-in-stock", tag = "storefront",
    request_body = SubscribeBody,
    responses(
        (status = 201, body = Subscription, description = "subscribed"),
        (status = 200, body = Subscription, description = "already subscribed (or re-activated): the same subscription"),
        (status = 400, body = ErrorBody, description = "bad JSON or field: `invalid_phone`, `phone_missing_calling_code`, `invalid_shop`, `invalid_field`, `too_long`, `invalid_body`"),
        (status = 404, body = ErrorBody, description = "`unknown_shop` or `unknown_variant`"),
        (status = 408, body = ErrorBody, description = "the body did not arrive within the read deadline"),
        (status = 409, body = ErrorBody, description = "`variant_in_stock`: the variant can be bought now"),
        (status = 410, body = ErrorBody, description = "`shop_uninstalled`"),
        (status = 413, body = ErrorBody, description = "the body is over the size limit"),
        (status = 415, body = ErrorBody, description = "the body is not declared `application/json`"),
        (status = 429, body = ErrorBody, description = "`rate_limited` per IP or per phone; see `Retry-After`",
            headers(("Retry-After" = u64, description = "seconds to wait"))),
        (status = 503, body = ErrorBody, description = "recovering, or the shop's actor did not answer; retry"),
    ))]
pub async fn subscribe(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SubscribeBody>,
) -> Result<(StatusCode, Json<Subscription>), StorefrontError> {
    let shop = shop_of(&body.shop)?;
    let variant_id = variant_of(&body.variant_id)?;
    let phone = phone_of(&body.phone, body.country.as_deref())?;
    state.storefront.check_phone(phone.digits())?;
    let req = SubscribeRequest {
        shop,
        variant_id,
        phone,
    };
    let out = service::subscribe(&state.engine, req).await?;
    let status = if out.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(out.subscription)))
}

fn owner(q: &OwnerQuery, raw_id: &str) -> Result<(ShopDomain, u64, PhoneE164), StorefrontError> {
    let id = path_id(raw_id, "a subscription id")?;
    let shop = shop_of(&q.shop)?;
    let phone = phone_of(&q.phone, q.country.as_deref())?;
    Ok((shop, id, phone))
}

/// One subscription, for its subscriber.
#[utoipa::path(get, path = "/storefront/v1/back-in-stock/{id}", tag = "storefront",
    params(("id" = String, Path, pattern = "^[0-9]{1,20}$", description = "subscription id"), OwnerQuery),
    responses(
        (status = 200, body = Subscription, description = "the subscription"),
        (status = 400, body = ErrorBody, description = "bad id, shop or phone"),
        (status = 404, body = ErrorBody, description = "`unknown_shop`, or `subscription_not_found` (also when the phone is not the subscriber's)"),
        (status = 410, body = ErrorBody, description = "`shop_uninstalled`"),
        (status = 429, body = ErrorBody, description = "`rate_limited`; see `Retry-After`",
            headers(("Retry-After" = u64, description = "seconds to wait"))),
        (status = 503, body = ErrorBody, description = "the shop's actor did not answer; retry"),
    ))]
pub async fn get_one(
    State(state): State<AppState>,
    Path(raw_id): Path<String>,
    ApiQuery(q): ApiQuery<OwnerQuery>,
) -> Result<Json<Subscription>, StorefrontError> {
    let (shop, id, phone) = owner(&q, &raw_id)?;
    Ok(Json(
        service::get(&state.engine, shop.as_str(), id, phone).await?,
    ))
}

/// Cancels a subscription, for its subscriber: it is not notified any more.
#[utoipa::path(post, path = "/storefront/v1/back-in-stock/{id}/cancel", tag = "storefront",
    params(("id" = String, Path, pattern = "^[0-9]{1,20}$", description = "subscription id"), OwnerQuery),
    responses(
        (status = 200, body = Subscription, description = "cancelled (cancelling twice answers the same)"),
        (status = 400, body = ErrorBody, description = "bad id, shop or phone"),
        (status = 404, body = ErrorBody, description = "`unknown_shop`, or `subscription_not_found` (also when the phone is not the subscriber's)"),
        (status = 410, body = ErrorBody, description = "`shop_uninstalled`"),
        (status = 429, body = ErrorBody, description = "`rate_limited`; see `Retry-After`",
            headers(("Retry-After" = u64, description = "seconds to wait"))),
        (status = 503, body = ErrorBody, description = "the shop's actor did not answer; retry"),
    ))]
pub async fn cancel(
    State(state): State<AppState>,
    Path(raw_id): Path<String>,
    ApiQuery(q): ApiQuery<OwnerQuery>,
) -> Result<Json<Subscription>, StorefrontError> {
    let (shop, id, phone) = owner(&q, &raw_id)?;
    Ok(Json(
        service::cancel(&state.engine, shop.as_str(), id, phone).await?,
    ))
}

/// CORS preflight: 204 with the CORS headers for an installed shop's storefront origin
/// (`https://{shop}`), 403 without them for any other.
#[utoipa::path(options, path = "/storefront/v1/back-in-stock", tag = "storefront",
    params(("Origin" = String, Header, description = "the calling page's origin")),
    responses(
        (status = 204, description = "allowed: `Access-Control-Allow-Origin` and friends are set"),
        (status = 403, body = ErrorBody, description = "`origin_not_allowed`: no CORS headers"),
    ))]
pub async fn preflight(State(state): State<AppState>, headers: HeaderMap) -> Response {
    guard::preflight(guard::allowed_origin(&state, &headers))
}

/// The storefront routes with their guard (CORS, per-IP limit), to merge into the app.
pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route(
            "/storefront/v1/back-in-stock",
            post(subscribe).options(preflight),
        )
        .route(
            "/storefront/v1/back-in-stock/{id}",
            get(get_one).options(preflight),
        )
        .route(
            "/storefront/v1/back-in-stock/{id}/cancel",
            post(cancel).options(preflight),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::layer,
        ))
}

/// The storefront part of the OpenAPI document (merged into the admin one).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(subscribe, get_one, cancel, preflight),
    components(schemas(SubscribeBody, VariantIdInput, Subscription, ErrorBody))
)]
pub struct StorefrontDoc;
