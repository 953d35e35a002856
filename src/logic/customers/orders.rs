//! `orders/create|updated|paid|cancelled|fulfilled|delete`, and the order aggregates on
//! a contact.
//!
//! Aggregates are recomputed from the customer's stored orders (through [`Lookup`]) plus
//! the order being written, never patched incrementally, so replays and reorderings
//! cannot drift them:
//! - `orders_count`: orders not deleted, cancelled ones included;
//! - `total_spent`: sum of `total_price` over orders neither cancelled nor voided nor
//!   refunded (`Order::counts_toward_spent`); `average_order_value` divides it by the
//!   number of those orders;
//! - `first_order_at` / `last_order_at`: earliest and latest `created_at`.
//!
//! When Shopify has sent a `customers/purchasing_summary`, its totals are authoritative
//! as of its time (they include orders we never saw) and only known orders created after
//! it are added on top.

use super::payload::{self, LineItemDto, OrderDto};
use super::{Change, CustomerBook, Lookup, Write};
use crate::domain::contact::{Contact, LineItem, Order};
use crate::domain::{parse_gid, EventKind, Money, ShopifyId};
use crate::logic::{ApplyError, Delivery, LookupError};

impl CustomerBook {
    /// Stores the order (unless stale, deleted, or its customer deleted), emits its
    /// transitions, upserts its customer and refreshes the aggregates.
    pub(super) fn on_order(
        &mut self,
        d: &Delivery<'_>,
        lookup: &dyn Lookup,
    ) -> Result<Change, ApplyError> {
        let dto: OrderDto = payload::parse(d.topic, d.body)?;
        let id = payload::id(dto.id)
            .or_else(|| {
                dto.admin_graphql_api_id
                    .as_deref()
                    .and_then(|g| parse_gid(g, None))
            })
            .ok_or_else(|| ApplyError::invalid(d.topic, "missing order `id`"))?;
        if let Some(at) = self.deleted_orders.get(&id) {
            return Ok(Change::ignored(format!("order {id} was deleted at {at}")));
        }
        let customer_id = dto.customer.as_ref().and_then(|c| c.customer_id());
        if let Some(reason) = customer_id.and_then(|cid| self.tombstoned(cid)) {
            return Ok(Change::ignored(reason));
        }
        let order = order_of(id, customer_id, &dto);
        let prev = lookup.order(id)?;
        if let Some(p) = &prev {
            if let (Some(old), Some(new)) = (p.updated_at, order.updated_at) {
                if new < old {
                    return Ok(Change::ignored(format!(
                        "stale order {id}: updated_at {new} is older than stored {old}"
                    )));
                }
            }
            if *p == order {
                return Ok(Change::ignored(format!("order {id} unchanged (duplicate)")));
            }
        }
        let mut change = Change::default();
        let mut touched = false;
        if let (Some(cid), Some(cdto)) = (customer_id, dto.customer.as_ref()) {
            let c = self.upsert_from(cid, cdto, d, &mut change);
            touched = !change.events.is_empty();
            if c.locale.is_none() {
                c.locale = payload::text(dto.customer_locale.as_deref());
                touched |= c.locale.is_some();
            }
        }
        push_transitions(&mut change.events, prev.as_ref(), &order);
        let old_customer = prev.as_ref().and_then(|p| p.customer_id);
        change.writes.push(Write::Order {
            order: order.clone(),
            previous_customer: old_customer,
        });
        if let Some(cid) = customer_id {
            self.refresh_aggregates(cid, lookup, id, Some(&order), touched, d, &mut change)?;
        }
        if let Some(old) = old_customer.filter(|o| Some(*o) != customer_id) {
            self.refresh_aggregates(old, lookup, id, None, false, d, &mut change)?;
        }
        Ok(change)
    }

    /// `orders/delete`: tombstone the order and refresh its customer's aggregates.
    pub(super) fn on_order_delete(
        &mut self,
        d: &Delivery<'_>,
        lookup: &dyn Lookup,
    ) -> Result<Change, ApplyError> {
        let dto: payload::DeleteDto = payload::parse(d.topic, d.body)?;
        let id = payload::id(dto.id)
            .ok_or_else(|| ApplyError::invalid(d.topic, "missing order `id`"))?;
        if let Some(at) = self.deleted_orders.get(&id) {
            return Ok(Change::ignored(format!(
                "order {id} already deleted at {at}"
            )));
        }
        let at = d.fallback_time();
        self.deleted_orders.insert(id, at);
        let mut change = Change::default();
        change.writes.push(Write::OrderDeleted { id, at });
        if let Some(cid) = lookup.order(id)?.and_then(|o| o.customer_id) {
            self.refresh_aggregates(cid, lookup, id, None, false, d, &mut change)?;
        }
        Ok(change)
    }

