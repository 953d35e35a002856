//! Revenue attribution: deciding which WhatsApp message (if any) an order is
//! credited to, and keeping per-source revenue totals.
//!
//! This module owns the attribution *rules* and the in-memory [`Ledger`] of
//! credits. It is pure: no I/O, no clock. Times are `i64` milliseconds since
//! the Unix epoch; money is `i64` minor units (cents) plus a currency code.
//!
//! Decision order for one order (see [`attribute`]):
//! 1. a UTM campaign code of ours on the order ([`Rule::Utm`]);
//! 2. a discount code that maps to one of our sources ([`Rule::DiscountCode`]);
//! 3. timing: the last qualifying message within the per-signal windows
//!    ([`Rule::Click`] > [`Rule::Read`] > [`Rule::Delivered`]).
//!
//! In every case only messages sent at or before the order time are eligible.

pub use crate::domain::analytics::Source;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const MS_PER_HOUR: i64 = 60 * 60 * 1000;

/// One message sent to the contact, with its delivery signals.
///
/// A message that was only accepted (never delivered) or that failed has all
/// three signal times `None` and therefore never qualifies by timing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageTouch {
    pub message_id: u64,
    pub source: Source,
    pub sent_at: i64,
    pub delivered_at: Option<i64>,
    pub read_at: Option<i64>,
    pub clicked_at: Option<i64>,
}

/// Attribution window per signal, in milliseconds. Inclusive at the end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Windows {
    pub click_ms: i64,
    pub read_ms: i64,
    pub delivered_ms: i64,
}

impl Default for Windows {
    /// Click 5 days, read 12 hours, delivered 24 hours.
    fn default() -> Self {
        Windows {
            click_ms: 5 * 24 * MS_PER_HOUR,
            read_ms: 12 * MS_PER_HOUR,
            delivered_ms: 24 * MS_PER_HOUR,
        }
    }
}

/// What attribution needs to know about an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderFacts {
    pub order_id: u64,
    pub placed_at: i64,
    pub total_minor: i64,
    pub currency: String,
    /// Raw `utm_campaign` value of the order (e.g. from its landing site).
    pub utm_campaign: Option<String>,
    pub discount_codes: Vec<String>,
}

/// Why an order was credited to a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rule {
    Utm,
    DiscountCode,
    Click,
    Read,
    Delivered,
}

impl Rule {
    /// The API's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Utm => "UTM",
            Rule::DiscountCode => "DISCOUNT_CODE",
            Rule::Click => "CLICK",
            Rule::Read => "READ",
            Rule::Delivered => "DELIVERED",
        }
    }
}

/// The attribution of one order to one message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credit {
    pub order_id: u64,
    pub message_id: u64,
    pub source: Source,
    pub rule: Rule,
    pub revenue_minor: i64,
    pub currency: String,
}

/// `true` if `signal` happened at or before `t` and at most `window` ms before.
fn within(signal: Option<i64>, t: i64, window: i64) -> bool {
    signal.is_some_and(|s| s <= t && t.saturating_sub(s) <= window)
}

/// Strongest timing rule by which `touch` qualifies for an order at `t`.
fn timing_rule(touch: &MessageTouch, t: i64, w: &Windows) -> Option<Rule> {
    if within(touch.clicked_at, t, w.click_ms) {
        Some(Rule::Click)
    } else if within(touch.read_at, t, w.read_ms) {
        Some(Rule::Read)
    } else if within(touch.delivered_at, t, w.delivered_ms) {
        Some(Rule::Delivered)
    } else {
        None
    }
}

/// Latest-sent eligible message of `source` (ties broken by message id).
fn latest_of<'a>(eligible: &[&'a MessageTouch], source: &Source) -> Option<&'a MessageTouch> {
    eligible
        .iter()
        .copied()
        .filter(|m| &m.source == source)
        .max_by_key(|m| (m.sent_at, m.message_id))
}

/// Decides which message (if any) `order` is credited to. Pure.
///
/// `touches` are the contact's messages in any order. Only messages with
/// `sent_at <= order.placed_at` are eligible under every rule.
///
/// * **UTM**: if `order.utm_campaign` parses as one of our source codes, the
///   latest-sent eligible message of that source is credited, regardless of
///   windows.
/// * **Discount code**: otherwise, each discount code is mapped through
///   `discount_sources`; among the eligible messages of the mapped sources the
///   latest-sent one is credited, regardless of windows.
/// * **Timing**: otherwise, a message qualifies if its click, read or delivery
///   happened at or before the order and within the matching window
///   (inclusive); its rule is the strongest qualifying signal
///   (click > read > delivered). Among qualifying messages the **last** one is
///   the one with the latest *send time* (`sent_at`, ties by message id) — not
///   the one with the latest signal time — i.e. the most recent message the
///   contact received before ordering.
pub fn attribute(
    order: &OrderFacts,
    touches: &[MessageTouch],
    windows: &Windows,
    discount_sources: &dyn Fn(&str) -> Option<Source>,
) -> Option<Credit> {
    let t = order.placed_at;
    let eligible: Vec<&MessageTouch> = touches.iter().filter(|m| m.sent_at <= t).collect();
    let credit = |m: &MessageTouch, rule: Rule| Credit {
        order_id: order.order_id,
        message_id: m.message_id,
        source: m.source.clone(),
        rule,
        revenue_minor: order.total_minor,
        currency: order.currency.clone(),
    };

    let utm_source = order.utm_campaign.as_deref().and_then(Source::parse_code);
    if let Some(m) = utm_source.and_then(|s| latest_of(&eligible, &s)) {
        return Some(credit(m, Rule::Utm));
    }

    let by_discount = order
        .discount_codes
        .iter()
        .filter_map(|code| discount_sources(code))
        .filter_map(|s| latest_of(&eligible, &s))
        .max_by_key(|m| (m.sent_at, m.message_id));
    if let Some(m) = by_discount {
        return Some(credit(m, Rule::DiscountCode));
    }

    eligible
        .iter()
        .filter_map(|m| timing_rule(m, t, windows).map(|r| (*m, r)))
        .max_by_key(|(m, _)| (m.sent_at, m.message_id))
        .map(|(m, r)| credit(m, r))
}

