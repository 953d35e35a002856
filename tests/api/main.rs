//! API tests: the engine started on port 0 with its own temp store, driven over HTTP.

mod access;
mod automations;
mod automations_crash;
mod back_in_stock;
mod back_in_stock_guards;
mod cli;
mod compliance;
mod contacts;
mod crash;
mod errors;
mod fixtures;
mod helpers;
mod inbox;
mod limits;
mod meta_edges;
mod outbox_crash;
mod product_templates;
mod segments;
mod shopify_admin;
mod shopify_import;
mod shopify_install;
mod slow_clients;
mod tenants;
mod webhooks;
mod whatsapp_send;
mod whatsapp_webhooks;
