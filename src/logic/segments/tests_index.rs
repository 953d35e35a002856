//! The index's operations: incremental membership, lists, removal and row reuse, member
//! pages, the daily refresh, and a timing check at 1 M contacts (ignored by default).

use super::testkit::{at, one_rule, segment, TODAY};
use super::{ContactFacts, IndexError, MembershipChange, SegmentIndex};
use crate::domain::contact::{CountryCode, MarketingState};
use crate::domain::segments::{ListId, SegmentDraft, SegmentId};
use serde_json::json;

fn tagged(tags: &[&str]) -> ContactFacts {
    ContactFacts {
        tags: tags.iter().map(|t| Box::from(*t)).collect(),
        ..ContactFacts::default()
    }
}

fn entered(ids: &[u64]) -> MembershipChange {
    MembershipChange {
        entered: ids.iter().map(|i| SegmentId(*i)).collect(),
        left: vec![],
    }
}

#[test]
fn upserts_report_segments_entered_and_left() {
    let now = at(TODAY);
    let mut ix = SegmentIndex::new();
    assert_eq!(
        ix.define_segment(one_rule("TAG", "HAS", json!("vip")), now),
        0
    );
    let ch = ix.upsert(5, &tagged(&["vip"]), now).expect("upsert");
    assert_eq!(ch, entered(&[1]));
    assert_eq!(
        ix.upsert(5, &tagged(&["vip", "x"]), now),
        Ok(MembershipChange::default())
    );
    let ch = ix.upsert(5, &tagged(&["x"]), now).expect("upsert");
    assert_eq!(ch.left, vec![SegmentId(1)]);
    assert_eq!(ix.member_count(SegmentId(1)), Some(0));
}

#[test]
fn list_changes_move_contacts_in_and_out_of_list_segments() {
    let now = at(TODAY);
    let mut ix = SegmentIndex::new();
    ix.define_segment(one_rule("LIST", "IN", json!(9)), now);
    ix.upsert(5, &ContactFacts::default(), now).expect("upsert");
    assert_eq!(ix.add_to_list(ListId(9), 5, now), Ok(entered(&[1])));
    assert_eq!(
        ix.add_to_list(ListId(9), 5, now),
        Ok(MembershipChange::default())
    );
    assert!(ix.in_list(ListId(9), 5));
    assert_eq!(ix.list_len(ListId(9)), 1);
    let ch = ix.remove_from_list(ListId(9), 5, now).expect("remove");
    assert_eq!(ch.left, vec![SegmentId(1)]);
    assert_eq!(
        ix.add_to_list(ListId(9), 6, now),
        Err(IndexError::UnknownContact(6))
    );
    ix.add_to_list(ListId(9), 5, now).expect("list");
    let not_in = json!([[{"field": "LIST", "op": "NOT_IN", "value": 9}]]);
    ix.define_segment(segment(2, not_in), now);
    let deltas = ix.drop_list(ListId(9), now);
    assert_eq!(deltas.len(), 2);
    assert_eq!(
        (deltas[0].segment, deltas[0].left.clone()),
        (SegmentId(1), vec![5])
    );
    assert_eq!(
        (deltas[1].segment, deltas[1].entered.clone()),
        (SegmentId(2), vec![5])
    );
    assert!(ix.drop_list(ListId(9), now).is_empty());
}

#[test]
fn a_removed_contact_leaves_everything_and_its_row_comes_back_clean() {
    let now = at(TODAY);
    let mut ix = SegmentIndex::new();
    ix.define_segment(one_rule("TAG", "HAS", json!("vip")), now);
    ix.upsert(5, &tagged(&["vip"]), now).expect("upsert");
    ix.add_to_list(ListId(1), 5, now).expect("list");
    assert_eq!(ix.remove(5), Some(vec![SegmentId(1)]));
    assert_eq!(ix.remove(5), None);
    ix.upsert(6, &ContactFacts::default(), now)
        .expect("reuses the row");
    assert!(!ix.in_list(ListId(1), 6));
    assert_eq!(ix.count(&one_rule("TAG", "HAS", json!("vip")), now), 0);
    assert_eq!(ix.len(), 1);
}

#[test]
fn members_page_in_contact_id_order_dense_and_sparse() {
    let now = at(TODAY);
    let mut ix = SegmentIndex::new();
    for id in (1..=100u64).rev() {
        let f = ContactFacts {
            orders_count: (id % 2) as u32,
            phone: None,
            ..ContactFacts::default()
        };
        ix.upsert(id * 10, &f, now).expect("upsert");
    }
    ix.define_segment(one_rule("ORDERS_COUNT", "EQ", json!(1)), now);
    ix.define_segment(
        segment(
            2,
            json!([[{"field": "ORDERS_COUNT", "op": "EQ", "value": 1},
        {"field": "PHONE", "op": "IS", "value": "+34600111222"}]]),
        ),
        now,
    );
    let page = ix.members(SegmentId(1), None, 3).expect("defined");
    assert_eq!(page, vec![10, 30, 50]);
    let page = ix.members(SegmentId(1), Some(50), 2).expect("defined");
    assert_eq!(page, vec![70, 90]);
    assert_eq!(ix.members(SegmentId(1), Some(u64::MAX), 2), Ok(vec![]));
    assert_eq!(ix.members(SegmentId(2), None, 5), Ok(vec![]));
    ix.upsert(
        990,
        &ContactFacts {
            orders_count: 1,
            phone: crate::domain::phone::PhoneE164::parse("+34600111222").ok(),
            ..ContactFacts::default()
        },
        now,
    )
    .expect("upsert");
    assert_eq!(ix.members(SegmentId(2), Some(1), 5), Ok(vec![990]));
    assert_eq!(
        ix.members(SegmentId(3), None, 5),
        Err(IndexError::UnknownSegment(SegmentId(3)))
    );
}

