//! Revenue attribution where orders land: when an order is placed, its contact (by
//! customer id, else phone, else email) and that contact's tagged messages decide the
//! credit (`logic::attribution::attribute`: a UTM or discount code of ours first, then
//! the last message within the click / read / delivered windows), written in the same
//! batch as the order, so an order is credited once, also across a crash. A cancelled
//! order takes its revenue back, once. The per-source revenue (total and per UTC day)
//! is this actor's to write; message counters are the conversation actor's.
//! A campaign's own discount code (`discount_code` in its definition) names it.

use super::CustomersState;
use crate::actors::Delivered;
use crate::domain::analytics::{day_key, Source, SourceRevenue, SourceStats};
use crate::domain::campaigns::{CampaignDefinition, StoredCampaign};
use crate::domain::phone::PhoneE164;
use crate::domain::segments::day_of;
use crate::domain::{Money, Timestamp};
use crate::logic::attribution::{
    attribute, match_contact, source_of_landing, CreditedOrder, MessageTouch, OrderFacts, Windows,
};
use crate::store::{Batch, Kind, StoreError};
use serde::Deserialize;
use std::collections::HashMap;

/// What attribution reads of an order webhook beyond the order record.
#[derive(Debug, Default, Deserialize)]
struct OrderWire {
    #[serde(default)]
    landing_site: Option<String>,
    #[serde(default)]
    discount_codes: Vec<DiscountWire>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
}

#[derive(Debug, Deserialize)]
struct DiscountWire {
    #[serde(default)]
    code: String,
}

/// The order placed, as the customer side recorded it.
pub struct Placed<'a> {
    /// Order id.
    pub order_id: u64,
    /// Its customer, when Shopify named one.
    pub customer_id: Option<u64>,
    /// Total.
    pub total: Money,
    /// Currency.
    pub currency: &'a str,
    /// The webhook body.
    pub body: &'a [u8],
    /// When the order arrived (used when its `created_at` is missing).
    pub at: Timestamp,
}

/// The contact's messages with their signals, by message id.
fn touches(state: &CustomersState, contact: u64) -> Result<Vec<MessageTouch>, StoreError> {
    let mut sources: HashMap<u64, Option<Source>> = HashMap::new();
    let mut out = Vec::new();
    for id in state
        .store
        .pairs_of(&state.shop, Kind::ContactTag, contact)?
    {
        let Some(tag) = state.store.message_tag(&state.shop, id)? else {
            continue;
        };
        if tag.sent_at == 0 {
            continue;
        }
        let source = match sources.get(&tag.source) {
            Some(s) => s.clone(),
            None => {
                let stats: SourceStats = state.store.source_stats(&state.shop, tag.source)?;
                let s = Source::parse_code(&stats.code);
                sources.insert(tag.source, s.clone());
                s
            }
        };
        let Some(source) = source else { continue };
        let at = |t: i64| (t != 0).then_some(t);
        out.push(MessageTouch {
            message_id: id,
            source,
            sent_at: tag.sent_at,
            delivered_at: at(tag.delivered_at),
            read_at: at(tag.read_at),
            clicked_at: at(tag.clicked_at),
        });
    }
    Ok(out)
}

/// The campaign whose own discount code this is.
fn discount_source(state: &CustomersState, code: &str) -> Option<Source> {
    let all: Vec<(u64, StoredCampaign)> = state.store.scan(&state.shop, Kind::Campaign).ok()?;
    all.into_iter().find_map(|(id, c)| {
        let d: CampaignDefinition = serde_json::from_str(&c.definition).ok()?;
        d.discount_code
            .is_some_and(|dc| dc.eq_ignore_ascii_case(code))
            .then_some(Source::Campaign { id, variant: 0 })
    })
}

fn add_revenue(
    state: &CustomersState,
    batch: &mut Batch,
    source: &Source,
    at: Timestamp,
    change: impl Fn(&mut SourceRevenue),
) -> Result<(), StoreError> {
    let key = source.key();
    for k in [key, day_key(key, day_of(at))] {
        let mut r: SourceRevenue = state
            .store
            .get(&state.shop, Kind::SourceRevenue, k)?
            .unwrap_or_default();
        change(&mut r);
        batch.put(&state.shop, Kind::SourceRevenue, k, &r)?;
    }
    Ok(())
}

