//! Tenant endpoints for automation flows: create, edit (a new version), validate,
//! activate, pause, archive, list, get (with run counts), and the runs of a flow or a
//! contact with their activity log. A flow that cannot be activated answers 422 naming each
//! problem with its node id.

use super::{Page, Paged};
use crate::actors::automations::policy::AutomationPolicy;
use crate::actors::automations::{FlowError, FlowView};
use crate::actors::FlowRequestError;
use crate::domain::automations::run::Run;
use crate::domain::automations::{FlowDraft, FlowStatus};
use crate::http::auth::TenantScope;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{path_id, ApiJson, ApiQuery};
use crate::http::input_limits::{max_chars, max_items};
use crate::http::AppState;
use crate::logic::automations::FlowProblem;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;

/// Most nodes in a flow.
pub const MAX_NODES: usize = 100;
/// Most edges in a flow.
pub const MAX_EDGES: usize = 300;

/// The problems of a draft.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problems {
    /// Each with its node id and a stable code; empty when the flow can be activated.
    pub problems: Vec<FlowProblem>,
}

fn limits(d: &FlowDraft) -> Result<(), ApiError> {
    max_chars("name", &d.name, 255)?;
    max_items("nodes", d.nodes.len(), MAX_NODES)?;
    max_items("edges", d.edges.len(), MAX_EDGES)?;
    max_items(
        "settings.exclude_segments",
        d.settings.exclude_segments.len(),
        50,
    )?;
    max_items("settings.exclude_lists", d.settings.exclude_lists.len(), 50)?;
    for n in &d.nodes {
        max_chars("nodes[].id", &n.id, 64)?;
    }
    Ok(())
}

fn problems_text(p: &[FlowProblem]) -> String {
    let parts: Vec<String> = p
        .iter()
        .map(|p| match &p.node {
            Some(n) => format!("node `{n}`: {} ({})", p.message, p.code),
            None => format!("{} ({})", p.message, p.code),
        })
        .collect();
    format!("the flow cannot be activated: {}", parts.join("; "))
}

impl From<FlowRequestError> for ApiError {
    fn from(e: FlowRequestError) -> Self {
        match e {
            FlowRequestError::Engine(e) => e.into(),
            FlowRequestError::Flow(FlowError::NotFound(id)) => {
                ApiError::not_found("flow_not_found", format!("no flow {id} in this shop"))
            }
            FlowRequestError::Flow(FlowError::Invalid(p)) => ApiError::Unprocessable {
                code: "invalid_flow",
                message: problems_text(&p),
            },
            FlowRequestError::Flow(FlowError::Archived(id)) => {
                ApiError::Conflict(format!("flow {id} is archived and cannot change"))
            }
            FlowRequestError::Flow(FlowError::Store(e)) => ApiError::internal(e),
        }
    }
}

/// Creates a flow (DRAFT). Its `problems` say what stands in the way of activating it.
#[utoipa::path(post, path = "/api/v1/flows", tag = "automations", request_body = FlowDraft,
    responses((status = 201, body = FlowView, description = "the new flow, DRAFT, version 1")),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiJson(draft): ApiJson<FlowDraft>,
) -> Result<(StatusCode, Json<FlowView>), ApiError> {
    limits(&draft)?;
    let v = state.engine.create_flow(&scope.shop, draft).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// The problems of a draft, without saving it.
#[utoipa::path(post, path = "/api/v1/flows/validate", tag = "automations", request_body = FlowDraft,
    responses((status = 200, body = Problems, description = "every problem, each naming its node")),
    security(("bearer" = [])))]
pub async fn validate(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiJson(draft): ApiJson<FlowDraft>,
) -> Result<Json<Problems>, ApiError> {
    limits(&draft)?;
    let problems = state.engine.validate_flow(&scope.shop, draft).await?;
    Ok(Json(Problems { problems }))
}

/// Lists flows by id.
#[utoipa::path(get, path = "/api/v1/flows", tag = "automations", params(Page),
    responses((status = 200, body = Paged<FlowView>, description = "a page of flows")),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<Paged<FlowView>>, ApiError> {
    let limit = page.limit()?;
    let items = state.engine.flows(&scope.shop, page.after, limit).await?;
    Ok(Json(Paged::new(items, limit, |f: &FlowView| f.id)))
}

/// One flow with its counts (enrolled, waiting, completed, exited, failed).
#[utoipa::path(get, path = "/api/v1/flows/{id}", tag = "automations",
    params(("id" = String, Path, pattern = "^[0-9]{1,19}$", description = "flow id")),
    responses((status = 200, body = FlowView, description = "the flow"), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
) -> Result<Json<FlowView>, ApiError> {
    let id = path_id(&id, "flow id")?;
    state
        .engine
        .flow(&scope.shop, id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("flow_not_found", format!("no flow {id} in this shop")))
}

