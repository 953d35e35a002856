//! The durable floors: the acknowledgement path alone, served by this bench binary
//! re-executed, to bound what the engine can reach.

use super::*;

/// The two floors: what the acknowledgement path costs with nothing applied.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Floor {
    /// HMAC + write-ahead log append + group `fdatasync`: no sled, no dedupe.
    Log,
    /// [`Floor::Log`] + the dedupe check and marker (`Store::accept_webhook`, the marker
    /// committed after the sync): the engine's ack path without tenant lookup or actors.
    Store,
}

impl Floor {
    pub(super) fn name(self) -> &'static str {
        match self {
            Floor::Log => "log floor",
            Floor::Store => "store floor",
        }
    }
}

/// This bench binary re-executed with `ROLE=floor`: see [`floor_server`].
pub(super) fn start_floor(kind: Floor) -> Server {
    let dir = tempfile::Builder::new()
        .prefix("galantis-bench-floor")
        .tempdir()
        .expect("tempdir");
    let mut cmd = std::process::Command::new(std::env::current_exe().expect("current exe"));
    cmd.env(load::ROLE, "floor")
        .env("GALANTIS_BENCH_FLOOR_DIR", dir.path())
        .env(
            "GALANTIS_BENCH_FLOOR_KIND",
            if kind == Floor::Log { "log" } else { "store" },
        );
    load::start(kind.name(), cmd, Some(dir))
}

/// The durable floors (run in the child), for attribution: the engine's acknowledgement
/// path and nothing else, on an axum router on a default multi-thread runtime (the
/// engine's shape). Both check the HMAC with the engine's `verify`. `log`
/// (`GALANTIS_BENCH_FLOOR_KIND=log`): `Wal::append` of the body, `Wal::durable()` (group
/// `fdatasync`), 200. `store`: `Store::accept_webhook` (dedupe + write-ahead log append),
/// `Store::ack_durable()`, then the webhook's dedupe marker committed (the one sled key a
/// webhook cannot do without), 200. No tenant lookup, no actors, no parsing, no apply:
/// whatever the engine does on top costs rate, so a floor's ratio to bare bounds what the
/// engine can reach on this machine with the persistence contract (DESIGN §4.1) kept.
pub(super) fn floor_server() {
    use axum::http::{HeaderMap, StatusCode};
    let dir = std::env::var("GALANTIS_BENCH_FLOOR_DIR").expect("GALANTIS_BENCH_FLOOR_DIR");
    let log_only = std::env::var("GALANTIS_BENCH_FLOOR_KIND").as_deref() == Ok("log");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async move {
        let path = std::path::Path::new(&dir);
        let (store, wal) = if log_only {
            let (wal, _) = galantis::store::wal::Wal::open(path).expect("log");
            (None, Some(wal))
        } else {
            let store = galantis::store::Store::open(path, 256 * 1024 * 1024).expect("store");
            (Some(store), None)
        };
        let ack = move |headers: HeaderMap, body: axum::body::Bytes| {
            let (store, wal) = (store.clone(), wal.clone());
            async move {
                let h = |n: &str| {
                    headers
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string()
                };
                let secret = load::SHOPIFY_SECRET.as_bytes();
                if !galantis::integrations::shopify::webhook::verify(
                    &[secret],
                    &body,
                    &h("x-shopify-hmac-sha256"),
                ) {
                    return (
                        StatusCode::UNAUTHORIZED,
                        axum::Json(json!({"error": "hmac"})),
                    );
                }
                if let Some(wal) = wal {
                    return if wal.append(&body).is_ok() && wal.durable().await.is_ok() {
                        (StatusCode::OK, axum::Json(json!({"status": "accepted"})))
                    } else {
                        (
                            StatusCode::SERVICE_UNAVAILABLE,
                            axum::Json(json!({"error": "log"})),
                        )
                    };
                }
                let Some(store) = store else {
                    return (
                        StatusCode::SERVICE_UNAVAILABLE,
                        axum::Json(json!({"error": "store"})),
                    );
                };
                let entry = galantis::store::JournalEntry {
                    shop: h("x-shopify-shop-domain"),
                    source: galantis::logic::Source::parse(&h("x-shopify-topic")),
                    webhook_id: h("x-shopify-webhook-id"),
                    api_version: h("x-shopify-api-version"),
                    triggered_at: None,
                    received_at: Timestamp::now(),
                    body,
                };
                // The engine's actor writes the dedupe marker in its apply batch; here it
                // is written right after the sync, so entries leave the pending index (and
                // their bodies are freed) as they do in the engine.
                let stored = match store.accept_webhook(entry) {
                    Ok(galantis::store::Accepted::New { seq, entry }) => {
                        let mut batch = galantis::store::Batch::new();
                        store.ack_durable().await.is_ok()
                            && batch.applied(seq, &entry).is_ok()
                            && store.commit(batch).is_ok()
                    }
                    Ok(galantis::store::Accepted::Duplicate) => true,
                    Err(_) => false,
                };
                if stored {
                    (StatusCode::OK, axum::Json(json!({"status": "accepted"})))
                } else {
                    (
                        StatusCode::SERVICE_UNAVAILABLE,
                        axum::Json(json!({"error": "store"})),
                    )
                }
            }
        };
        load::serve_loopback(
            axum::Router::new().route("/webhooks/shopify", axum::routing::post(ack)),
        )
        .await;
    });
}