/// UTM parameters appended by the click redirect for a message.
pub fn utm_params(source: &Source, message_id: u64) -> Vec<(&'static str, String)> {
    vec![
        ("utm_source", "whatsapp".to_string()),
        ("utm_medium", "galantis".to_string()),
        ("utm_campaign", source.code()),
        ("utm_content", message_id.to_string()),
    ]
}

/// Our source from an order's landing site (full URL, path with query, or a
/// bare query string), read from its `utm_campaign` parameter. Returns `None`
/// if there is no such parameter or it is not one of our codes.
pub fn source_of_landing(landing_site: &str) -> Option<Source> {
    let no_fragment = landing_site.split('#').next().unwrap_or_default();
    let query = match no_fragment.split_once('?') {
        Some((_, q)) => q,
        None => no_fragment,
    };
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == "utm_campaign")
        .and_then(|(_, v)| Source::parse_code(v))
}

/// Which key matched an order to a contact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MatchedBy {
    CustomerId,
    Phone,
    Email,
}

/// Finds the contact of an order: by Shopify customer id, else by phone
/// (E.164, trimmed), else by email. Each key is tried only if present and
/// non-empty; a key whose lookup returns `None` falls through to the next.
///
/// The email is trimmed and lower-cased before `by_email` is called, so the
/// lookup must be keyed by lower-case email (case-insensitive match).
pub fn match_contact(
    customer_id: Option<u64>,
    phone: Option<&str>,
    email: Option<&str>,
    by_customer_id: impl Fn(u64) -> Option<u64>,
    by_phone: impl Fn(&str) -> Option<u64>,
    by_email: impl Fn(&str) -> Option<u64>,
) -> Option<(u64, MatchedBy)> {
    if let Some(c) = customer_id.and_then(&by_customer_id) {
        return Some((c, MatchedBy::CustomerId));
    }
    let phone = phone.map(str::trim).filter(|p| !p.is_empty());
    if let Some(c) = phone.and_then(&by_phone) {
        return Some((c, MatchedBy::Phone));
    }
    let email = email
        .map(|e| e.trim().to_lowercase())
        .filter(|e| !e.is_empty());
    email
        .and_then(|e| by_email(&e))
        .map(|c| (c, MatchedBy::Email))
}

/// Orders and revenue currently credited to one source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceTotals {
    pub orders: u64,
    pub revenue_minor: i64,
}

/// Outcome of [`Ledger::record`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded<'a> {
    /// First credit for this order; totals were updated.
    New(&'a Credit),
    /// The order was already credited (possibly since cancelled); this is the
    /// first credit and nothing changed.
    Already(&'a Credit),
}

/// A credited order as kept by the [`Ledger`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditedOrder {
    pub credit: Credit,
    pub cancelled: bool,
}

/// In-memory record of credits and per-source totals for ONE shop.
///
/// A shop has one currency, so revenues are summed in minor units without
/// checking `currency`. Totals are keyed by [`Source::code`] (string keys keep
/// the ledger serializable to JSON).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    orders: BTreeMap<u64, CreditedOrder>,
    totals: BTreeMap<String, SourceTotals>,
}

impl Ledger {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a credit. Idempotent by order id: an order is credited once,
    /// a second call returns the first credit and changes nothing (also after
    /// the order was cancelled).
    pub fn record(&mut self, credit: Credit) -> Recorded<'_> {
        use std::collections::btree_map::Entry;
        match self.orders.entry(credit.order_id) {
            Entry::Occupied(e) => Recorded::Already(&e.into_mut().credit),
            Entry::Vacant(e) => {
                let t = self.totals.entry(credit.source.code()).or_default();
                t.orders = t.orders.saturating_add(1);
                t.revenue_minor = t.revenue_minor.saturating_add(credit.revenue_minor);
                let stored = e.insert(CreditedOrder {
                    credit,
                    cancelled: false,
                });
                Recorded::New(&stored.credit)
            }
        }
    }

    /// Cancels a credited order: its revenue and order count leave the source
    /// it was credited to. Returns the credit the first time; `None` for an
    /// uncredited or already-cancelled order (nothing changes).
    pub fn cancel(&mut self, order_id: u64) -> Option<Credit> {
        let entry = self.orders.get_mut(&order_id).filter(|o| !o.cancelled)?;
        entry.cancelled = true;
        let credit = &entry.credit;
        if let Some(t) = self.totals.get_mut(&credit.source.code()) {
            t.orders = t.orders.saturating_sub(1);
            t.revenue_minor = t.revenue_minor.saturating_sub(credit.revenue_minor);
        }
        Some(credit.clone())
    }

    /// Current totals of a source (zero if never credited).
    pub fn totals(&self, source: &Source) -> SourceTotals {
        self.totals.get(&source.code()).copied().unwrap_or_default()
    }

    /// The credited order, if any (cancelled ones included).
    pub fn order(&self, order_id: u64) -> Option<&CreditedOrder> {
        self.orders.get(&order_id)
    }
}

#[cfg(test)]
mod tests;
