//! Tenant endpoints for single messages: send a message to a contact or a number (a
//! template, or anything inside an open 24-hour window), and a message's delivery status.

use super::inbox::map_sending;
use super::outbound::{build, MessageBody};
use crate::domain::phone::PhoneE164;
use crate::domain::whatsapp::{ChatMessage, Purpose};
use crate::http::auth::TenantScope;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::ApiJson;
use crate::http::AppState;
use crate::services::sending::{self, Recipient};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

/// A message to a contact or number.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    /// The contact (its phone is used). Exactly one of `contact_id` and `to` (400 otherwise).
    #[serde(with = "crate::domain::ids::as_string::option", default)]
    #[schema(value_type = Option<String>, pattern = "^[0-9]{1,20}$")]
    pub contact_id: Option<u64>,
    /// Or a number in E.164 (`+` and the calling code). Exactly one of `contact_id` and `to`.
    #[schema(pattern = "^\\+?[0-9 ()-]{6,32}$")]
    pub to: Option<String>,
    /// Our number to send from (defaults to the shop's first).
    pub phone_number_id: Option<String>,
    /// `marketing` or `utility` (templates) / `service`.
    #[schema(value_type = Option<String>, pattern = "^(marketing|utility|service)$")]
    pub purpose: Option<Purpose>,
    /// The message.
    pub message: MessageBody,
}

/// Sends a message to a contact (a template, or anything inside an open window).
#[utoipa::path(post, path = "/api/v1/messages", tag = "inbox", request_body = NewMessage,
    responses((status = 202, body = ChatMessage, description = "queued message"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn send(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiJson(m): ApiJson<NewMessage>,
) -> Result<(StatusCode, Json<ChatMessage>), ApiError> {
    scope.require_active()?;
    if let Some(id) = &m.phone_number_id {
        crate::http::input_limits::meta_id("phone_number_id", id)?;
    }
    let recipient = match (m.contact_id, m.to.as_deref()) {
        (Some(id), None) => Recipient::Contact(id),
        (None, Some(to)) => Recipient::Number(PhoneE164::parse(to).map_err(|e| {
            ApiError::bad_request(
                "invalid_phone",
                format!("`to` must be E.164 with its calling code (+…): {e}"),
            )
        })?),
        _ => {
            return Err(ApiError::bad_request(
                "invalid_recipient",
                "give exactly one of `contact_id` and `to`",
            ))
        }
    };
    let (phone, target) =
        sending::customer_target(&state.engine, &scope.shop, recipient, m.phone_number_id)
            .await
            .map_err(map_sending)?;
    super::outbound::check_products(&state, &scope.shop, &m.message).await?;
    let built = build(phone, m.message)?;
    let req = built.into_request(target, None, m.purpose);
    let m = sending::queue(&state.engine, &scope.shop, req)
        .await
        .map_err(map_sending)?;
    Ok((StatusCode::ACCEPTED, Json(m)))
}

/// One message and its delivery status.
#[utoipa::path(get, path = "/api/v1/messages/{id}", tag = "inbox", params(("id" = String, Path, pattern = "^[0-9]{1,19}$")),
    responses((status = 200, body = ChatMessage, description = "the message"), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn message(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
) -> Result<Json<ChatMessage>, ApiError> {
    let id = crate::http::extract::path_id(&id, "message id")?;
    state
        .engine
        .message(&scope.shop, id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("message_not_found", format!("no message {id}")))
}
