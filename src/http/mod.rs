//! The axum router: Shopify webhooks, the admin API, the public storefront endpoints
//! (`storefront`, outside the bearer auth), ops endpoints (health, readiness, metrics) and
//! the OpenAPI document. Handlers are thin: parse, authenticate, call a
//! service (`crate::services`) or a typed `Engine` method, map errors through
//! [`error::ApiError`]. Nothing here builds actor messages.

pub mod admin;
pub mod auth;
pub mod error;
pub mod extract;
pub mod input_limits;
pub mod limits;
pub mod links;
pub mod meta_webhooks;
pub mod openapi;
pub mod ops;
pub mod serve;
pub mod shopify_install;
pub mod shopify_webhooks;
pub mod storefront;
pub mod wire_errors;

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
    /// Meta app secret: the HMAC key of `X-Hub-Signature-256`.
    pub meta_app_secret: Arc<String>,
    /// Token echoed by the Meta verify challenge.
    pub meta_verify_token: Arc<String>,
    /// Graph API version (recorded on journaled Meta events).
    pub graph_version: Arc<String>,
    /// What the services need (engine, Meta client, master key, app credentials).
    pub services: crate::services::Context,
    /// Rate limits and client-address policy of the storefront endpoints.
    pub storefront: Arc<storefront::guard::Guard>,
}

/// The router with the body rules of `server` (declared-length check, bytes in flight,
/// body deadline: [`limits`]) in front of every route.
pub fn app(state: AppState, server: &crate::config::ServerSettings) -> Router {
    let limits = limits::BodyLimits::new(
        server.max_body_bytes,
        server.max_body_bytes_in_flight,
        server.body_read_timeout(),
    );
    router(state).layer(axum::middleware::from_fn_with_state(
        limits,
        limits::guard_body,
    ))
}

