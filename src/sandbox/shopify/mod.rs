//! A stateful emulator of Shopify's Admin GraphQL API for `galantis sandbox` and tests:
//! every document it is sent is parsed and validated against the 2026-04 Admin SDL (an
//! invalid one gets GraphQL `errors`, as from Shopify), each query's requested cost is
//! charged to the shop's leaky bucket (THROTTLED when it does not fit, refused above
//! 1,000 points), tokens are checked per shop (401 with Shopify's body), and the root
//! fields the engine uses are answered from its state: `shop`, `webhookSubscriptions`,
//! `webhookSubscriptionCreate`, `webhookSubscriptionDelete`, bulk operations over the
//! shop's customers (`bulk`: JSONL served over HTTP). A root field it does not
//! emulate is refused by name. Faults can be injected ([`ShopifyFault`]). The OAuth
//! endpoints (`oauth`) install the app: the authorize page approves at once and
//! redirects with a signed code; the token endpoint exchanges codes and session tokens
//! and refreshes expiring tokens with rotating refresh tokens (an expired or replaced
//! access token is refused with 401 afterwards).
//!
//! It routes requests by the `X-Shopify-Shop-Domain` header (Shopify routes by host).
//!
//! Layers: `state`, `schema`, `project` are leaves; `cost` reads `project`'s argument
//! reader; `resolve` → `project`, `state`; `graphql` (the handler) → all of them; `mod`
//! (this facade) → `graphql`, `schema`, `state`.

mod billing;
mod bulk;
mod catalog;
mod cost;
mod graphql;
mod oauth;
mod project;
mod resolve;
mod schema;
mod state;
#[cfg(test)]
mod tests;
mod webhooks;

pub use state::{EmulatedSubscription, ShopifyFault};

use anyhow::Context;
use state::{Bucket, Shared, ShopState};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How the emulator starts.
#[derive(Clone, Debug)]
pub struct ShopifyEmulatorConfig {
    /// Where to listen (port 0: any).
    pub addr: SocketAddr,
    /// The Admin SDL every document is validated against.
    pub sdl_path: PathBuf,
    /// Each shop's bucket size (Shopify Standard: 1,000 points).
    pub bucket_size: f64,
    /// Points restored per second (Standard: 100).
    pub restore_rate: f64,
    /// The app's client id the OAuth endpoints accept.
    pub client_id: String,
    /// The app's client secret (signs install redirects, verifies session tokens).
    pub client_secret: String,
    /// Lifetime of expiring access tokens (Shopify: 3,600 s).
    pub access_ttl_s: u64,
    /// How long a bulk operation runs before it is COMPLETED (and `bulk_operations/finish`
    /// is sent); 0: finished when created.
    pub bulk_ms: u64,
}

impl Default for ShopifyEmulatorConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            sdl_path: schema::default_path(),
            bucket_size: 1_000.0,
            restore_rate: 100.0,
            client_id: "emulated-client-id".into(),
            client_secret: "emulated-client-secret".into(),
            access_ttl_s: 3_600,
            bulk_ms: 0,
        }
    }
}

/// A running emulator. Dropping it stops the server.
pub struct ShopifyEmulator {
    shared: Arc<Shared>,
    config: ShopifyEmulatorConfig,
    base_url: String,
    stop: watch::Sender<bool>,
    server: Mutex<Option<JoinHandle<()>>>,
}

