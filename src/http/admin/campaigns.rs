//! Tenant endpoints for campaigns: define, edit, delete, estimate the reach (with every
//! exclusion reason), launch (422 naming each failed launch check; nothing is sent then),
//! pause, resume, cancel, and the campaign with its progress.

use super::{Page, Paged};
use crate::actors::campaigns::Control;
use crate::domain::campaigns::CampaignDefinition;
use crate::http::auth::TenantScope;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{path_id, ApiJson, ApiQuery};
use crate::http::input_limits::{max_chars, max_items};
use crate::http::AppState;
use crate::logic::campaigns::Reach;
use crate::services::campaigns::{self as service, CampaignError, CampaignView};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

impl From<CampaignError> for ApiError {
    fn from(e: CampaignError) -> Self {
        match e {
            CampaignError::NotFound(id) => ApiError::not_found(
                "campaign_not_found",
                format!("no campaign {id} in this shop"),
            ),
            CampaignError::Invalid(p) => ApiError::Unprocessable {
                code: "invalid_campaign",
                message: format!(
                    "the campaign has problems: {}",
                    p.iter()
                        .map(|p| format!("{} ({})", p.message, p.code))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            },
            CampaignError::Refused(p) => ApiError::Unprocessable {
                code: "launch_refused",
                message: format!(
                    "the campaign cannot launch: {}",
                    p.iter()
                        .map(|p| format!("{}: {}", p.code, p.message))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            },
            CampaignError::Conflict(m) => ApiError::Conflict(m),
            CampaignError::Audience(m) => ApiError::Unprocessable {
                code: "unknown_audience",
                message: m,
            },
            CampaignError::Engine(e) => e.into(),
            CampaignError::Store(e) => ApiError::internal(e),
        }
    }
}

fn limits(d: &CampaignDefinition) -> Result<(), ApiError> {
    max_chars("name", &d.name, 255)?;
    let a = &d.audience;
    max_items("audience.include_segments", a.include_segments.len(), 50)?;
    max_items("audience.include_lists", a.include_lists.len(), 50)?;
    max_items("audience.exclude_segments", a.exclude_segments.len(), 50)?;
    max_items("audience.exclude_lists", a.exclude_lists.len(), 50)?;
    max_items("message.body", d.message.body.len(), 20)
}

/// Options of a launch.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LaunchOptions {
    /// Send even though the number's quality rating is LOW and the send is large.
    #[serde(default)]
    pub confirm_low_quality: bool,
}

/// Defines a campaign (PENDING until launched).
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns", request_body = CampaignDefinition,
    responses((status = 201, body = CampaignView, description = "the campaign"),
        (status = 400, body = ErrorBody), (status = 422, body = ErrorBody, description = "its problems, each named")),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiJson(def): ApiJson<CampaignDefinition>,
) -> Result<(StatusCode, Json<CampaignView>), ApiError> {
    limits(&def)?;
    let v = service::create(&state.services, &scope.shop, def).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// The reach of a campaign definition without saving it.
#[utoipa::path(post, path = "/api/v1/campaigns/estimate", tag = "campaigns", request_body = CampaignDefinition,
    responses((status = 200, body = Reach, description = "who it would reach, and why the others not"),
        (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn estimate_draft(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiJson(def): ApiJson<CampaignDefinition>,
) -> Result<Json<Reach>, ApiError> {
    limits(&def)?;
    Ok(Json(
        service::estimate_draft(&state.services, &scope.shop, &def).await?,
    ))
}

/// Campaigns by id.
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns", params(Page),
    responses((status = 200, body = inline(Paged<CampaignView>), description = "a page"), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<Paged<CampaignView>>, ApiError> {
    let limit = page.limit()?;
    let items = service::list(&state.services, &scope.shop, page.after, limit)?;
    Ok(Json(Paged::new(items, limit, |c: &CampaignView| c.id)))
}

/// One campaign with its progress.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "campaigns", params(("id" = String, Path, pattern = "^[0-9]{1,19}$")),
    responses((status = 200, body = CampaignView, description = "the campaign"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
) -> Result<Json<CampaignView>, ApiError> {
    let id = path_id(&id, "campaign id")?;
    Ok(Json(service::get(&state.services, &scope.shop, id)?))
}

/// Replaces a campaign's definition (before launch).
#[utoipa::path(put, path = "/api/v1/campaigns/{id}", tag = "campaigns", params(("id" = String, Path, pattern = "^[0-9]{1,19}$")),
    request_body = CampaignDefinition,
    responses((status = 200, body = CampaignView, description = "the campaign"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "already launched"), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
    ApiJson(def): ApiJson<CampaignDefinition>,
) -> Result<Json<CampaignView>, ApiError> {
    let id = path_id(&id, "campaign id")?;
    limits(&def)?;
    Ok(Json(
        service::update(&state.services, &scope.shop, id, def).await?,
    ))
}

/// Deletes a campaign (before launch, or once over).
#[utoipa::path(delete, path = "/api/v1/campaigns/{id}", tag = "campaigns", params(("id" = String, Path, pattern = "^[0-9]{1,19}$")),
    responses((status = 204, description = "deleted"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "still sending")),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&id, "campaign id")?;
    service::delete(&state.services, &scope.shop, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The reach of a saved campaign now: what a launch at this moment would freeze.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/estimate", tag = "campaigns", params(("id" = String, Path, pattern = "^[0-9]{1,19}$")),
    responses((status = 200, body = Reach, description = "who it would reach, and why the others not"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn estimate(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
) -> Result<Json<Reach>, ApiError> {
    let id = path_id(&id, "campaign id")?;
    Ok(Json(
        service::estimate(&state.services, &scope.shop, id).await?,
    ))
}

/// A campaign's analytics: sent, delivered, read, failed by code, replied, opted out,
/// clicked, orders and revenue credited (with the rules), and a daily series.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/analytics", tag = "campaigns", params(("id" = String, Path, pattern = "^[0-9]{1,19}$")),
    responses((status = 200, body = crate::services::analytics::Analytics, description = "totals and series"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn analytics(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
) -> Result<Json<crate::services::analytics::Analytics>, ApiError> {
    let id = path_id(&id, "campaign id")?;
    Ok(Json(service::analytics(&state.services, &scope.shop, id)?))
}

/// Launches a campaign: every launch check runs (422 `launch_refused` names each that
/// fails, and nothing is sent); then the audience is frozen and sending starts (or waits
/// for `send_at`).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/launch", tag = "campaigns", params(("id" = String, Path, pattern = "^[0-9]{1,19}$")),
    request_body(content = Option<LaunchOptions>, description = "`{\"confirm_low_quality\": true}` to send on a LOW-quality number"),
    responses((status = 200, body = CampaignView, description = "launched"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "already launched"), (status = 422, body = ErrorBody, description = "a launch check failed")),
    security(("bearer" = [])))]
pub async fn launch(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<CampaignView>, ApiError> {
    let id = path_id(&id, "campaign id")?;
    // The body is optional: none (or blank) launches without confirmations.
    let o: LaunchOptions = if body.iter().all(u8::is_ascii_whitespace) {
        LaunchOptions::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request("invalid_json", format!("launch options: {e}")))?
    };
    Ok(Json(
        service::launch(&state.services, &scope.shop, id, o.confirm_low_quality).await?,
    ))
}

async fn control(
    state: &AppState,
    scope: &TenantScope,
    id: &str,
    what: Control,
) -> Result<Json<CampaignView>, ApiError> {
    let id = path_id(id, "campaign id")?;
    Ok(Json(
        service::control(&state.services, &scope.shop, id, what).await?,
    ))
}

/// Pauses a campaign (the few seconds already in the outbox still go).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/pause", tag = "campaigns", params(("id" = String, Path, pattern = "^[0-9]{1,19}$")),
    responses((status = 200, body = CampaignView, description = "paused"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn pause(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
) -> Result<Json<CampaignView>, ApiError> {
    control(&state, &scope, &id, Control::Pause).await
}

/// Resumes a paused campaign where it stopped.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/resume", tag = "campaigns", params(("id" = String, Path, pattern = "^[0-9]{1,19}$")),
    responses((status = 200, body = CampaignView, description = "sending again"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn resume(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
) -> Result<Json<CampaignView>, ApiError> {
    control(&state, &scope, &id, Control::Resume).await
}

/// Cancels a campaign: nothing more is sent.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/cancel", tag = "campaigns", params(("id" = String, Path, pattern = "^[0-9]{1,19}$")),
    responses((status = 200, body = CampaignView, description = "cancelled"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn cancel(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
) -> Result<Json<CampaignView>, ApiError> {
    control(&state, &scope, &id, Control::Cancel).await
}