/// A flow's analytics: sent, delivered, read, failed by code, replied, opted out,
/// clicked, orders and revenue credited, in total, per action node, and per day (30 days).
#[utoipa::path(get, path = "/api/v1/flows/{id}/analytics", tag = "automations",
    params(("id" = String, Path, pattern = "^[0-9]{1,19}$", description = "flow id")),
    responses((status = 200, body = crate::services::analytics::FlowAnalytics, description = "the flow's analytics"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn analytics(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
) -> Result<Json<crate::services::analytics::FlowAnalytics>, ApiError> {
    let id = path_id(&id, "flow id")?;
    let flow = state.engine.flow(&scope.shop, id).await?.ok_or_else(|| {
        ApiError::not_found("flow_not_found", format!("no flow {id} in this shop"))
    })?;
    let nodes: Vec<String> = (flow.definition.nodes.iter())
        .filter(|n| matches!(n.kind, crate::domain::automations::NodeKind::Action(_)))
        .map(|n| n.id.clone())
        .collect();
    crate::services::analytics::flow(state.engine.store(), &scope.shop, id, &nodes)
        .map(Json)
        .map_err(ApiError::internal)
}

/// Edits a flow: a new version. An active flow stays active only if the new version has
/// no problems (422 otherwise); runs already going finish on the version they started on.
#[utoipa::path(put, path = "/api/v1/flows/{id}", tag = "automations", request_body = FlowDraft,
    params(("id" = String, Path, pattern = "^[0-9]{1,19}$", description = "flow id")),
    responses((status = 200, body = FlowView, description = "the flow, one version up"), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "archived"), (status = 422, body = ErrorBody, description = "the new version of an active flow has problems")),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
    ApiJson(draft): ApiJson<FlowDraft>,
) -> Result<Json<FlowView>, ApiError> {
    let id = path_id(&id, "flow id")?;
    limits(&draft)?;
    Ok(Json(
        state.engine.update_flow(&scope.shop, id, draft).await?,
    ))
}

async fn set(
    state: AppState,
    scope: TenantScope,
    id: String,
    status: FlowStatus,
) -> Result<Json<FlowView>, ApiError> {
    let id = path_id(&id, "flow id")?;
    Ok(Json(
        state
            .engine
            .set_flow_status(&scope.shop, id, status)
            .await?,
    ))
}

/// Activates a flow: only one without problems (422 naming each, with its node id).
#[utoipa::path(post, path = "/api/v1/flows/{id}/activate", tag = "automations",
    params(("id" = String, Path, pattern = "^[0-9]{1,19}$", description = "flow id")),
    responses((status = 200, body = FlowView, description = "the flow, ACTIVE"), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "archived"), (status = 422, body = ErrorBody, description = "the flow has problems")),
    security(("bearer" = [])))]
pub async fn activate(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
) -> Result<Json<FlowView>, ApiError> {
    set(state, scope, id, FlowStatus::Active).await
}

