//! Segment benchmark (issue #10, DESIGN §8 "a 3-rule segment over 1 M contacts counted in
//! ≤ 100 ms"): contacts built through the real customer logic (customer, 3 tags, two
//! orders, a purchasing summary each), their segment facts indexed in a `SegmentIndex`,
//! then:
//! - the count of a 3-rule segment (tag, orders count, total spent) by the index, against
//!   the reference measured in the same run: the same rules evaluated per contact with
//!   `logic::segments::matches` over the facts (what a walk over records costs at best);
//! - the cost of keeping membership current: `upsert` of changed facts with 5 segments
//!   defined, per contact change;
//! - resident bytes of the index per contact.
//!
//! Run: `cargo bench --bench segments`. Scale: `GALANTIS_BENCH_CONTACTS` (default 1000000).

mod common;

use common::{env_u64, mib, rss_bytes, thousands, ContactFactory};
use galantis::domain::segments::{ListId, Segment, SegmentDraft, SegmentId};
use galantis::domain::Timestamp;
use galantis::logic::customers::CustomerBook;
use galantis::logic::segments::{
    facts_of, matches, ContactFacts, Engagement, Purchases, SegmentIndex,
};
use serde_json::json;
use std::time::Instant;

const TARGET_MS: f64 = 100.0;

fn segment(id: u64, rules: serde_json::Value) -> Segment {
    let draft: SegmentDraft = serde_json::from_value(json!({
        "name": format!("bench {id}"),
        "groups": [{ "rules": rules }],
    }))
    .expect("draft");
    draft.parse(SegmentId(id)).expect("a valid segment")
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let total = env_u64("GALANTIS_BENCH_CONTACTS", 1_000_000).max(1000);
    println!("== segments: count a 3-rule segment (target <= 100 ms at 1 M) ==");
    println!("machine: {}", common::machine());
    let now = Timestamp::now();
    let started = Instant::now();
    let mut factory = ContactFactory::new();
    let mut book = CustomerBook::new();
    for n in 0..total {
        factory.add(&mut book, n, false);
    }
    let facts: Vec<(u64, ContactFacts)> = book
        .contacts()
        .map(|c| {
            (
                c.id,
                facts_of(c, &Engagement::default(), &Purchases::default()),
            )
        })
        .collect();
    println!(
        "contacts: {} built through the customer logic in {:.1} s",
        thousands(facts.len() as u64),
        started.elapsed().as_secs_f64()
    );

    let base = rss_bytes();
    let t = Instant::now();
    let mut index = SegmentIndex::new();
    for (id, f) in &facts {
        index.upsert(*id, f, now).expect("room");
    }
    let build = t.elapsed().as_secs_f64();
    // The book stays alive until here, so the index grows the heap rather than reusing
    // what the book freed.
    let index_bytes = rss_bytes().saturating_sub(base);
    drop(book);
    println!(
        "index: built in {:.2} s ({:.2} µs/contact), RSS +{} = {:.0} B/contact",
        build,
        build * 1e6 / facts.len() as f64,
        mib(index_bytes),
        index_bytes as f64 / facts.len() as f64
    );

    let three = segment(
        1,
        json!([
            {"field": "TAG", "op": "HAS", "value": "vip"},
            {"field": "ORDERS_COUNT", "op": "GTE", "value": 2},
            {"field": "TOTAL_SPENT", "op": "GT", "value": "150"}
        ]),
    );
    let mut by_index = Vec::new();
    let mut count = 0;
    for _ in 0..7 {
        let t = Instant::now();
        count = index.count(&three, now);
        by_index.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let no_lists = |_: ListId| false;
    let mut by_walk = Vec::new();
    let mut walked = 0;
    for _ in 0..3 {
        let t = Instant::now();
        walked = facts
            .iter()
            .filter(|(_, f)| matches(&three, f, &no_lists, now))
            .count() as u64;
        by_walk.push(t.elapsed().as_secs_f64() * 1e3);
    }
    assert_eq!(count, walked, "the index and the per-contact rules agree");
    let (idx_ms, walk_ms) = (median(by_index), median(by_walk));

    for id in 2..=6 {
        let s = segment(
            id,
            json!([{"field": "ORDERS_COUNT", "op": "GTE", "value": id}]),
        );
        index.define_segment(s, now);
    }
    index.define_segment(three, now);
    let changes = facts.len().min(200_000);
    let t = Instant::now();
    for (id, f) in facts.iter().take(changes) {
        let mut f = f.clone();
        f.orders_count += 1;
        index.upsert(*id, &f, now).expect("room");
    }
    let per_change_us = t.elapsed().as_secs_f64() * 1e6 / changes as f64;

    println!();
    println!("| what | figure | reference (same run) | ratio | target | met |");
    println!("|---|---:|---:|---:|---:|:---:|");
    println!(
        "| 3-rule count over {} contacts ({} match) | {:.1} ms | per-contact walk {:.1} ms | {:.2} | ≤ {TARGET_MS} ms | {} |",
        thousands(facts.len() as u64),
        thousands(count),
        idx_ms,
        walk_ms,
        idx_ms / walk_ms,
        if idx_ms <= TARGET_MS { "yes" } else { "NO" }
    );
    println!(
        "| membership kept current, per contact change (6 segments) | {per_change_us:.2} µs | | | | |"
    );
    println!(
        "| index resident memory per contact | {:.0} B | | | | |",
        index_bytes as f64 / facts.len() as f64
    );
    println!("load average at end: {}", common::loadavg());
}
