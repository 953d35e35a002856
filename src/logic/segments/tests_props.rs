//! Properties: the index's count equals the number of contacts `matches` accepts (random
//! contacts, lists and segments), and membership kept by incremental changes equals a
//! rebuild from the final state, with the reported entries and exits adding up to it.

use super::testkit::{at, TODAY};
use super::{matches, ContactFacts, MembershipChange, SegmentDelta, SegmentIndex};
use crate::domain::contact::{CountryCode, MarketingState};
use crate::domain::phone::PhoneE164;
use crate::domain::segments::{LanguageCode, ListId, Segment, SegmentDraft, SegmentId};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

const STATES: [MarketingState; 7] = [
    MarketingState::Subscribed,
    MarketingState::Pending,
    MarketingState::NotSubscribed,
    MarketingState::Unsubscribed,
    MarketingState::Unknown,
    MarketingState::Invalid,
    MarketingState::Redacted,
];

fn subset<T: Clone + std::fmt::Debug + 'static>(all: Vec<T>) -> impl Strategy<Value = Vec<T>> {
    proptest::sample::subsequence(all.clone(), 0..=all.len())
}

fn day() -> impl Strategy<Value = Option<i32>> {
    proptest::option::of(TODAY - 12..=TODAY + 1)
}

prop_compose! {
    fn facts()(
        phone in proptest::option::of(0u64..3),
        orders_count in 0u32..5,
        total_spent in 0i64..5,
        aov in 0i64..3,
        days in (day(), day(), day(), day()),
        country in proptest::option::of(prop::sample::select(vec!["ES", "PT", "FR"])),
        language in proptest::option::of(prop::sample::select(vec!["es", "en"])),
        consent in 0usize..7,
        tags in subset(vec!["a", "b", "c"]),
        collections in subset(vec![1u64, 2, 3]),
        vendors in subset(vec!["x", "y"]),
    ) -> ContactFacts {
        ContactFacts {
            phone: phone.and_then(|p| PhoneE164::parse(&format!("+3460011122{p}")).ok()),
            orders_count,
            total_spent: total_spent * 1000,
            average_order_value: aov * 1000,
            first_order_day: days.0,
            last_order_day: days.1,
            last_message_received_day: days.2,
            last_engaged_day: days.3,
            country: country.and_then(CountryCode::parse),
            language: language.and_then(LanguageCode::parse),
            consent: STATES[consent],
            tags: tags.into_iter().map(Box::from).collect(),
            collections,
            vendors: vendors.into_iter().map(Box::from).collect(),
        }
    }
}

fn date(d: i32) -> Value {
    json!(super::testkit::date(d))
}

fn num_rule() -> impl Strategy<Value = Value> {
    let field = prop::sample::select(vec![
        "ORDERS_COUNT",
        "TOTAL_SPENT",
        "AVERAGE_ORDER_VALUE",
        "DAYS_SINCE_LAST_ORDER",
        "DAYS_SINCE_FIRST_ORDER",
    ]);
    let op = prop::sample::select(vec!["GT", "LT", "GTE", "LTE", "EQ", "BETWEEN"]);
    (field, op, 0i64..8, 0i64..4).prop_map(|(f, op, a, w)| {
        let v = if op == "BETWEEN" {
            json!([a, a + w])
        } else {
            json!(a)
        };
        json!({"field": f, "op": op, "value": v})
    })
}

fn date_rule() -> impl Strategy<Value = Value> {
    let field = prop::sample::select(vec!["LAST_MESSAGE_RECEIVED", "LAST_ENGAGED"]);
    let op = prop::sample::select(vec!["BEFORE", "AFTER", "BETWEEN", "IN_LAST_DAYS"]);
    (field, op, TODAY - 12..=TODAY, 0i32..6).prop_map(|(f, op, d, w)| {
        let v = match op {
            "BETWEEN" => json!([date(d), date(d + w)]),
            "IN_LAST_DAYS" => json!(w + 1),
            _ => date(d),
        };
        json!({"field": f, "op": op, "value": v})
    })
}

