//! Tenant endpoints of message templates: create and submit for review, list with their
//! status, delete, and reconcile with Meta. The operations are `services::templates`
//! (the periodic reconciliation calls it too); these handlers parse and format.

use super::whatsapp::{credentials_error, upstream};
use super::{NamePage, Paged};
use crate::domain::whatsapp::Template;
use crate::http::auth::TenantScope;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery};
use crate::http::AppState;
use crate::services::templates::{self as service, TemplatesError};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;

pub use crate::services::templates::{ButtonBody, NewTemplate};

/// The one mapping of template errors to HTTP answers.
fn map(e: TemplatesError) -> ApiError {
    match e {
        e @ (TemplatesError::Invalid(_)
        | TemplatesError::InvalidCategory(_)
        | TemplatesError::InvalidButtonPhone { .. }) => {
            ApiError::bad_request("invalid_template", e.to_string())
        }
        e @ TemplatesError::NotFound(_) => ApiError::not_found("template_not_found", e.to_string()),
        TemplatesError::Credentials(e) => credentials_error(e),
        TemplatesError::Meta(e) => upstream(e),
        TemplatesError::Engine(e) => e.into(),
        e @ (TemplatesError::Record(_) | TemplatesError::Store(_)) => ApiError::internal(e),
    }
}

/// Creates a template and submits it to Meta for review (or keeps it as a draft).
#[utoipa::path(post, path = "/api/v1/templates", tag = "whatsapp", request_body = NewTemplate,
    responses((status = 201, body = Template, description = "the template"), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody, description = "Meta refused: the token (`meta_token_invalid`) or the request (`meta_refused`)"), (status = 502, body = ErrorBody, description = "Meta failed or is unreachable")), security(("bearer" = [])))]
pub async fn create_template(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiJson(n): ApiJson<NewTemplate>,
) -> Result<(StatusCode, Json<Template>), ApiError> {
    scope.require_active()?;
    let tpl = service::create(&state.services, &scope.shop, n)
        .await
        .map_err(map)?;
    Ok((StatusCode::CREATED, Json(tpl)))
}

/// Lists the shop's templates with their review status, by `name:language` (the cursor).
#[utoipa::path(get, path = "/api/v1/templates", tag = "whatsapp", params(NamePage),
    responses((status = 200, body = Paged<Template, String>, description = "a page of templates"), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn templates(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiQuery(page): ApiQuery<NamePage>,
) -> Result<Json<Paged<Template, String>>, ApiError> {
    let all = service::list(&state.services, &scope.shop)
        .await
        .map_err(map)?;
    Ok(Json(page.of(all, |t: &Template| {
        format!("{}:{}", t.name, t.language)
    })?))
}

/// Deletes a template (every language) at Meta and here.
#[utoipa::path(delete, path = "/api/v1/templates/{name}", tag = "whatsapp", params(("name" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody, description = "Meta refused: the token (`meta_token_invalid`) or the request (`meta_refused`)"), (status = 502, body = ErrorBody, description = "Meta failed or is unreachable")), security(("bearer" = [])))]
pub async fn delete_template(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    scope.require_active()?;
    service::delete(&state.services, &scope.shop, name)
        .await
        .map_err(map)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The answer to a reconciliation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Synced {
    /// Templates added or changed.
    pub changed: usize,
}

/// Reconciles templates with Meta now.
#[utoipa::path(post, path = "/api/v1/templates/sync", tag = "whatsapp",
    responses((status = 200, body = Synced), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody, description = "Meta refused: the token (`meta_token_invalid`) or the request (`meta_refused`)"), (status = 502, body = ErrorBody, description = "Meta failed or is unreachable")), security(("bearer" = [])))]
pub async fn sync_templates(
    State(state): State<AppState>,
    scope: TenantScope,
) -> Result<Json<Synced>, ApiError> {
    scope.require_active()?;
    Ok(Json(Synced {
        changed: service::reconcile(&state.services, &scope.shop)
            .await
            .map_err(map)?,
    }))
}
