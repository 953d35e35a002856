//! Realistic ~2 KB Shopify bodies (`customers/create|update`, `orders/create`,
//! `customer.tags_added`, `customers/purchasing_summary`) rendered from templates for
//! deterministic people: the benches' request bodies. Their bytes, and so their sizes
//! (1,783 B customers, 2,126 B orders), are what the figures in BENCHMARKS.md were measured
//! with; change them only together with a note there.

use super::template::Template;
use crate::domain::Timestamp;

/// A Shopify address object (compact JSON, as Shopify sends it).
const ADDRESS: &str = r#"{"id":@AID@,"customer_id":@CID@,"first_name":"@FIRST@","last_name":"@LAST@","company":null,"address1":"@STREET@","address2":"Apt 4","city":"@CITY@","province":"@PROV@","country":"@COUNTRYNAME@","zip":"@ZIP@","phone":"@PHONE@","name":"@FIRST@ @LAST@","province_code":"@PROV@","country_code":"@COUNTRY@","country_name":"@COUNTRYNAME@","default":true}"#;

/// `customers/create` and `customers/update` (2026-04 shape; ~2 KB with two addresses).
const CUSTOMER: &str = r#"{"id":@CID@,"created_at":"@CREATED@","updated_at":"@UPDATED@","first_name":"@FIRST@","last_name":"@LAST@","state":"enabled","note":"Prefers WhatsApp for order updates","verified_email":true,"multipass_identifier":null,"tax_exempt":false,"email":"@EMAIL@","phone":"@PHONE@","currency":"USD","addresses":[@ADDRESS@,@ADDRESS2@],"tax_exemptions":[],"admin_graphql_api_id":"gid://shopify/Customer/@CID@","default_address":@ADDRESS@,"email_marketing_consent":{"state":"subscribed","opt_in_level":"single_opt_in","consent_updated_at":"@CREATED@"},"sms_marketing_consent":{"state":"not_subscribed","opt_in_level":"single_opt_in","consent_updated_at":null,"consent_collected_from":"SHOPIFY"}}"#;

/// `orders/create` (2026-04 shape, trimmed to ~2 KB: one customer, two line items).
const ORDER: &str = r##"{"id":@OID@,"admin_graphql_api_id":"gid://shopify/Order/@OID@","app_id":580111,"browser_ip":"203.0.113.7","buyer_accepts_marketing":true,"cancel_reason":null,"cancelled_at":null,"cart_token":null,"checkout_token":"@TOKEN@","confirmation_number":"@CONF@","confirmed":true,"contact_email":"@EMAIL@","created_at":"@CREATED@","currency":"USD","current_subtotal_price":"@SUB@","current_total_price":"@TOTAL@","current_total_tax":"@TAX@","customer_locale":"en","email":"@EMAIL@","financial_status":"paid","fulfillment_status":null,"name":"#@NUMBER@","number":@NUMBER@,"order_number":@NUMBER@,"phone":null,"presentment_currency":"USD","processed_at":"@CREATED@","source_name":"web","subtotal_price":"@SUB@","tags":"","total_price":"@TOTAL@","total_price_set":{"shop_money":{"amount":"@TOTAL@","currency_code":"USD"},"presentment_money":{"amount":"@TOTAL@","currency_code":"USD"}},"total_tax":"@TAX@","updated_at":"@CREATED@","customer":{"id":@CID@,"email":"@EMAIL@","created_at":"@CREATED@","updated_at":"@CREATED@","first_name":"@FIRST@","last_name":"@LAST@","state":"enabled","verified_email":true,"phone":"@PHONE@","currency":"USD","admin_graphql_api_id":"gid://shopify/Customer/@CID@"},"line_items":[{"id":@LID1@,"admin_graphql_api_id":"gid://shopify/LineItem/@LID1@","fulfillable_quantity":1,"gift_card":false,"grams":200,"name":"Linen Shirt - M / Blue","price":"@PRICE1@","product_id":8812345678901,"quantity":1,"requires_shipping":true,"sku":"LS-M-BLU","taxable":true,"title":"Linen Shirt","variant_id":44123456789012,"variant_title":"M / Blue","vendor":"Galantis Demo"},{"id":@LID2@,"admin_graphql_api_id":"gid://shopify/LineItem/@LID2@","fulfillable_quantity":1,"gift_card":false,"grams":100,"name":"Canvas Tote","price":"@PRICE2@","product_id":8812345678902,"quantity":1,"requires_shipping":true,"sku":"CT-NAT","taxable":true,"title":"Canvas Tote","variant_id":44123456789013,"variant_title":null,"vendor":"Galantis Demo"}]}"##;