/// Pauses a flow: no new runs; waiting runs hold until it is active again.
#[utoipa::path(post, path = "/api/v1/flows/{id}/pause", tag = "automations",
    params(("id" = String, Path, pattern = "^[0-9]{1,19}$", description = "flow id")),
    responses((status = 200, body = FlowView, description = "the flow, PAUSED"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn pause(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
) -> Result<Json<FlowView>, ApiError> {
    set(state, scope, id, FlowStatus::Paused).await
}

/// Archives a flow: no new runs; its runs end at their next step.
#[utoipa::path(post, path = "/api/v1/flows/{id}/archive", tag = "automations",
    params(("id" = String, Path, pattern = "^[0-9]{1,19}$", description = "flow id")),
    responses((status = 200, body = FlowView, description = "the flow, ARCHIVED"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn archive(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
) -> Result<Json<FlowView>, ApiError> {
    set(state, scope, id, FlowStatus::Archived).await
}

/// The runs of a flow, by id, with each node's status, time and reason.
#[utoipa::path(get, path = "/api/v1/flows/{id}/runs", tag = "automations", params(("id" = String, Path, pattern = "^[0-9]{1,19}$", description = "flow id"), Page),
    responses((status = 200, body = Paged<Run>, description = "a page of runs"), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn flow_runs(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<Paged<Run>>, ApiError> {
    let id = path_id(&id, "flow id")?;
    let limit = page.limit()?;
    if state.engine.flow(&scope.shop, id).await?.is_none() {
        return Err(ApiError::not_found(
            "flow_not_found",
            format!("no flow {id} in this shop"),
        ));
    }
    let items = state
        .engine
        .runs(&scope.shop, Some(id), None, page.after, limit)
        .await?;
    Ok(Json(Paged::new(items, limit, |r: &Run| r.id)))
}

/// A contact's runs in every flow (the contact's automation activity log).
#[utoipa::path(get, path = "/api/v1/contacts/{id}/runs", tag = "automations", params(("id" = String, Path, pattern = "^[0-9]{1,19}$", description = "shopify_customer_id"), Page),
    responses((status = 200, body = Paged<Run>, description = "a page of runs")),
    security(("bearer" = [])))]
pub async fn contact_runs(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<Paged<Run>>, ApiError> {
    let id = path_id(&id, "Shopify customer id")?;
    let limit = page.limit()?;
    let items = state
        .engine
        .runs(&scope.shop, None, Some(id), page.after, limit)
        .await?;
    Ok(Json(Paged::new(items, limit, |r: &Run| r.id)))
}

/// The tenant's automation settings as the API takes and shows them.
#[derive(Debug, serde::Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutomationSettingsBody {
    /// Marketing messages due in this daily window (the recipient's local time, from
    /// their address country, else `time_zone`) wait for its end; `null`: none.
    #[serde(default)]
    pub quiet_hours: Option<QuietWindow>,
    /// The shop's IANA time zone (`Europe/Madrid`), for recipients of unknown country.
    #[schema(max_length = 64)]
    pub time_zone: String,
}

/// A daily window, `HH:MM` to `HH:MM` (it may wrap midnight: 21:00 to 09:00).
#[derive(Debug, serde::Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuietWindow {
    /// First quiet minute.
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub start: String,
    /// First minute one may send again.
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub end: String,
}

fn shown(p: AutomationPolicy) -> AutomationSettingsBody {
    let hhmm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
    AutomationSettingsBody {
        quiet_hours: p.quiet_hours.map(|q| QuietWindow {
            start: hhmm(q.start_min),
            end: hhmm(q.end_min),
        }),
        time_zone: p.time_zone,
    }
}

/// How far the automation engine has read the shop's event stream.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AutomationStatusBody {
    /// Recorded events (`GET /api/v1/events`) the engine has not consumed yet; 0 when
    /// every trigger they carry has been matched and its runs enrolled or refused.
    pub pending_events: u64,
    /// The newest consumed event's `seq`.
    pub newest_consumed: u64,
    /// Every event up to this `seq` is consumed and forgotten (it trails the newest by a
    /// margin, for events committed late).
    pub floor: u64,
    /// Events consumed per type.
    pub consumed: std::collections::BTreeMap<String, u64>,
    /// Timers stopped (the app was uninstalled).
    pub paused: bool,
}

/// The automation engine's progress through the event stream (for operators watching
/// lag, and for tests that must know an event was handled before asserting on it).
#[utoipa::path(get, path = "/api/v1/automations/status", tag = "automations",
    responses((status = 200, body = AutomationStatusBody, description = "the engine's progress")),
    security(("bearer" = [])))]
pub async fn status(
    State(state): State<AppState>,
    scope: TenantScope,
) -> Result<Json<AutomationStatusBody>, ApiError> {
    let p = state.engine.automation_progress(&scope.shop).await?;
    Ok(Json(AutomationStatusBody {
        pending_events: p.pending,
        newest_consumed: p.newest,
        floor: p.status.cursor,
        consumed: p.status.consumed,
        paused: p.status.paused,
    }))
}

/// Quiet hours and the shop's time zone.
#[utoipa::path(get, path = "/api/v1/automations/settings", tag = "automations",
    responses((status = 200, body = AutomationSettingsBody, description = "the settings")),
    security(("bearer" = [])))]
pub async fn settings(
    State(state): State<AppState>,
    scope: TenantScope,
) -> Result<Json<AutomationSettingsBody>, ApiError> {
    Ok(Json(shown(
        state.engine.automation_policy(&scope.shop, None).await?,
    )))
}

/// Replaces quiet hours and the shop's time zone.
#[utoipa::path(put, path = "/api/v1/automations/settings", tag = "automations", request_body = AutomationSettingsBody,
    responses((status = 200, body = AutomationSettingsBody, description = "the settings")),
    security(("bearer" = [])))]
pub async fn set_settings(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiJson(body): ApiJson<AutomationSettingsBody>,
) -> Result<Json<AutomationSettingsBody>, ApiError> {
    use crate::logic::automations::quiet::{check_zone, minutes, QuietHours};
    let bad = |field: &str, e: crate::logic::automations::quiet::QuietError| {
        ApiError::bad_request("invalid_field", format!("`{field}`: {e}"))
    };
    max_chars("time_zone", &body.time_zone, 64)?;
    check_zone(&body.time_zone).map_err(|e| bad("time_zone", e))?;
    let quiet_hours = match &body.quiet_hours {
        None => None,
        Some(w) => Some(QuietHours {
            start_min: minutes(&w.start).map_err(|e| bad("quiet_hours.start", e))?,
            end_min: minutes(&w.end).map_err(|e| bad("quiet_hours.end", e))?,
        }),
    };
    let policy = AutomationPolicy {
        quiet_hours,
        time_zone: body.time_zone,
    };
    Ok(Json(shown(
        state
            .engine
            .automation_policy(&scope.shop, Some(policy))
            .await?,
    )))
}
