//! Tenant endpoints for single messages: send a message to a contact or a number (a
//! template, or anything inside an open 24-hour window), and a message's delivery status.

use super::inbox::queue;
use super::outbound::{build, MessageBody};
use crate::actors::conversations::{ConversationsMsg, Target};
use crate::actors::customers::CustomersMsg;
use crate::actors::tenant::TenantMsg;
use crate::domain::phone::PhoneE164;
use crate::domain::whatsapp::{ChatMessage, Purpose};
use crate::http::auth::TenantScope;
use crate::http::error::{json_rejection, ApiError, ErrorBody};
use crate::http::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

/// A message to a contact or number.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    /// The contact (its phone is used).
    pub contact_id: Option<u64>,
    /// Or a number in E.164.
    pub to: Option<String>,
    /// Our number to send from (defaults to the shop's first).
    pub phone_number_id: Option<String>,
    /// `marketing` or `utility` (templates) / `service`.
    #[schema(value_type = Option<String>)]
    pub purpose: Option<Purpose>,
    /// The message.
    pub message: MessageBody,
}

/// Sends a message to a contact (a template, or anything inside an open window).
#[utoipa::path(post, path = "/api/v1/messages", tag = "inbox", request_body = NewMessage,
    responses((status = 202, description = "queued message"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn send(
    State(state): State<AppState>,
    scope: TenantScope,
    body: Result<Json<NewMessage>, JsonRejection>,
) -> Result<(StatusCode, Json<ChatMessage>), ApiError> {
    let Json(m) = body.map_err(json_rejection)?;
    let (phone, contact_id) = match (m.contact_id, m.to.as_deref()) {
        (Some(id), None) => {
            let profile = state
                .engine
                .call(&scope.shop, |reply_to| {
                    TenantMsg::Customers(CustomersMsg::Profile { id, reply_to })
                })
                .await?
                .map_err(ApiError::internal)?
                .ok_or_else(|| {
                    ApiError::not_found(
                        "contact_not_found",
                        format!("no contact {id} in this shop"),
                    )
                })?;
            let phone = profile.contact.phone.ok_or_else(|| {
                ApiError::bad_request(
                    "contact_has_no_phone",
                    format!("contact {id} has no usable WhatsApp number"),
                )
            })?;
            (phone, Some(id))
        }
        (None, Some(to)) => (
            PhoneE164::parse(to).map_err(|e| {
                ApiError::bad_request(
                    "invalid_phone",
                    format!("`to` must be E.164 with its calling code (+…): {e}"),
                )
            })?,
            None,
        ),
        _ => {
            return Err(ApiError::bad_request(
                "invalid_recipient",
                "give exactly one of `contact_id` and `to`",
            ))
        }
    };
    let tenant = state
        .engine
        .store()
        .tenant(&scope.shop)?
        .ok_or_else(|| ApiError::not_found("unknown_shop", "no such shop"))?;
    let phone_number_id = match m.phone_number_id {
        Some(p) => p,
        None => tenant
            .meta_phone_number_ids
            .first()
            .cloned()
            .ok_or_else(|| {
                ApiError::bad_request(
                    "no_phone_number",
                    "this shop has no WhatsApp phone number yet",
                )
            })?,
    };
    let built = build(phone, m.message)?;
    let target = Target::Customer {
        phone,
        phone_number_id,
        contact_id,
    };
    let req = built.into_request(target, None, m.purpose);
    queue(&state, &scope.shop, req).await
}

/// One message and its delivery status.
#[utoipa::path(get, path = "/api/v1/messages/{id}", tag = "inbox", params(("id" = u64, Path)),
    responses((status = 200, description = "the message"), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn message(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
) -> Result<Json<ChatMessage>, ApiError> {
    let id: u64 = id
        .parse()
        .map_err(|_| ApiError::bad_request("invalid_id", format!("`{id}` is not a message id")))?;
    state
        .engine
        .call(&scope.shop, |reply_to| {
            TenantMsg::Conversations(ConversationsMsg::Message { id, reply_to })
        })
        .await??
        .map(Json)
        .ok_or_else(|| ApiError::not_found("message_not_found", format!("no message {id}")))
}
