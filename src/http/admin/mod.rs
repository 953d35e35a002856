//! The admin API under `/api/v1`: operator endpoints (tenants) and tenant-scoped
//! endpoints (contacts, products, checkouts, events, dead letters, exports).

pub mod contacts;
pub mod deadletters;
pub mod events;
pub mod inbox;
pub mod messages;
pub mod outbound;
pub mod products;
pub mod templates;
pub mod tenants;
pub mod whatsapp;

use serde::Deserialize;

/// Cursor pagination shared by list endpoints: items with id > `after`, at most `limit`
/// (default 50, max 500).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct Page {
    /// Return items after this id (the `next_after` of the previous page).
    pub after: Option<u64>,
    /// Page size, 1..=500 (default 50).
    pub limit: Option<usize>,
}

impl Page {
    /// The effective limit.
    pub fn limit(&self) -> usize {
        self.limit.unwrap_or(50).clamp(1, 500)
    }
}

/// A page of items and the cursor of the next page (absent at the end).
#[derive(Debug, serde::Serialize)]
pub struct Paged<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `after` to get the next page; `null` when this is the last one.
    pub next_after: Option<u64>,
}

impl<T> Paged<T> {
    /// Builds a page; `id` extracts the cursor of an item.
    pub fn new(items: Vec<T>, limit: usize, id: impl Fn(&T) -> u64) -> Self {
        let next_after = if items.len() == limit {
            items.last().map(id)
        } else {
            None
        };
        Self { items, next_after }
    }
}
