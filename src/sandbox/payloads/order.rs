//! `orders/*` bodies (create, updated, fulfilled, cancelled): line items, shipping lines,
//! fulfillments and money sets.

use super::{extend, gid, money, money_set, prefix, Customer};
use serde_json::{json, Value};

/// One line of an order or a checkout: a product variant and a quantity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineItem {
    /// The line's id.
    pub id: u64,
    /// The product.
    pub product_id: u64,
    /// The product's title.
    pub product_title: String,
    /// The product's vendor.
    pub vendor: String,
    /// The variant.
    pub variant_id: u64,
    /// The variant's title (`M / Blue`).
    pub variant_title: String,
    /// The variant's SKU.
    pub sku: String,
    /// Weight of one unit.
    pub grams: u64,
    /// Price of one unit, in cents.
    pub price_cents: u64,
    /// Compare-at price of one unit, in cents.
    pub compare_at_cents: Option<u64>,
    /// How many.
    pub quantity: u64,
}

impl LineItem {
    /// One unit of variant `id + 1` of product `id + 2`, "Thing", at `price_cents`.
    pub fn new(id: u64, price_cents: u64) -> Self {
        Self {
            id,
            product_id: id + 2,
            product_title: "Thing".into(),
            vendor: "Galantis Demo".into(),
            variant_id: id + 1,
            variant_title: "Default Title".into(),
            sku: "T".into(),
            grams: 100,
            price_cents,
            compare_at_cents: None,
            quantity: 1,
        }
    }

    /// Price times quantity.
    pub fn total(&self) -> u64 {
        self.price_cents * self.quantity
    }

    fn order_line(&self, currency: &str, fulfilled: bool) -> Value {
        json!({
            "id": self.id,
            "admin_graphql_api_id": gid("LineItem", self.id),
            "attributed_staffs": [],
            "current_quantity": self.quantity,
            "fulfillable_quantity": if fulfilled { 0 } else { self.quantity },
            "fulfillment_service": "manual",
            "fulfillment_status": if fulfilled { Some("fulfilled") } else { None },
            "gift_card": false,
            "grams": self.grams,
            "name": format!("{} - {}", self.product_title, self.variant_title),
            "price": money(self.price_cents),
            "price_set": money_set(self.price_cents, currency),
            "product_exists": true,
            "product_id": self.product_id,
            "properties": [],
            "quantity": self.quantity,
            "requires_shipping": true,
            "sales_line_item_group_id": null,
            "sku": self.sku,
            "taxable": true,
            "title": self.product_title,
            "total_discount": "0.00",
            "total_discount_set": money_set(0, currency),
            "variant_id": self.variant_id,
            "variant_inventory_management": "shopify",
            "variant_title": self.variant_title,
            "vendor": self.vendor,
            "tax_lines": [],
            "duties": [],
            "discount_allocations": [],
        })
    }
}

/// The sum of the lines' totals.
pub(super) fn subtotal(lines: &[LineItem]) -> u64 {
    lines.iter().map(LineItem::total).sum()
}

/// The total weight of the lines.
pub(super) fn weight(lines: &[LineItem]) -> u64 {
    lines.iter().map(|l| l.grams * l.quantity).sum()
}

/// Who an order or a checkout is for, as both embed it.
#[derive(Clone, Debug, PartialEq)]
pub struct Buyer {
    /// The customer object (see [`Customer::object`]), or only its ids.
    pub customer: Value,
    /// `email`.
    pub email: Option<String>,
    /// `phone`.
    pub phone: Option<String>,
    /// `customer_locale`.
    pub locale: Option<String>,
    /// Billing and shipping address (see [`Customer::mailing_address`]), or `null`.
    pub address: Value,
}

impl Buyer {
    /// `c`, with its object, contact details and mailing address.
    pub fn of(c: &Customer, locale: Option<String>) -> Self {
        Self {
            customer: c.object(false),
            email: c.email.clone(),
            phone: c.phone.clone(),
            locale,
            address: c.mailing_address(),
        }
    }

    /// Only the customer's ids: no contact details, no address.
    pub fn reference(customer_id: u64) -> Self {
        Self {
            customer: json!({"id": customer_id, "admin_graphql_api_id": gid("Customer", customer_id)}),
            email: None,
            phone: None,
            locale: None,
            address: Value::Null,
        }
    }
}

/// An order as `orders/*` sends it.
#[derive(Clone, Debug, PartialEq)]
pub struct Order {
    /// Shopify's order id.
    pub id: u64,
    /// `order_number` (the name is `#{number}`).
    pub number: u64,
    /// The order's token.
    pub token: String,
    /// `created_at` (RFC 3339, as Shopify writes it).
    pub created_at: String,
    /// `updated_at`: what the engine orders updates by.
    pub updated_at: String,
    /// The shop's currency.
    pub currency: String,
    /// `financial_status` (`paid`, `refunded` …).
    pub financial_status: String,
    /// Set when cancelled (`cancelled_at`, with `cancel_reason` "customer").
    pub cancelled_at: Option<String>,
    /// Set when fulfilled: one fulfillment of every line at that time.
    pub fulfilled_at: Option<String>,
    /// The checkout it came from: (checkout id, checkout token).
    pub checkout: Option<(u64, String)>,
    /// The customer.
    pub buyer: Buyer,
    /// The lines.
    pub lines: Vec<LineItem>,
    /// Shipping, in cents (0 = free shipping).
    pub shipping_cents: u64,
    /// `order_status_url`.
    pub status_url: String,
    /// The fulfillment's id, when fulfilled.
    pub fulfillment_id: u64,
    /// The shipping line's id.
    pub shipping_line_id: u64,
}

