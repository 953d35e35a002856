//! `customer.tags_added` / `customer.tags_removed` (per-tag last-writer-wins on
//! `occurredAt`) and `customers/purchasing_summary` (authoritative totals).

use super::orders::recompute_aggregates;
use super::payload::{self, SummaryDto, TagsDto};
use super::{Change, CustomerBook, Lookup, Write};
use crate::domain::contact::PurchasingSummary;
use crate::domain::{EventKind, Money};
use crate::logic::{ApplyError, Delivery};

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
        let mut change = Change::default();
        let c = self.upsert_stub(id, d, &mut change);
        let before = c.tags.clone();
        let changed = c.tags.set_many(tags.iter().map(String::as_str), added, at);
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
