//! The JSON bodies of sample orders and checkouts, shaped like Shopify's 2026-04
//! `orders/*` and `checkouts/*` webhook payloads: line items, shipping lines,
//! fulfillments and money sets.

use super::*;

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

pub(super) fn order_body(ctx: &Ctx<'_>, o: &Order<'_>, fate: Fate) -> Value {
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
pub(super) fn checkout_body(
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
