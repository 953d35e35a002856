//! `collections/create`, `collections/update`, `collections/delete`: same staleness and
//! tombstone rules as products. Deleting a collection also removes it from the
//! `collections` list of the products that named it.

use super::payload::{self, CollectionDto};
use super::{CatalogBook, Change, Write};
use crate::domain::catalog::Collection;
use crate::logic::{ApplyError, Delivery};

/// `collections/create` and `collections/update` (an update of an unknown one is an upsert).
pub(super) fn upsert(book: &mut CatalogBook, d: &Delivery<'_>) -> Result<Change, ApplyError> {
    let dto: CollectionDto = payload::parse(d)?;
    let id = payload::record_id(dto.id, dto.admin_graphql_api_id.as_deref())
        .ok_or_else(|| ApplyError::invalid(d.topic, "collection has no id"))?;
    if let Some(at) = book.collection_tombstones.get(&id) {
        return Ok(Change::ignored(format!(
            "collection {id} was deleted at {at}"
        )));
    }
    let stored = book.collections.get(&id);
    if let (Some(new), Some(old)) = (dto.updated_at, stored.and_then(|c| c.updated_at)) {
        if new < old {
            return Ok(Change::ignored(format!(
                "collection {id}: updated_at {new} is older than the stored {old}"
            )));
        }
    }
    let mut c = stored.cloned().unwrap_or_else(|| Collection {
        id,
        handle: Box::from(""),
        title: Box::from(""),
        updated_at: None,
        published_at: None,
        sort_order: None,
    });
    if let Some(h) = &dto.handle {
        c.handle.clone_from(h);
    }
    if let Some(t) = &dto.title {
        c.title.clone_from(t);
    }
    if dto.updated_at.is_some() {
        c.updated_at = dto.updated_at;
    }
    if let Some(p) = dto.published_at {
        c.published_at = p;
    }
    if let Some(s) = dto.sort_order {
        c.sort_order = s.filter(|s| !s.is_empty());
    }
    let mut change = Change::default();
    if book.collections.get(&id) != Some(&c) {
        change.writes.push(Write::Collection(c.clone()));
        book.collections.insert(id, c);
    }
    Ok(change)
}

/// `collections/delete`: drop it, leave a tombstone, and unlink it from products.
pub(super) fn delete(book: &mut CatalogBook, d: &Delivery<'_>) -> Result<Change, ApplyError> {
    let dto: CollectionDto = payload::parse(d)?;
    let id = payload::record_id(dto.id, dto.admin_graphql_api_id.as_deref())
        .ok_or_else(|| ApplyError::invalid(d.topic, "collection has no id"))?;
    if let Some(at) = book.collection_tombstones.get(&id) {
        return Ok(Change::ignored(format!(
            "collection {id} was already deleted at {at}"
        )));
    }
    let at = d.fallback_time();
    book.collections.remove(&id);
    book.collection_tombstones.insert(id, at);
    let mut change = Change::default();
    change.writes.push(Write::CollectionDeleted { id, at });
    for p in book.products.values_mut() {
        if p.collections.contains(&id) {
            p.collections.retain(|c| *c != id);
            change.writes.push(Write::Product(p.clone()));
        }
    }
    Ok(change)
}
