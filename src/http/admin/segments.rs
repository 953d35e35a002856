//! Tenant endpoints for segments (rule groups: any group matches, all rules within one)
//! and static lists: define, edit, delete, estimate a draft's reach, members; create a
//! list, add contacts, members. Defining or editing a segment sets its members without
//! firing USER_ADDED_TO_SEGMENT; a contact who starts to match later fires it.

use super::{Page, Paged};
use crate::actors::customers::segment_cmds::{Added, SegmentCmd};
use crate::actors::customers::segments::{ListView, SegmentView, SegmentsError};
use crate::domain::segments::SegmentDraft;
use crate::http::auth::TenantScope;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{path_id, ApiJson, ApiQuery};
use crate::http::input_limits::max_items;
use crate::http::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

/// Most contacts added to a list in one call.
pub const MAX_ADD: usize = 1_000;

impl From<SegmentsError> for ApiError {
    fn from(e: SegmentsError) -> Self {
        match e {
            SegmentsError::Invalid(_) => ApiError::bad_request("invalid_segment", e.to_string()),
            SegmentsError::NotFound(what, id) => ApiError::not_found(
                if what == "list" {
                    "list_not_found"
                } else {
                    "segment_not_found"
                },
                format!("no {what} {id} in this shop"),
            ),
            SegmentsError::Store(e) => ApiError::internal(e),
        }
    }
}

/// A contact id as the API serves it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Member {
    /// The contact.
    #[serde(with = "crate::domain::ids::as_string")]
    #[schema(value_type = String)]
    pub contact_id: u64,
}

/// The reach of a draft.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Reach {
    /// Contacts matching now.
    pub count: u64,
}

/// A new list.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewList {
    /// 1 to 255 characters.
    #[schema(max_length = 255)]
    pub name: String,
}

/// Contacts to add to a list.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMembers {
    /// Contact ids (strings or integers), at most 1,000.
    #[serde(with = "crate::domain::ids::as_string::vec")]
    #[schema(value_type = Vec<String>, max_items = 1000)]
    pub contact_ids: Vec<u64>,
}

fn draft_limits(d: &SegmentDraft) -> Result<(), ApiError> {
    crate::http::input_limits::max_chars("name", &d.name, 255)?;
    max_items(
        "groups",
        d.groups.len(),
        crate::domain::segments::MAX_GROUPS,
    )
}

fn members_page(ids: Vec<u64>, limit: usize) -> Paged<Member, u64> {
    let items = ids
        .into_iter()
        .map(|contact_id| Member { contact_id })
        .collect();
    Paged::new(items, limit, |m: &Member| m.contact_id)
}

/// Defines a segment.
#[utoipa::path(post, path = "/api/v1/segments", tag = "segments", request_body(content = Object, description = "`{name, groups: [{rules: [{field, op, value}]}]}`"),
    responses((status = 201, body = SegmentView, description = "the segment with its members counted")), security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiJson(draft): ApiJson<SegmentDraft>,
) -> Result<(StatusCode, Json<SegmentView>), ApiError> {
    draft_limits(&draft)?;
    let v = state
        .engine
        .segment_cmd(&scope.shop, |reply_to| SegmentCmd::Put {
            id: None,
            draft,
            reply_to,
        })
        .await??;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Counts a draft's contacts without saving it (estimate reach).
#[utoipa::path(post, path = "/api/v1/segments/count", tag = "segments", request_body(content = Object, description = "a segment draft"),
    responses((status = 200, body = Reach, description = "the count")), security(("bearer" = [])))]
pub async fn count(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiJson(draft): ApiJson<SegmentDraft>,
) -> Result<Json<Reach>, ApiError> {
    draft_limits(&draft)?;
    let count = state
        .engine
        .segment_cmd(&scope.shop, |reply_to| SegmentCmd::Count {
            draft,
            reply_to,
        })
        .await??;
    Ok(Json(Reach { count }))
}

/// Lists segments by id.
#[utoipa::path(get, path = "/api/v1/segments", tag = "segments", params(Page),
    responses((status = 200, body = Paged<SegmentView>, description = "a page of segments")), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<Paged<SegmentView>>, ApiError> {
    let limit = page.limit()?;
    let after = page.after;
    let items = state
        .engine
        .segment_cmd(&scope.shop, |reply_to| SegmentCmd::List {
            after,
            limit,
            reply_to,
        })
        .await??;
    Ok(Json(Paged::new(items, limit, |s: &SegmentView| s.id)))
}

