//! The sample orders and checkouts as [`payloads::Order`] and [`payloads::Checkout`]
//! (the bodies themselves are built in `sandbox::payloads`).

use super::*;
use crate::sandbox::payloads;

fn line_item(l: &Line<'_>) -> payloads::LineItem {
    payloads::LineItem {
        id: l.id,
        product_id: l.product.id,
        product_title: l.product.title.clone(),
        vendor: l.product.vendor.clone(),
        variant_id: l.variant.wire.id,
        variant_title: l.variant.wire.title.clone(),
        sku: l.variant.wire.sku.clone(),
        grams: l.variant.grams,
        price_cents: l.variant.wire.price_cents,
        compare_at_cents: l.variant.wire.compare_at_cents,
        quantity: l.quantity,
    }
}

pub(super) fn order_body(ctx: &Ctx<'_>, o: &Order<'_>, fate: Fate) -> Value {
    let cur = ctx.currency();
    let (updated_at, financial, cancelled_at, fulfilled_at) = match fate {
        Fate::Open => (o.created_at, "paid", None, None),
        Fate::Fulfilled(at) => (at, "paid", None, Some(at)),
        Fate::Cancelled(at) => (at, "refunded", Some(at), None),
    };
    let c = o.customer.payload(cur);
    let shop = &ctx.data.shop;
    payloads::Order {
        id: o.id,
        number: o.number,
        status_url: format!(
            "https://{}/{}/orders/{}/authenticate?key={}",
            shop.domain,
            shop.numeric_id,
            o.token,
            o.token.get(..16).unwrap_or(&o.token)
        ),
        token: o.token.clone(),
        created_at: shop_time(o.created_at),
        updated_at: shop_time(updated_at),
        currency: cur.to_string(),
        financial_status: financial.into(),
        cancelled_at: cancelled_at.map(shop_time),
        fulfilled_at: fulfilled_at.map(shop_time),
        checkout: o.checkout.clone(),
        buyer: payloads::Buyer::of(&c, Some(o.customer.locale.clone())),
        lines: o.lines.iter().map(line_item).collect(),
        shipping_cents: shipping(subtotal(&o.lines)),
        fulfillment_id: ids::FULFILLMENT + (o.id - ids::ORDER),
        shipping_line_id: ids::FULFILLMENT + 500_000_000 + (o.id - ids::ORDER),
    }
    .body()
}

/// A checkout as of `updated_at`; the first snapshot has no shipping address yet.
pub(super) fn checkout_body(
    ctx: &Ctx<'_>,
    ch: &Checkout<'_>,
    updated_at: OffsetDateTime,
    completed_at: Option<OffsetDateTime>,
) -> Value {
    let cur = ctx.currency();
    let c = ch.customer.payload(cur);
    let shop = &ctx.data.shop;
    let first = updated_at == ch.created_at;
    payloads::Checkout {
        id: ch.id,
        token: ch.token.clone(),
        cart_token: ch.cart_token.clone(),
        key: ch.key.clone(),
        shop: (shop.domain.clone(), shop.numeric_id),
        created_at: shop_time(ch.created_at),
        updated_at: shop_time(updated_at),
        completed_at: completed_at.map(shop_time),
        currency: cur.to_string(),
        buyer: payloads::Buyer {
            address: if first {
                Value::Null
            } else {
                c.mailing_address()
            },
            ..payloads::Buyer::of(&c, Some(ch.customer.locale.clone()))
        },
        lines: ch.lines.iter().map(line_item).collect(),
    }
    .body()
}
