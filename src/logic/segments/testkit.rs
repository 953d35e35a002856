//! Test helpers: days and instants, segments from JSON, and the check that `matches` and
//! the index agree on one contact.

use super::{matches, ContactFacts, SegmentIndex};
use crate::domain::segments::{ListId, Segment, SegmentDraft, SegmentId};
use crate::domain::Timestamp;
use serde_json::{json, Value};

/// The day the tests run on (2024-10-04).
pub const TODAY: i32 = 20_000;

/// Noon UTC of `day`.
pub fn at(day: i32) -> Timestamp {
    Timestamp(i64::from(day) * 86_400_000 + 12 * 3_600_000)
}

/// `day` as `YYYY-MM-DD`.
pub fn date(day: i32) -> String {
    time::Date::from_julian_day(2_440_588 + day)
        .expect("a valid day")
        .to_string()
}

/// A segment of these groups (JSON array of arrays of rules).
pub fn segment(id: u64, groups: Value) -> Segment {
    let groups: Vec<Value> = serde_json::from_value(groups).expect("groups");
    let groups = groups.into_iter().map(|g| json!({ "rules": g })).collect();
    let draft = SegmentDraft {
        name: format!("segment {id}"),
        groups: serde_json::from_value(Value::Array(groups)).expect("group drafts"),
    };
    draft.parse(SegmentId(id)).expect("a valid segment")
}

/// A one-rule segment.
pub fn one_rule(field: &str, op: &str, value: Value) -> Segment {
    segment(1, json!([[{"field": field, "op": op, "value": value}]]))
}

/// Whether the contact with `facts`, in `lists`, matches `seg` today; asserts that
/// `matches`, `SegmentIndex::count` and `define_segment` agree (with a default contact
/// beside it, so a count cannot pass by counting everyone).
pub fn both(seg: &Segment, facts: &ContactFacts, lists: &[u64]) -> bool {
    let now = at(TODAY);
    let m = matches(seg, facts, &|l: ListId| lists.contains(&l.0), now);
    let mut ix = SegmentIndex::new();
    ix.upsert(7, facts, now).expect("upsert");
    let other = ContactFacts::default();
    ix.upsert(8, &other, now).expect("upsert");
    for l in lists {
        ix.add_to_list(ListId(*l), 7, now).expect("list");
    }
    let other_matches = matches(seg, &other, &|_| false, now);
    let expected = u64::from(m) + u64::from(other_matches);
    assert_eq!(ix.count(seg, now), expected, "count of {:?}", seg.draft());
    assert_eq!(ix.define_segment(seg.clone(), now), expected);
    assert_eq!(ix.is_member(seg.id(), 7), m);
    m
}
