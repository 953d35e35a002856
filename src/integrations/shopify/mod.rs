//! Shopify: webhook authentication (HMAC) and header parsing; the Admin GraphQL client.
//! Docs: <https://shopify.dev/docs/apps/build/webhooks/verify-deliveries>.

pub mod admin;
pub mod webhook;
