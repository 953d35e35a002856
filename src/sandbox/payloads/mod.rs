//! One family of Shopify webhook body builders (Admin API 2026-04), shaped after the real
//! payloads in `fixtures/shopify/webhooks`: customers, consent and tags, orders,
//! checkouts, products and variants. The sandbox generator, the API tests and the benches
//! all build their bodies here, so a change of shape is made once.
//!
//! - [`Customer`], [`Order`], [`Checkout`], [`Product`] and [`Variant`] are plain structs
//!   whose `body()` gives the JSON value Shopify sends (the generator fills every field
//!   from its records); all but `Checkout` have a `new(id, …)` that fills the rest with a
//!   small, valid example, which tests adjust field by field.
//! - [`rendered::Bodies`] renders ~2 KB `customers/*` and `orders/create` bodies from text
//!   templates: byte-stable, and cheap enough to render one per request in a load
//!   generator (the benches' bodies and their sizes depend on it).

mod catalog;
mod checkout;
mod customer;
mod order;
pub mod rendered;
pub mod template;

pub use catalog::{Product, ProductOption, Variant};
pub use checkout::Checkout;
pub use customer::{email_consent, sms_consent, tags_added, Address, Customer};
pub use order::{Buyer, LineItem, Order};

use serde_json::{json, Value};
use time::{OffsetDateTime, UtcOffset};

/// `gid://shopify/{kind}/{id}`.
pub fn gid(kind: &str, id: u64) -> String {
    format!("gid://shopify/{kind}/{id}")
}

/// Cents as Shopify's money string (`"19.99"`).
pub fn money(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// A `MoneyBag`-like `*_set` object in one currency.
pub fn money_set(cents: u64, currency: &str) -> Value {
    let m = json!({ "amount": money(cents), "currency_code": currency });
    json!({ "shop_money": m, "presentment_money": m })
}

/// `2021-12-31T19:00:00-05:00`: Shopify's REST timestamps (shop-local, with offset).
pub fn shop_time(t: OffsetDateTime) -> String {
    let (h, m, _) = t.offset().as_hms();
    let sign = if h < 0 || m < 0 { '-' } else { '+' };
    format!(
        "{}{sign}{:02}:{:02}",
        date_time(t),
        h.unsigned_abs(),
        m.unsigned_abs()
    )
}

/// `2005-05-05T06:00:00.000Z`: GraphQL-style UTC time (`occurredAt`, triggered-at).
pub fn utc_millis(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!("{}.{:03}Z", date_time(t), t.millisecond())
}

/// `2005-05-05T06:00:00` in `t`'s own offset.
fn date_time(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The bytes of a body, as they go over the wire.
pub fn to_bytes(body: &Value) -> Vec<u8> {
    // A `Value` always serialises (its map keys are strings).
    serde_json::to_vec(body).unwrap_or_default()
}

/// Adds the keys of `more` (an object) to `body` (an object): `json!` literals of this
/// size hit the macro's recursion limit, so long bodies are built in parts.
fn extend(body: &mut Value, more: Value) {
    if let (Some(b), Value::Object(m)) = (body.as_object_mut(), more) {
        b.extend(m);
    }
}

/// The first `n` bytes of an ASCII token (all of it when shorter).
fn prefix(s: &str, n: usize) -> &str {
    s.get(..n).unwrap_or(s)
}

#[cfg(test)]
mod tests;
