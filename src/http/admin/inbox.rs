//! Tenant endpoints of the inbox: threads (filter by status, assignee, unread), a thread's
//! messages, reply, assign, status, read, notes. Sending to a contact and a message's
//! status are in [`super::messages`].

use super::outbound::{build, MessageBody};
use super::{Page, Paged};
use crate::actors::conversations::{CommandError, SendError, Target};
use crate::domain::whatsapp::{ChatMessage, Thread, ThreadStatus};
use crate::http::auth::TenantScope;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery};
use crate::http::{input_limits as limits, AppState};
use crate::logic::inbox::{InboxError, ThreadFilter};
use crate::services::sending::{self, SendingError};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

/// The one mapping of sending errors to HTTP answers (shared with [`super::messages`]).
pub(super) fn map_sending(e: SendingError) -> ApiError {
    match e {
        e @ SendingError::ThreadNotFound(_) => {
            ApiError::not_found("thread_not_found", e.to_string())
        }
        e @ SendingError::ContactNotFound(_) => {
            ApiError::not_found("contact_not_found", e.to_string())
        }
        e @ SendingError::ContactHasNoPhone(_) => {
            ApiError::bad_request("contact_has_no_phone", e.to_string())
        }
        e @ SendingError::UnknownShop => ApiError::not_found("unknown_shop", e.to_string()),
        e @ SendingError::NoPhoneNumber => ApiError::bad_request("no_phone_number", e.to_string()),
        SendingError::Command(e) => map_command(e),
        SendingError::Engine(e) => e.into(),
        SendingError::Store(e) => e.into(),
    }
}

fn map_command(e: CommandError) -> ApiError {
    match e {
        CommandError::Engine(e) => e.into(),
        CommandError::Refused(e) => map_send(e),
    }
}

fn map_send(e: SendError) -> ApiError {
    match e {
        SendError::Inbox(InboxError::NoThread(id)) => {
            ApiError::not_found("thread_not_found", format!("no thread {id}"))
        }
        SendError::Inbox(e @ InboxError::WindowClosed { .. }) => ApiError::Unprocessable {
            code: "template_required",
            message: e.to_string(),
        },
        e @ (SendError::UnknownTemplate { .. } | SendError::TemplateNotApproved { .. }) => {
            ApiError::Unprocessable {
                code: "template_not_sendable",
                message: e.to_string(),
            }
        }
        e @ SendError::UnknownNumber(_) => {
            ApiError::bad_request("unknown_phone_number", e.to_string())
        }
        e @ SendError::UsageExhausted { .. } => ApiError::Unprocessable {
            code: "plan_usage_exhausted",
            message: e.to_string(),
        },
        e @ SendError::Store(_) => ApiError::internal(e),
    }
}

fn thread_id(raw: &str) -> Result<u64, ApiError> {
    crate::http::extract::path_id(raw, "thread id")
}

/// Thread filters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ThreadQuery {
    /// `OPEN`, `PENDING` or `RESOLVED`.
    #[param(pattern = "^(OPEN|PENDING|RESOLVED)$")]
    pub status: Option<String>,
    /// An agent id; empty for unassigned threads.
    #[param(max_length = 100)]
    pub assignee: Option<String>,
    /// Only threads with unread messages.
    #[serde(default)]
    pub unread: bool,
    /// Only threads of this contact.
    #[param(value_type = Option<String>, pattern = "^[0-9]{1,19}$")]
    pub contact_id: Option<u64>,
    /// Cursor: threads with id greater than this.
    #[param(value_type = Option<String>, pattern = "^[0-9]{1,19}$")]
    pub after: Option<u64>,
    /// Page size, 1..=500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
}