/// Credits a newly placed order (nothing when it was credited before or no message
/// qualifies).
///
/// # Errors
/// When the store fails.
pub fn on_placed(
    state: &CustomersState,
    batch: &mut Batch,
    windows: &Windows,
    p: &Placed<'_>,
) -> Result<(), StoreError> {
    if state
        .store
        .get::<CreditedOrder>(&state.shop, Kind::OrderCredit, p.order_id)?
        .is_some()
    {
        return Ok(());
    }
    let wire: OrderWire = serde_json::from_slice(p.body).unwrap_or_default();
    let phone = wire.phone.as_deref().and_then(|s| PhoneE164::parse(s).ok());
    let book = &state.book;
    let matched = match_contact(
        p.customer_id,
        wire.phone.as_deref(),
        wire.email.as_deref(),
        |id| book.contact(id).map(|c| c.id),
        |_| phone.and_then(|ph| book.find_by_phone(ph).first().copied()),
        |email| {
            book.contacts()
                .find(|c| {
                    c.email
                        .as_deref()
                        .is_some_and(|e| e.eq_ignore_ascii_case(email))
                })
                .map(|c| c.id)
        },
    );
    let Some((contact, by)) = matched else {
        return Ok(());
    };
    let placed_at = wire
        .created_at
        .as_deref()
        .and_then(Timestamp::parse)
        .unwrap_or(p.at);
    let facts = OrderFacts {
        order_id: p.order_id,
        placed_at: placed_at.millis(),
        total_minor: p.total.0,
        currency: p.currency.to_string(),
        utm_campaign: wire
            .landing_site
            .as_deref()
            .and_then(source_of_landing)
            .map(|s| s.code()),
        discount_codes: wire.discount_codes.into_iter().map(|d| d.code).collect(),
    };
    let touches = touches(state, contact)?;
    let Some(credit) = attribute(&facts, &touches, windows, &|c| discount_source(state, c)) else {
        return Ok(());
    };
    tracing::info!(message = "Order credited.", tenant = %state.shop, order_id = p.order_id, source = %credit.source.code(), rule = credit.rule.as_str(), matched_by = ?by);
    let rule = credit.rule.as_str();
    add_revenue(state, batch, &credit.source, placed_at, |r| {
        r.orders += 1;
        r.revenue = r.revenue.plus(p.total);
        *r.by_rule.entry(rule.to_string()).or_default() += 1;
    })?;
    let record = CreditedOrder {
        credit,
        cancelled: false,
    };
    batch.put(&state.shop, Kind::OrderCredit, p.order_id, &record)
}

/// Takes a cancelled order's revenue back from the source it was credited to (once).
///
/// # Errors
/// When the store fails.
pub fn on_cancelled(
    state: &CustomersState,
    batch: &mut Batch,
    order_id: u64,
    at: Timestamp,
) -> Result<(), StoreError> {
    let Some(mut record) =
        state
            .store
            .get::<CreditedOrder>(&state.shop, Kind::OrderCredit, order_id)?
    else {
        return Ok(());
    };
    if record.cancelled {
        return Ok(());
    }
    record.cancelled = true;
    let revenue = Money(record.credit.revenue_minor);
    let rule = record.credit.rule.as_str();
    add_revenue(state, batch, &record.credit.source, at, |r| {
        r.orders = r.orders.saturating_sub(1);
        r.revenue = r.revenue.minus(revenue);
        r.cancelled += 1;
        if let Some(n) = r.by_rule.get_mut(rule) {
            *n = n.saturating_sub(1);
        }
    })?;
    tracing::info!(message = "Credited order cancelled; its revenue leaves its source.", tenant = %state.shop, order_id, source = %record.credit.source.code());
    batch.put(&state.shop, Kind::OrderCredit, order_id, &record)
}

/// Revenue attribution of the orders a webhook placed or cancelled (same batch).
///
/// # Errors
/// When the store fails.
pub fn on_events(
    state: &CustomersState,
    batch: &mut Batch,
    events: &[crate::domain::EventKind],
    d: &Delivered,
    at: Timestamp,
) -> Result<(), StoreError> {
    use crate::domain::EventKind as E;
    for e in events {
        match e {
            E::OrderPlaced {
                order_id,
                customer_id,
                total,
                currency,
            } => {
                let placed = Placed {
                    order_id: *order_id,
                    customer_id: *customer_id,
                    total: *total,
                    currency,
                    body: &d.entry.body,
                    at,
                };
                on_placed(state, batch, &state.windows, &placed)?;
            }
            E::OrderCancelled { order_id, .. } => {
                on_cancelled(state, batch, *order_id, at)?;
            }
            _ => {}
        }
    }
    Ok(())
}
