//! API tests: the engine started on port 0 with its own temp store, driven over HTTP.

mod access;
mod cli;
mod compliance;
mod contacts;
mod crash;
mod errors;
mod fixtures;
mod helpers;
mod inbox;
mod limits;
mod outbox_crash;
mod tenants;
mod webhooks;
mod whatsapp_send;
mod whatsapp_webhooks;
