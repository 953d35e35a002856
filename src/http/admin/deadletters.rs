//! Dead letters: list them a page at a time (without their bodies), read one with its
//! body, replay one after a fix. A tenant key (or the operator naming a shop) sees the
//! tenant's; the operator naming no shop sees its own: authentic Meta events no tenant
//! owned when they came in, whose replay goes to the tenant that owns their number or
//! account by then (409 while none does).

use super::{Page, Paged};
use crate::actors::Delivered;
use crate::http::auth::LetterScope;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{path_id, ApiQuery};
use crate::http::AppState;
use crate::services::meta_routes;
use crate::store::{DeadLetter, OPERATOR_SCOPE};
use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;

/// A dead letter as the list shows it: what failed and why, not the body (a page of
/// 500 bodies of up to the body limit each would be hundreds of megabytes).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeadLetterSummary {
    /// Id (use it to read or replay).
    pub id: u64,
    /// Why it could not be applied.
    pub reason: String,
    /// When it failed.
    pub failed_at: String,
    /// The topic.
    pub topic: String,
    /// The webhook id.
    pub webhook_id: String,
    /// Size of the raw body (read it with `GET /api/v1/deadletters/{id}`).
    pub body_bytes: usize,
}

impl From<&DeadLetter> for DeadLetterSummary {
    fn from(l: &DeadLetter) -> Self {
        Self {
            id: l.id,
            reason: l.reason.clone(),
            failed_at: l.failed_at.to_rfc3339(),
            topic: l.entry.source.to_string(),
            webhook_id: l.entry.webhook_id.clone(),
            body_bytes: l.entry.body.len(),
        }
    }
}

/// One dead letter with its body (as text when it is UTF-8).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeadLetterView {
    /// What the list shows.
    #[serde(flatten)]
    pub summary: DeadLetterSummary,
    /// The raw body.
    pub body: String,
}

impl LetterScope {
    /// The store scope of the letters.
    fn key(&self) -> &str {
        match self {
            LetterScope::Tenant(shop) => shop,
            LetterScope::Operator => OPERATOR_SCOPE,
        }
    }
}

/// Lists dead letters by id, without bodies (the operator's own when the operator names
/// no shop), a page at a time.
#[utoipa::path(get, path = "/api/v1/deadletters", tag = "deadletters", params(Page),
    responses((status = 200, body = Paged<DeadLetterSummary>, description = "a page of dead letters"), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    scope: LetterScope,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<Paged<DeadLetterSummary>>, ApiError> {
    let limit = page.limit()?;
    let letters = state
        .engine
        .store()
        .dead_letters_page(scope.key(), page.after, limit)?;
    let items = letters.iter().map(DeadLetterSummary::from).collect();
    Ok(Json(Paged::new(items, limit, |l: &DeadLetterSummary| l.id)))
}

/// One dead letter with its body.
#[utoipa::path(get, path = "/api/v1/deadletters/{id}", tag = "deadletters",
    params(("id" = String, Path, pattern = "^[0-9]{1,19}$", description = "dead letter id")),
    responses((status = 200, body = DeadLetterView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    scope: LetterScope,
    Path(id): Path<String>,
) -> Result<Json<DeadLetterView>, ApiError> {
    let id = path_id(&id, "dead letter id")?;
    let l = state
        .engine
        .store()
        .dead_letter(scope.key(), id)?
        .ok_or_else(|| {
            ApiError::not_found("dead_letter_not_found", format!("no dead letter {id}"))
        })?;
    Ok(Json(DeadLetterView {
        summary: DeadLetterSummary::from(&l),
        body: String::from_utf8_lossy(&l.entry.body).into_owned(),
    }))
}

/// The answer to a replay.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Replayed {
    /// The dead letter replayed.
    pub id: u64,
    /// Its new journal sequence. If it fails again it reappears under this id.
    pub requeued_as: u64,
    /// The tenant it went to: for an operator letter, the owner of its number or account.
    pub shop: String,
}

/// Replays a dead letter: it goes back into the journal and through its actor again. An
/// operator letter goes to the tenant that now owns its number or account.
#[utoipa::path(post, path = "/api/v1/deadletters/{id}/replay", tag = "deadletters",
    params(("id" = String, Path, pattern = "^[0-9]{1,19}$", description = "dead letter id")),
    responses((status = 202, body = Replayed), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "an operator letter no tenant owns yet")),
    security(("bearer" = [])))]
pub async fn replay(
    State(state): State<AppState>,
    scope: LetterScope,
    Path(id): Path<String>,
) -> Result<(axum::http::StatusCode, Json<Replayed>), ApiError> {
    let id = crate::http::extract::path_id(&id, "dead letter id")?;
    let store = state.engine.store();
    let not_found = || ApiError::not_found("dead_letter_not_found", format!("no dead letter {id}"));
    let to = match &scope {
        LetterScope::Tenant(shop) => shop.clone(),
        LetterScope::Operator => {
            let letter = store
                .dead_letter(OPERATOR_SCOPE, id)?
                .ok_or_else(not_found)?;
            meta_routes::tenant_of_entry(store, &letter.entry)?.ok_or_else(|| {
                ApiError::Conflict(format!(
                    "dead letter {id} still names no tenant's number or account; \
                     connect it to a tenant, then replay"
                ))
            })?
        }
    };
    let (seq, entry) = store
        .requeue_dead_letter_to(scope.key(), id, &to)?
        .ok_or_else(not_found)?;
    store.ack_durable().await?;
    state.engine.deliver(&to, Delivered { seq, entry });
    Ok((
        axum::http::StatusCode::ACCEPTED,
        Json(Replayed {
            id,
            requeued_as: seq,
            shop: to,
        }),
    ))
}