impl Order {
    /// Order `id` (#1001, paid, open) of customer `customer_id`, created and updated
    /// 2026-01-02, one line of 10.00 USD, free shipping.
    pub fn new(id: u64, customer_id: u64) -> Self {
        let token = format!("{:032x}", id.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        Self {
            id,
            number: 1_001,
            status_url: format!(
                "https://example.myshopify.com/1/orders/{token}/authenticate?key={}",
                prefix(&token, 16)
            ),
            token,
            created_at: "2026-01-02T00:00:00Z".into(),
            updated_at: "2026-01-02T00:00:00Z".into(),
            currency: "USD".into(),
            financial_status: "paid".into(),
            cancelled_at: None,
            fulfilled_at: None,
            checkout: None,
            buyer: Buyer::reference(customer_id),
            lines: vec![LineItem::new(id + 1, 1_000)],
            shipping_cents: 0,
            fulfillment_id: id + 1_000,
            shipping_line_id: id + 2_000,
        }
    }

    /// The body.
    pub fn body(&self) -> Value {
        let cur = self.currency.as_str();
        let sub = subtotal(&self.lines);
        let ship = self.shipping_cents;
        let total = sub + ship;
        let fulfilled = self.fulfilled_at.is_some();
        let b = &self.buyer;
        let lines: Vec<Value> = self
            .lines
            .iter()
            .map(|l| l.order_line(cur, fulfilled))
            .collect();
        let fulfillments = match &self.fulfilled_at {
            Some(at) => vec![self.fulfillment(at, &lines)],
            None => Vec::new(),
        };
        let mut body = json!({
            "id": self.id,
            "admin_graphql_api_id": gid("Order", self.id),
            "app_id": 580_111,
            "browser_ip": null,
            "buyer_accepts_marketing": false,
            "cancel_reason": self.cancelled_at.as_ref().map(|_| "customer"),
            "cancelled_at": self.cancelled_at,
            "cart_token": null,
            "checkout_id": self.checkout.as_ref().map(|(id, _)| *id),
            "checkout_token": self.checkout.as_ref().map(|(_, token)| token.clone()),
            "client_details": null,
            "closed_at": null,
            "confirmation_number": prefix(&self.token, 9).to_ascii_uppercase(),
            "confirmed": true,
            "contact_email": b.email,
            "created_at": self.created_at,
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
            "customer_locale": b.locale,
            "discount_codes": [],
            "email": b.email.clone().unwrap_or_default(),
            "estimated_taxes": false,
            "financial_status": self.financial_status,
            "fulfillment_status": fulfilled.then_some("fulfilled"),
            "landing_site": null,
            "name": format!("#{}", self.number),
            "note": null,
            "note_attributes": [],
            "number": self.number.saturating_sub(1_000),
            "order_number": self.number,
            "order_status_url": self.status_url,
            "payment_gateway_names": ["shopify_payments"],
            "phone": b.phone,
            "presentment_currency": cur,
            "processed_at": self.created_at,
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
                "token": self.token,
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
                "total_weight": weight(&self.lines),
                "updated_at": self.updated_at,
                "user_id": null,
                "billing_address": b.address,
                "customer": b.customer,
                "discount_applications": [],
                "fulfillments": fulfillments,
                "line_items": lines,
                "payment_terms": null,
                "refunds": [],
                "shipping_address": b.address,
                "shipping_lines": [self.shipping_line()],
            }),
        );
        body
    }

    fn shipping_line(&self) -> Value {
        let (cents, cur) = (self.shipping_cents, self.currency.as_str());
        let title = if cents == 0 {
            "Free Shipping"
        } else {
            "Standard"
        };
        json!({
            "id": self.shipping_line_id,
            "carrier_identifier": null,
            "code": title,
            "discounted_price": money(cents),
            "discounted_price_set": money_set(cents, cur),
            "is_removed": false,
            "phone": null,
            "price": money(cents),
            "price_set": money_set(cents, cur),
            "requested_fulfillment_service_id": null,
            "source": "shopify",
            "title": title,
            "tax_lines": [],
            "discount_allocations": [],
        })
    }

    fn fulfillment(&self, at: &str, lines: &[Value]) -> Value {
        let id = self.fulfillment_id;
        let tracking = format!("1Z{}", prefix(&self.token, 16).to_ascii_uppercase());
        json!({
            "id": id,
            "admin_graphql_api_id": gid("Fulfillment", id),
            "created_at": at,
            "location_id": 905_684_977,
            "name": format!("#{}.1", self.number),
            "order_id": self.id,
            "service": "manual",
            "shipment_status": null,
            "status": "success",
            "tracking_company": "UPS",
            "tracking_number": tracking,
            "tracking_numbers": [tracking],
            "tracking_url": format!("https://www.ups.com/track?tracknum={tracking}"),
            "tracking_urls": [],
            "updated_at": at,
            "line_items": lines,
        })
    }
}
