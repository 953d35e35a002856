//! Sample orders and checkouts: orders for a subset of customers (line items pointing at
//! real products and variants, numbered `#1001…` by time), some fulfilled or cancelled
//! later; checkouts for others, most left abandoned (with `abandoned_checkout_url`), the
//! rest completed and turned into an order carrying the checkout's token.
//!
//! Order ids depend only on the customer and slot, so a rerun with more customers adds
//! orders without touching the old ones; the `#1001…` names are ranked by time within one
//! generation, so a grown store may give a new order a name an old one already has.

use super::catalog::{Catalog, Product, Variant};
use super::people::{between, Customer, People};
use super::sample::pick;
use super::{delivery, hex_token, ids, shop_time, stream, Ctx, Delivery};
use rand::Rng;
use serde_json::Value;
use time::{Duration, OffsetDateTime};

mod bodies;

use bodies::{checkout_body, order_body};

/// Order slots per customer (ids are `customer index * SLOTS + slot`).
const SLOTS: u64 = 8;
/// The slot of the order a completed checkout turns into.
const CHECKOUT_SLOT: u64 = SLOTS - 1;
/// Free shipping from this subtotal, in cents.
const FREE_SHIPPING: u64 = 7_500;
/// Shipping below it.
const SHIPPING: u64 = 595;

/// What happens to an order after it is placed.
#[derive(Clone, Copy, Debug)]
enum Fate {
    Open,
    Fulfilled(OffsetDateTime),
    Cancelled(OffsetDateTime),
}

/// A line: which product and variant, how many, its id.
#[derive(Clone, Copy, Debug)]
struct Line<'a> {
    id: u64,
    product: &'a Product,
    variant: &'a Variant,
    quantity: u64,
}

impl Line<'_> {
    fn total(&self) -> u64 {
        self.variant.wire.price_cents * self.quantity
    }
}

struct Order<'a> {
    id: u64,
    customer: &'a Customer,
    lines: Vec<Line<'a>>,
    created_at: OffsetDateTime,
    token: String,
    checkout: Option<(u64, String)>,
    fate: Fate,
    number: u64,
}

struct Checkout<'a> {
    id: u64,
    customer: &'a Customer,
    lines: Vec<Line<'a>>,
    token: String,
    cart_token: String,
    key: String,
    created_at: OffsetDateTime,
    /// Abandoned: the later `checkouts/update`; completed: the completion time.
    updated_at: OffsetDateTime,
    completed: bool,
}

/// Orders and checkouts as deliveries.
pub(crate) struct Commerce {
    /// `checkouts/create`.
    pub checkouts: Vec<Delivery>,
    /// `orders/create`.
    pub creates: Vec<Delivery>,
    /// `checkouts/update`, `orders/fulfilled`, `orders/cancelled`.
    pub updates: Vec<Delivery>,
    /// Orders placed.
    pub orders: usize,
    /// Checkouts left open.
    pub abandoned: usize,
    /// Checkouts completed.
    pub completed: usize,
    /// Orders per customer, by customer index.
    pub orders_per_customer: Vec<usize>,
}

/// Builds orders and checkouts for `people` over `catalog`.
pub(crate) fn build(ctx: &Ctx<'_>, catalog: &Catalog, people: &People) -> Commerce {
    let mut orders = Vec::new();
    let mut checkouts = Vec::new();
    for c in &people.customers {
        orders.extend(customer_orders(ctx, catalog, c));
        if let Some(ch) = customer_checkout(ctx, catalog, c) {
            if ch.completed {
                orders.push(order_of_checkout(&ch));
            }
            checkouts.push(ch);
        }
    }
    orders.sort_by_key(|o| (o.created_at, o.id));
    let mut orders_per_customer = vec![0; people.customers.len()];
    for (n, o) in orders.iter_mut().enumerate() {
        o.number = 1_001 + n as u64;
        if let Some(slot) = orders_per_customer.get_mut(o.customer.index as usize) {
            *slot += 1;
        }
    }
    let mut out = Commerce {
        checkouts: Vec::new(),
        creates: Vec::new(),
        updates: Vec::new(),
        orders: orders.len(),
        abandoned: checkouts.iter().filter(|c| !c.completed).count(),
        completed: checkouts.iter().filter(|c| c.completed).count(),
        orders_per_customer,
    };
    for ch in &checkouts {
        let created = checkout_body(ctx, ch, ch.created_at, None);
        out.checkouts
            .push(delivery("checkouts/create", ch.id, ch.created_at, created));
        let completed_at = ch.completed.then_some(ch.updated_at);
        let updated = checkout_body(ctx, ch, ch.updated_at, completed_at);
        out.updates
            .push(delivery("checkouts/update", ch.id, ch.updated_at, updated));
    }
    for o in &orders {
        let body = order_body(ctx, o, Fate::Open);
        out.creates
            .push(delivery("orders/create", o.id, o.created_at, body));
        match o.fate {
            Fate::Open => {}
            Fate::Fulfilled(at) => out.updates.push(delivery(
                "orders/fulfilled",
                o.id,
                at,
                order_body(ctx, o, o.fate),
            )),
            Fate::Cancelled(at) => out.updates.push(delivery(
                "orders/cancelled",
                o.id,
                at,
                order_body(ctx, o, o.fate),
            )),
        }
    }
    out
}

