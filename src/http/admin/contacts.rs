//! Tenant endpoints for contacts: search, profile, and the `exclude_from_galantis` flag.

use super::{Page, Paged};
use crate::actors::customers::ContactProfile;
use crate::domain::contact::{Checkout, Contact};
use crate::http::auth::TenantScope;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery};
use crate::http::AppState;
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;

/// Search parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactQuery {
    /// Name, email or phone (digits) to look for; empty lists everyone.
    #[param(max_length = 255)]
    pub q: Option<String>,
    /// Cursor: contacts with `shopify_customer_id` greater than this.
    #[param(value_type = Option<String>, pattern = "^[0-9]{1,19}$")]
    pub after: Option<u64>,
    /// Page size, 1..=500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
}

/// The body of `PATCH /api/v1/contacts/{id}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPatch {
    /// Keep this contact out of every campaign and automation.
    pub exclude_from_galantis: bool,
}

fn parse_id(raw: &str) -> Result<u64, ApiError> {
    crate::http::extract::path_id(raw, "Shopify customer id")
}

/// Searches contacts.
#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts", params(ContactQuery),
    responses((status = 200, body = Paged<Contact>, description = "a page of contacts"), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn search(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiQuery(q): ApiQuery<ContactQuery>,
) -> Result<Json<Paged<Contact>>, ApiError> {
    let limit = Page {
        after: q.after,
        limit: q.limit,
    }
    .limit()?;
    let text = q.q.unwrap_or_default();
    crate::http::input_limits::max_chars("q", &text, crate::http::input_limits::SEARCH_CHARS)?;
    let after = q.after;
    let items = state
        .engine
        .search_contacts(&scope.shop, text, after, limit)
        .await?;
    Ok(Json(Paged::new(items, limit, |c: &Contact| c.id)))
}

/// One contact with consent, tags, orders, aggregates, checkouts and error codes.
#[utoipa::path(get, path = "/api/v1/contacts/{id}", tag = "contacts",
    params(("id" = String, Path, pattern = "^[0-9]{1,19}$", description = "shopify_customer_id")),
    responses((status = 200, body = ProfileView, description = "the contact profile"), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
) -> Result<Json<ProfileView>, ApiError> {
    let id = parse_id(&id)?;
    let profile = state.engine.contact_profile(&scope.shop, id).await?;
    let profile = profile.ok_or_else(|| {
        ApiError::not_found("contact_not_found", format!("no contact {id} in this shop"))
    })?;
    let threads = threads_of(&state, &scope.shop, &profile).await?;
    Ok(Json(ProfileView { profile, threads }))
}

/// A contact profile with its WhatsApp threads and their messages.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ProfileView {
    /// Contact, orders, checkouts.
    #[serde(flatten)]
    pub profile: ContactProfile,
    /// WhatsApp conversations with this contact's number, each with its messages.
    pub threads: Vec<crate::http::admin::inbox::ThreadView>,
}

/// Threads of the contact: linked to it, or with its phone number.
async fn threads_of(
    state: &AppState,
    shop: &str,
    profile: &ContactProfile,
) -> Result<Vec<crate::http::admin::inbox::ThreadView>, ApiError> {
    use crate::logic::inbox::ThreadFilter;
    let mut found = Vec::new();
    let mut filters = vec![ThreadFilter {
        contact_id: Some(profile.contact.id),
        ..ThreadFilter::default()
    }];
    if let Some(phone) = profile.contact.phone {
        filters.push(ThreadFilter {
            customer: Some(phone),
            ..ThreadFilter::default()
        });
    }
    let mut ids = Vec::new();
    for filter in filters {
        let ts = state.engine.threads(shop, filter).await?;
        for t in ts {
            if !ids.contains(&t.id) {
                ids.push(t.id);
            }
        }
    }
    for id in ids {
        if let Some((thread, messages)) = state.engine.thread(shop, id).await? {
            found.push(crate::http::admin::inbox::ThreadView { thread, messages });
        }
    }
    Ok(found)
}

/// Sets `exclude_from_galantis`.
#[utoipa::path(patch, path = "/api/v1/contacts/{id}", tag = "contacts", request_body = ContactPatch,
    params(("id" = String, Path, pattern = "^[0-9]{1,19}$", description = "shopify_customer_id")),
    responses((status = 200, body = Contact, description = "the updated contact"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn patch(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<ContactPatch>,
) -> Result<Json<Contact>, ApiError> {
    let id = parse_id(&id)?;
    let contact = state
        .engine
        .set_contact_excluded(&scope.shop, id, p.exclude_from_galantis)
        .await?;
    let contact = contact.ok_or_else(|| {
        ApiError::not_found("contact_not_found", format!("no contact {id} in this shop"))
    })?;
    state.engine.store().durable().await?;
    Ok(Json(contact))
}

/// Lists checkouts (open and completed), by id.
#[utoipa::path(get, path = "/api/v1/checkouts", tag = "checkouts", params(Page),
    responses((status = 200, body = Paged<Checkout>, description = "a page of checkouts")),
    security(("bearer" = [])))]
pub async fn checkouts(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<Paged<Checkout>>, ApiError> {
    let limit = page.limit()?;
    let after = page.after;
    let items = state.engine.checkouts(&scope.shop, after, limit).await?;
    Ok(Json(Paged::new(items, limit, |c: &Checkout| c.id)))
}
