//! Tenant endpoints for dead letters: list them, replay one after a fix.

use crate::actors::Delivered;
use crate::http::auth::TenantScope;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::AppState;
use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;

/// A dead letter as the API shows it (the body as text when it is UTF-8).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeadLetterView {
    /// Id (use it to replay).
    pub id: u64,
    /// Why it could not be applied.
    pub reason: String,
    /// When it failed.
    pub failed_at: String,
    /// The topic.
    pub topic: String,
    /// The webhook id.
    pub webhook_id: String,
    /// The raw body.
    pub body: String,
}

/// Lists dead letters.
#[utoipa::path(get, path = "/api/v1/deadletters", tag = "deadletters",
    responses((status = 200, body = Vec<DeadLetterView>)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    scope: TenantScope,
) -> Result<Json<Vec<DeadLetterView>>, ApiError> {
    let letters = state.engine.store().dead_letters(&scope.shop)?;
    Ok(Json(
        letters
            .into_iter()
            .map(|l| DeadLetterView {
                id: l.id,
                reason: l.reason,
                failed_at: l.failed_at.to_rfc3339(),
                topic: l.entry.source.to_string(),
                webhook_id: l.entry.webhook_id,
                body: String::from_utf8_lossy(&l.entry.body).into_owned(),
            })
            .collect(),
    ))
}

/// The answer to a replay.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Replayed {
    /// The dead letter replayed.
    pub id: u64,
    /// Its new journal sequence. If it fails again it reappears under this id.
    pub requeued_as: u64,
}

/// Replays a dead letter: it goes back into the journal and through its actor again.
#[utoipa::path(post, path = "/api/v1/deadletters/{id}/replay", tag = "deadletters",
    params(("id" = u64, Path, description = "dead letter id")),
    responses((status = 202, body = Replayed), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn replay(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
) -> Result<(axum::http::StatusCode, Json<Replayed>), ApiError> {
    let id = crate::http::extract::path_id(&id, "dead letter id")?;
    let store = state.engine.store();
    let (seq, entry) = store.requeue_dead_letter(&scope.shop, id)?.ok_or_else(|| {
        ApiError::not_found("dead_letter_not_found", format!("no dead letter {id}"))
    })?;
    store.ack_durable().await?;
    state.engine.deliver(&scope.shop, Delivered { seq, entry });
    Ok((
        axum::http::StatusCode::ACCEPTED,
        Json(Replayed {
            id,
            requeued_as: seq,
        }),
    ))
}
