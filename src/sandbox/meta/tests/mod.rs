//! Tests of the Meta emulator through the engine's own client (`MetaClient`), error
//! classification (`error::classify`) and webhook code (`webhook::verify_signature`,
//! `webhook::parse`), against a fake engine that collects webhooks.

mod catalogs;
mod engine;
mod faults;
mod graph;
mod layers;
mod messaging;
mod templates;

use super::{EmulatorConfig, MetaEmulator};
use crate::domain::phone::PhoneE164;
use crate::integrations::meta::client::{MetaClient, MetaClientSettings};
use crate::integrations::meta::messages::OutboundMessage;
use crate::integrations::meta::webhook::{self, MessageStatus, MetaEvent, SIGNATURE_HEADER};
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use serde_json::Value;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub(super) const TOKEN: &str = "EAAGsandboxTOKEN123";
pub(super) const WABA: &str = "102290129340398";
pub(super) const PNID: &str = "106540352242922";
pub(super) const SECRET: &str = "test-app-secret";
pub(super) const CUSTOMER: &str = "+16505551234";
pub(super) const CUSTOMER_DIGITS: &str = "16505551234";

/// One webhook the fake engine received.
#[derive(Clone, Debug)]
pub(super) struct Hook {
    pub signature: Option<String>,
    pub body: Bytes,
}

/// A fake engine: `POST /webhooks/meta` records every delivery and answers 200, or 500
/// for the first `fail_first` deliveries.
pub(super) struct FakeEngine {
    pub url: String,
    hooks: Arc<Mutex<Vec<Hook>>>,
    fail_first: Arc<AtomicU32>,
}

impl FakeEngine {
    pub async fn start() -> Self {
        let hooks = Arc::new(Mutex::new(Vec::new()));
        let fail_first = Arc::new(AtomicU32::new(0));
        let (h, f) = (hooks.clone(), fail_first.clone());
        let app = Router::new().route(
            "/webhooks/meta",
            post(move |headers: HeaderMap, body: Bytes| {
                let (h, f) = (h.clone(), f.clone());
                async move {
                    let signature = headers
                        .get(SIGNATURE_HEADER)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    h.lock().unwrap().push(Hook { signature, body });
                    let failing = f
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok();
                    if failing {
                        StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        StatusCode::OK
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            url: format!("http://{addr}/webhooks/meta"),
            hooks,
            fail_first,
        }
    }

    pub fn fail_first(&self, n: u32) {
        self.fail_first.store(n, Ordering::SeqCst);
    }

    pub fn hooks(&self) -> Vec<Hook> {
        self.hooks.lock().unwrap().clone()
    }

    /// Every delivery, each checked for a valid signature and parsed by the engine.
    pub fn events(&self) -> Vec<MetaEvent> {
        let mut out = Vec::new();
        for h in self.hooks() {
            let sig = h.signature.as_deref().expect("signature header");
            assert!(
                webhook::verify_signature(SECRET.as_bytes(), &h.body, sig),
                "bad signature on {}",
                String::from_utf8_lossy(&h.body)
            );
            let events = webhook::parse(&h.body)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&h.body)));
            out.extend(events);
        }
        out
    }

    /// The statuses received for `wamid`, in arrival order.
    pub fn statuses(&self, wamid: &str) -> Vec<MessageStatus> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                MetaEvent::Status(s) if s.wamid == wamid => Some(s.status),
                _ => None,
            })
            .collect()
    }

    /// Waits until `pred` holds for the events (at most 5 s).
    pub async fn wait_for(
        &self,
        what: &str,
        pred: impl Fn(&[MetaEvent]) -> bool,
    ) -> Vec<MetaEvent> {
        for _ in 0..250 {
            let events = self.events();
            if pred(&events) {
                return events;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("timed out waiting for {what}; got {:?}", self.events());
    }
}

/// Test config: fast statuses, the test secret, one account.
pub(super) fn config(engine: &FakeEngine) -> EmulatorConfig {
    let mut cfg = EmulatorConfig {
        app_secret: SECRET.into(),
        webhook_url: Some(engine.url.clone()),
        webhook_retry_base: Duration::from_millis(20),
        ..EmulatorConfig::default()
    };
    cfg.status_delays.sent = Duration::from_millis(10);
    cfg.status_delays.delivered = Duration::from_millis(30);
    cfg.status_delays.read = Duration::from_millis(50);
    cfg
}

/// An emulator with the test account, a fake engine, and the engine's client.
pub(super) async fn setup_with(
    edit: impl FnOnce(&mut EmulatorConfig),
) -> (MetaEmulator, FakeEngine, MetaClient) {
    let engine = FakeEngine::start().await;
    let mut cfg = config(&engine);
    edit(&mut cfg);
    let emu = MetaEmulator::start(cfg).await.unwrap();
    emu.register_account(TOKEN, WABA, &[PNID]);
    let client = client(&emu, 3_000);
    (emu, engine, client)
}

pub(super) async fn setup() -> (MetaEmulator, FakeEngine, MetaClient) {
    setup_with(|_| {}).await
}

pub(super) fn client(emu: &MetaEmulator, timeout_ms: u64) -> MetaClient {
    MetaClient::new(&MetaClientSettings {
        base_url: emu.base_url().to_owned(),
        graph_version: emu.graph_version().to_owned(),
        timeout_ms,
    })
    .unwrap()
}

pub(super) fn phone(s: &str) -> PhoneE164 {
    PhoneE164::parse(s).unwrap()
}

/// A text message body built by the engine's builder.
pub(super) fn text_to(to: &str, body: &str) -> Value {
    OutboundMessage::text(phone(to), body, false)
        .unwrap()
        .body()
}
