//! The sample store as Shopify would have told us about it: a pure, deterministic list of
//! webhook deliveries (topic, webhook id, trigger time, JSON body shaped like the real
//! 2026-04 payloads) built from a seed, a customer count and the store's clock. No I/O.
//!
//! Every record draws from its own RNG stream (seed, kind, index), so customer 17 is the
//! same person whether the store has 50 customers or 5,000, and a rerun with a larger
//! `--customers` only adds. Webhook ids are `sandbox-{topic}-{record id}`: feeding the same
//! store twice is deduplicated by the engine.
//!
//! Deliveries come in [`Phase`]s that must be fed in order (products before the restocks,
//! customers before their consent and tags, creates before updates); within a phase no
//! two deliveries touch the same record, so they may be sent concurrently.
//!
//! Customer phones are written the way people type them at home (`(415) 555-0123`,
//! `07700 900123`) with the default address's country, so the engine has to infer the
//! calling code; a few customers have no address at all, which the engine reports as
//! `CUSTOMER_IS_MISSING_CALLING_CODE`. (Shopify itself stores customer phones in E.164;
//! imported and legacy data is where national formats come from.)

mod catalog;
mod orders;
mod people;
pub mod sample;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use time::{OffsetDateTime, UtcOffset};

pub(crate) use super::payloads::{shop_time, utc_millis};

pub use sample::SampleData;

/// Topics the generator emits (all of them handled by the engine).
pub const TOPICS: &[&str] = &[
    "products/create",
    "customers/create",
    "customers_marketing_consent/update",
    "customers_email_marketing_consent/update",
    "customer.tags_added",
    "checkouts/create",
    "checkouts/update",
    "orders/create",
    "orders/fulfilled",
    "orders/cancelled",
    "variants/in_stock",
];

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// RNG seed: the same seed gives the same store.
    pub seed: u64,
    /// Number of customers.
    pub customers: usize,
    /// The store's "now": every generated time is at or before it.
    pub now: OffsetDateTime,
}

/// One webhook delivery.
#[derive(Clone, Debug)]
pub struct Delivery {
    /// `X-Shopify-Topic`.
    pub topic: &'static str,
    /// `X-Shopify-Webhook-Id` (stable across runs).
    pub webhook_id: String,
    /// `X-Shopify-Triggered-At` (RFC 3339, UTC).
    pub triggered_at: String,
    /// The body.
    pub body: Value,
}

/// Deliveries that may be sent concurrently; phases go in order.
#[derive(Clone, Debug)]
pub struct Phase {
    /// What the phase feeds, for progress lines.
    pub name: &'static str,
    /// The deliveries.
    pub deliveries: Vec<Delivery>,
}

/// Facts about the generated store, for the summary and the example curl lines.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// Customers created.
    pub customers: usize,
    /// Products created.
    pub products: usize,
    /// Variants across products.
    pub variants: usize,
    /// Orders created.
    pub orders: usize,
    /// Checkouts left open (abandoned).
    pub abandoned_checkouts: usize,
    /// Checkouts completed.
    pub completed_checkouts: usize,
    /// Variants restocked by `variants/in_stock`.
    pub restocked_variants: usize,
    /// Customers whose phone has no calling code and no country to infer it from.
    pub missing_calling_code: Vec<u64>,
    /// A customer with orders, a phone and SMS consent (a good profile to look at).
    pub showcase_customer: Option<u64>,
    /// A product with a restocked variant.
    pub restocked_product: Option<u64>,
    /// Surname of the showcase customer (for a search example).
    pub showcase_last_name: Option<String>,
}

/// The generated store.
#[derive(Clone, Debug)]
pub struct Generated {
    /// Deliveries, phase by phase.
    pub phases: Vec<Phase>,
    /// What is in it.
    pub facts: Facts,
}

impl Generated {
    /// Number of deliveries over all phases.
    pub fn len(&self) -> usize {
        self.phases.iter().map(|p| p.deliveries.len()).sum()
    }

