//! API tests: the engine started on port 0 with its own temp store, driven over HTTP.

mod cli;
mod compliance;
mod contacts;
mod crash;
mod fixtures;
mod helpers;
mod inbox;
mod meta_edges;
mod outbox_crash;
mod slow_clients;
mod tenants;
mod webhooks;
mod whatsapp_send;
mod whatsapp_webhooks;
