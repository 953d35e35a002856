//! `checkouts/create|update` bodies: a cart on its way to an order, with
//! `abandoned_checkout_url` for the recovery messages.

use super::order::{subtotal, weight};
use super::{extend, money, Buyer, LineItem};
use serde_json::{json, Value};

/// A checkout as `checkouts/*` sends it.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkout {
    /// Shopify's checkout id.
    pub id: u64,
    /// The checkout token (a completed checkout's order carries it).
    pub token: String,
    /// The cart token.
    pub cart_token: String,
    /// The recovery key of `abandoned_checkout_url`.
    pub key: String,
    /// The shop's domain and numeric id, for `abandoned_checkout_url`.
    pub shop: (String, u64),
    /// `created_at` (RFC 3339, as Shopify writes it).
    pub created_at: String,
    /// `updated_at`.
    pub updated_at: String,
    /// `completed_at`, once an order was placed.
    pub completed_at: Option<String>,
    /// The shop's currency.
    pub currency: String,
    /// The customer (its address `null` until the buyer gave one).
    pub buyer: Buyer,
    /// The lines.
    pub lines: Vec<LineItem>,
}

impl Checkout {
    /// The body.
    pub fn body(&self) -> Value {
        let cur = self.currency.as_str();
        let sub = subtotal(&self.lines);
        let (domain, numeric_id) = (&self.shop.0, self.shop.1);
        let b = &self.buyer;
        let mut body = json!({
            "id": self.id,
            "token": self.token,
            "cart_token": self.cart_token,
            "email": b.email,
            "gateway": null,
            "buyer_accepts_marketing": false,
            "buyer_accepts_sms_marketing": false,
            "sms_marketing_phone": null,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "landing_site": "/",
            "note": null,
            "note_attributes": [],
            "referring_site": null,
            "shipping_lines": [],
            "taxes_included": false,
            "total_weight": weight(&self.lines),
            "currency": cur,
            "completed_at": self.completed_at,
            "closed_at": null,
            "user_id": null,
            "location_id": null,
            "source_identifier": null,
            "source_url": null,
            "device_id": null,
            "phone": b.phone,
            "customer_locale": b.locale,
        });
        extend(
            &mut body,
            json!({
            "line_items": self.lines.iter().map(checkout_line).collect::<Vec<_>>(),
            "name": format!("#{}", self.id),
            "source": null,
            "abandoned_checkout_url": format!(
                "https://{domain}/{numeric_id}/checkouts/ac/{}/recover?key={}",
                self.token, self.key
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
            "billing_address": b.address,
            "shipping_address": b.address,
            "customer": b.customer,
            }),
        );
        body
    }
}

fn checkout_line(l: &LineItem) -> Value {
    json!({
        "applied_discounts": [],
        "discount_allocations": [],
        "key": format!("{:032x}", l.id),
        "destination_location_id": null,
        "fulfillment_service": "manual",
        "gift_card": false,
        "grams": l.grams,
        "origin_location_id": null,
        "presentment_title": l.product_title,
        "presentment_variant_title": l.variant_title,
        "product_id": l.product_id,
        "properties": null,
        "quantity": l.quantity,
        "requires_shipping": true,
        "sku": l.sku,
        "tax_lines": [],
        "taxable": true,
        "title": l.product_title,
        "variant_id": l.variant_id,
        "variant_title": l.variant_title,
        "variant_price": money(l.price_cents),
        "vendor": l.vendor,
        "user_id": null,
        "unit_price_measurement": {
            "measured_type": null,
            "quantity_value": null,
            "quantity_unit": null,
            "reference_value": null,
            "reference_unit": null,
        },
        "rank": null,
        "compare_at_price": l.compare_at_cents.map(money),
        "line_price": money(l.total()),
        "price": money(l.price_cents),
    })
}
