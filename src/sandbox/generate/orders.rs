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
use super::{delivery, gid, hex_token, ids, money, money_set, shop_time, stream, Ctx, Delivery};
use rand::Rng;
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

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
        self.variant.price_cents * self.quantity
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

fn order_line(l: &Line<'_>, currency: &str, fulfilled: bool) -> Value {
    json!({
        "id": l.id,
        "admin_graphql_api_id": gid("LineItem", l.id),
        "attributed_staffs": [],
        "current_quantity": l.quantity,
        "fulfillable_quantity": if fulfilled { 0 } else { l.quantity },
        "fulfillment_service": "manual",
        "fulfillment_status": if fulfilled { Some("fulfilled") } else { None },
        "gift_card": false,
        "grams": l.variant.grams,
        "name": format!("{} - {}", l.product.title, l.variant.title),
        "price": money(l.variant.price_cents),
        "price_set": money_set(l.variant.price_cents, currency),
        "product_exists": true,
        "product_id": l.product.id,
        "properties": [],
        "quantity": l.quantity,
        "requires_shipping": true,
        "sales_line_item_group_id": null,
        "sku": l.variant.sku,
        "taxable": true,
        "title": l.product.title,
        "total_discount": "0.00",
        "total_discount_set": money_set(0, currency),
        "variant_id": l.variant.id,
        "variant_inventory_management": "shopify",
        "variant_title": l.variant.title,
        "vendor": l.product.vendor,
        "tax_lines": [],
        "duties": [],
        "discount_allocations": [],
    })
}

fn order_body(ctx: &Ctx<'_>, o: &Order<'_>, fate: Fate) -> Value {
    let cur = ctx.currency();
    let sub = subtotal(&o.lines);
    let ship = shipping(sub);
    let total = sub + ship;
    let (updated_at, financial, cancelled_at) = match fate {
        Fate::Open => (o.created_at, "paid", None),
        Fate::Fulfilled(at) => (at, "paid", None),
        Fate::Cancelled(at) => (at, "refunded", Some(at)),
    };
    let fulfilled = matches!(fate, Fate::Fulfilled(_));
    let c = o.customer;
    let lines: Vec<Value> = o
        .lines
        .iter()
        .map(|l| order_line(l, cur, fulfilled))
        .collect();
    let fulfillments = match fate {
        Fate::Fulfilled(at) => vec![fulfillment(o, at, &lines)],
        _ => Vec::new(),
    };
    let weight: u64 = o.lines.iter().map(|l| l.variant.grams * l.quantity).sum();
    let shop = &ctx.data.shop;
    let mut body = json!({
        "id": o.id,
        "admin_graphql_api_id": gid("Order", o.id),
        "app_id": 580_111,
        "browser_ip": null,
        "buyer_accepts_marketing": false,
        "cancel_reason": cancelled_at.map(|_| "customer"),
        "cancelled_at": cancelled_at.map(shop_time),
        "cart_token": null,
        "checkout_id": o.checkout.as_ref().map(|(id, _)| *id),
        "checkout_token": o.checkout.as_ref().map(|(_, token)| token.clone()),
        "client_details": null,
        "closed_at": null,
        "confirmation_number": prefix(&o.token, 9).to_ascii_uppercase(),
        "confirmed": true,
        "contact_email": c.email,
        "created_at": shop_time(o.created_at),
        "currency": cur,
    });
    extend(
        &mut body,
        json!({
        "current_subtotal_price": money(sub),
        "current_subtotal_price_set": money_set(sub, cur),
        "current_total_discounts": "0.00",
        "current_total_discounts_set": money_set(0, cur),
        "current_total_price": money(total),
        "current_total_price_set": money_set(total, cur),
        "current_total_tax": "0.00",
        "current_total_tax_set": money_set(0, cur),
        "customer_locale": c.locale,
        "discount_codes": [],
        "email": c.email.clone().unwrap_or_default(),
        "estimated_taxes": false,
        "financial_status": financial,
        "fulfillment_status": fulfilled.then_some("fulfilled"),
        "landing_site": null,
        "name": format!("#{}", o.number),
        "note": null,
        "note_attributes": [],
        "number": o.number - 1_000,
        "order_number": o.number,
        "order_status_url": format!(
            "https://{}/{}/orders/{}/authenticate?key={}",
            shop.domain, shop.numeric_id, o.token, prefix(&o.token, 16)
        ),
        "payment_gateway_names": ["shopify_payments"],
        "phone": c.phone,
        "presentment_currency": cur,
        "processed_at": shop_time(o.created_at),
        "source_name": "web",
        }),
    );
    extend(
        &mut body,
        json!({
            "subtotal_price": money(sub),
            "subtotal_price_set": money_set(sub, cur),
            "tags": "",
            "tax_exempt": false,
            "tax_lines": [],
            "taxes_included": false,
            "test": false,
            "token": o.token,
            "total_discounts": "0.00",
            "total_discounts_set": money_set(0, cur),
            "total_line_items_price": money(sub),
            "total_line_items_price_set": money_set(sub, cur),
            "total_outstanding": "0.00",
            "total_price": money(total),
            "total_price_set": money_set(total, cur),
            "total_shipping_price_set": money_set(ship, cur),
            "total_tax": "0.00",
            "total_tax_set": money_set(0, cur),
            "total_tip_received": "0.00",
            "total_weight": weight,
            "updated_at": shop_time(updated_at),
            "user_id": null,
            "billing_address": c.mailing_address(),
            "customer": c.object(cur, false),
            "discount_applications": [],
            "fulfillments": fulfillments,
            "line_items": lines,
            "payment_terms": null,
            "refunds": [],
            "shipping_address": c.mailing_address(),
            "shipping_lines": [shipping_line(o.id, ship, cur)],
        }),
    );
    body
}