/// Lists threads by id (creation order), a page at a time; `last_message_at` and `unread`
/// tell an inbox view what moved.
#[utoipa::path(get, path = "/api/v1/threads", tag = "inbox", params(ThreadQuery),
    responses((status = 200, body = Paged<Thread>, description = "a page of threads"), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn threads(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiQuery(q): ApiQuery<ThreadQuery>,
) -> Result<Json<Paged<Thread>>, ApiError> {
    let page = Page {
        after: q.after,
        limit: q.limit,
    };
    page.limit()?;
    if let Some(a) = &q.assignee {
        limits::max_chars("assignee", a, limits::AGENT_CHARS)?;
    }
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(ThreadStatus::parse(s).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_status",
                format!("status `{s}` is not OPEN, PENDING or RESOLVED"),
            )
        })?),
    };
    let filter = ThreadFilter {
        status,
        assignee: q.assignee,
        unread: q.unread,
        contact_id: q.contact_id,
        customer: None,
    };
    let threads = state.engine.threads(&scope.shop, filter).await?;
    Ok(Json(page.of(threads, |t: &Thread| t.id)?))
}

/// A thread with its messages.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ThreadView {
    /// The thread.
    pub thread: Thread,
    /// Its messages, oldest first (notes included).
    pub messages: Vec<ChatMessage>,
}

/// One thread with its messages.
#[utoipa::path(get, path = "/api/v1/threads/{id}", tag = "inbox", params(("id" = String, Path, pattern = "^[0-9]{1,19}$")),
    responses((status = 200, body = ThreadView, description = "thread and messages"), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn thread(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
) -> Result<Json<ThreadView>, ApiError> {
    let id = thread_id(&id)?;
    let r = state.engine.thread(&scope.shop, id).await?;
    let (thread, messages) =
        r.ok_or_else(|| ApiError::not_found("thread_not_found", format!("no thread {id}")))?;
    Ok(Json(ThreadView { thread, messages }))
}

/// A reply: who writes, and the message.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Reply {
    /// The agent writing (takes the thread if unassigned).
    #[schema(max_length = 100)]
    pub author: Option<String>,
    /// The message.
    pub message: MessageBody,
}

/// Replies on a thread. Free-form messages outside the 24-hour window are refused (422
/// `template_required`) before anything is stored or sent.
#[utoipa::path(post, path = "/api/v1/threads/{id}/reply", tag = "inbox", params(("id" = String, Path, pattern = "^[0-9]{1,19}$")), request_body = Reply,
    responses((status = 202, body = ChatMessage, description = "queued message"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn reply(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
    ApiJson(r): ApiJson<Reply>,
) -> Result<(StatusCode, Json<ChatMessage>), ApiError> {
    let id = thread_id(&id)?;
    scope.require_active()?;
    if let Some(a) = &r.author {
        limits::max_chars("author", a, limits::AGENT_CHARS)?;
    }
    let customer = sending::thread_customer(&state.engine, &scope.shop, id)
        .await
        .map_err(map_sending)?;
    super::outbound::check_products(&state, &scope.shop, &r.message).await?;
    let built = build(customer, r.message)?;
    let req = built.into_request(Target::Thread(id), r.author, None);
    let m = sending::queue(&state.engine, &scope.shop, req)
        .await
        .map_err(map_sending)?;
    Ok((StatusCode::ACCEPTED, Json(m)))
}

/// Assignment.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Assign {
    /// The agent; `null` to unassign.
    #[schema(max_length = 100)]
    pub agent: Option<String>,
}

/// Assigns a thread.
#[utoipa::path(post, path = "/api/v1/threads/{id}/assign", tag = "inbox", params(("id" = String, Path, pattern = "^[0-9]{1,19}$")), request_body = Assign,
    responses((status = 200, body = Thread, description = "the thread"), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn assign(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
    ApiJson(a): ApiJson<Assign>,
) -> Result<Json<Thread>, ApiError> {
    let thread_id = thread_id(&id)?;
    if let Some(agent) = &a.agent {
        limits::max_chars("agent", agent, limits::AGENT_CHARS)?;
    }
    let t = state
        .engine
        .assign_thread(&scope.shop, thread_id, a.agent)
        .await
        .map_err(map_command)?;
    state.engine.store().durable().await?;
    Ok(Json(t))
}

/// A status change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetStatus {
    /// `OPEN`, `PENDING` or `RESOLVED` (any case is accepted).
    #[schema(
        pattern = "^([Oo][Pp][Ee][Nn]|[Pp][Ee][Nn][Dd][Ii][Nn][Gg]|[Rr][Ee][Ss][Oo][Ll][Vv][Ee][Dd])$",
        example = "RESOLVED"
    )]
    pub status: String,
}

