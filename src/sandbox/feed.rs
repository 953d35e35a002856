//! Feeding generated deliveries through the engine's real `POST /webhooks/shopify`: each
//! body is serialised once, signed with the app's client secret
//! (`X-Shopify-Hmac-Sha256`, exactly as Shopify signs it) and sent with the headers
//! Shopify sends, a phase at a time with a bounded number of requests in flight. Prints
//! progress lines; non-2xx answers are counted and kept for the summary.

use super::generate::{Delivery, Phase};
use crate::integrations::shopify::webhook::sign;
use anyhow::Context;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;

/// Requests in flight at once.
pub const CONCURRENCY: usize = 16;
/// Attempts per delivery when the engine answers 503 or the connection fails.
const ATTEMPTS: u32 = 5;
/// Failures kept with their message (the rest are only counted).
const KEPT_FAILURES: usize = 20;

/// Sends deliveries to one engine for one shop.
#[derive(Clone)]
pub struct Feeder {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    url: String,
    shop: String,
    secret: Vec<u8>,
    api_version: String,
}

/// What a feed did.
#[derive(Clone, Debug, Default)]
pub struct FeedReport {
    /// Deliveries sent.
    pub sent: usize,
    /// Answered `accepted`.
    pub accepted: usize,
    /// Answered `duplicate` (already fed by an earlier run).
    pub duplicate: usize,
    /// Answered 200 with another status (`not_handled`).
    pub other: usize,
    /// Non-2xx answers or transport errors.
    pub failed: usize,
    /// The first failures, as messages.
    pub failures: Vec<String>,
}

enum Outcome {
    /// 2xx, with the `status` of the answer.
    Ok(String),
    /// Anything else.
    Failed(String),
}

impl Feeder {
    /// A feeder for the engine at `base_url` (`http://127.0.0.1:8080`).
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(base_url: &str, shop: &str, client_secret: &str) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(CONCURRENCY)
            .build()
            .context("building the HTTP client")?;
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                url: format!("{}/webhooks/shopify", base_url.trim_end_matches('/')),
                shop: shop.to_string(),
                secret: client_secret.as_bytes().to_vec(),
                api_version: "2026-04".into(),
            }),
        })
    }

    /// Sends every phase in order, [`CONCURRENCY`] requests at a time within a phase.
    pub async fn feed(&self, phases: Vec<Phase>) -> FeedReport {
        let total: usize = phases.iter().map(|p| p.deliveries.len()).sum();
        let step = (total / 10).clamp(50, 1_000);
        let mut report = FeedReport::default();
        for phase in phases {
            let name = phase.name;
            let count = phase.deliveries.len();
            let mut queue = phase.deliveries.into_iter();
            let mut in_flight = JoinSet::new();
            loop {
                while in_flight.len() < CONCURRENCY {
                    let Some(d) = queue.next() else { break };
                    in_flight.spawn(self.clone().send(d));
                }
                let Some(joined) = in_flight.join_next().await else {
                    break;
                };
                let outcome =
                    joined.unwrap_or_else(|e| Outcome::Failed(format!("sending task failed: {e}")));
                report.record(outcome);
                if report.sent % step == 0 {
                    println!("fed {}/{total} webhooks", report.sent);
                }
            }
            println!(
                "fed {}/{total} webhooks ({name}: {count}, {} failed so far)",
                report.sent, report.failed
            );
        }
        report
    }

    async fn send(self, d: Delivery) -> Outcome {
        let body = match serde_json::to_vec(&d.body) {
            Ok(b) => b,
            Err(e) => return Outcome::Failed(format!("{} {}: {e}", d.topic, d.webhook_id)),
        };
        let signature = sign(&self.inner.secret, &body);
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
            }
            let sent = self
                .inner
                .client
                .post(&self.inner.url)
                .header("Content-Type", "application/json")
                .header("X-Shopify-Topic", d.topic)
                .header("X-Shopify-Shop-Domain", &self.inner.shop)
                .header("X-Shopify-Webhook-Id", &d.webhook_id)
                .header("X-Shopify-Event-Id", &d.webhook_id)
                .header("X-Shopify-API-Version", &self.inner.api_version)
                .header("X-Shopify-Triggered-At", &d.triggered_at)
                .header("X-Shopify-Hmac-Sha256", &signature)
                .body(body.clone())
                .send()
                .await;
            let resp = match sent {
                Ok(r) => r,
                Err(e) => {
                    last = format!("{} {}: {e}", d.topic, d.webhook_id);
                    continue;
                }
            };
            let status = resp.status();
            let text = resp.text().await.unwrap_or_default();
            if status.is_success() {
                let ack = serde_json::from_str::<serde_json::Value>(&text)
                    .ok()
                    .and_then(|v| v["status"].as_str().map(str::to_string))
                    .unwrap_or_default();
                return Outcome::Ok(ack);
            }
            last = format!("{} {}: HTTP {status}: {text}", d.topic, d.webhook_id);
            if status != reqwest::StatusCode::SERVICE_UNAVAILABLE {
                break;
            }
        }
        Outcome::Failed(last)
    }
}

impl FeedReport {
    fn record(&mut self, outcome: Outcome) {
        self.sent += 1;
        match outcome {
            Outcome::Ok(s) if s == "accepted" => self.accepted += 1,
            Outcome::Ok(s) if s == "duplicate" => self.duplicate += 1,
            Outcome::Ok(_) => self.other += 1,
            Outcome::Failed(msg) => {
                self.failed += 1;
                if self.failures.len() < KEPT_FAILURES {
                    eprintln!("webhook failed: {msg}");
                    self.failures.push(msg);
                }
            }
        }
    }
}
