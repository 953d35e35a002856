//! Plain data and parse-don't-validate newtypes shared by every layer.
//! No I/O, no actors, no sled: only values and the rules that make them valid.

pub mod analytics;
pub mod automations;
pub mod back_in_stock;
pub mod billing;
pub mod bulk;
pub mod campaigns;
pub mod catalog;
pub mod catalog_sync;
pub mod contact;
pub mod events;
pub mod ids;
pub mod meta_events;
pub mod money;
pub mod phone;
pub mod segments;
pub mod shop;
pub mod timestamp;
pub mod whatsapp;

pub use events::{DomainEvent, EventKind};
pub use ids::{parse_gid, ShopifyId};
pub use money::Money;
pub use shop::ShopDomain;
pub use timestamp::Timestamp;