/// `customer.tags_added` (GraphQL-style webhook).
const TAGS: &str = r#"{"customerId":"gid://shopify/Customer/@CID@","tags":["@T1@","@T2@","@T3@"],"occurredAt":"@AT@"}"#;

/// `customers/purchasing_summary`.
const SUMMARY: &str = r#"{"customerId":"gid://shopify/Customer/@CID@","numberOfOrders":@COUNT@,"amountSpent":{"amount":"@AMOUNT@","currencyCode":"USD"},"lastOrderId":"gid://shopify/Order/@OID@","occurredAt":"@AT@"}"#;

const FIRST: &[&str] = &[
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Amelia",
    "Oliver",
    "Sophia",
    "Elijah",
    "Charlotte",
    "James",
    "Ava",
    "William",
    "Isabella",
    "Benjamin",
    "Mia",
    "Lucas",
    "Evelyn",
    "Henry",
    "Harper",
    "Theodore",
    "Luna",
    "Mateo",
    "Camila",
    "Santiago",
    "Valentina",
    "Aarav",
    "Priya",
    "Chen",
    "Mei",
    "Fatima",
    "Omar",
    "Yusuf",
    "Zeynep",
    "Lukas",
    "Hannah",
];
const LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Nguyen",
    "Kowalski",
    "Schneider",
    "Rossi",
    "Dubois",
    "Yilmaz",
    "Tanaka",
    "Silva",
];
/// (city, province code, zip prefix, area code)
const CITIES: &[(&str, &str, &str, &str)] = &[
    ("Ottawa", "ON", "K2P", "613"),
    ("Toronto", "ON", "M5V", "416"),
    ("Montreal", "QC", "H2X", "514"),
    ("Vancouver", "BC", "V6B", "604"),
    ("Calgary", "AB", "T2P", "403"),
    ("Halifax", "NS", "B3H", "902"),
    ("Winnipeg", "MB", "R3C", "204"),
];
const STREETS: &[&str] = &[
    "O'Connor Street",
    "Bank Street",
    "Elgin Street",
    "Rideau Street",
    "Queen Street",
    "King Street West",
    "Rue Sainte-Catherine",
    "Granville Street",
    "Spring Garden Road",
];
const TAG_POOL: &[&str] = &[
    "vip",
    "newsletter",
    "wholesale",
    "returning",
    "summer-2025",
    "black-friday",
    "loyalty-gold",
    "loyalty-silver",
    "instagram",
    "referral",
    "b2b",
    "first-order",
];

/// Base of generated Shopify customer ids (13 digits, like today's real ids).
pub const CUSTOMER_BASE: u64 = 7_000_000_000_000;
/// Base of generated Shopify order ids.
pub const ORDER_BASE: u64 = 5_000_000_000_000;

/// Renders realistic bodies; the data varies with the customer number.
pub struct Bodies {
    address: Template,
    customer: Template,
    order: Template,
    tags: Template,
    summary: Template,
}

/// One generated person (the values the templates need).
pub struct Person {
    /// Shopify customer id.
    pub cid: u64,
    /// First name.
    pub first: &'static str,
    /// Last name.
    pub last: &'static str,
    /// Email.
    pub email: String,
    /// Phone, typed the way people type it.
    pub phone: String,
    /// (city, province code, zip prefix, area code).
    pub city: (&'static str, &'static str, &'static str, &'static str),
    /// Street line.
    pub street: String,
    /// Postal code.
    pub zip: String,
}

impl Person {
    /// Person number `n` with Shopify customer id `cid`.
    pub fn new(n: u64, cid: u64) -> Self {
        let first = FIRST[(n % FIRST.len() as u64) as usize];
        let last = LAST[((n / 7) % LAST.len() as u64) as usize];
        let city = CITIES[((n / 3) % CITIES.len() as u64) as usize];
        let street = format!(
            "{} {}",
            1 + n % 997,
            STREETS[((n / 11) % STREETS.len() as u64) as usize]
        );
        let zip = format!(
            "{} {}{}{}",
            city.2,
            n % 10,
            ["A", "B", "C", "E"][(n % 4) as usize],
            (n / 10) % 10
        );
        let email = format!(
            "{}.{}{}@example.com",
            first.to_ascii_lowercase(),
            last.to_ascii_lowercase(),
            n
        );
        // Typed as people type it; the engine normalises it to E.164.
        let phone = format!(
            "+1 {}-{:03}-{:04}",
            city.3,
            200 + (n / 10_000) % 700,
            n % 10_000
        );
        Self {
            cid,
            first,
            last,
            email,
            phone,
            city,
            street,
            zip,
        }
    }
}

