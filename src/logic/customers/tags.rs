//! `customer.tags_added` / `customer.tags_removed` (per-tag last-writer-wins on
//! `occurredAt`) and `customers/purchasing_summary` (authoritative totals), and the tag
//! limits every path that brings tags in checks.
//!
//! **Tag limits** are Shopify's: at most [`MAX_TAGS`] tags per customer, each at most
//! [`MAX_TAG_CHARS`] characters. Shopify cannot send more, so a payload that would break
//! them is not one we understand: it is refused whole (an `ApplyError`, so the webhook is
//! dead-lettered with the reason naming the limit, visible in the admin API and
//! replayable) rather than truncated, which would silently store a different tag set than
//! the shop has. Nothing of the refused payload is applied.

use super::orders::recompute_aggregates;
use super::payload::{self, SummaryDto, TagsDto};
use super::{Change, CustomerBook, Lookup, Write};
use crate::domain::contact::PurchasingSummary;
use crate::domain::{EventKind, Money};
use crate::logic::{ApplyError, Delivery};

/// Shopify's limit of tags per customer.
pub const MAX_TAGS: usize = 250;
/// Shopify's limit of characters per tag.
pub const MAX_TAG_CHARS: usize = 255;

/// Refuses a tag longer than [`MAX_TAG_CHARS`].
///
/// # Errors
/// [`ApplyError::Invalid`] naming the tag (shortened) and the limit.
pub(super) fn check_tag_lengths<'a>(
    topic: crate::logic::Topic,
    names: impl IntoIterator<Item = &'a str>,
) -> Result<(), ApplyError> {
    for name in names {
        let chars = name.trim().chars().count();
        if chars > MAX_TAG_CHARS {
            let start: String = name.trim().chars().take(20).collect();
            return Err(ApplyError::invalid(
                topic,
                format!(
                    "tag `{start}…` has {chars} characters; Shopify allows at most \
                     {MAX_TAG_CHARS} per tag"
                ),
            ));
        }
    }
    Ok(())
}

/// Refuses a tag set of more than [`MAX_TAGS`] present tags.
///
/// # Errors
/// [`ApplyError::Invalid`] naming the count and the limit.
pub(super) fn check_tag_count(
    topic: crate::logic::Topic,
    id: u64,
    count: usize,
) -> Result<(), ApplyError> {
    if count > MAX_TAGS {
        return Err(ApplyError::invalid(
            topic,
            format!(
                "customer {id} would have {count} tags; Shopify allows at most {MAX_TAGS} per \
                 customer"
            ),
        ));
    }
    Ok(())
}

impl CustomerBook {
    /// Adds (`added`) or removes tags. `CustomerTagged` carries only the tags that became
    /// present. An unknown customer gets a stub contact.
    pub(super) fn on_tags(&mut self, d: &Delivery<'_>, added: bool) -> Result<Change, ApplyError> {
        let dto: TagsDto = payload::parse(d.topic, d.body)?;
        let id = payload::id(dto.customer_id)
            .ok_or_else(|| ApplyError::invalid(d.topic, "missing `customerId`"))?;
        if let Some(reason) = self.tombstoned(id) {
            return Ok(Change::ignored(reason));
        }
        let at = dto.occurred_at.unwrap_or_else(|| d.fallback_time());
        let tags = dto.tags.unwrap_or_default();
        // Checked on a copy before anything changes: a refused payload leaves no trace.
        check_tag_lengths(d.topic, tags.iter().map(String::as_str))?;
        let mut next = self
            .contacts
            .get(&id)
            .map(|c| c.tags.clone())
            .unwrap_or_default();
        let changed = next.set_many(tags.iter().map(String::as_str), added, at);
        if added {
            // A removal is always taken, even from a contact stored over the limit.
            check_tag_count(d.topic, id, next.len())?;
        }
        let mut change = Change::default();
        let c = self.upsert_stub(id, d, &mut change);
        let before = std::mem::replace(&mut c.tags, next);
        if c.tags == before && change.events.is_empty() {
            return Ok(Change::ignored(format!(
                "tags of customer {id} unchanged (stale or duplicate event at {at})"
            )));
        }
        c.synced_at = d.received_at;
        change.writes.push(Write::Contact(c.clone()));
        if added && !changed.is_empty() {
            change.events.push(EventKind::CustomerTagged {
                customer_id: id,
                tags: changed,
            });
        }
        Ok(change)
    }

    /// Stores Shopify's totals when newer than the last summary, and recomputes the
    /// aggregates (orders created after the summary are added on top of it).
    pub(super) fn on_purchasing_summary(
        &mut self,
        d: &Delivery<'_>,
        lookup: &dyn Lookup,
    ) -> Result<Change, ApplyError> {
        let dto: SummaryDto = payload::parse(d.topic, d.body)?;
        let id = payload::id(dto.customer_id)
            .ok_or_else(|| ApplyError::invalid(d.topic, "missing `customerId`"))?;
        if let Some(reason) = self.tombstoned(id) {
            return Ok(Change::ignored(reason));
        }
        let at = dto.occurred_at.unwrap_or_else(|| d.fallback_time());
        if let Some(prev) = self.contacts.get(&id).and_then(|c| c.purchasing_summary) {
            if at < prev.at {
                return Ok(Change::ignored(format!(
                    "stale purchasing summary for customer {id}: {at} is older than {}",
                    prev.at
                )));
            }
        }
        let mut orders = lookup.orders_of(id)?;
        orders.retain(|o| !self.deleted_orders.contains_key(&o.id));
        let mut change = Change::default();
        let c = self.upsert_stub(id, d, &mut change);
        let prev = c.purchasing_summary;
        c.purchasing_summary = Some(PurchasingSummary {
            orders_count: dto
                .number_of_orders
                .or(prev.map(|p| p.orders_count))
                .unwrap_or(0),
            amount_spent: dto
                .amount_spent
                .and_then(|a| a.amount)
                .or(prev.map(|p| p.amount_spent))
                .unwrap_or(Money::ZERO),
            at,
        });
        recompute_aggregates(c, &orders);
        c.synced_at = d.received_at;
        change.writes.push(Write::Contact(c.clone()));
        Ok(change)
    }
}
