//! Segments and static lists, the pure part: what rules read of a contact
//! ([`ContactFacts`]), whether one contact matches ([`matches`]), the per-tenant columnar
//! [`SegmentIndex`] that counts and keeps membership current, and the CSV import of a
//! static list ([`csv`]). No I/O: the customer actor owns an index and feeds it changes.
//!
//! Choices where the issue is silent:
//! - Days are UTC days, not the shop's local days: "in the last 7 days" may be off by
//!   some hours at the edges for a shop far from UTC, and every tenant refreshes at the
//!   same instant. A shop offset can be added to [`crate::domain::segments::day_of`]'s
//!   callers later without changing the index.
//! - Missing values: a contact with no order never matches a "days since" rule; one never
//!   messaged or engaged never matches a date rule (not even `BEFORE`); a contact with no
//!   country or language matches `IS_NOT` / `NOT_IN`; average order value is 0 without
//!   counted orders (as on the contact), so `AVERAGE_ORDER_VALUE LT 50` includes them.
//! - Tags and vendors compare exactly (trimmed), as `Contact::has_tag` does.
//! - `matches` is the reference; the index compiles the same rules to column ranges and
//!   bitmaps, and a property test holds the two together.

pub mod csv;
mod eval;
mod facts;
mod index;

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests_index;
#[cfg(test)]
mod tests_props;
#[cfg(test)]
mod tests_rules;

pub use eval::{holds, matches};
pub use facts::{facts_of, ContactFacts, Engaged, Engagement, Purchases};
pub use index::{
    AudienceRows, AudienceSets, IndexError, MembershipChange, SegmentDelta, SegmentIndex,
};
