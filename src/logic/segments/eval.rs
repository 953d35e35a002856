//! `matches`: whether one contact's facts satisfy a segment, rule by rule. The reference
//! semantics: the columnar index must agree with it (a property test checks that).

use super::facts::ContactFacts;
use crate::domain::segments::{day_of, days_since_bounds, ListId, Rule, Segment};
use crate::domain::Timestamp;

/// True when the contact matches `segment` at `now`: any group whose rules all hold.
/// `in_list` answers list membership for this contact.
pub fn matches(
    segment: &Segment,
    facts: &ContactFacts,
    in_list: &dyn Fn(ListId) -> bool,
    now: Timestamp,
) -> bool {
    let today = day_of(now);
    segment
        .groups()
        .iter()
        .any(|g| g.rules().iter().all(|r| holds(r, facts, in_list, today)))
}

/// True when one rule holds for the contact on UTC day `today`.
pub fn holds(rule: &Rule, f: &ContactFacts, in_list: &dyn Fn(ListId) -> bool, today: i32) -> bool {
    let within = |(lo, hi): (i64, i64), x: i64| lo <= x && x <= hi;
    let since = |cmp, day: Option<i32>| {
        day.is_some_and(|d| within(days_since_bounds(cmp, today), i64::from(d)))
    };
    match rule {
        Rule::Phone(p) => f.phone == Some(*p),
        Rule::List { lists, negate } => lists.iter().any(|l| in_list(*l)) != *negate,
        Rule::LastMessageReceived(d) => d.holds(f.last_message_received_day, today),
        Rule::LastEngaged(d) => d.holds(f.last_engaged_day, today),
        Rule::OrdersCount(c) => c.holds(i64::from(f.orders_count)),
        Rule::TotalSpent(c) => c.holds(f.total_spent),
        Rule::AverageOrderValue(c) => c.holds(f.average_order_value),
        Rule::DaysSinceLastOrder(c) => since(*c, f.last_order_day),
        Rule::DaysSinceFirstOrder(c) => since(*c, f.first_order_day),
        Rule::Country { codes, negate } => f.country.is_some_and(|c| codes.contains(&c)) != *negate,
        Rule::Language { codes, negate } => {
            f.language.as_ref().is_some_and(|l| codes.contains(l)) != *negate
        }
        Rule::Consent { state, negate } => (f.consent == *state) != *negate,
        Rule::Tag { tag, negate } => f.tags.contains(tag) != *negate,
        Rule::PurchasedCollection { ids, negate } => {
            ids.iter().any(|i| f.collections.contains(i)) != *negate
        }
        Rule::PurchasedVendor { vendors, negate } => {
            vendors.iter().any(|v| f.vendors.contains(v)) != *negate
        }
    }
}
