//! Clients and protocol pieces of the outside services (Shopify, later Meta).

pub mod meta;
pub mod shopify;