/// One segment.
#[utoipa::path(get, path = "/api/v1/segments/{id}", tag = "segments", params(("id" = String, Path, pattern = "^[0-9]{1,19}$")),
    responses((status = 200, body = SegmentView, description = "the segment"), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
) -> Result<Json<SegmentView>, ApiError> {
    let id = path_id(&id, "segment id")?;
    state
        .engine
        .segment(&scope.shop, id)
        .await?
        .map(Json)
        .ok_or_else(|| SegmentsError::NotFound("segment", id).into())
}

/// Replaces a segment's definition (members set again, without firing).
#[utoipa::path(put, path = "/api/v1/segments/{id}", tag = "segments", params(("id" = String, Path, pattern = "^[0-9]{1,19}$")), request_body(content = Object, description = "a segment draft"),
    responses((status = 200, body = SegmentView, description = "the segment"), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
    ApiJson(draft): ApiJson<SegmentDraft>,
) -> Result<Json<SegmentView>, ApiError> {
    let id = path_id(&id, "segment id")?;
    draft_limits(&draft)?;
    Ok(Json(
        state
            .engine
            .segment_cmd(&scope.shop, |reply_to| SegmentCmd::Put {
                id: Some(id),
                draft,
                reply_to,
            })
            .await??,
    ))
}

/// Deletes a segment.
#[utoipa::path(delete, path = "/api/v1/segments/{id}", tag = "segments", params(("id" = String, Path, pattern = "^[0-9]{1,19}$")),
    responses((status = 204, description = "deleted"), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&id, "segment id")?;
    state
        .engine
        .segment_cmd(&scope.shop, |reply_to| SegmentCmd::Delete { id, reply_to })
        .await??;
    Ok(StatusCode::NO_CONTENT)
}

/// A segment's members, by contact id.
#[utoipa::path(get, path = "/api/v1/segments/{id}/members", tag = "segments", params(("id" = String, Path, pattern = "^[0-9]{1,19}$"), Page),
    responses((status = 200, body = Paged<Member>, description = "a page of members"), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn members(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<Paged<Member, u64>>, ApiError> {
    let id = path_id(&id, "segment id")?;
    let limit = page.limit()?;
    let after = page.after;
    let ids = state
        .engine
        .segment_cmd(&scope.shop, |reply_to| SegmentCmd::Members {
            id,
            after,
            limit,
            reply_to,
        })
        .await??;
    Ok(Json(members_page(ids, limit)))
}

/// Creates a static list.
#[utoipa::path(post, path = "/api/v1/lists", tag = "segments", request_body = NewList,
    responses((status = 201, body = ListView, description = "the list")), security(("bearer" = [])))]
pub async fn create_list(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiJson(new): ApiJson<NewList>,
) -> Result<(StatusCode, Json<ListView>), ApiError> {
    crate::http::input_limits::max_chars("name", &new.name, 255)?;
    let name = new.name;
    let v = state
        .engine
        .segment_cmd(&scope.shop, |reply_to| SegmentCmd::CreateList {
            name,
            reply_to,
        })
        .await??;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Lists the static lists by id.
#[utoipa::path(get, path = "/api/v1/lists", tag = "segments", params(Page),
    responses((status = 200, body = Paged<ListView>, description = "a page of lists")), security(("bearer" = [])))]
pub async fn lists(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<Paged<ListView>>, ApiError> {
    let limit = page.limit()?;
    let after = page.after;
    let items = state
        .engine
        .segment_cmd(&scope.shop, |reply_to| SegmentCmd::Lists {
            after,
            limit,
            reply_to,
        })
        .await?;
    Ok(Json(Paged::new(items, limit, |l: &ListView| l.id)))
}

/// Adds contacts to a list (unknown ids are reported, not created).
#[utoipa::path(post, path = "/api/v1/lists/{id}/members", tag = "segments", params(("id" = String, Path, pattern = "^[0-9]{1,19}$")), request_body = NewMembers,
    responses((status = 200, body = Added, description = "added and unknown ids"), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn add_members(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
    ApiJson(new): ApiJson<NewMembers>,
) -> Result<Json<Added>, ApiError> {
    let id = path_id(&id, "list id")?;
    max_items("contact_ids", new.contact_ids.len(), MAX_ADD)?;
    Ok(Json(
        state
            .engine
            .add_list_members(&scope.shop, id, new.contact_ids)
            .await??,
    ))
}

/// What an import did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Imported {
    /// Contacts added, ids that are no contact, lines naming no contact.
    #[serde(flatten)]
    pub added: Added,
    /// Lines that do not parse, with the reason.
    pub errors: Vec<LineProblem>,
}

/// A CSV line that does not parse.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LineProblem {
    /// 1-based line number.
    pub line: u64,
    /// Why.
    pub reason: String,
}

