//! Operations used by more than one front end (HTTP, the CLI, timers, next the automation
//! engine): tenant administration, templates, integration health checks, sending. HTTP
//! handlers parse → call a service → format. Services reach the actors only through the
//! typed [`Engine`] methods and must not import `http`.
//!
//! Files: `tenants` (create, list), `credentials` (a tenant's Meta token and WABA id),
//! `health` (the Meta check, recording failed calls), `templates` (create and submit,
//! delete, reconcile), `sending` (queue a message, recipients, read receipts),
//! `meta_routes` (which tenant a Meta webhook belongs to; one owner per number and WABA),
//! `shopify_webhooks` (the shop's webhook subscriptions reconciled with what we handle).

pub mod analytics;
pub mod back_in_stock;
pub mod billing;
pub mod campaign_views;
pub mod campaigns;
pub mod catalog;
pub mod catalog_health;
pub mod catalog_push;
pub mod catalog_queue;
pub mod catalog_send;
pub mod credentials;
pub mod health;
pub mod meta_routes;
pub mod sending;
pub mod shopify_auth;
pub mod shopify_checkouts;
pub mod shopify_import;
pub mod shopify_ingest;
pub mod shopify_reconcile;
pub mod shopify_webhooks;
pub mod templates;
pub mod tenants;
pub mod whatsapp_account;

use crate::actors::Engine;
use crate::integrations::meta::client::MetaClient;
use crate::secrets::MasterKey;
use std::sync::Arc;

/// What the services need: the engine, the Graph API client, the master key and the Meta
/// app credentials. Cheap to clone.
#[derive(Clone)]
pub struct Context {
    /// The actor tree and the store.
    pub engine: Engine,
    /// The Graph API client (templates, health checks, read receipts).
    pub meta: MetaClient,
    /// Opens the tenants' sealed tokens.
    pub master_key: MasterKey,
    /// Meta app id: with the app secret it makes the app token of `debug_token`.
    pub meta_app_id: Option<Arc<String>>,
    /// Meta app secret.
    pub meta_app_secret: Arc<String>,
    /// The Shopify Admin GraphQL client.
    pub shopify: crate::integrations::shopify::admin::AdminClient,
    /// Our `POST /webhooks/shopify` as Shopify should call it (registration is off
    /// without it).
    pub shopify_webhook_url: Option<Arc<String>>,
    /// The Shopify app's credentials and token policy.
    pub shopify_app: Arc<shopify_auth::ShopifyApp>,
    /// One token refresh per shop at a time.
    pub shopify_refresh: Arc<dashmap::DashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// How often an import polls its bulk operation.
    pub import_poll: std::time::Duration,
    /// Rung when a `bulk_operations/finish` webhook is accepted: a waiting import asks
    /// Shopify at once instead of at its next poll.
    pub import_wake: Arc<tokio::sync::Notify>,
    /// Plans and usage metering.
    pub billing: Arc<crate::config::BillingSettings>,
    /// The Meta catalog push's pace.
    pub catalog: Arc<crate::config::CatalogSettings>,
    /// Campaign dispatch and what counts as a large send.
    pub campaigns: Arc<crate::config::CampaignSettings>,
    /// The global marketing cap (campaigns count against it too).
    pub automations: Arc<crate::config::AutomationSettings>,
}
