//! Galantis engine: connects Shopify stores to WhatsApp. Many tenants (shops) in one
//! process, each a tree of actors holding its state in memory over an embedded sled store.
//!
//! The layers, each importing only from those before it: `domain` → `logic` → `store` /
//! `integrations` → `actors` → `services` → `http` → `app` → `sandbox` → `cli`.
//!
//! - [`config`]: settings from TOML and environment, validated once.
//! - [`domain`]: plain values and parse-don't-validate newtypes.
//! - [`logic`]: pure rules: apply a webhook to state (customers, catalog), the inbox, the
//!   WhatsApp outbox's retry table, integration health, Meta events as record changes,
//!   the journal `Source` and its routing rule.
//! - [`actors`]: root supervisor → tenant supervisors → customer, catalog, conversation,
//!   automation and back-in-stock actors; the [`actors::Engine`] handle and its typed
//!   requests.
//! - [`services`]: operations shared by HTTP, the CLI and timers (tenants, templates,
//!   health checks, sending); handlers parse → call a service → format.
//! - [`store`]: the only code that knows sled (write-ahead journal, records, staging,
//!   group commit, dead letters).
//! - [`http`]: the axum router and server (timeouts, body limits, connection cap):
//!   webhooks, admin API, the public storefront endpoints (back-in-stock widget), ops
//!   endpoints (parse → service → format).
//! - [`integrations`]: the Shopify webhook check and the Meta Graph API client, webhook
//!   parser and error classification.
//! - [`secrets`]: master key, sealing tokens at rest, tenant API keys.
//! - [`app`]: `Application::build` → a running engine (port 0 allowed, for tests).
//! - [`sandbox`]: a local demo store fed through the real webhook endpoint, the Meta
//!   emulator, and the Shopify payload builders tests and benches share.
//! - [`cli`]: the command line.
//! - [`telemetry`]: logs and metrics setup, error cause chains.

pub mod actors;
pub mod app;
pub mod cli;
pub mod config;
pub mod domain;
pub mod http;
pub mod integrations;
pub mod logic;
pub mod sandbox;
pub mod secrets;
pub mod services;
pub mod store;
pub mod telemetry;

/// Tenant administration, at its old path (`services::tenants`).
pub use services::tenants;
