//! A stateful emulator of the Meta WhatsApp Cloud API (Graph API) for `galantis sandbox`
//! and tests: an axum server that answers the paths the engine's `MetaClient` calls
//! (messages, media, message templates, `debug_token`, `health_status`) the way Meta does
//! (same shapes, same error codes and HTTP statuses, same throttling signals per
//! `reference/meta-api.md` §1–§3, §5–§7, §10) and sends signed webhooks (statuses,
//! inbound messages, template status changes) to the engine's `POST /webhooks/meta`.
//!
//! It is never more lenient than Meta: tokens must be registered for the number or WABA
//! they touch, free-form messages need an open 24 h window (131047), templates must be
//! approved in that language (132001) with the right number of parameters (132000),
//! per-number throughput (130429) and the per-recipient pair rate (131056, a token bucket
//! that allows Meta's bursts) are enforced. Faults can be injected ([`Fault`]).
//!
//! Layout, in layers: a module imports (`use super::…`) only from lower layers, so the
//! imports form no circle. `config`, `faults`, `model` and `catalog_rules` are leaves
//! (settings, Graph errors, the shared records, the catalog's data and item checks); `template_rules`, `template_send` and `validate` are pure rules over them;
//! `template_store` and `state` hold the data; `guard` (token and version checks) and
//! `webhooks` (signed delivery) serve the handlers; `review` applies template review
//! decisions; `media`, `send`, `templates`, `catalogs` and `control` are the handlers; `server` routes
//! them; `mod` (this file) is the facade. `tests/layers.rs` checks this list against the
//! code.
//!
//! ```text
//! 0  catalog_rules   -> -
//! 0  config          -> -
//! 0  faults          -> -
//! 0  model           -> -
//! 1  template_rules  -> faults
//! 1  validate        -> faults, model
//! 2  template_send   -> faults, model, template_rules
//! 3  template_store  -> faults, model, template_send
//! 4  state           -> catalog_rules, config, faults, model, template_store
//! 5  guard           -> faults, state
//! 5  webhooks        -> faults, model, state
//! 6  catalogs        -> catalog_rules, faults, guard, model, state
//! 6  media           -> faults, guard, model, state
//! 6  review          -> model, state, webhooks
//! 6  send            -> faults, guard, model, state, validate, webhooks
//! 7  control         -> faults, model, review, state, webhooks
//! 7  templates       -> faults, guard, model, review, state, template_rules
//! 8  server          -> catalogs, control, faults, guard, media, model, send, state, templates
//! 9  mod             -> config, faults, model, review, server, state, templates, webhooks
//! ```
//!
//! `server.rs` is the router and the only module that imports the handler modules
//! (`catalogs`, `control`, `media`, `send`, `templates`); this file (the facade) sits above all of
//! them and re-exports the public types. The emulator owns no engine internals.

mod catalog_rules;
mod catalogs;
mod config;
mod control;
mod faults;
mod guard;
mod media;
mod model;
mod review;
mod send;
mod server;
mod state;
mod template_rules;
mod template_send;
mod template_store;
mod templates;
mod validate;
mod webhooks;

#[cfg(test)]
mod tests;

pub use config::{AccountRegistration, EmulatorConfig, StatusDelays};
pub use faults::Fault;
pub use model::{EmulatedTemplate, Health, SentMessage, WebhookFailure};

use anyhow::Context;
use serde_json::Value;
use state::Shared;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running emulator. Dropping it stops the server.
pub struct MetaEmulator {
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    server: Mutex<Option<JoinHandle<()>>>,
}

