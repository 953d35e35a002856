//! The Shopify Admin side's rules: which webhook subscriptions a shop should have and
//! what to change to get there ([`subscriptions`]), and the Shopify integration health
//! after a call ([`health`]). Pure.

pub mod health;
pub mod import;
pub mod oauth;
pub mod subscriptions;
