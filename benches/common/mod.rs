//! Shared by the benchmarks: realistic Shopify bodies (rendered by
//! `galantis::sandbox::payloads::rendered`), contacts built through the real customer logic, `/proc` readers and small report helpers.
//! Each bench binary includes this file with `mod common;` and uses only part of it.
//! `load` holds the HTTP load pieces (child servers, lean client, load loops, metrics).
#![allow(dead_code)]

mod factory;
pub mod load;
pub mod report;
mod seed;
mod sys;

// Each bench uses only some of these.
#[allow(unused_imports)]
pub use factory::*;
#[allow(unused_imports)]
pub use galantis::sandbox::payloads::rendered::*;
#[allow(unused_imports)]
pub use seed::*;
#[allow(unused_imports)]
pub use sys::*;

use galantis::domain::contact::{Checkout, Contact, Order};
use galantis::domain::{ShopifyId, Timestamp};
use galantis::logic::customers::{CustomerBook, Lookup, Write};
use galantis::logic::LookupError;
use galantis::logic::{Delivery, Topic};
use std::cell::RefCell;
use std::time::Duration;
