//! Galantis engine: connects Shopify stores to WhatsApp. Many tenants (shops) in one
//! process, each a tree of actors holding its state in memory over an embedded sled store.
//!
//! - [`config`]: settings from TOML and environment, validated once.
//! - [`domain`]: plain values and parse-don't-validate newtypes.
//! - [`logic`]: pure state machines (apply a webhook → records + events).
//! - [`actors`]: root supervisor → tenant supervisors → customer, catalog, conversation and
//!   automation actors; the [`actors::Engine`] handle and its typed requests.
//! - [`services`]: operations shared by HTTP, the CLI and timers (tenants, templates,
//!   health checks, sending); handlers parse → call a service → format.
//! - [`store`]: the only code that knows sled (journal, records, group commit).
//! - [`http`]: the axum router: webhooks, admin API, ops endpoints (parse → service → format).
//! - [`integrations`]: Shopify (and later Meta) protocol code.
//! - [`secrets`]: master key, sealing tokens at rest, tenant API keys.
//! - [`app`]: `Application::build` → a running engine (port 0 allowed, for tests).
//! - [`sandbox`]: a local demo store fed through the real webhook endpoint.
//! - [`cli`]: the command line.
//! - [`telemetry`]: logs and metrics setup.

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