    /// True when there is nothing to feed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Builds the store.
pub fn generate(data: &SampleData, opts: &Options) -> Generated {
    let ctx = Ctx::new(data, opts);
    let catalog = catalog::build(&ctx);
    let people = people::build(&ctx);
    let commerce = orders::build(&ctx, &catalog, &people);
    let mut facts = Facts {
        customers: people.customers.len(),
        products: catalog.products.len(),
        variants: catalog.products.iter().map(|p| p.variants.len()).sum(),
        orders: commerce.orders,
        abandoned_checkouts: commerce.abandoned,
        completed_checkouts: commerce.completed,
        restocked_variants: catalog.restocks.len(),
        missing_calling_code: people.missing_calling_code(),
        restocked_product: catalog.restocks.first().map(|r| r.product_id),
        ..Facts::default()
    };
    if let Some(c) = people.showcase(&commerce.orders_per_customer) {
        facts.showcase_customer = Some(c.id);
        facts.showcase_last_name = Some(c.last_name.clone());
    }
    let tags = people.tag_deliveries(&ctx, &commerce.orders_per_customer);
    let mut marketing = people.consent_deliveries(&ctx);
    marketing.extend(tags);
    let mut updates = commerce.updates;
    updates.extend(catalog.restock_deliveries());
    let phases = vec![
        Phase {
            name: "products",
            deliveries: catalog.create_deliveries(&ctx),
        },
        Phase {
            name: "customers",
            deliveries: people.create_deliveries(&ctx),
        },
        Phase {
            name: "consent and tags",
            deliveries: marketing,
        },
        Phase {
            name: "checkouts",
            deliveries: commerce.checkouts,
        },
        Phase {
            name: "orders",
            deliveries: commerce.creates,
        },
        Phase {
            name: "updates and restocks",
            deliveries: updates,
        },
    ];
    Generated { phases, facts }
}

/// Id ranges per kind of record: large (above 2^53, like real Shopify ids in fixtures)
/// and disjoint, so an id names one record whatever its kind.
pub(crate) mod ids {
    pub const CUSTOMER: u64 = 7_000_000_000_000_000_000;
    pub const PRODUCT: u64 = 7_100_000_000_000_000_000;
    pub const VARIANT: u64 = 7_200_000_000_000_000_000;
    pub const ORDER: u64 = 7_300_000_000_000_000_000;
    pub const LINE_ITEM: u64 = 7_400_000_000_000_000_000;
    pub const CHECKOUT: u64 = 7_500_000_000_000_000_000;
    pub const FULFILLMENT: u64 = 7_600_000_000_000_000_000;
    pub const INVENTORY_ITEM: u64 = 7_700_000_000_000_000_000;
    pub const OPTION: u64 = 7_800_000_000_000_000_000;
    /// Addresses keep Shopify's more common 13-digit ids (below 2^53).
    pub const ADDRESS: u64 = 9_100_000_000_000;
}

/// RNG stream tags.
pub(crate) mod stream {
    pub const PRODUCT: u64 = 1;
    pub const CUSTOMER: u64 = 2;
    pub const ORDERS: u64 = 3;
    pub const CHECKOUT: u64 = 4;
    pub const MARKETING: u64 = 5;
}

/// What every builder needs: the data, the options, the shop's clock.
pub(crate) struct Ctx<'a> {
    pub data: &'a SampleData,
    pub opts: &'a Options,
    /// `opts.now`, whole seconds, in the shop's offset.
    pub now: OffsetDateTime,
}

impl<'a> Ctx<'a> {
    fn new(data: &'a SampleData, opts: &'a Options) -> Self {
        let offset =
            UtcOffset::from_hms(data.shop.utc_offset_hours, 0, 0).unwrap_or(UtcOffset::UTC);
        let now = opts.now.to_offset(offset);
        let now = now.replace_nanosecond(0).unwrap_or(now);
        Self { data, opts, now }
    }

    /// The RNG of one record: independent of every other record.
    pub fn rng(&self, stream: u64, index: u64) -> StdRng {
        let mixed = self.opts.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03)
            ^ index.wrapping_mul(0xA24B_AED4_963E_E407);
        StdRng::seed_from_u64(mixed)
    }

    /// `now` minus a random span between `min_secs` and `max_secs` seconds.
    pub fn ago<R: Rng>(&self, rng: &mut R, min_secs: i64, max_secs: i64) -> OffsetDateTime {
        self.now - time::Duration::seconds(rng.gen_range(min_secs..=max_secs.max(min_secs)))
    }

    /// Shop currency.
    pub fn currency(&self) -> &str {
        &self.data.shop.currency
    }
}

/// A delivery with the conventional webhook id.
pub(crate) fn delivery(topic: &'static str, key: u64, at: OffsetDateTime, body: Value) -> Delivery {
    Delivery {
        topic,
        webhook_id: format!("sandbox-{}-{key}", topic.replace(['/', '.'], "-")),
        triggered_at: utc_millis(at),
        body,
    }
}

/// `n` random lower-case hex characters (tokens, keys).
pub(crate) fn hex_token<R: Rng>(rng: &mut R, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b"0123456789abcdef"[rng.gen_range(0..16)]))
        .collect()
}

#[cfg(test)]
mod tests;