fn set_rule() -> impl Strategy<Value = Value> {
    let pick = |v: Vec<Value>| prop::sample::select(v);
    let cases = vec![
        (
            "COUNTRY",
            vec!["IS", "IS_NOT"],
            pick(vec![json!("ES"), json!("PT"), json!("IT")]),
        ),
        (
            "COUNTRY",
            vec!["IN", "NOT_IN"],
            pick(vec![json!(["ES", "FR"]), json!(["IT"])]),
        ),
        (
            "LANGUAGE",
            vec!["IS", "IS_NOT"],
            pick(vec![json!("es"), json!("fr")]),
        ),
        (
            "LANGUAGE",
            vec!["IN", "NOT_IN"],
            pick(vec![json!(["es", "en"]), json!(["de"])]),
        ),
        (
            "CONSENT",
            vec!["IS", "IS_NOT"],
            pick(vec![json!("SUBSCRIBED"), json!("UNKNOWN")]),
        ),
        (
            "TAG",
            vec!["HAS", "HAS_NOT"],
            pick(vec![json!("a"), json!("b"), json!("z")]),
        ),
        (
            "PURCHASED_COLLECTION",
            vec!["IN", "NOT_IN"],
            pick(vec![json!([1]), json!([2, 3]), json!(9)]),
        ),
        (
            "PURCHASED_VENDOR",
            vec!["IN", "NOT_IN"],
            pick(vec![json!("x"), json!(["y", "q"])]),
        ),
        (
            "LIST",
            vec!["IN", "NOT_IN"],
            pick(vec![json!(1), json!([1, 2]), json!(3)]),
        ),
        (
            "PHONE",
            vec!["IS"],
            pick(vec![json!("+34600111220"), json!("+34600111221")]),
        ),
    ];
    prop::sample::select((0..cases.len()).collect::<Vec<_>>()).prop_flat_map(move |i| {
        let (field, ops, values) = cases[i].clone();
        (prop::sample::select(ops), values)
            .prop_map(move |(op, v)| json!({"field": field, "op": op, "value": v}))
    })
}

fn segment(id: u64) -> impl Strategy<Value = Segment> {
    let rule = prop_oneof![num_rule(), date_rule(), set_rule()];
    let group = prop::collection::vec(rule, 1..4).prop_map(|rules| json!({ "rules": rules }));
    prop::collection::vec(group, 1..4).prop_map(move |groups| {
        let draft: SegmentDraft =
            serde_json::from_value(json!({"name": "p", "groups": groups})).expect("draft");
        draft
            .parse(SegmentId(id))
            .expect("generated rules are valid")
    })
}

/// Contacts 1..=n with their facts and lists.
fn contacts() -> impl Strategy<Value = Vec<(ContactFacts, Vec<u64>)>> {
    prop::collection::vec((facts(), subset(vec![1u64, 2])), 0..40)
}

/// One change: upsert contact `id` with facts, add/remove it to list 1 or 2, or remove it.
#[derive(Clone, Debug)]
enum Step {
    Upsert(u64, ContactFacts),
    List(u64, u64, bool),
    Remove(u64),
    Tick(i32),
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let step = prop_oneof![
        4 => (1u64..12, facts()).prop_map(|(i, f)| Step::Upsert(i, f)),
        2 => (1u64..12, 1u64..3, any::<bool>()).prop_map(|(i, l, p)| Step::List(i, l, p)),
        1 => (1u64..12).prop_map(Step::Remove),
        1 => (0i32..3).prop_map(Step::Tick),
    ];
    prop::collection::vec(step, 0..60)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn count_equals_the_contacts_that_match(people in contacts(), seg in segment(1)) {
        let now = at(TODAY);
        let mut ix = SegmentIndex::new();
        let mut expected = 0;
        for (i, (f, lists)) in people.iter().enumerate() {
            let id = i as u64 + 1;
            ix.upsert(id, f, now).expect("upsert");
            for l in lists {
                ix.add_to_list(ListId(*l), id, now).expect("list");
            }
            expected += u64::from(matches(&seg, f, &|l| lists.contains(&l.0), now));
        }
        prop_assert_eq!(ix.count(&seg, now), expected);
        prop_assert_eq!(ix.define_segment(seg, now), expected);
    }