/// RFC 3339 text of `millis` since the epoch.
pub fn rfc3339(millis: i64) -> String {
    Timestamp(millis).to_rfc3339()
}

/// 2025-06-01T00:00:00Z, the base of generated times.
pub const T0: i64 = 1_748_736_000_000;

impl Default for Bodies {
    fn default() -> Self {
        Self::new()
    }
}

impl Bodies {
    /// Splits the templates once.
    pub fn new() -> Self {
        Self {
            address: Template::new(
                ADDRESS,
                &[
                    "AID",
                    "CID",
                    "FIRST",
                    "LAST",
                    "STREET",
                    "CITY",
                    "PROV",
                    "COUNTRYNAME",
                    "ZIP",
                    "PHONE",
                    "COUNTRY",
                ],
            ),
            customer: Template::new(
                CUSTOMER,
                &[
                    "CID", "CREATED", "UPDATED", "FIRST", "LAST", "EMAIL", "PHONE", "ADDRESS",
                    "ADDRESS2",
                ],
            ),
            order: Template::new(
                ORDER,
                &[
                    "OID", "TOKEN", "CONF", "EMAIL", "CREATED", "SUB", "TOTAL", "TAX", "NUMBER",
                    "CID", "FIRST", "LAST", "PHONE", "LID1", "PRICE1", "LID2", "PRICE2",
                ],
            ),
            tags: Template::new(TAGS, &["CID", "T1", "T2", "T3", "AT"]),
            summary: Template::new(SUMMARY, &["CID", "COUNT", "AMOUNT", "OID", "AT"]),
        }
    }

    /// A `customers/create|update` body for `p`, created at `created` (ms), updated at
    /// `updated` (ms).
    pub fn customer(&self, p: &Person, created: i64, updated: i64) -> String {
        let cid = p.cid.to_string();
        let aid = (p.cid + 1_000_000_000_000).to_string();
        let address = self.address.render(&[
            &aid, &cid, p.first, p.last, &p.street, p.city.0, p.city.1, "Canada", &p.zip, &p.phone,
            "CA",
        ]);
        // A second, older address (work), not the default.
        let aid2 = (p.cid + 2_000_000_000_000).to_string();
        let work_street = format!("{} Wellington Street", 100 + p.cid % 400);
        let address2 = self
            .address
            .render(&[
                &aid2,
                &cid,
                p.first,
                p.last,
                &work_street,
                p.city.0,
                p.city.1,
                "Canada",
                &p.zip,
                &p.phone,
                "CA",
            ])
            .replace("\"default\":true", "\"default\":false");
        self.customer.render(&[
            &cid,
            &rfc3339(created),
            &rfc3339(updated),
            p.first,
            p.last,
            &p.email,
            &p.phone,
            &address,
            &address2,
        ])
    }

    /// An `orders/create` body: order `oid` of `p` at `created` (ms), `cents` in total.
    pub fn order(&self, p: &Person, oid: u64, created: i64, cents: u64) -> String {
        let price1 = cents * 7 / 10;
        let price2 = cents - price1;
        let tax = cents * 13 / 113;
        let money = |c: u64| format!("{}.{:02}", c / 100, c % 100);
        let number = (1000 + oid % 1_000_000).to_string();
        self.order.render(&[
            &oid.to_string(),
            &format!("{:032x}", oid.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            &format!("{:09X}", oid % 0xF_FFFF_FFFF),
            &p.email,
            &rfc3339(created),
            &money(cents - tax),
            &money(cents),
            &money(tax),
            &number,
            &p.cid.to_string(),
            p.first,
            p.last,
            &p.phone,
            &(oid * 2 + 17).to_string(),
            &money(price1),
            &(oid * 2 + 18).to_string(),
            &money(price2),
        ])
    }

    /// A `customer.tags_added` body with 3 tags chosen by `n`.
    pub fn tags(&self, p: &Person, n: u64, at: i64) -> String {
        let k = TAG_POOL.len() as u64;
        let t = |i: u64| TAG_POOL[((n + i * (1 + n % 5)) % k) as usize];
        self.tags
            .render(&[&p.cid.to_string(), t(0), t(1), t(2), &rfc3339(at)])
    }

    /// A `customers/purchasing_summary` body.
    pub fn summary(&self, p: &Person, count: u32, cents: u64, last_oid: u64, at: i64) -> String {
        self.summary.render(&[
            &p.cid.to_string(),
            &count.to_string(),
            &format!("{}.{:02}", cents / 100, cents % 100),
            &last_oid.to_string(),
            &rfc3339(at),
        ])
    }
}
