//! Shopify's Admin GraphQL API: the documents the engine sends ([`documents`]), the
//! client with its per-shop cost bucket and retries ([`client`]), what a failure means
//! ([`error`]), and typed variables and answers per operation ([`ops`]).

pub mod billing;
pub mod bucket;
pub mod client;
pub mod documents;
pub mod error;
pub mod oauth;
pub mod ops;
#[cfg(test)]
mod tests;

pub use client::{AdminClient, AdminSettings};
pub use error::{AdminError, UserError};