/// Adds the keys of `more` (an object) to `body` (an object).
fn extend(body: &mut Value, more: Value) {
    if let (Some(b), Value::Object(m)) = (body.as_object_mut(), more) {
        b.extend(m);
    }
}

/// The first `n` bytes of an ASCII token (all of it when shorter).
fn prefix(s: &str, n: usize) -> &str {
    s.get(..n).unwrap_or(s)
}

fn shipping_line(order_id: u64, cents: u64, currency: &str) -> Value {
    json!({
        "id": ids::FULFILLMENT + 500_000_000 + (order_id - ids::ORDER),
        "carrier_identifier": null,
        "code": if cents == 0 { "Free Shipping" } else { "Standard" },
        "discounted_price": money(cents),
        "discounted_price_set": money_set(cents, currency),
        "is_removed": false,
        "phone": null,
        "price": money(cents),
        "price_set": money_set(cents, currency),
        "requested_fulfillment_service_id": null,
        "source": "shopify",
        "title": if cents == 0 { "Free Shipping" } else { "Standard" },
        "tax_lines": [],
        "discount_allocations": [],
    })
}

fn fulfillment(o: &Order<'_>, at: OffsetDateTime, lines: &[Value]) -> Value {
    let id = ids::FULFILLMENT + (o.id - ids::ORDER);
    let tracking = format!("1Z{}", prefix(&o.token, 16).to_ascii_uppercase());
    json!({
        "id": id,
        "admin_graphql_api_id": gid("Fulfillment", id),
        "created_at": shop_time(at),
        "location_id": 905_684_977,
        "name": format!("#{}.1", o.number),
        "order_id": o.id,
        "service": "manual",
        "shipment_status": null,
        "status": "success",
        "tracking_company": "UPS",
        "tracking_number": tracking,
        "tracking_numbers": [tracking],
        "tracking_url": format!("https://www.ups.com/track?tracknum={tracking}"),
        "tracking_urls": [],
        "updated_at": shop_time(at),
        "line_items": lines,
    })
}

fn checkout_line(l: &Line<'_>) -> Value {
    json!({
        "applied_discounts": [],
        "discount_allocations": [],
        "key": format!("{:032x}", l.id),
        "destination_location_id": null,
        "fulfillment_service": "manual",
        "gift_card": false,
        "grams": l.variant.grams,
        "origin_location_id": null,
        "presentment_title": l.product.title,
        "presentment_variant_title": l.variant.title,
        "product_id": l.product.id,
        "properties": null,
        "quantity": l.quantity,
        "requires_shipping": true,
        "sku": l.variant.sku,
        "tax_lines": [],
        "taxable": true,
        "title": l.product.title,
        "variant_id": l.variant.id,
        "variant_title": l.variant.title,
        "variant_price": money(l.variant.price_cents),
        "vendor": l.product.vendor,
        "user_id": null,
        "unit_price_measurement": {
            "measured_type": null,
            "quantity_value": null,
            "quantity_unit": null,
            "reference_value": null,
            "reference_unit": null,
        },
        "rank": null,
        "compare_at_price": l.variant.compare_at_cents.map(money),
        "line_price": money(l.total()),
        "price": money(l.variant.price_cents),
    })
}

/// A checkout as of `updated_at`; the first snapshot has no shipping address yet.
fn checkout_body(
    ctx: &Ctx<'_>,
    ch: &Checkout<'_>,
    updated_at: OffsetDateTime,
    completed_at: Option<OffsetDateTime>,
) -> Value {
    let cur = ctx.currency();
    let c = ch.customer;
    let sub = subtotal(&ch.lines);
    let weight: u64 = ch.lines.iter().map(|l| l.variant.grams * l.quantity).sum();
    let shop = &ctx.data.shop;
    let first = updated_at == ch.created_at;
    let mut body = json!({
        "id": ch.id,
        "token": ch.token,
        "cart_token": ch.cart_token,
        "email": c.email,
        "gateway": null,
        "buyer_accepts_marketing": false,
        "buyer_accepts_sms_marketing": false,
        "sms_marketing_phone": null,
        "created_at": shop_time(ch.created_at),
        "updated_at": shop_time(updated_at),
        "landing_site": "/",
        "note": null,
        "note_attributes": [],
        "referring_site": null,
        "shipping_lines": [],
        "taxes_included": false,
        "total_weight": weight,
        "currency": cur,
        "completed_at": completed_at.map(shop_time),
        "closed_at": null,
        "user_id": null,
        "location_id": null,
        "source_identifier": null,
        "source_url": null,
        "device_id": null,
        "phone": c.phone,
        "customer_locale": c.locale,
    });
    extend(
        &mut body,
        json!({
        "line_items": ch.lines.iter().map(checkout_line).collect::<Vec<_>>(),
        "name": format!("#{}", ch.id),
        "source": null,
        "abandoned_checkout_url": format!(
            "https://{}/{}/checkouts/ac/{}/recover?key={}",
            shop.domain, shop.numeric_id, ch.token, ch.key
        ),
        "discount_codes": [],
        "tax_lines": [],
        "source_name": "web",
        "presentment_currency": cur,
        "total_discounts": "0.00",
        "total_line_items_price": money(sub),
        "total_price": money(sub),
        "total_tax": "0.00",
        "subtotal_price": money(sub),
        "total_duties": null,
        "reservation_token": null,
        "billing_address": if first { Value::Null } else { c.mailing_address() },
        "shipping_address": if first { Value::Null } else { c.mailing_address() },
        "customer": c.object(cur, false),
        }),
    );
    body
}