/// Sets a thread's status (`POST …/resolve` is the same with `RESOLVED`).
#[utoipa::path(post, path = "/api/v1/threads/{id}/status", tag = "inbox", params(("id" = String, Path, pattern = "^[0-9]{1,19}$")), request_body = SetStatus,
    responses((status = 200, body = Thread, description = "the thread"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn set_status(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
    ApiJson(s): ApiJson<SetStatus>,
) -> Result<Json<Thread>, ApiError> {
    let status = ThreadStatus::parse(&s.status).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_status",
            format!("status `{}` is not OPEN, PENDING or RESOLVED", s.status),
        )
    })?;
    status_to(&state, &scope.shop, &id, status).await
}

/// Resolves a thread.
#[utoipa::path(post, path = "/api/v1/threads/{id}/resolve", tag = "inbox", params(("id" = String, Path, pattern = "^[0-9]{1,19}$")),
    responses((status = 200, body = Thread, description = "the thread"), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn resolve(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
) -> Result<Json<Thread>, ApiError> {
    status_to(&state, &scope.shop, &id, ThreadStatus::Resolved).await
}

async fn status_to(
    state: &AppState,
    shop: &str,
    id: &str,
    status: ThreadStatus,
) -> Result<Json<Thread>, ApiError> {
    let thread_id = thread_id(id)?;
    let t = state
        .engine
        .set_thread_status(shop, thread_id, status)
        .await
        .map_err(map_command)?;
    state.engine.store().durable().await?;
    Ok(Json(t))
}

/// Marks a thread read, and sends Meta a read receipt for the customer's last message
/// (best effort: the customer sees blue ticks; a failure is logged and recorded in health,
/// never an error for the agent).
#[utoipa::path(post, path = "/api/v1/threads/{id}/read", tag = "inbox", params(("id" = String, Path, pattern = "^[0-9]{1,19}$")),
    responses((status = 200, body = Thread, description = "the thread"), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn read(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
) -> Result<Json<Thread>, ApiError> {
    let thread_id = thread_id(&id)?;
    let t = sending::mark_read(&state.services, &scope.shop, thread_id)
        .await
        .map_err(map_sending)?;
    Ok(Json(t))
}

/// An internal note.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    /// The agent.
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub author: String,
    /// The note (never sent).
    #[schema(min_length = 1, max_length = 4096, pattern = "\\S")]
    pub text: String,
}

/// Adds an internal note (never sent to the customer).
#[utoipa::path(post, path = "/api/v1/threads/{id}/notes", tag = "inbox", params(("id" = String, Path, pattern = "^[0-9]{1,19}$")), request_body = NewNote,
    responses((status = 201, body = ChatMessage, description = "the note"), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn note(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
    ApiJson(n): ApiJson<NewNote>,
) -> Result<(StatusCode, Json<ChatMessage>), ApiError> {
    let thread_id = thread_id(&id)?;
    limits::max_chars("author", &n.author, limits::AGENT_CHARS)?;
    limits::max_chars("text", &n.text, limits::NOTE_CHARS)?;
    if n.text.trim().is_empty() || n.author.trim().is_empty() {
        return Err(ApiError::bad_request(
            "invalid_note",
            "`author` and `text` must not be empty",
        ));
    }
    let m = state
        .engine
        .add_note(&scope.shop, thread_id, n.author, n.text)
        .await
        .map_err(map_command)?;
    state.engine.store().durable().await?;
    Ok((StatusCode::CREATED, Json(m)))
}