/// Imports a CSV into a list: a header with `customer_id`, `phone` and/or `email`
/// columns (at most 100,000 rows); national phone numbers are read in `country` (query,
/// ISO region). Contacts are matched, never created.
#[utoipa::path(post, path = "/api/v1/lists/{id}/import", tag = "segments",
    params(("id" = String, Path, pattern = "^[0-9]{1,19}$"), ("country" = Option<String>, Query, pattern = "^[A-Za-z]{2}$")),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = Imported, description = "what was added"), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn import(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<Imported>, ApiError> {
    let id = path_id(&id, "list id")?;
    let csv_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/csv") || t.starts_with("text/plain"));
    if !csv_type {
        return Err(ApiError::UnsupportedMediaType(
            "the body must be `text/csv`".into(),
        ));
    }
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::bad_request("invalid_csv", "the CSV is not UTF-8"))?;
    let parsed = crate::logic::segments::csv::parse_list_csv(text, q.country.as_deref())
        .map_err(|e| ApiError::bad_request("invalid_csv", e.to_string()))?;
    let errors = parsed
        .errors
        .into_iter()
        .map(|e| LineProblem {
            line: e.line as u64,
            reason: e.reason,
        })
        .collect();
    let rows = parsed.rows;
    let added = state
        .engine
        .segment_cmd(&scope.shop, |reply_to| SegmentCmd::Import {
            list: id,
            rows,
            reply_to,
        })
        .await??;
    Ok(Json(Imported { added, errors }))
}

/// The query of an import.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The region national phone numbers are read in (`ES`).
    pub country: Option<String>,
}

/// A list's members, by contact id.
#[utoipa::path(get, path = "/api/v1/lists/{id}/members", tag = "segments", params(("id" = String, Path, pattern = "^[0-9]{1,19}$"), Page),
    responses((status = 200, body = Paged<Member>, description = "a page of members"), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_members(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<Paged<Member, u64>>, ApiError> {
    let id = path_id(&id, "list id")?;
    let limit = page.limit()?;
    if state.engine.list(&scope.shop, id).await?.is_none() {
        return Err(SegmentsError::NotFound("list", id).into());
    }
    let after = page.after;
    let ids = state
        .engine
        .segment_cmd(&scope.shop, |reply_to| SegmentCmd::ListMembers {
            list: id,
            after,
            limit,
            reply_to,
        })
        .await??;
    Ok(Json(members_page(ids, limit)))
}

/// One list.
#[utoipa::path(get, path = "/api/v1/lists/{id}", tag = "segments", params(("id" = String, Path, pattern = "^[0-9]{1,19}$")),
    responses((status = 200, body = ListView, description = "the list"), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_list(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
) -> Result<Json<ListView>, ApiError> {
    let id = path_id(&id, "list id")?;
    state
        .engine
        .list(&scope.shop, id)
        .await?
        .map(Json)
        .ok_or_else(|| SegmentsError::NotFound("list", id).into())
}

/// Deletes a list and its memberships (segments that name it see it as empty; flows
/// that exclude it exclude nobody through it).
#[utoipa::path(delete, path = "/api/v1/lists/{id}", tag = "segments", params(("id" = String, Path, pattern = "^[0-9]{1,19}$")),
    responses((status = 204, description = "deleted"), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_list(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&id, "list id")?;
    state
        .engine
        .segment_cmd(&scope.shop, |reply_to| SegmentCmd::DeleteList {
            id,
            reply_to,
        })
        .await??;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a contact from a list (404 when the contact is not in it).
#[utoipa::path(delete, path = "/api/v1/lists/{id}/members/{contact_id}", tag = "segments",
    params(("id" = String, Path, pattern = "^[0-9]{1,19}$"), ("contact_id" = String, Path, pattern = "^[0-9]{1,20}$")),
    responses((status = 204, description = "removed"), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn remove_member(
    State(state): State<AppState>,
    scope: TenantScope,
    Path((id, contact)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let list = path_id(&id, "list id")?;
    let contact = path_id(&contact, "contact id")?;
    let was = state
        .engine
        .segment_cmd(&scope.shop, |reply_to| SegmentCmd::RemoveMember {
            list,
            contact,
            reply_to,
        })
        .await??;
    if !was {
        return Err(SegmentsError::NotFound("member of that list with contact id", contact).into());
    }
    Ok(StatusCode::NO_CONTENT)
}