    #[test]
    fn incremental_membership_equals_a_rebuild(
        segs in (segment(1), segment(2)),
        steps in steps(),
    ) {
        let mut m = Model { day: TODAY, ..Model::default() };
        let mut ix = SegmentIndex::new();
        ix.define_segment(segs.0.clone(), at(m.day));
        ix.define_segment(segs.1.clone(), at(m.day));
        for step in steps {
            m.step(&mut ix, step)?;
        }
        m.deltas(ix.refresh(at(m.day)))?;
        for seg in [&segs.0, &segs.1] {
            let want = m.expected(seg);
            let got = ix.members(seg.id(), None, usize::MAX).expect("defined");
            prop_assert_eq!(&got, &want);
            let reported: Vec<u64> = m.seen.remove(&seg.id()).unwrap_or_default().into_iter().collect();
            prop_assert_eq!(&reported, &want, "entries minus exits");
            prop_assert_eq!(m.rebuilt(seg), want.len() as u64);
        }
    }
}

/// The state the steps built, and the entries and exits the index reported.
#[derive(Default)]
struct Model {
    day: i32,
    facts: BTreeMap<u64, ContactFacts>,
    lists: BTreeMap<u64, BTreeSet<u64>>,
    seen: BTreeMap<SegmentId, BTreeSet<u64>>,
}

impl Model {
    fn step(&mut self, ix: &mut SegmentIndex, step: Step) -> Result<(), TestCaseError> {
        let now = at(self.day);
        match step {
            Step::Upsert(id, f) => {
                self.enter_leave(id, ix.upsert(id, &f, now).expect("upsert"))?;
                self.facts.insert(id, f);
            }
            Step::List(id, l, present) if self.facts.contains_key(&id) => {
                let ch = if present {
                    self.lists.entry(id).or_default().insert(l);
                    ix.add_to_list(ListId(l), id, now)
                } else {
                    self.lists.entry(id).or_default().remove(&l);
                    ix.remove_from_list(ListId(l), id, now)
                };
                self.enter_leave(id, ch.expect("indexed"))?;
            }
            Step::List(..) => {}
            Step::Remove(id) => {
                let left = ix.remove(id).unwrap_or_default();
                self.enter_leave(
                    id,
                    MembershipChange {
                        entered: vec![],
                        left,
                    },
                )?;
                self.facts.remove(&id);
                self.lists.remove(&id);
            }
            Step::Tick(n) => {
                self.day += n;
                self.deltas(ix.refresh(at(self.day)))?;
            }
        }
        Ok(())
    }

    fn enter_leave(&mut self, id: u64, ch: MembershipChange) -> Result<(), TestCaseError> {
        for s in ch.entered {
            prop_assert!(self.seen.entry(s).or_default().insert(id), "entered twice");
        }
        for s in ch.left {
            prop_assert!(
                self.seen.entry(s).or_default().remove(&id),
                "left unentered"
            );
        }
        Ok(())
    }

    fn deltas(&mut self, deltas: Vec<SegmentDelta>) -> Result<(), TestCaseError> {
        for d in deltas {
            for id in d.entered {
                self.enter_leave(
                    id,
                    MembershipChange {
                        entered: vec![d.segment],
                        left: vec![],
                    },
                )?;
            }
            for id in d.left {
                self.enter_leave(
                    id,
                    MembershipChange {
                        entered: vec![],
                        left: vec![d.segment],
                    },
                )?;
            }
        }
        Ok(())
    }

    fn in_list(&self, id: u64) -> BTreeSet<u64> {
        self.lists.get(&id).cloned().unwrap_or_default()
    }

    /// The members `matches` gives, in id order.
    fn expected(&self, seg: &Segment) -> Vec<u64> {
        (self.facts.iter())
            .filter(|(id, f)| {
                let ls = self.in_list(**id);
                matches(seg, f, &|l| ls.contains(&l.0), at(self.day))
            })
            .map(|(id, _)| *id)
            .collect()
    }

    /// The member count of `seg` in an index built from the final state.
    fn rebuilt(&self, seg: &Segment) -> u64 {
        let mut ix = SegmentIndex::new();
        for (id, f) in &self.facts {
            ix.upsert(*id, f, at(self.day)).expect("upsert");
            for l in self.in_list(*id) {
                ix.add_to_list(ListId(l), *id, at(self.day)).expect("list");
            }
        }
        ix.define_segment(seg.clone(), at(self.day))
    }
}
