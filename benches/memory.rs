//! Memory benchmark (issue #2, DESIGN §8): resident bytes per contact in a tenant's
//! `CustomerBook` at 100 k and 1 M contacts, each built through the real customer logic
//! (`customers/create`, `customer.tags_added` with 3 tags, two `orders/create`, a
//! `customers/purchasing_summary`), measured as the growth of this process's RSS.
//!
//! Run: `cargo bench --bench memory`. Scale: `GALANTIS_BENCH_CONTACTS` (default 1000000;
//! the first checkpoint is at a tenth of it, so 100 k by default).

mod common;

use common::{env_u64, mib, rss_bytes, status_bytes, thousands, ContactFactory};
use galantis::domain::contact::Contact;
use galantis::logic::customers::CustomerBook;
use std::time::Instant;

const TARGET_BYTES: f64 = 1024.0;

fn main() {
    let total = env_u64("GALANTIS_BENCH_CONTACTS", 1_000_000).max(10);
    let checkpoints = [total / 10, total];
    println!("== memory: resident bytes per contact (target <= 1 KB) ==");
    println!("machine: {}", common::machine());
    println!(
        "contacts: {} (checkpoints {} and {}); 5 deliveries applied per contact",
        thousands(total),
        thousands(checkpoints[0]),
        thousands(checkpoints[1])
    );
    println!(
        "size_of::<Contact>() = {} B (inline part; text, tags and the map nodes are extra)",
        std::mem::size_of::<Contact>()
    );

    // Warm the allocator and the templates so the baseline includes them.
    let mut factory = ContactFactory::new();
    {
        let mut scratch = CustomerBook::new();
        for n in 0..100 {
            factory.add(&mut scratch, u64::MAX / 4 + n, false);
        }
    }
    let base = rss_bytes();
    println!("baseline RSS: {}", mib(base));

    let mut book = CustomerBook::new();
    let started = Instant::now();
    let mut rows = Vec::new();
    let mut n = 0u64;
    for &cp in &checkpoints {
        while n < cp {
            factory.add(&mut book, n, false);
            n += 1;
        }
        let rss = rss_bytes();
        let per = (rss.saturating_sub(base)) as f64 / book.len().max(1) as f64;
        let secs = started.elapsed().as_secs_f64();
        println!(
            "  {:>9} contacts: RSS {:>10} (+{}), {:>6.0} B/contact  [{:.1} s, {:.0} contacts/s built]",
            thousands(book.len() as u64),
            mib(rss),
            mib(rss.saturating_sub(base)),
            per,
            secs,
            n as f64 / secs
        );
        rows.push((book.len(), per));
    }
    let populated = common::populated(&book);
    println!(
        "deliveries applied: {}, failed: {}; contacts with phone + 3 tags + order aggregates + summary: {} of {}",
        thousands(factory.applied),
        factory.failed,
        thousands(populated as u64),
        thousands(book.len() as u64)
    );
    if let Some(c) = book.contacts().nth(book.len() / 2) {
        println!(
            "sample contact: {}",
            serde_json::to_string(c).unwrap_or_default()
        );
    }
    println!("peak RSS (VmHWM): {}", mib(status_bytes(None, "VmHWM")));
    println!();
    println!("| contacts | bytes/contact | target | met |");
    println!("|---:|---:|---:|:---:|");
    for (len, per) in &rows {
        let met = if *per <= TARGET_BYTES { "yes" } else { "NO" };
        println!("| {} | {:.0} | 1024 | {met} |", thousands(*len as u64), per);
    }
    println!("load average at end: {}", common::loadavg());
    // Keep the book alive until after the last measurement.
    drop(book);
}