/// 1–3 random lines; `base` is the first line item id.
fn lines<'a, R: Rng>(rng: &mut R, catalog: &'a Catalog, base: u64) -> Vec<Line<'a>> {
    let n = rng.gen_range(1..=3u64);
    (0..n)
        .map(|k| {
            let product = pick(rng, &catalog.products);
            Line {
                id: base + k,
                product,
                variant: pick(rng, &product.variants),
                quantity: if rng.gen_bool(0.8) { 1 } else { 2 },
            }
        })
        .collect()
}

fn customer_orders<'a>(ctx: &Ctx<'_>, catalog: &'a Catalog, c: &'a Customer) -> Vec<Order<'a>> {
    let mut rng = ctx.rng(stream::ORDERS, c.index);
    let count = match rng.gen_range(0..100) {
        0..=39 => 0,
        40..=69 => 1,
        70..=84 => 2,
        _ => rng.gen_range(3..=5),
    };
    let first = c.created_at + Duration::days(1);
    let last = ctx.now - Duration::hours(2);
    (0..count)
        .map(|slot| {
            let local = c.index * SLOTS + slot;
            let created_at = between(&mut rng, first.min(last), last);
            let age = ctx.now - created_at;
            let fate = if age > Duration::days(2) && rng.gen_bool(0.75) {
                Fate::Fulfilled(created_at + Duration::hours(rng.gen_range(20..=40)))
            } else if age > Duration::days(1) && rng.gen_bool(0.08) {
                Fate::Cancelled(created_at + Duration::hours(rng.gen_range(1..=20)))
            } else {
                Fate::Open
            };
            Order {
                id: ids::ORDER + 1_000 + local,
                customer: c,
                lines: lines(&mut rng, catalog, ids::LINE_ITEM + local * 4),
                created_at,
                token: hex_token(&mut rng, 32),
                checkout: None,
                fate,
                number: 0,
            }
        })
        .collect()
}

fn customer_checkout<'a>(
    ctx: &Ctx<'_>,
    catalog: &'a Catalog,
    c: &'a Customer,
) -> Option<Checkout<'a>> {
    let mut rng = ctx.rng(stream::CHECKOUT, c.index);
    if !rng.gen_bool(0.3) {
        return None;
    }
    let local = c.index * SLOTS + CHECKOUT_SLOT;
    let created_at = ctx.ago(&mut rng, 20 * 60, 6 * 86_400);
    let completed = rng.gen_bool(0.35);
    let minutes = if completed {
        rng.gen_range(3..=15)
    } else {
        rng.gen_range(1..=10)
    };
    Some(Checkout {
        id: ids::CHECKOUT + 1_000 + c.index,
        customer: c,
        lines: lines(&mut rng, catalog, ids::LINE_ITEM + local * 4),
        token: hex_token(&mut rng, 32),
        cart_token: hex_token(&mut rng, 32),
        key: hex_token(&mut rng, 32),
        created_at,
        updated_at: created_at + Duration::minutes(minutes),
        completed,
    })
}

fn order_of_checkout<'a>(ch: &Checkout<'a>) -> Order<'a> {
    let local = ch.customer.index * SLOTS + CHECKOUT_SLOT;
    Order {
        id: ids::ORDER + 1_000 + local,
        customer: ch.customer,
        lines: ch.lines.clone(),
        created_at: ch.updated_at,
        token: ch.key.clone(),
        checkout: Some((ch.id, ch.token.clone())),
        fate: Fate::Open,
        number: 0,
    }
}

fn subtotal(lines: &[Line<'_>]) -> u64 {
    lines.iter().map(Line::total).sum()
}

fn shipping(subtotal: u64) -> u64 {
    if subtotal >= FREE_SHIPPING {
        0
    } else {
        SHIPPING
    }
}
