//! The engine's control plane as the bench reads it: `/metrics` counters, waiting for
//! the backlog to drain, counting contacts through the API.

use super::*;

/// The engine's Prometheus counters we use.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Counters {
    pub(super) accepted: f64,
    pub(super) applied: f64,
    pub(super) ignored: f64,
    pub(super) dead: f64,
    pub(super) flushes: f64,
    pub(super) ack_sum: f64,
    pub(super) ack_count: f64,
}

impl Counters {
    pub(super) fn processed(&self) -> f64 {
        self.applied + self.ignored + self.dead
    }
}

pub(super) async fn counters(http: &reqwest::Client, base: &str) -> Counters {
    let text = load::metrics_text(http, base).await;
    Counters {
        accepted: metric(
            &text,
            "galantis_shopify_webhooks_total",
            "outcome=\"accepted\"",
        ),
        applied: metric(&text, "galantis_webhooks_applied_total", ""),
        ignored: metric(&text, "galantis_webhooks_ignored_total", ""),
        dead: metric(&text, "galantis_webhooks_dead_lettered_total", ""),
        flushes: metric(&text, "galantis_wal_syncs_total", ""),
        ack_sum: metric(&text, "galantis_shopify_webhook_ack_seconds_sum", ""),
        ack_count: metric(&text, "galantis_shopify_webhook_ack_seconds_count", ""),
    }
}

/// Waits until every accepted webhook has been applied (or ignored / dead-lettered);
/// returns the wait and the final counters.
pub(super) async fn drain(http: &reqwest::Client, base: &str) -> (Duration, Counters) {
    let t = Instant::now();
    loop {
        let c = counters(http, base).await;
        if c.processed() >= c.accepted || t.elapsed() > Duration::from_secs(120) {
            return (t.elapsed(), c);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Counts the tenant's contacts through the API (pages of 500); returns the count and
/// the first contact.
pub(super) async fn count_contacts(http: &reqwest::Client, base: &str, key: &str) -> (u64, Value) {
    let mut n = 0u64;
    let mut first = Value::Null;
    let mut after: Option<u64> = None;
    loop {
        let url = match after {
            Some(a) => format!("{base}/api/v1/contacts?limit=500&after={a}"),
            None => format!("{base}/api/v1/contacts?limit=500"),
        };
        let r = http
            .get(url)
            .bearer_auth(key)
            .send()
            .await
            .expect("contacts");
        assert_eq!(r.status(), 200, "GET /api/v1/contacts");
        let v: Value = r.json().await.expect("json");
        let items = v["items"].as_array().cloned().unwrap_or_default();
        if first.is_null() {
            first = items.first().cloned().unwrap_or(Value::Null);
        }
        n += items.len() as u64;
        // The API serves cursors as strings (ids above 2^53 survive JavaScript).
        let next = v["next_after"]
            .as_u64()
            .or_else(|| v["next_after"].as_str().and_then(|s| s.parse().ok()));
        match next {
            Some(a) => after = Some(a),
            None => return (n, first),
        }
    }
}
