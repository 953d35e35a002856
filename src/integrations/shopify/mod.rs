//! Shopify: webhook authentication (HMAC) and header parsing.
//! Docs: <https://shopify.dev/docs/apps/build/webhooks/verify-deliveries>.

pub mod webhook;
