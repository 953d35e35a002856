//! API tests: the engine started on port 0 with its own temp store, driven over HTTP.

mod compliance;
mod crash;
mod fixtures;
mod helpers;
mod tenants;
mod webhooks;
