//! The signed webhook requests of the load: a `customers/update` for a new customer, then
//! an `orders/create` for that customer, on every connection.

use super::*;

/// Builds signed webhook requests. Connection `conn` of phase `phase` sends, in turn, a
/// `customers/update` for a new customer and an `orders/create` for that customer.
pub(super) struct Gen {
    pub(super) bodies: Bodies,
    pub(super) host: String,
}

/// Ids of phase `phase`, connection `conn`, customer `j` (all distinct).
pub(super) fn customer_number(phase: u64, conn: u64, j: u64) -> u64 {
    phase * 100_000_000_000 + conn * 100_000_000 + j
}

impl Gen {
    /// Body `n` of connection `conn` in `phase`: topic and JSON.
    pub(super) fn body(&self, phase: u64, conn: u64, n: u64) -> (&'static str, String) {
        let j = n / 2;
        let number = customer_number(phase, conn, j);
        let p = Person::new(number, common::CUSTOMER_BASE + number);
        let created = common::T0 + (number % 86_400_000) as i64;
        if n % 2 == 0 {
            let body = self.bodies.customer(&p, created, created + 1000);
            ("customers/update", body)
        } else {
            let oid = common::ORDER_BASE + number;
            let cents = 1_500 + (number * 37) % 30_000;
            let body = self.bodies.order(&p, oid, created + 5000, cents);
            ("orders/create", body)
        }
    }
}

impl Requests for Gen {
    /// Request `n` of connection `conn` in `phase`: the raw HTTP bytes, and whether it is
    /// a `customers/update`.
    fn request(&self, phase: u64, conn: u64, n: u64) -> (Vec<u8>, bool) {
        let (topic, body) = self.body(phase, conn, n);
        let is_customer = n % 2 == 0;
        let sig = sign(load::SHOPIFY_SECRET.as_bytes(), body.as_bytes());
        let id = format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            phase as u32,
            conn & 0xffff,
            (n >> 48) & 0xfff,
            (n >> 36) & 0xfff,
            n & 0xffff_ffff_ffff
        );
        let triggered = Timestamp::now().to_rfc3339();
        let head = format!(
            "POST /webhooks/shopify HTTP/1.1\r\nHost: {}\r\nUser-Agent: Shopify-Captain-Hook\r\nAccept: */*\r\nContent-Type: application/json\r\nContent-Length: {}\r\nX-Shopify-Topic: {topic}\r\nX-Shopify-Hmac-Sha256: {sig}\r\nX-Shopify-Shop-Domain: {SHOP}\r\nX-Shopify-Webhook-Id: {id}\r\nX-Shopify-Event-Id: {id}\r\nX-Shopify-API-Version: 2026-04\r\nX-Shopify-Triggered-At: {triggered}\r\n\r\n",
            self.host,
            body.len()
        );
        let mut req = head.into_bytes();
        req.extend_from_slice(body.as_bytes());
        (req, is_customer)
    }
}
