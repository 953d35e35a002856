//! Shared by the benchmarks: realistic Shopify bodies rendered from templates, contacts
//! built through the real customer logic, `/proc` readers and small report helpers.
//! Each bench binary includes this file with `mod common;` and uses only part of it.
//! `load` holds the HTTP load pieces (child servers, lean client, load loops, metrics).
#![allow(dead_code)]

pub mod load;
pub mod report;

use galantis::domain::contact::{Checkout, Contact, Order};
use galantis::domain::{ShopifyId, Timestamp};
use galantis::logic::customers::{CustomerBook, Lookup, Write};
use galantis::logic::{Delivery, Topic};
use std::cell::RefCell;
use std::time::Duration;

// ---------------------------------------------------------------------------------------
// Templates
// ---------------------------------------------------------------------------------------

/// A text with `@NAME@` holes, split once so rendering is only concatenation.
pub struct Template {
    pieces: Vec<Piece>,
    names: Vec<&'static str>,
    approx_len: usize,
}

enum Piece {
    Lit(String),
    Hole(usize),
}

impl Template {
    /// Splits `text` at the holes `@name@` for each of `names` (in that order of values).
    pub fn new(text: &str, names: &[&'static str]) -> Self {
        let mut pieces = Vec::new();
        let mut rest = text;
        let mut lit = String::new();
        while let Some(at) = rest.find('@') {
            let after = &rest[at + 1..];
            let hole = names
                .iter()
                .position(|n| after.starts_with(n) && after[n.len()..].starts_with('@'));
            match hole {
                Some(i) => {
                    lit.push_str(&rest[..at]);
                    if !lit.is_empty() {
                        pieces.push(Piece::Lit(std::mem::take(&mut lit)));
                    }
                    pieces.push(Piece::Hole(i));
                    rest = &after[names[i].len() + 1..];
                }
                None => {
                    lit.push_str(&rest[..=at]);
                    rest = after;
                }
            }
        }
        lit.push_str(rest);
        if !lit.is_empty() {
            pieces.push(Piece::Lit(lit));
        }
        Self {
            pieces,
            names: names.to_vec(),
            approx_len: text.len() + 64,
        }
    }

    /// The text with each hole replaced by `values[i]` (same order as `names`).
    pub fn render(&self, values: &[&str]) -> String {
        assert_eq!(values.len(), self.names.len(), "template values");
        let mut out = String::with_capacity(self.approx_len);
        for p in &self.pieces {
            match p {
                Piece::Lit(s) => out.push_str(s),
                Piece::Hole(i) => out.push_str(values[*i]),
            }
        }
        out
    }
}

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
    pub cid: u64,
    pub first: &'static str,
    pub last: &'static str,
    pub email: String,
    pub phone: String,
    pub city: (&'static str, &'static str, &'static str, &'static str),
    pub street: String,
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

impl Bodies {
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

// ---------------------------------------------------------------------------------------
// Contacts through the real customer logic
// ---------------------------------------------------------------------------------------

/// A [`Lookup`] holding only the orders of the customer being built (so it costs no
/// memory across customers).
#[derive(Default)]
pub struct CurrentCustomer {
    pub orders: RefCell<Vec<Order>>,
}

impl Lookup for CurrentCustomer {
    fn order(&self, id: ShopifyId) -> Option<Order> {
        self.orders.borrow().iter().find(|o| o.id == id).cloned()
    }
    fn orders_of(&self, customer_id: ShopifyId) -> Vec<Order> {
        let orders = self.orders.borrow();
        let mine = orders.iter().filter(|o| o.customer_id == Some(customer_id));
        mine.cloned().collect()
    }
    fn checkout(&self, _id: ShopifyId) -> Option<Checkout> {
        None
    }
    fn checkouts_of(&self, _customer_id: ShopifyId) -> Vec<Checkout> {
        Vec::new()
    }
}

/// Builds contacts by applying, per customer, `customers/create`, `customer.tags_added`
/// (3 tags), two `orders/create` and a `customers/purchasing_summary` through
/// [`CustomerBook::apply`]: consent, phone, tags and order aggregates are all populated.
pub struct ContactFactory {
    pub bodies: Bodies,
    lookup: CurrentCustomer,
    /// Deliveries applied so far.
    pub applied: u64,
    /// Deliveries the logic refused (should stay 0).
    pub failed: u64,
    /// Orders written (for stores that keep them).
    pub orders: Vec<Order>,
}

impl ContactFactory {
    pub fn new() -> Self {
        Self {
            bodies: Bodies::new(),
            lookup: CurrentCustomer::default(),
            applied: 0,
            failed: 0,
            orders: Vec::new(),
        }
    }

    fn apply(&mut self, book: &mut CustomerBook, topic: &str, body: &str, at: i64) {
        let d = Delivery {
            topic: Topic::parse(topic),
            body: body.as_bytes(),
            triggered_at: Some(Timestamp(at)),
            received_at: Timestamp(at + 150),
        };
        match book.apply(&d, &self.lookup) {
            Ok(change) => {
                self.applied += 1;
                for w in change.writes {
                    if let Write::Order { order: o, .. } = w {
                        let mut orders = self.lookup.orders.borrow_mut();
                        orders.retain(|x| x.id != o.id);
                        orders.push(o);
                    }
                }
            }
            Err(e) => {
                self.failed += 1;
                if self.failed <= 3 {
                    eprintln!("apply {topic} failed: {e}");
                }
            }
        }
    }

