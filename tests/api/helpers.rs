//! `spawn_app()` and `TestApp`: an engine on port 0 with its own temp store, plus one
//! helper per endpoint and a signer for Shopify webhooks.

use galantis::app::Application;
use galantis::config::{LogFormat, Secret, Settings};
use galantis::integrations::shopify::webhook::sign;
use galantis::sandbox::payloads;
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;
use tempfile::TempDir;

pub const SECRET: &str = "test-client-secret";
pub const PREVIOUS_SECRET: &str = "test-previous-secret";
pub const OPERATOR: &str = "test-operator-token-0123456789";
pub const META_SECRET: &str = "test-meta-app-secret";
pub const VERIFY_TOKEN: &str = "test-verify-token";

/// A small `orders/create` / `orders/updated` body: order `id` (#1001) of `customer`, one
/// line of EUR 25.00, paid, from checkout `ck-1`, created 2026-01-02, last updated at
/// `updated_at` (RFC 3339).
pub fn order_body(id: u64, customer: u64, updated_at: &str) -> Vec<u8> {
    let mut o = payloads::Order::new(id, customer);
    o.currency = "EUR".into();
    o.lines = vec![payloads::LineItem::new(id + 1, 2_500)];
    o.checkout = Some((id + 2, "ck-1".into()));
    o.updated_at = updated_at.into();
    payloads::to_bytes(&o.body())
}

/// An HTTP client for tests. Installs the process's TLS provider first: the crate builds
/// reqwest with `rustls-no-provider`, and building a client without one panics.
pub fn http() -> reqwest::Client {
    galantis::integrations::install_tls_provider();
    reqwest::Client::new()
}

/// The fixtures folder: `$GALANTIS_FIXTURES` or `../shared/fixtures`. Missing = failure.
pub fn fixtures_dir() -> PathBuf {
    let dir = std::env::var("GALANTIS_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures"));
    assert!(dir.is_dir(), "fixtures folder {} is missing", dir.display());
    dir
}

/// The bytes of a Shopify webhook fixture.
pub fn shopify_fixture(name: &str) -> Vec<u8> {
    let p = fixtures_dir().join("shopify/webhooks").join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

pub fn test_settings(dir: &std::path::Path) -> Settings {
    let mut s = Settings::default();
    s.server.listen = "127.0.0.1:0".parse().expect("addr");
    s.server.max_body_bytes = 256 * 1024;
    s.store.data_dir = dir.to_path_buf();
    s.store.cache_mb = 16;
    s.security.master_key = Secret::new("11".repeat(32));
    s.security.operator_token = Secret::new(OPERATOR);
    s.shopify.client_secret = Secret::new(SECRET);
    s.shopify.previous_client_secret = Secret::new(PREVIOUS_SECRET);
    s.meta.app_secret = Secret::new(META_SECRET);
    s.meta.verify_token = Secret::new(VERIFY_TOKEN);
    s.meta.base_url = "http://127.0.0.1:9".into(); // no Meta unless a test sets one
    s.meta.request_timeout_ms = 2_000;
    s.meta.backoff_base_ms = 20;
    s.meta.backoff_max_ms = 200;
    s.meta.template_sync_minutes = 0;
    s.log.format = LogFormat::Pretty;
    s.log.level = "warn".into();
    s
}

pub struct TestApp {
    pub base: String,
    pub settings: Settings,
    pub client: reqwest::Client,
    pub dir: TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// Starts an engine on port 0 with a fresh temp store and waits until it is ready.
pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    start_in(dir, |_| {}).await
}

/// Starts an engine with adjusted settings (e.g. Meta's base URL pointing at the emulator).
pub async fn spawn_app_with(adjust: impl Fn(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    start_in(dir, adjust).await
}

async fn start_in(dir: TempDir, adjust: impl Fn(&mut Settings)) -> TestApp {
    let t = start_unready(dir, adjust).await;
    t.wait_ready().await;
    t
}

/// Builds and serves an engine without waiting for its recovery to finish.
async fn start_unready(dir: TempDir, adjust: impl Fn(&mut Settings)) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        galantis::telemetry::init_logs(LogFormat::Pretty, "info");
    }
    // A store being closed by a previous instance in this process may hold its lock a moment.
    let mut tries = 0;
    let mut settings = test_settings(dir.path());
    adjust(&mut settings);
    let app = loop {
        match Application::build(settings.clone()).await {
            Ok(app) => break app,
            Err(e) if tries < 100 => {
                tries += 1;
                let _ = e;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("app does not build: {e:#}"),
        }
    };
    let base = format!("http://{}", app.addr());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = app
            .run_until_stopped(async {
                let _ = rx.await;
            })
            .await;
    });
    TestApp {
        settings,
        base,
        client: http(),
        dir,
        shutdown: Some(tx),
        task: Some(task),
    }
}

