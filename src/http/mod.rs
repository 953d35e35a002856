//! The axum router: Shopify webhooks, the admin API, ops endpoints (health, readiness,
//! metrics) and the OpenAPI document. Handlers are thin: parse, authenticate, call the
//! store or an actor, map errors through [`error::ApiError`].

pub mod admin;
pub mod auth;
pub mod error;
pub mod openapi;
pub mod ops;
pub mod shopify_webhooks;

use crate::actors::Engine;
use crate::secrets::MasterKey;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::Arc;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The actor tree and the store.
    pub engine: Engine,
    /// Seals tokens at rest.
    pub master_key: MasterKey,
    /// Shopify HMAC keys: the client secret, then the previous one (rotation).
    pub shopify_secrets: Arc<Vec<Vec<u8>>>,
    /// The operator bearer token.
    pub operator_token: Arc<String>,
    /// Largest accepted body.
    pub max_body_bytes: usize,
    /// Prometheus renderer.
    pub metrics: PrometheusHandle,
}

/// Builds the router.
pub fn router(state: AppState) -> Router {
    let limit = state.max_body_bytes;
    Router::new()
        .route("/webhooks/shopify", post(shopify_webhooks::receive))
        .route(
            "/api/v1/tenants",
            post(admin::tenants::create).get(admin::tenants::list),
        )
        .route(
            "/api/v1/tenants/{shop}",
            axum::routing::delete(admin::tenants::delete),
        )
        .route("/api/v1/contacts", get(admin::contacts::search))
        .route(
            "/api/v1/contacts/{id}",
            get(admin::contacts::get).patch(admin::contacts::patch),
        )
        .route("/api/v1/checkouts", get(admin::contacts::checkouts))
        .route("/api/v1/products", get(admin::products::list))
        .route("/api/v1/products/{id}", get(admin::products::get))
        .route("/api/v1/collections", get(admin::products::collections))
        .route("/api/v1/events", get(admin::events::list))
        .route("/api/v1/exports", get(admin::events::exports))
        .route("/api/v1/exports/{request_id}", get(admin::events::export))
        .route("/api/v1/deadletters", get(admin::deadletters::list))
        .route(
            "/api/v1/deadletters/{id}/replay",
            post(admin::deadletters::replay),
        )
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .fallback(ops::not_found)
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}
