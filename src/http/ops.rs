//! Ops endpoints: liveness, readiness (503 until recovery is done), Prometheus metrics.

use super::error::ApiError;
use super::AppState;
use crate::actors::RecoveryProgress;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

/// Alive.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, body = Object, description = "`{\"status\": \"ok\"}`")))]
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// Ready once recovery has finished; until then 503 with how far recovery has come
/// (tenants started of all, journal entries re-delivered of all).
#[utoipa::path(get, path = "/readyz", tag = "ops", responses(
    (status = 200, body = Object, description = "ready: `{status, tenants, recovery}`; `recovery` holds what the last recovery did"),
    (status = 503, body = Object, description = "recovering: `{status, tenants, recovery}`; `recovery` holds the progress so far")))]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    readiness(
        state.engine.is_ready(),
        state.engine.running_tenants(),
        state.engine.recovery_progress(),
    )
}

/// The `/readyz` answer for a readiness flag and a progress snapshot.
fn readiness(
    ready: bool,
    tenants: usize,
    progress: RecoveryProgress,
) -> (StatusCode, Json<serde_json::Value>) {
    let (status, word) = if ready {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "recovering")
    };
    (
        status,
        Json(json!({"status": word, "tenants": tenants, "recovery": progress})),
    )
}

/// Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "ops", responses((status = 200, body = String, content_type = "text/plain", description = "Prometheus text format")))]
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

/// JSON 405 for a known route asked with a method it does not have.
pub async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::MethodNotAllowed(format!("`{method}` is not allowed on `{}`", uri.path()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovering_answers_503_with_its_progress() {
        let p = RecoveryProgress {
            tenants_total: 40,
            tenants_started: 12,
            journal_total: 0,
            journal_delivered: 0,
        };
        let (status, Json(body)) = readiness(false, 12, p);
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["status"], "recovering");
        assert_eq!(body["recovery"]["tenants_started"], 12);
        assert_eq!(body["recovery"]["tenants_total"], 40);
        let (status, Json(body)) = readiness(true, 40, p);
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["status"], "ready");
    }
}