    /// Adds customer number `n` (id `CUSTOMER_BASE + n`) to `book`. When `keep_orders`,
    /// the orders written are kept in `self.orders` (drained by the caller).
    pub fn add(&mut self, book: &mut CustomerBook, n: u64, keep_orders: bool) {
        let p = Person::new(n, CUSTOMER_BASE + n);
        let created = T0 + (n as i64 % 86_400) * 1000;
        self.lookup.orders.borrow_mut().clear();
        let body = self.bodies.customer(&p, created, created);
        self.apply(book, "customers/create", &body, created);
        let body = self.bodies.tags(&p, n, created + 60_000);
        self.apply(book, "customer.tags_added", &body, created + 60_000);
        let mut spent = 0;
        let mut last = 0;
        for k in 0..2u64 {
            let oid = ORDER_BASE + n * 2 + k;
            let at = created + 3_600_000 * (k as i64 + 1);
            let cents = 2_000 + (n * 37 + k * 1_313) % 20_000;
            spent += cents;
            last = oid;
            let body = self.bodies.order(&p, oid, at, cents);
            self.apply(book, "orders/create", &body, at);
        }
        let at = created + 4 * 3_600_000;
        let body = self.bodies.summary(&p, 2, spent, last, at);
        self.apply(book, "customers/purchasing_summary", &body, at);
        if keep_orders {
            self.orders.append(&mut self.lookup.orders.borrow_mut());
        }
    }
}

/// Contacts of `book` that have a phone, 3 tags and order aggregates (sanity check).
pub fn populated(book: &CustomerBook) -> usize {
    book.contacts()
        .filter(|c: &&Contact| {
            c.phone.is_some()
                && c.tags.len() == 3
                && c.orders_count >= 2
                && c.purchasing_summary.is_some()
        })
        .count()
}

// ---------------------------------------------------------------------------------------
// /proc and reporting
// ---------------------------------------------------------------------------------------

/// A `kB` field of `/proc/<pid>/status` (`VmRSS`, `VmHWM`), in bytes.
pub fn status_bytes(pid: Option<u32>, field: &str) -> u64 {
    let path = match pid {
        Some(p) => format!("/proc/{p}/status"),
        None => "/proc/self/status".to_string(),
    };
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .find_map(|l| {
            let rest = l.strip_prefix(field)?.strip_prefix(':')?;
            rest.split_whitespace().next()?.parse::<u64>().ok()
        })
        .map_or(0, |kb| kb * 1024)
}

/// Resident set size of this process, in bytes (`/proc/self/statm`, resident pages).
pub fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    pages * page_size()
}

/// The page size (`getconf PAGESIZE`, else 4096).
pub fn page_size() -> u64 {
    getconf("PAGESIZE").unwrap_or(4096)
}

/// Clock ticks per second of `/proc/*/stat` (`getconf CLK_TCK`, else 100).
pub fn clock_ticks() -> u64 {
    getconf("CLK_TCK").unwrap_or(100)
}

fn getconf(name: &str) -> Option<u64> {
    let out = std::process::Command::new("getconf")
        .arg(name)
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

/// User + system CPU time of a process so far (`/proc/<pid>/stat`).
pub fn cpu_time(pid: Option<u32>, ticks_per_sec: u64) -> Duration {
    let path = match pid {
        Some(p) => format!("/proc/{p}/stat"),
        None => "/proc/self/stat".to_string(),
    };
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let after = text.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = after
        .split_whitespace()
        .map(|s| s.parse().unwrap_or(0))
        .collect();
    // Fields after the command: state(3) … utime(14) stime(15).
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    Duration::from_micros(ticks * 1_000_000 / ticks_per_sec.max(1))
}

/// Bytes a process caused to be written to storage so far (`/proc/<pid>/io`).
pub fn write_bytes(pid: u32) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("write_bytes:")?.trim().parse().ok())
        .unwrap_or(0)
}

/// `/proc/loadavg`'s first three fields (other work on the machine skews every figure).
pub fn loadavg() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// An env var as a number, else `default`.
pub fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes as MiB with one decimal.
pub fn mib(b: u64) -> String {
    format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0))
}

/// Machine facts for the report header.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpu
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|r| r.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_else(|| "?".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = status_meminfo("MemTotal");
    format!(
        "{cores} CPUs ({model}), {} RAM, load average {} at start",
        mib(mem),
        loadavg()
    )
}

fn status_meminfo(field: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    text.lines()
        .find_map(|l| {
            let rest = l.strip_prefix(field)?.strip_prefix(':')?;
            rest.split_whitespace().next()?.parse::<u64>().ok()
        })
        .map_or(0, |kb| kb * 1024)
}