    /// Recomputes one live contact's aggregates with order `changed` replaced by `with`
    /// (or dropped when `None`), and writes the contact when they moved (or `force`).
    #[allow(clippy::too_many_arguments)]
    fn refresh_aggregates(
        &mut self,
        cid: ShopifyId,
        lookup: &dyn Lookup,
        changed: ShopifyId,
        with: Option<&Order>,
        force: bool,
        d: &Delivery<'_>,
        change: &mut Change,
    ) -> Result<(), LookupError> {
        let Some(c) = self.contacts.get(&cid) else {
            return Ok(());
        };
        let mut orders = lookup.orders_of(cid)?;
        orders.retain(|o| o.id != changed && !self.deleted_orders.contains_key(&o.id));
        orders.extend(with.cloned());
        let mut updated = c.clone();
        recompute_aggregates(&mut updated, &orders);
        if updated != *c || force {
            updated.synced_at = d.received_at;
            change.writes.push(Write::Contact(updated.clone()));
            self.contacts.insert(cid, updated);
        }
        Ok(())
    }
}

/// Sets the contact's order aggregates from its (non-deleted) orders and its purchasing
/// summary; see the module doc for the rules.
pub(super) fn recompute_aggregates(c: &mut Contact, orders: &[Order]) {
    let after_summary = |o: &&Order| match (c.purchasing_summary, o.created_at) {
        (Some(s), Some(created)) => created > s.at,
        (Some(_), None) => false,
        (None, _) => true,
    };
    let extra: Vec<&Order> = orders.iter().filter(after_summary).collect();
    let spent: Vec<&&Order> = extra.iter().filter(|o| o.counts_toward_spent()).collect();
    let extra_total = spent
        .iter()
        .fold(Money::ZERO, |sum, o| sum.plus(o.total_price));
    let (base_count, base_total) = c
        .purchasing_summary
        .map(|s| (s.orders_count, s.amount_spent))
        .unwrap_or((0, Money::ZERO));
    c.orders_count = base_count.saturating_add(count(extra.len()));
    c.total_spent = base_total.plus(extra_total);
    let spent_count = base_count.saturating_add(count(spent.len()));
    c.average_order_value = c.total_spent.div_by(u64::from(spent_count));
    c.first_order_at = orders.iter().filter_map(|o| o.created_at).min();
    c.last_order_at = orders.iter().filter_map(|o| o.created_at).max();
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The events an order version causes, compared with the stored one.
fn push_transitions(events: &mut Vec<EventKind>, prev: Option<&Order>, order: &Order) {
    let (order_id, customer_id) = (order.id, order.customer_id);
    if prev.is_none() {
        events.push(EventKind::OrderPlaced {
            order_id,
            customer_id,
            total: order.total_price,
            currency: order.currency.clone(),
        });
    }
    if order.cancelled_at.is_some() && prev.is_none_or(|p| p.cancelled_at.is_none()) {
        events.push(EventKind::OrderCancelled {
            order_id,
            customer_id,
        });
    }
    if order.is_fulfilled() && prev.is_none_or(|p| !p.is_fulfilled()) {
        events.push(EventKind::OrderShipped {
            order_id,
            customer_id,
        });
    }
}

fn order_of(id: ShopifyId, customer_id: Option<ShopifyId>, dto: &OrderDto) -> Order {
    Order {
        id,
        customer_id,
        name: dto.name.clone(),
        order_number: dto.order_number,
        total_price: dto.total_price.unwrap_or(Money::ZERO),
        currency: dto.currency.clone().unwrap_or_default(),
        financial_status: dto.financial_status.clone(),
        fulfillment_status: dto.fulfillment_status.clone(),
        cancelled_at: dto.cancelled_at,
        line_items: line_items(dto.line_items.as_deref()),
        checkout_token: dto.checkout_token.clone(),
        created_at: dto.created_at,
        updated_at: dto.updated_at,
    }
}

/// Line items of an order or checkout (title falls back to `name`).
pub(super) fn line_items(items: Option<&[LineItemDto]>) -> Vec<LineItem> {
    items
        .unwrap_or_default()
        .iter()
        .map(|li| LineItem {
            product_id: payload::id(li.product_id),
            variant_id: payload::id(li.variant_id),
            title: li
                .title
                .clone()
                .or_else(|| li.name.clone())
                .unwrap_or_default(),
            quantity: li.quantity.unwrap_or(0),
            price: li.price.unwrap_or(Money::ZERO),
            sku: li.sku.clone(),
        })
        .collect()
}
