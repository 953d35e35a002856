//! Tenant endpoints for recorded domain events and `customers/data_request` exports.

use super::{Page, Paged};
use crate::domain::contact::DataExport;
use crate::domain::DomainEvent;
use crate::http::auth::TenantScope;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::ApiQuery;
use crate::http::AppState;
use crate::store::Kind;
use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;

/// A domain event as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EventView {
    /// Stream position (use as `after`).
    pub seq: u64,
    /// Event type (`OrderPlaced` …).
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    pub kind: &'static str,
    /// When it happened.
    pub occurred_at: crate::domain::Timestamp,
    /// True for the store's history (a row of the initial import): recorded for segments
    /// and backfills, never a trigger by itself.
    pub history: bool,
    /// The event's fields (ids as strings).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// A prepared `customers/data_request` export as the list shows it (without the payload).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExportSummary {
    /// Shopify's data request id.
    #[serde(with = "crate::domain::ids::as_string")]
    #[schema(value_type = String, pattern = "^[0-9]{1,20}$")]
    pub request_id: u64,
    /// The customer it is about.
    #[serde(with = "crate::domain::ids::as_string")]
    #[schema(value_type = String, pattern = "^[0-9]{1,20}$")]
    pub customer_id: u64,
    /// When it was prepared.
    pub prepared_at: crate::domain::Timestamp,
}

impl From<DomainEvent> for EventView {
    fn from(e: DomainEvent) -> Self {
        let data = serde_json::to_value(&e.kind)
            .ok()
            .and_then(|v| v.as_object().and_then(|o| o.values().next().cloned()))
            .unwrap_or(serde_json::Value::Null);
        Self {
            seq: e.seq,
            history: e.is_history(),
            kind: e.kind.name(),
            occurred_at: e.occurred_at,
            data,
        }
    }
}

/// Lists recorded domain events in stream order.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(Page),
    responses((status = 200, body = Paged<EventView>, description = "a page of events")),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<Paged<EventView>>, ApiError> {
    let limit = page.limit()?;
    let events: Vec<(u64, DomainEvent)> =
        state
            .engine
            .store()
            .scan_from(&scope.shop, Kind::Event, page.after, limit)?;
    let items: Vec<EventView> = events.into_iter().map(|(_, e)| e.into()).collect();
    Ok(Json(Paged::new(items, limit, |e: &EventView| e.seq)))
}

/// Lists prepared data-request exports by request id, without their payload.
#[utoipa::path(get, path = "/api/v1/exports", tag = "compliance", params(Page),
    responses((status = 200, body = Paged<ExportSummary>, description = "a page of exports"),
              (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn exports(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<Paged<ExportSummary>>, ApiError> {
    let limit = page.limit()?;
    let xs: Vec<(u64, DataExport)> =
        state
            .engine
            .store()
            .scan_from(&scope.shop, Kind::Export, page.after, limit)?;
    let items = xs
        .into_iter()
        .map(|(_, x)| ExportSummary {
            request_id: x.request_id,
            customer_id: x.customer_id,
            prepared_at: x.prepared_at,
        })
        .collect();
    Ok(Json(Paged::new(items, limit, |x: &ExportSummary| {
        x.request_id
    })))
}

/// One data-request export: everything held about the customer.
#[utoipa::path(get, path = "/api/v1/exports/{request_id}", tag = "compliance",
    params(("request_id" = String, Path, pattern = "^[0-9]{1,19}$", description = "Shopify's data_request id")),
    responses((status = 200, body = Object, description = "the export: everything held about the customer"), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn export(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = crate::http::extract::path_id(&id, "data request id")?;
    let x: DataExport = state
        .engine
        .store()
        .get(&scope.shop, Kind::Export, id)?
        .ok_or_else(|| {
            ApiError::not_found(
                "export_not_found",
                format!("no export for data request {id}"),
            )
        })?;
    let data: serde_json::Value = serde_json::from_str(&x.json).map_err(ApiError::internal)?;
    Ok(Json(serde_json::json!({
        "request_id": x.request_id,
        "customer_id": x.customer_id,
        "prepared_at": x.prepared_at,
        "data": data,
    })))
}