impl MetaEmulator {
    /// Binds `config.addr` and serves in a spawned task.
    ///
    /// # Errors
    /// When the address cannot be bound or the webhook HTTP client cannot be built.
    pub async fn start(config: EmulatorConfig) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("binding the Meta emulator to {}", config.addr))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        let (stop, stopped) = watch::channel(false);
        let shared = Arc::new(Shared::new(config, addr, stopped.clone())?);
        let app = server::router(shared.clone());
        let mut signal = stopped;
        let server = tokio::spawn(async move {
            let shutdown = async move {
                let _ = signal.wait_for(|s| *s).await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::warn!(message = "Meta emulator server failed.", error = %e);
            }
        });
        tracing::info!(message = "Meta emulator listening.", base_url = %shared.base_url);
        Ok(Self {
            shared,
            stop,
            server: Mutex::new(Some(server)),
        })
    }

    /// `http://127.0.0.1:PORT`: the `base_url` of the engine's `MetaClientSettings`.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// Adds a catalog to the emulator's business (`owned`) or as a client catalog; its id.
    pub fn add_catalog(&self, name: &str, owned: bool) -> String {
        self.shared.lock().add_catalog(name, owned)
    }

    /// The items of a catalog by retailer id, as ingested (batches still in progress
    /// are not in it yet).
    pub fn catalog_items(&self, catalog_id: &str) -> BTreeMap<String, Value> {
        let mut st = self.shared.lock();
        let Some(c) = st.catalogs.get_mut(catalog_id) else {
            return BTreeMap::new();
        };
        c.settle(std::time::Instant::now());
        c.items.clone()
    }

    /// The catalog connected to `waba_id`.
    pub fn connected_catalog(&self, waba_id: &str) -> Option<String> {
        self.shared.lock().waba_catalog.get(waba_id).cloned()
    }

    /// The Graph version served.
    pub fn graph_version(&self) -> &str {
        &self.shared.cfg.graph_version
    }

    /// The app token `debug_token` accepts (`APP_ID|APP_SECRET`).
    pub fn app_token(&self) -> String {
        format!("{}|{}", self.shared.cfg.app_id, self.shared.cfg.app_secret)
    }

    /// Stops the server and the pending webhook tasks, and waits for the server to end.
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

    /// Sets (or replaces) the engine's webhook URL.
    pub fn set_webhook_url(&self, url: &str) {
        self.shared.lock().webhook_url = Some(url.to_owned());
    }

    /// Stops sending webhooks.
    pub fn clear_webhook_url(&self) {
        self.shared.lock().webhook_url = None;
    }

    /// Registers `token` for `waba_id` and its numbers (adds numbers when called again).
    pub fn register_account(&self, token: &str, waba_id: &str, phone_number_ids: &[&str]) {
        let ids: Vec<String> = phone_number_ids.iter().map(|s| (*s).to_owned()).collect();
        self.shared.lock().register(token, waba_id, &ids);
    }

    /// Sets the `display_phone_number` (digits) webhooks carry for a number.
    pub fn set_display_phone_number(&self, phone_number_id: &str, digits: &str) {
        if let Some(n) = self.shared.lock().numbers.get_mut(phone_number_id) {
            n.display = digits.to_owned();
        }
    }

    /// Invalidates a token for good: calls answer 190, `debug_token` says not valid.
    pub fn revoke_token(&self, token: &str) {
        self.shared.lock().revoked.insert(token.to_owned());
    }

    /// The next `times` message sends (read receipts excluded) answer with `fault`.
    pub fn fail_next(&self, fault: Fault, times: u32) {
        if times > 0 {
            self.shared.lock().faults.push_back((fault, times));
        }
    }

    /// Drops every queued fault.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Sets what `health_status` says about a node (number, WABA, template, business, app).
    pub fn set_health(&self, node_id: &str, health: Health) {
        self.shared.lock().health.insert(node_id.to_owned(), health);
    }

    /// Sets a number's `quality_rating` (`GREEN`, `YELLOW`, `RED`).
    pub fn set_quality_rating(&self, phone_number_id: &str, rating: &str) {
        self.shared
            .lock()
            .quality
            .insert(phone_number_id.to_owned(), rating.to_owned());
    }

    /// A customer texts a business number: records the message (opening the 24 h window)
    /// and delivers the signed inbound webhook (failures land in [`Self::webhook_failures`]).
    /// Returns the inbound `wamid`.
    ///
    /// # Errors
    /// Unknown `phone_number_id`, or `from` not a phone number.
    pub async fn customer_says(
        &self,
        phone_number_id: &str,
        from: &str,
        text: &str,
    ) -> anyhow::Result<String> {
        let content = serde_json::json!({ "type": "text", "text": { "body": text } });
        webhooks::customer_message(&self.shared, phone_number_id, from, None, content).await
    }

    /// Like [`Self::customer_says`] with any message content
    /// (`{"type": "location", "location": {…}}`, images, reactions …) and a profile name.
    ///
    /// # Errors
    /// Unknown number, bad `from`, or content without a `type` and its object.
    pub async fn customer_sends(
        &self,
        phone_number_id: &str,
        from: &str,
        name: Option<&str>,
        content: Value,
    ) -> anyhow::Result<String> {
        webhooks::customer_message(&self.shared, phone_number_id, from, name, content).await
    }

    /// Moves the customer's last message to `unix_secs` (e.g. 25 h ago, to close the window).
    pub fn set_last_inbound_at(&self, phone_number_id: &str, from: &str, unix_secs: i64) {
        let key = (phone_number_id.to_owned(), model::digits(from));
        self.shared.lock().last_inbound.insert(key, unix_secs);
    }

    /// Adds a template from a create body (`{name, language, category, components}`)
    /// with the given status, sending no webhook (seeding). Returns its id.
    ///
    /// # Errors
    /// The create validation's message, or an unknown status.
    pub fn add_template(
        &self,
        waba_id: &str,
        definition: &Value,
        status: &str,
    ) -> anyhow::Result<String> {
        templates::add(&self.shared, waba_id, definition, status)
    }

    /// Approves a template (every WABA holding it) and sends the status webhook.
    ///
    /// # Errors
    /// When no template has that name and language.
    pub async fn approve_template(&self, name: &str, language: &str) -> anyhow::Result<()> {
        review::transition(&self.shared, name, language, model::Change::Approve).await
    }

    /// Rejects a template (`reason`: `INVALID_FORMAT`, `PROMOTIONAL` …) with the webhook.
    ///
    /// # Errors
    /// When no template has that name and language.
    pub async fn reject_template(
        &self,
        name: &str,
        language: &str,
        reason: &str,
    ) -> anyhow::Result<()> {
        let change = model::Change::Reject(reason.to_owned());
        review::transition(&self.shared, name, language, change).await
    }

    /// Pauses a template for low quality (`FIRST_PAUSE`) with the webhook.
    ///
    /// # Errors
    /// When no template has that name and language.
    pub async fn pause_template(&self, name: &str, language: &str) -> anyhow::Result<()> {
        review::transition(&self.shared, name, language, model::Change::Pause).await
    }

    /// Every template the emulator holds.
    pub fn templates(&self) -> Vec<EmulatedTemplate> {
        self.shared.lock().templates.all()
    }

    /// Messages the engine sent and Meta accepted, in order.
    pub fn sent(&self) -> Vec<SentMessage> {
        self.shared.lock().sent.clone()
    }

    /// Inbound wamids the engine marked as read, in order.
    pub fn marked_read(&self) -> Vec<String> {
        self.shared.lock().marked_read.clone()
    }

    /// Calls per endpoint, named like the engine client's operations: `send_message`,
    /// `mark_read`, `upload_media`, `create_template`, `list_templates`, `delete_template`,
    /// `debug_token`, `health_status`, `get_node`, `download_media`.
    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.shared.lock().calls.clone()
    }

    /// Webhooks that could not be delivered after every attempt.
    pub fn webhook_failures(&self) -> Vec<WebhookFailure> {
        self.shared.lock().failures.clone()
    }

    /// Webhooks the engine acknowledged with a 2xx.
    pub fn webhooks_delivered(&self) -> u64 {
        self.shared.lock().delivered
    }
}

impl Drop for MetaEmulator {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
