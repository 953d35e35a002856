//! Tenant endpoint listing back-in-stock subscriptions, per variant or per contact, from
//! the store's indexes (`services::back_in_stock::list`).

use super::{page_limit, Paged};
use crate::domain::back_in_stock::Subscription;
use crate::http::auth::TenantScope;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::ApiQuery;
use crate::http::AppState;
use crate::services::back_in_stock::{list as list_by, ListBy};
use axum::extract::State;
use axum::Json;
use serde::Deserialize;

/// Which subscriptions: exactly one of `variant_id` and `contact_id`, then a page.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BackInStockQuery {
    /// Subscriptions to this variant.
    #[param(value_type = Option<String>, pattern = "^[0-9]{1,20}$")]
    pub variant_id: Option<String>,
    /// Subscriptions of this contact.
    #[param(value_type = Option<String>, pattern = "^[0-9]{1,20}$")]
    pub contact_id: Option<String>,
    /// Return subscriptions after this id (the `next_after` of the previous page).
    #[param(value_type = Option<String>, pattern = "^[0-9]{1,19}$")]
    pub after: Option<u64>,
    /// Page size, 1..=500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
}

fn id_of(raw: &str, field: &str) -> Result<u64, ApiError> {
    crate::http::extract::path_id(raw, field)
}

/// Back-in-stock subscriptions of one variant or one contact, by id.
#[utoipa::path(get, path = "/api/v1/back-in-stock", tag = "back-in-stock", params(BackInStockQuery),
    responses(
        (status = 200, body = Paged<Subscription>, description = "a page of subscriptions"),
        (status = 400, body = ErrorBody, description = "neither or both of `variant_id` and `contact_id`, or a malformed one"),
    ),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiQuery(q): ApiQuery<BackInStockQuery>,
) -> Result<Json<Paged<Subscription>>, ApiError> {
    let limit = page_limit(q.limit)?;
    let by = match (&q.variant_id, &q.contact_id) {
        (Some(v), None) => ListBy::Variant(id_of(v, "a variant id (`variant_id`)")?),
        (None, Some(c)) => ListBy::Contact(id_of(c, "a contact id (`contact_id`)")?),
        _ => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "give exactly one of `variant_id` and `contact_id`",
            ))
        }
    };
    let items = list_by(state.engine.store(), &scope.shop, by, q.after, limit)?;
    Ok(Json(Paged::new(items, limit, |s: &Subscription| s.id)))
}