impl ShopifyEmulator {
    /// Loads the SDL, binds and serves in a spawned task.
    ///
    /// # Errors
    /// The SDL is missing or invalid, or the address cannot be bound.
    pub async fn start(config: ShopifyEmulatorConfig) -> anyhow::Result<Self> {
        let schema = schema::load(&config.sdl_path)?;
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("binding the Shopify emulator to {}", config.addr))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        let shared = Arc::new(Shared::default());
        {
            let mut st = shared.lock();
            st.access_ttl_s = config.access_ttl_s;
            st.base_url = format!("http://{addr}");
            st.webhook_secret = config.client_secret.clone();
            st.bulk_ms = config.bulk_ms;
        }
        let ctx = Arc::new(graphql::Ctx {
            shared: shared.clone(),
            schema,
        });
        let auth = Arc::new(oauth::Ctx {
            shared: shared.clone(),
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
        });
        let app = axum::Router::new()
            .route(
                "/admin/api/{version}/graphql.json",
                axum::routing::post(graphql::handle),
            )
            .with_state(ctx)
            .merge(oauth::router(auth))
            .merge(
                axum::Router::new()
                    .route("/bulk/{file}", axum::routing::get(bulk::file))
                    .route(
                        "/admin/charges/{n}/confirm",
                        axum::routing::get(billing::confirm),
                    )
                    .with_state(shared.clone()),
            );
        let (stop, mut stopped) = watch::channel(false);
        let server = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.wait_for(|s| *s).await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::warn!(message = "Shopify emulator server failed.", error = %e);
            }
        });
        let base_url = format!("http://{addr}");
        tracing::info!(message = "Shopify emulator listening.", base_url = %base_url);
        Ok(Self {
            shared,
            config,
            base_url,
            stop,
            server: Mutex::new(Some(server)),
        })
    }

    /// `http://127.0.0.1:PORT`: the engine's `shopify.admin_base_url`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Hosts `shop`, reachable with `token`.
    pub fn add_shop(&self, shop: &str, token: &str, name: &str) {
        let bucket = Bucket::new(self.config.bucket_size, self.config.restore_rate);
        self.shared.lock().shops.insert(
            shop.to_string(),
            ShopState {
                token: token.to_string(),
                name: name.to_string(),
                currency: "EUR".into(),
                time_zone: "Europe/Madrid".into(),
                subscriptions: BTreeMap::new(),
                bucket,
                token_expires: None,
                refresh: None,
                previous_refresh: None,
                customers: BTreeMap::new(),
                checkouts: BTreeMap::new(),
                products: BTreeMap::new(),
                orders: BTreeMap::new(),
                collections: BTreeMap::new(),
                app_subscriptions: BTreeMap::new(),
                bulk_source: None,
            },
        );
    }

    /// Gives `shop` `n` generated customers (ids from `first_id`): a name, an email, a
    /// Spanish mobile number (SMS marketing SUBSCRIBED for every other one), two tags.
    pub fn add_customers(&self, shop: &str, first_id: u64, n: u64) {
        let mut st = self.shared.lock();
        let Some(s) = st.shops.get_mut(shop) else {
            return;
        };
        for i in 0..n {
            let id = first_id + i;
            let subscribed = i % 2 == 0;
            s.customers.insert(
                id,
                serde_json::json!({
                    "__typename": "Customer",
                    "id": format!("gid://shopify/Customer/{id}"),
                    "firstName": format!("Buyer{i}"), "lastName": "Demo",
                    "state": "ENABLED", "locale": "es",
                    "tags": ["imported", if subscribed { "vip" } else { "regular" }],
                    "createdAt": "2025-06-01T00:00:00Z", "updatedAt": "2025-06-02T00:00:00Z",
                    "defaultEmailAddress": {"emailAddress": format!("buyer{id}@example.com"), "marketingState": "NOT_SUBSCRIBED"},
                    "defaultPhoneNumber": {"phoneNumber": format!("+3461{:07}", id % 10_000_000),
                        "marketingState": if subscribed { "SUBSCRIBED" } else { "NOT_SUBSCRIBED" },
                        "marketingOptInLevel": "SINGLE_OPT_IN", "marketingUpdatedAt": "2025-06-01T12:00:00Z",
                        "marketingCollectedFrom": "SHOPIFY"},
                    "defaultAddress": {"countryCodeV2": "ES", "provinceCode": "M"},
                    "numberOfOrders": "0",
                }),
            );
        }
    }

    /// Changes a customer's first name and `updatedAt` without sending any webhook (a
    /// delivery Shopify dropped).
    pub fn update_customer(&self, shop: &str, id: u64, first_name: &str, updated_at: &str) {
        let mut st = self.shared.lock();
        if let Some(c) = (st.shops.get_mut(shop)).and_then(|s| s.customers.get_mut(&id)) {
            c["firstName"] = serde_json::Value::String(first_name.to_string());
            c["updatedAt"] = serde_json::Value::String(updated_at.to_string());
        }
    }

    /// Adds (or replaces) an abandoned checkout of `customer` as the Admin API shows it:
    /// one line of variant `id × 10` (of product `id × 10 + 1`), `total` in EUR, updated
    /// at `updated_at`, the recovery URL carrying the token `tok-{id}` (as the fixture
    /// webhooks' do); no webhook is sent.
    pub fn add_abandoned_checkout(
        &self,
        shop: &str,
        id: u64,
        customer: (u64, &str, &str),
        total: &str,
        updated_at: &str,
    ) {
        let (cid, first, phone) = customer;
        let mut st = self.shared.lock();
        if let Some(s) = st.shops.get_mut(shop) {
            s.checkouts.insert(
                id,
                serde_json::json!({
                    "__typename": "AbandonedCheckout",
                    "id": format!("gid://shopify/AbandonedCheckout/{id}"), "name": format!("#{id}"),
                    "createdAt": updated_at, "updatedAt": updated_at, "completedAt": null,
                    "abandonedCheckoutUrl": format!("https://{shop}/checkouts/ac/tok-{id}/recover?key=key-{id}"),
                    "customer": {"id": format!("gid://shopify/Customer/{cid}"), "firstName": first, "lastName": "Demo",
                        "defaultPhoneNumber": {"phoneNumber": phone}, "defaultEmailAddress": null},
                    "totalPriceSet": {"shopMoney": {"amount": total, "currencyCode": "EUR"},
                        "presentmentMoney": {"amount": total, "currencyCode": "EUR"}},
                    "lineItems": {"nodes": [{"title": "Tee", "quantity": 1, "sku": "T",
                        "variant": {"id": format!("gid://shopify/ProductVariant/{}", id * 10)},
                        "product": {"id": format!("gid://shopify/Product/{}", id * 10 + 1)}}]},
                }),
            );
        }
    }

    /// The app's webhook subscriptions on `shop`.
    pub fn subscriptions(&self, shop: &str) -> Vec<EmulatedSubscription> {
        (self.shared.lock().shops.get(shop))
            .map(|s| s.subscriptions.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Removes a subscription, as Shopify does after repeated delivery failures.
    pub fn drop_subscription(&self, shop: &str, topic: &str) -> bool {
        let mut st = self.shared.lock();
        let Some(s) = st.shops.get_mut(shop) else {
            return false;
        };
        let id = s
            .subscriptions
            .values()
            .find(|x| x.topic == topic)
            .map(|x| x.id);
        id.and_then(|id| s.subscriptions.remove(&id)).is_some()
    }

    /// Adds a subscription the app made elsewhere (another callback address).
    pub fn add_subscription(&self, shop: &str, topic: &str, uri: &str) {
        let mut st = self.shared.lock();
        let id = st.next_id();
        if let Some(s) = st.shops.get_mut(shop) {
            s.subscriptions.insert(
                id,
                EmulatedSubscription {
                    id,
                    topic: topic.to_string(),
                    uri: uri.to_string(),
                    format: "JSON".into(),
                },
            );
        }
    }

    /// Leaves `points` in the shop's bucket (a nearly empty bucket for throttling tests).
    pub fn set_bucket(&self, shop: &str, points: f64) {
        if let Some(s) = self.shared.lock().shops.get_mut(shop) {
            s.bucket.set_available(points);
        }
    }

    /// Sets the lifetime of the expiring access tokens granted from now on.
    pub fn set_access_ttl(&self, seconds: u64) {
        self.shared.lock().access_ttl_s = seconds;
    }

    /// The shop's current access token.
    pub fn token(&self, shop: &str) -> Option<String> {
        self.shared.lock().shops.get(shop).map(|s| s.token.clone())
    }

    /// An App Bridge session token for `shop`, signed with the app's secret, expiring in
    /// `exp_in_s` seconds (negative: already expired).
    pub fn session_token(&self, shop: &str, exp_in_s: i64) -> String {
        let now = crate::domain::Timestamp::now().millis() / 1000;
        let claims = serde_json::json!({"iss": format!("https://{shop}/admin"), "dest": format!("https://{shop}"),
            "aud": self.config.client_id, "sub": "1", "exp": now + exp_in_s, "nbf": now - 5, "iat": now - 5,
            "jti": format!("{now}"), "sid": "s"});
        crate::logic::shopify::oauth::mint_session_token(
            &claims,
            self.config.client_secret.as_bytes(),
        )
    }

    /// The shop's bulk operations answer with the file at `url` (`lines` rows) instead
    /// of one the emulator writes (benchmarks: millions of rows, streamed by their server).
    pub fn serve_bulk_from(&self, shop: &str, url: &str, lines: u64) {
        if let Some(s) = self.shared.lock().shops.get_mut(shop) {
            s.bulk_source = Some((url.to_string(), lines));
        }
    }

    /// The next bulk operation fails halfway: FAILED (`INTERNAL_SERVER_ERROR`) with the
    /// first half of its lines as partial data.
    pub fn fail_next_bulk(&self) {
        self.shared.lock().fail_bulk = true;
    }

    /// The next request meets `fault`.
    pub fn fail_next(&self, fault: ShopifyFault) {
        self.shared.lock().faults.push_back(fault);
    }

    /// Requests per operation name (and `invalid`, `unauthorized`, `fault_…`).
    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.shared.lock().calls.clone()
    }

    /// Stops the server and waits for it to end.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let handle = self
            .server
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(handle) = handle {
            let _ = handle.await;
        }
    }
}

impl Drop for ShopifyEmulator {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