#[test]
fn refresh_moves_contacts_as_days_pass() {
    let mut ix = SegmentIndex::new();
    let bought = |day| ContactFacts {
        orders_count: 1,
        last_order_day: Some(day),
        ..ContactFacts::default()
    };
    ix.upsert(1, &bought(TODAY), at(TODAY)).expect("upsert");
    ix.upsert(2, &bought(TODAY - 7), at(TODAY)).expect("upsert");
    let recent = one_rule("DAYS_SINCE_LAST_ORDER", "LTE", json!(7));
    assert_eq!(ix.define_segment(recent, at(TODAY)), 2);
    ix.define_segment(
        segment(
            2,
            json!([[{"field": "ORDERS_COUNT", "op": "GT", "value": 0}]]),
        ),
        at(TODAY),
    );
    assert!(ix.refresh(at(TODAY)).is_empty());
    let deltas = ix.refresh(at(TODAY + 1));
    assert_eq!(deltas.len(), 1);
    assert_eq!(
        (deltas[0].segment, deltas[0].left.clone()),
        (SegmentId(1), vec![2])
    );
    let ch = ix
        .upsert(2, &bought(TODAY + 1), at(TODAY + 1))
        .expect("upsert");
    assert_eq!(ch, entered(&[1]));
    let deltas = ix.refresh(at(TODAY + 9));
    assert_eq!(deltas[0].left, vec![1, 2]);
}

#[test]
fn unsaved_drafts_are_counted_or_their_errors_returned() {
    let mut ix = SegmentIndex::new();
    ix.upsert(1, &tagged(&["a"]), at(TODAY)).expect("upsert");
    let draft: SegmentDraft = serde_json::from_value(json!({"name": "n", "groups": [{"rules": [
        {"field": "TAG", "op": "HAS", "value": "a"}]}]}))
    .expect("json");
    assert_eq!(ix.count_draft(&draft, at(TODAY)), Ok(1));
    let bad = SegmentDraft::default();
    assert!(ix.count_draft(&bad, at(TODAY)).is_err());
    assert_eq!(
        ix.count(&one_rule("TAG", "HAS", json!("unseen")), at(TODAY)),
        0
    );
    assert_eq!(
        ix.count(&one_rule("TAG", "HAS_NOT", json!("unseen")), at(TODAY)),
        1
    );
}

/// Builds 1 M contacts and counts a 3-rule segment. `cargo test --lib --release
/// segments::tests_index::count_at_one_million -- --ignored --nocapture` for the figure
/// that matters; the debug build is about 10× slower.
#[test]
#[ignore]
fn count_at_one_million() {
    let now = at(TODAY);
    let mut ix = SegmentIndex::new();
    let countries = ["ES", "PT", "FR", "DE"].map(|c| CountryCode::parse(c).expect("code"));
    for id in 0..1_000_000u64 {
        let f = ContactFacts {
            orders_count: (id % 7) as u32,
            last_order_day: Some(TODAY - (id % 200) as i32),
            country: Some(countries[(id % 4) as usize]),
            consent: if id % 3 == 0 {
                MarketingState::Subscribed
            } else {
                MarketingState::Unknown
            },
            tags: if id % 10 == 0 {
                vec!["vip".into()]
            } else {
                vec![]
            },
            ..ContactFacts::default()
        };
        ix.upsert(id + 1, &f, now).expect("upsert");
    }
    let seg = segment(
        1,
        json!([[{"field": "COUNTRY", "op": "IS", "value": "ES"},
        {"field": "ORDERS_COUNT", "op": "GTE", "value": 3},
        {"field": "DAYS_SINCE_LAST_ORDER", "op": "LTE", "value": 89}]]),
    );
    let vip = segment(
        2,
        json!([[{"field": "TAG", "op": "HAS", "value": "vip"},
        {"field": "CONSENT", "op": "IS", "value": "SUBSCRIBED"},
        {"field": "COUNTRY", "op": "IS", "value": "ES"}]]),
    );
    for s in [&seg, &vip] {
        let start = std::time::Instant::now();
        let n = ix.count(s, now);
        println!("count {n} in {:?}", start.elapsed());
    }
    let start = std::time::Instant::now();
    ix.define_segment(seg, now);
    ix.define_segment(vip, now);
    for id in 0..10_000u64 {
        ix.upsert(id + 1, &ContactFacts::default(), now)
            .expect("upsert");
    }
    println!("10k upserts with 2 segments in {:?}", start.elapsed());
}
