//! Ops endpoints: liveness, readiness (503 until recovery is done), Prometheus metrics.

use super::error::ApiError;
use super::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

/// Alive.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200)))]
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// Ready once recovery has finished.
#[utoipa::path(get, path = "/readyz", tag = "ops", responses((status = 200), (status = 503)))]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    if state.engine.is_ready() {
        (
            StatusCode::OK,
            Json(json!({"status": "ready", "tenants": state.engine.running_tenants()})),
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "recovering"})),
        )
    }
}

/// Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "ops", responses((status = 200, content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let store = state.engine.store();
    metrics::gauge!("galantis_dead_letters").set(store.dead_letter_count() as f64);
    metrics::gauge!("galantis_tenants_running").set(state.engine.running_tenants() as f64);
    metrics::gauge!("galantis_store_bytes_on_disk").set(store.size_on_disk() as f64);
    metrics::gauge!("galantis_journal_pending").set(store.pending_count() as f64);
    metrics::gauge!("galantis_store_staged_keys").set(store.staged_len() as f64);
    metrics::gauge!("galantis_dedupe_filter_ready").set(if store.dedupe_filter_ready() {
        1.0
    } else {
        0.0
    });
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}

/// JSON 404 for unknown routes.
pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found("no_such_route", format!("no route for `{}`", uri.path()))
}