/// Builds the router.
pub fn router(state: AppState) -> Router {
    let limit = state.max_body_bytes;
    Router::new()
        .route("/webhooks/shopify", post(shopify_webhooks::receive))
        .route("/shopify/install", get(shopify_install::install))
        .route("/shopify/callback", get(shopify_install::callback))
        .route("/shopify/session", post(shopify_install::session))
        .route("/shopify/billing/return", get(admin::billing::returned))
        .route(
            "/webhooks/meta",
            get(meta_webhooks::verify).post(meta_webhooks::receive),
        )
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
        .route(
            "/api/v1/products/{id}/catalog",
            axum::routing::put(admin::products::set_catalog),
        )
        .route("/api/v1/collections", get(admin::products::collections))
        .route("/api/v1/events", get(admin::events::list))
        .route("/api/v1/exports", get(admin::events::exports))
        .route("/api/v1/exports/{request_id}", get(admin::events::export))
        .route("/api/v1/deadletters", get(admin::deadletters::list))
        .route("/api/v1/deadletters/{id}", get(admin::deadletters::get))
        .route(
            "/api/v1/deadletters/{id}/replay",
            post(admin::deadletters::replay),
        )
        .route("/api/v1/threads", get(admin::inbox::threads))
        .route("/api/v1/threads/{id}", get(admin::inbox::thread))
        .route("/api/v1/threads/{id}/reply", post(admin::inbox::reply))
        .route("/api/v1/threads/{id}/assign", post(admin::inbox::assign))
        .route(
            "/api/v1/threads/{id}/status",
            post(admin::inbox::set_status),
        )
        .route("/api/v1/threads/{id}/resolve", post(admin::inbox::resolve))
        .route("/api/v1/threads/{id}/read", post(admin::inbox::read))
        .route("/api/v1/threads/{id}/notes", post(admin::inbox::note))
        .route("/api/v1/messages", post(admin::messages::send))
        .route("/api/v1/messages/{id}", get(admin::messages::message))
        .route(
            "/api/v1/phone-numbers",
            get(admin::whatsapp::phone_numbers).post(admin::whatsapp::add_phone_number),
        )
        .route(
            "/api/v1/integrations/meta",
            axum::routing::put(admin::whatsapp::set_meta),
        )
        .route(
            "/api/v1/integrations/health",
            get(admin::whatsapp::get_health),
        )
        .route(
            "/api/v1/integrations/health/check",
            post(admin::whatsapp::check_health),
        )
        .route(
            "/api/v1/integrations/shopify/webhooks",
            post(admin::shopify::reconcile_webhooks),
        )
        .route(
            "/api/v1/integrations/shopify/shop",
            get(admin::shopify::shop),
        )
        .route(
            "/api/v1/imports",
            get(admin::imports::list).post(admin::imports::start),
        )
        .route(
            "/api/v1/integrations/shopify/reconcile",
            post(admin::imports::reconcile),
        )
        .route(
            "/api/v1/integrations/shopify/checkouts/poll",
            post(admin::imports::poll_checkouts),
        )
        .route("/api/v1/billing", get(admin::billing::view))
        .route(
            "/api/v1/catalog",
            get(admin::catalog::get).put(admin::catalog::connect),
        )
        .route("/api/v1/catalog/available", post(admin::catalog::available))
        .route("/api/v1/catalog/resync", post(admin::catalog::resync))
        .route(
            "/api/v1/billing/subscription",
            post(admin::billing::subscribe),
        )
        .route(
            "/api/v1/templates",
            get(admin::templates::templates).post(admin::templates::create_template),
        )
        .route(
            "/api/v1/templates/sync",
            post(admin::templates::sync_templates),
        )
        .route(
            "/api/v1/templates/{name}",
            axum::routing::delete(admin::templates::delete_template),
        )
        .route("/api/v1/back-in-stock", get(admin::back_in_stock::list))
        .route(
            "/api/v1/flows",
            get(admin::flows::list).post(admin::flows::create),
        )
        .route("/api/v1/flows/validate", post(admin::flows::validate))
        .route(
            "/api/v1/flows/{id}",
            get(admin::flows::get).put(admin::flows::update),
        )
        .route("/api/v1/flows/{id}/activate", post(admin::flows::activate))
        .route("/api/v1/flows/{id}/analytics", get(admin::flows::analytics))
        .route("/api/v1/flows/{id}/pause", post(admin::flows::pause))
        .route("/api/v1/flows/{id}/archive", post(admin::flows::archive))
        .route("/api/v1/flows/{id}/runs", get(admin::flows::flow_runs))
        .route(
            "/api/v1/contacts/{id}/runs",
            get(admin::flows::contact_runs),
        )
        .route(
            "/api/v1/segments",
            get(admin::segments::list).post(admin::segments::create),
        )
        .route(
            "/api/v1/campaigns",
            get(admin::campaigns::list).post(admin::campaigns::create),
        )
        .route(
            "/api/v1/campaigns/estimate",
            post(admin::campaigns::estimate_draft),
        )
        .route(
            "/api/v1/campaigns/{id}",
            get(admin::campaigns::get)
                .put(admin::campaigns::update)
                .delete(admin::campaigns::delete),
        )
        .route(
            "/api/v1/campaigns/{id}/estimate",
            get(admin::campaigns::estimate),
        )
        .route(
            "/api/v1/campaigns/{id}/analytics",
            get(admin::campaigns::analytics),
        )
        .route(
            "/api/v1/campaigns/{id}/launch",
            post(admin::campaigns::launch),
        )
        .route(
            "/api/v1/campaigns/{id}/pause",
            post(admin::campaigns::pause),
        )
        .route(
            "/api/v1/campaigns/{id}/resume",
            post(admin::campaigns::resume),
        )
        .route(
            "/api/v1/campaigns/{id}/cancel",
            post(admin::campaigns::cancel),
        )
        .route("/api/v1/segments/count", post(admin::segments::count))
        .route(
            "/api/v1/segments/{id}",
            get(admin::segments::get)
                .put(admin::segments::update)
                .delete(admin::segments::delete),
        )
        .route(
            "/api/v1/segments/{id}/members",
            get(admin::segments::members),
        )
        .route(
            "/api/v1/lists",
            get(admin::segments::lists).post(admin::segments::create_list),
        )
        .route(
            "/api/v1/lists/{id}",
            get(admin::segments::get_list).delete(admin::segments::delete_list),
        )
        .route(
            "/api/v1/lists/{id}/members/{contact_id}",
            axum::routing::delete(admin::segments::remove_member),
        )
        .route("/api/v1/lists/{id}/import", post(admin::segments::import))
        .route(
            "/api/v1/lists/{id}/members",
            get(admin::segments::list_members).post(admin::segments::add_members),
        )
        .route("/api/v1/automations/status", get(admin::flows::status))
        .route(
            "/api/v1/automations/settings",
            get(admin::flows::settings).put(admin::flows::set_settings),
        )
        .merge(storefront::router(&state))
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/r/{code}", get(links::redirect))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .fallback(ops::not_found)
        .method_not_allowed_fallback(ops::method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}