/// How long [`TestApp::eventually`] waits.
pub const EVENTUALLY: Duration = Duration::from_secs(30);

impl TestApp {
    pub async fn wait_ready(&self) {
        for _ in 0..200 {
            if let Ok(r) = self
                .client
                .get(format!("{}/readyz", self.base))
                .send()
                .await
            {
                if r.status() == 200 {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("engine never became ready");
    }

    /// Stops the engine gracefully and starts a new one on the same store.
    pub async fn restart(self) -> TestApp {
        let t = self.restart_unready().await;
        t.wait_ready().await;
        t
    }

    /// Like [`TestApp::restart`], but answers as soon as the new engine listens, while it
    /// may still be recovering.
    pub async fn restart_unready(mut self) -> TestApp {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("tempdir"));
        // sled needs the previous instance gone before reopening.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let keep = self.settings.clone();
        start_unready(dir, move |s| {
            let data_dir = s.store.data_dir.clone();
            *s = keep.clone();
            s.store.data_dir = data_dir;
        })
        .await
    }

    pub async fn create_tenant(&self, shop: &str) -> String {
        let r = self
            .client
            .post(format!("{}/api/v1/tenants", self.base))
            .bearer_auth(OPERATOR)
            .json(&serde_json::json!({"shop": shop, "shopify_access_token": "shpat_test_token"}))
            .send()
            .await
            .expect("request");
        assert_eq!(
            r.status(),
            201,
            "create tenant: {}",
            r.text().await.unwrap_or_default()
        );
        let v: Value = r.json().await.expect("json");
        v["api_key"].as_str().expect("api_key").to_string()
    }

    /// Posts a Meta webhook signed with the app secret.
    pub async fn meta_webhook(&self, body: &[u8]) -> reqwest::Response {
        let sig = galantis::integrations::meta::webhook::sign(META_SECRET.as_bytes(), body);
        self.client
            .post(format!("{}/webhooks/meta", self.base))
            .header("Content-Type", "application/json")
            .header("X-Hub-Signature-256", sig)
            .body(body.to_vec())
            .send()
            .await
            .expect("request")
    }

    /// Creates a tenant with WhatsApp numbers, a WABA and a Meta token.
    pub async fn create_whatsapp_tenant(
        &self,
        shop: &str,
        waba: &str,
        numbers: &[&str],
        token: &str,
    ) -> String {
        let r = self
            .client
            .post(format!("{}/api/v1/tenants", self.base))
            .bearer_auth(OPERATOR)
            .json(&serde_json::json!({"shop": shop, "shopify_access_token": "shpat_test_token",
                "meta_access_token": token, "meta_waba_id": waba, "meta_phone_number_ids": numbers}))
            .send()
            .await
            .expect("request");
        assert_eq!(
            r.status(),
            201,
            "create tenant: {}",
            r.text().await.unwrap_or_default()
        );
        let v: Value = r.json().await.expect("json");
        v["api_key"].as_str().expect("api_key").to_string()
    }

    /// Posts a webhook signed with the current secret.
    pub async fn webhook(
        &self,
        shop: &str,
        topic: &str,
        id: &str,
        body: &[u8],
    ) -> reqwest::Response {
        self.webhook_signed(shop, topic, id, body, &sign(SECRET.as_bytes(), body), None)
            .await
    }

    pub async fn webhook_signed(
        &self,
        shop: &str,
        topic: &str,
        id: &str,
        body: &[u8],
        signature: &str,
        triggered_at: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(format!("{}/webhooks/shopify", self.base))
            .header("Content-Type", "application/json")
            .header("X-Shopify-Topic", topic)
            .header("X-Shopify-Shop-Domain", shop)
            .header("X-Shopify-Webhook-Id", id)
            .header("X-Shopify-API-Version", "2026-04")
            .header("X-Shopify-Hmac-Sha256", signature)
            .body(body.to_vec());
        if let Some(t) = triggered_at {
            req = req.header("X-Shopify-Triggered-At", t);
        }
        req.send().await.expect("request")
    }

    /// Posts a webhook and asserts a 200.
    pub async fn webhook_ok(&self, shop: &str, topic: &str, id: &str, body: &[u8]) -> Value {
        let r = self.webhook(shop, topic, id, body).await;
        let status = r.status();
        let text = r.text().await.unwrap_or_default();
        assert_eq!(status, 200, "{topic} {id}: {text}");
        serde_json::from_str(&text).expect("json ack")
    }

    /// Posts a webhook and asserts it was accepted as new: only then does it reach the
    /// engine's rules (a duplicate is dropped at the door). A read through the tenant's
    /// actors that follows is answered after the webhook is applied: the delivery was cast
    /// to the same actor before the 200. Use it before asserting that a rule left state
    /// unchanged.
    pub async fn webhook_accepted(&self, shop: &str, topic: &str, id: &str, body: &[u8]) {
        let ack = self.webhook_ok(shop, topic, id, body).await;
        assert_eq!(ack["status"], "accepted", "{topic} {id}: {ack}");
    }

    pub async fn get(&self, path: &str, key: &str) -> (u16, Value) {
        let r = self
            .client
            .get(format!("{}{}", self.base, path))
            .bearer_auth(key)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        key: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path))
            .bearer_auth(key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.expect("request");
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// All events of the tenant (follows pagination).
    pub async fn events(&self, key: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut after: Option<u64> = None;
        loop {
            let path = match after {
                Some(a) => format!("/api/v1/events?limit=500&after={a}"),
                None => "/api/v1/events?limit=500".to_string(),
            };
            let (s, v) = self.get(&path, key).await;
            assert_eq!(s, 200, "{v}");
            out.extend(v["items"].as_array().cloned().unwrap_or_default());
            match v["next_after"].as_str() {
                Some(a) => after = Some(a.parse().expect("a numeric cursor")),
                None => return out,
            }
        }
    }

    /// Replays dead letter `id` (202), waits until it is back under its new id (the payload
    /// is still broken) and returns the letters listed then.
    pub async fn replay_still_broken(&self, key: &str, id: u64) -> Vec<Value> {
        let (s, v) = self
            .send(
                reqwest::Method::POST,
                &format!("/api/v1/deadletters/{id}/replay"),
                key,
                None,
            )
            .await;
        assert_eq!(s, 202, "{v}");
        let new_id = v["requeued_as"].as_u64().expect("new id");
        self.eventually("the replayed letter", || async {
            let (_, v) = self.get("/api/v1/deadletters", key).await;
            v["items"]
                .as_array()
                .filter(|a| a.iter().any(|l| l["id"] == new_id))
                .cloned()
        })
        .await
    }

    /// Polls `f` until it returns `Some`, for effects applied after the 200 (events).
    /// Gives up after [`EVENTUALLY`]: generous, because CI runs every test at once on two
    /// cores; only a failing test ever waits that long.
    pub async fn eventually<T, F, Fut>(&self, what: &str, mut f: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let deadline = std::time::Instant::now() + EVENTUALLY;
        loop {
            if let Some(v) = f().await {
                return v;
            }
            if std::time::Instant::now() >= deadline {
                panic!("timed out after {EVENTUALLY:?} waiting for {what}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Events of one type.
pub fn of_type<'a>(events: &'a [Value], t: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == t).collect()
}

/// Reading ids the API serves as strings.
pub trait IdExt {
    /// The id, when this is a string of digits.
    fn id(&self) -> Option<u64>;
}

impl IdExt for Value {
    fn id(&self) -> Option<u64> {
        self.as_str().and_then(|s| s.parse().ok())
    }
}
