//! The emulator's data: the shops it hosts (token, store facts, webhook subscriptions,
//! cost bucket), injected faults and call counts.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

/// A fault the next Admin API request meets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShopifyFault {
    /// `THROTTLED` in a 200 answer, whatever the bucket holds.
    Throttled,
    /// This HTTP status with Shopify's body for it (401, 403, 429, 500, 503 …).
    Status(u16),
}

/// A webhook subscription of the app on one shop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmulatedSubscription {
    /// Numeric part of the gid.
    pub id: u64,
    /// `ORDERS_CREATE` …
    pub topic: String,
    /// Where deliveries go.
    pub uri: String,
    /// `JSON` or `XML`.
    pub format: String,
}

impl EmulatedSubscription {
    /// `gid://shopify/WebhookSubscription/{id}`.
    pub fn gid(&self) -> String {
        format!("gid://shopify/WebhookSubscription/{}", self.id)
    }
}

/// Shopify's leaky bucket of one shop.
#[derive(Clone, Copy, Debug)]
pub struct Bucket {
    /// Size.
    pub maximum: f64,
    /// Points per second.
    pub restore_rate: f64,
    available: f64,
    at: Instant,
}

impl Bucket {
    /// A full bucket.
    pub fn new(maximum: f64, restore_rate: f64) -> Self {
        Self {
            maximum,
            restore_rate,
            available: maximum,
            at: Instant::now(),
        }
    }

    /// Points available now.
    pub fn available(&mut self) -> f64 {
        let now = Instant::now();
        let secs = now.saturating_duration_since(self.at).as_secs_f64();
        self.available = (self.available + secs * self.restore_rate).min(self.maximum);
        self.at = now;
        self.available
    }

    /// Takes `cost` points when they are there.
    pub fn try_take(&mut self, cost: f64) -> bool {
        if self.available() < cost {
            return false;
        }
        self.available -= cost;
        true
    }

    /// Gives back `points` charged beyond a query's actual cost.
    pub fn refund(&mut self, points: f64) {
        let available = self.available();
        self.available = (available + points).min(self.maximum);
    }

    /// Sets what is available (tests: a nearly empty bucket).
    pub fn set_available(&mut self, points: f64) {
        self.available = points.clamp(0.0, self.maximum);
        self.at = Instant::now();
    }
}

/// One hosted shop.
#[derive(Clone, Debug)]
pub struct ShopState {
    /// The Admin API token it accepts.
    pub token: String,
    /// The store's name.
    pub name: String,
    /// Its currency.
    pub currency: String,
    /// Its IANA zone.
    pub time_zone: String,
    /// The app's webhook subscriptions, by id.
    pub subscriptions: BTreeMap<u64, EmulatedSubscription>,
    /// Its cost bucket.
    pub bucket: Bucket,
    /// When the current token expires (`None`: never).
    pub token_expires: Option<Instant>,
    /// The current refresh token, and the previous one (valid until the current one is
    /// used, as Shopify does since 2026-08-28).
    pub refresh: Option<String>,
    /// The refresh token before the last rotation.
    pub previous_refresh: Option<String>,
    /// The store's customers as the Admin API shows them (by numeric id).
    pub customers: BTreeMap<u64, serde_json::Value>,
    /// Abandoned checkouts (by numeric id).
    pub checkouts: BTreeMap<u64, serde_json::Value>,
    /// Products, nested connections (`variants`, `media`, `collections`) as `edges`.
    pub products: BTreeMap<u64, serde_json::Value>,
    /// Orders, `lineItems` as `edges`.
    pub orders: BTreeMap<u64, serde_json::Value>,
    /// Collections.
    pub collections: BTreeMap<u64, serde_json::Value>,
    /// The app's subscriptions on the shop (by number).
    pub app_subscriptions: BTreeMap<u64, serde_json::Value>,
    /// A result file served elsewhere for the shop's bulk operations (URL, lines):
    /// benchmarks stream millions of rows without the emulator holding them.
    pub bulk_source: Option<(String, u64)>,
}

/// A finished bulk operation.
#[derive(Clone, Debug)]
pub struct BulkResult {
    /// The shop it ran for.
    pub shop: String,
    /// The JSONL file.
    pub jsonl: std::sync::Arc<String>,
    /// Lines written.
    pub objects: u64,
    /// Root rows among them.
    pub roots: u64,
    /// When it is COMPLETED (RUNNING before).
    pub ready_at: Instant,
    /// It ends FAILED (`INTERNAL_SERVER_ERROR`), its file being the partial data.
    pub failed: bool,
    /// Where its file is when it is not served by the emulator.
    pub url: Option<String>,
}

impl ShopState {
    /// Whether `token` opens this shop now.
    pub fn accepts(&self, token: &str) -> bool {
        !token.is_empty()
            && self.token == token
            && self.token_expires.is_none_or(|e| Instant::now() < e)
    }
}

/// Everything behind the lock.
#[derive(Debug, Default)]
pub struct State {
    /// Hosted shops by domain.
    pub shops: HashMap<String, ShopState>,
    /// Faults for the next requests, in order.
    pub faults: VecDeque<ShopifyFault>,
    /// Requests per operation name (`WebhookSubscriptions` …, `invalid`, `unauthorized`).
    pub calls: BTreeMap<String, u64>,
    /// The last id handed out.
    pub last_id: u64,
    /// Authorization codes not exchanged yet (code -> shop).
    pub codes: HashMap<String, String>,
    /// Lifetime of expiring access tokens, in seconds.
    pub access_ttl_s: u64,
    /// Bulk operations by number.
    pub bulk: BTreeMap<u64, BulkResult>,
    /// This server's own base URL (result files are served from it).
    pub base_url: String,
    /// The app's client secret: signs the webhooks sent back to the app.
    pub webhook_secret: String,
    /// How long a bulk operation runs.
    pub bulk_ms: u64,
    /// The next bulk operation fails halfway (partial data).
    pub fail_bulk: bool,
}

impl State {
    /// The next id for a created record.
    pub fn next_id(&mut self) -> u64 {
        self.last_id += 1;
        self.last_id
    }

    /// Counts a request.
    pub fn count(&mut self, what: &str) {
        *self.calls.entry(what.to_string()).or_default() += 1;
    }
}

/// The shared state.
#[derive(Debug, Default)]
pub struct Shared {
    state: Mutex<State>,
}

impl Shared {
    /// The state, locked (a panic elsewhere does not poison the emulator).
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
