//! Segments and static lists, the pure part: what rules read of a contact
//! ([`ContactFacts`]), whether one contact matches ([`matches`]), the per-tenant columnar
//! [`SegmentIndex`] that counts and keeps membership current, and the CSV import of a
//! static list ([`csv`]). No I/O: the customer actor owns an index and feeds it changes.

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
pub use facts::{facts_of, ContactFacts, Engagement, Purchases};
pub use index::{IndexError, MembershipChange, SegmentDelta, SegmentIndex};
