//! The admin API under `/api/v1`: operator endpoints (tenants) and tenant-scoped
//! endpoints (contacts, products, checkouts, events, dead letters, exports).

pub mod back_in_stock;
pub mod billing;
pub mod campaigns;
pub mod catalog;
pub mod contacts;
pub mod deadletters;
pub mod events;
pub mod flows;
pub mod imports;
pub mod inbox;
pub mod messages;
pub mod outbound;
pub mod products;
pub mod segments;
pub mod shopify;
pub mod templates;
pub mod tenants;
pub mod whatsapp;

use crate::http::error::ApiError;
use serde::Deserialize;

/// The longest `after` a list keyed by name takes (template `name:language` keys are far
/// shorter).
pub const NAME_CURSOR_CHARS: usize = 512;

/// The largest page any list answers.
pub const MAX_PAGE: usize = 500;

/// Cursor pagination shared by list endpoints: items with id > `after`, at most `limit`
/// (default 50, max 500; outside 1..=500 is a 400 naming `limit`).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// Return items after this id (the `next_after` of the previous page).
    #[param(value_type = Option<String>, pattern = "^[0-9]{1,19}$")]
    pub after: Option<u64>,
    /// Page size, 1..=500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
}

impl Page {
    /// The effective limit.
    ///
    /// # Errors
    /// 400 `invalid_limit` when `limit` is 0 or over [`MAX_PAGE`].
    pub fn limit(&self) -> Result<usize, ApiError> {
        page_limit(self.limit)
    }

    /// One page of `items` (in any order): those with id > `after`, by id, at most
    /// `limit`. For lists that are read whole anyway (held in an actor's state).
    ///
    /// # Errors
    /// As [`Page::limit`].
    pub fn of<T>(
        &self,
        items: impl IntoIterator<Item = T>,
        id: impl Fn(&T) -> u64,
    ) -> Result<Paged<T>, ApiError> {
        let limit = self.limit()?;
        let mut v: Vec<T> = items
            .into_iter()
            .filter(|t| self.after.is_none_or(|a| id(t) > a))
            .collect();
        v.sort_by_key(|t| id(t));
        v.truncate(limit);
        Ok(Paged::new(v, limit, id))
    }
}

/// `limit` checked: default 50, 1..=[`MAX_PAGE`].
///
/// # Errors
/// 400 `invalid_limit` naming the bounds.
pub fn page_limit(limit: Option<usize>) -> Result<usize, ApiError> {
    match limit.unwrap_or(50) {
        n @ 1..=MAX_PAGE => Ok(n),
        n => Err(ApiError::bad_request(
            "invalid_limit",
            format!("`limit` is {n}; it must be between 1 and {MAX_PAGE}"),
        )),
    }
}

/// Cursor pagination of lists keyed by a name (templates, phone number ids): items whose
/// key sorts after `after`, at most `limit` (default 50, max 500).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NamePage {
    /// Return items after this key (the `next_after` of the previous page).
    #[param(max_length = 512)]
    pub after: Option<String>,
    /// Page size, 1..=500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
}

impl NamePage {
    /// One page of `items` (in any order): key > `after`, by key, at most `limit`.
    ///
    /// # Errors
    /// As [`Page::limit`].
    pub fn of<T>(
        &self,
        items: impl IntoIterator<Item = T>,
        key: impl Fn(&T) -> String,
    ) -> Result<Paged<T, String>, ApiError> {
        let limit = page_limit(self.limit)?;
        if let Some(after) = &self.after {
            crate::http::input_limits::max_chars("after", after, NAME_CURSOR_CHARS)?;
        }
        let mut v: Vec<T> = items
            .into_iter()
            .filter(|t| self.after.as_deref().is_none_or(|a| key(t).as_str() > a))
            .collect();
        v.sort_by_key(|t| key(t));
        v.truncate(limit);
        Ok(Paged::new(v, limit, key))
    }
}

/// A page of items and the cursor of the next page (`null` at the end). Every list of the
/// API answers this shape. The cursor is an opaque string in JSON (an id, a sequence number
/// or a name), so an id above 2^53 survives a JavaScript client.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(bound = "T: utoipa::ToSchema")]
pub struct Paged<T, C: std::fmt::Display = u64> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `after` to get the next page; `null` when this is the last one.
    #[serde(serialize_with = "cursor")]
    #[schema(value_type = Option<String>)]
    pub next_after: Option<C>,
}

fn cursor<C: std::fmt::Display, S: serde::Serializer>(
    c: &Option<C>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match c {
        Some(c) => s.collect_str(c),
        None => s.serialize_none(),
    }
}

impl<T, C: std::fmt::Display> Paged<T, C> {
    /// Builds a page; `id` extracts the cursor of an item.
    pub fn new(items: Vec<T>, limit: usize, id: impl Fn(&T) -> C) -> Self {
        let next_after = if items.len() == limit {
            items.last().map(id)
        } else {
            None
        };
        Self { items, next_after }
    }
}
