//! Restock detection under duplicates and reordering: scenarios over the fixtures, and a
//! property test over generated variant histories.

use super::tests::{deliver, fixture, MEDIUM, PRODUCT, SMALL};
use super::*;
use proptest::prelude::*;

fn restocks(c: &Change) -> usize {
    c.events
        .iter()
        .filter(|e| matches!(e, EventKind::VariantRestocked { .. }))
        .count()
}

fn quantity(book: &CatalogBook, variant: ShopifyId) -> Option<i64> {
    book.product(PRODUCT)
        .and_then(|p| p.variant(variant))
        .map(|v| v.inventory_quantity)
}

#[test]
fn out_of_stock_then_newer_in_stock_fires_exactly_one_restock() {
    let mut book = CatalogBook::new();
    deliver(
        &mut book,
        "products/create",
        &fixture("products__create"),
        1_000,
    );
    let out = deliver(
        &mut book,
        "variants/out_of_stock",
        &fixture("variants__out_of_stock"),
        2_000,
    );
    assert_eq!((restocks(&out), quantity(&book, SMALL)), (0, Some(0)));
    let back = deliver(
        &mut book,
        "variants/in_stock",
        &fixture("variants__in_stock"),
        3_000,
    );
    assert_eq!(
        back.events,
        [EventKind::VariantRestocked {
            product_id: PRODUCT,
            variant_id: SMALL,
            previous_quantity: 0,
            quantity: 75
        }]
    );
    // Redelivery, and products/update reporting the same state later: no second event.
    let dup = deliver(
        &mut book,
        "variants/in_stock",
        &fixture("variants__in_stock"),
        3_000,
    );
    assert_eq!(restocks(&dup), 0);
    assert!(dup.ignored.is_some() && dup.writes.is_empty());
    let same = deliver(
        &mut book,
        "products/update",
        &fixture("products__update"),
        3_500,
    );
    assert_eq!(restocks(&same), 0);
    // An older stock-out arriving late is ignored.
    let late = deliver(
        &mut book,
        "variants/out_of_stock",
        &fixture("variants__out_of_stock"),
        2_500,
    );
    assert!(late.ignored.is_some());
    assert_eq!(quantity(&book, SMALL), Some(75));
    // Medium was never touched.
    assert_eq!(quantity(&book, MEDIUM), Some(50));
}

#[test]
fn in_stock_before_its_older_out_of_stock_is_one_transition_at_most() {
    let mut book = CatalogBook::new();
    // Stock-out recorded first (placeholder), then in_stock, then the stock-out again late.
    deliver(
        &mut book,
        "variants/out_of_stock",
        &fixture("variants__out_of_stock"),
        2_000,
    );
    let back = deliver(
        &mut book,
        "variants/in_stock",
        &fixture("variants__in_stock"),
        3_000,
    );
    assert_eq!(restocks(&back), 1);
    let late = deliver(
        &mut book,
        "variants/out_of_stock",
        &fixture("variants__out_of_stock"),
        2_000,
    );
    assert_eq!((restocks(&late), late.ignored.is_some()), (0, true));
    let create = deliver(
        &mut book,
        "products/create",
        &fixture("products__create"),
        1_000,
    );
    assert_eq!(restocks(&create), 0);
    assert_eq!(quantity(&book, SMALL), Some(75));
}

#[test]
fn a_late_sell_out_reveals_the_restock_that_followed_it() {
    let mut book = CatalogBook::new();
    deliver(
        &mut book,
        "variants/in_stock",
        &fixture("variants__in_stock"),
        3_000,
    );
    let late_out = deliver(
        &mut book,
        "variants/out_of_stock",
        &fixture("variants__out_of_stock"),
        2_000,
    );
    // In time order the variant was 0 (triggered 2 000) then 75 (3 000): one real
    // transition, learnt only when the sell-out arrives. Recorded once.
    assert_eq!((restocks(&late_out), quantity(&book, SMALL)), (1, Some(75)));
    let again = deliver(
        &mut book,
        "variants/in_stock",
        &fixture("variants__in_stock"),
        3_500,
    );
    assert_eq!(restocks(&again), 0);
}

#[test]
fn a_new_variant_seen_in_stock_is_not_a_restock() {
    let mut book = CatalogBook::new();
    let c = deliver(
        &mut book,
        "variants/in_stock",
        &fixture("variants__in_stock"),
        1_000,
    );
    assert_eq!(restocks(&c), 0);
    let c = deliver(
        &mut book,
        "products/create",
        &fixture("products__create"),
        500,
    );
    assert_eq!(restocks(&c), 0);
}

#[test]
fn products_update_moving_stock_up_fires_once_with_variants_in_stock_echo() {
    let mut book = CatalogBook::new();
    deliver(
        &mut book,
        "variants/out_of_stock",
        &fixture("variants__out_of_stock"),
        1_000,
    );
    let update = deliver(
        &mut book,
        "products/update",
        &fixture("products__update"),
        2_000,
    );
    assert_eq!(restocks(&update), 1);
    let echo = deliver(
        &mut book,
        "variants/in_stock",
        &fixture("variants__in_stock"),
        2_001,
    );
    assert_eq!(restocks(&echo), 0);
}

const PID: ShopifyId = (1 << 53) + 11;
const VID: ShopifyId = (1 << 53) + 13;

/// One report of a variant state: its quantity, the variant's `updated_at` and the
/// delivery's triggered-at time (both ms), and through which topic it comes.
#[derive(Clone, Debug)]
struct Report {
    state: usize,
    quantity: i64,
    updated_at: i64,
    triggered_at: i64,
    via_product: bool,
}

impl Report {
    fn deliver(&self, book: &mut CatalogBook) -> Change {
        let updated = Timestamp(self.updated_at).to_rfc3339();
        let variant = format!(
            r#"{{"id": {VID}, "product_id": {PID}, "title": "S", "price": "1.00",
                "updated_at": "{updated}", "inventory_quantity": {q},
                "admin_graphql_api_id": "gid://shopify/ProductVariant/{VID}"}}"#,
            q = self.quantity
        );
        let (topic, body) = if self.via_product {
            let body = format!(
                r#"{{"id": {PID}, "title": "P", "updated_at": "{updated}", "variants": [{variant}],
                    "variant_gids": [{{"admin_graphql_api_id": "gid://shopify/ProductVariant/{VID}",
                    "updated_at": "{updated}"}}]}}"#
            );
            ("products/update", body)
        } else if self.quantity > 0 {
            ("variants/in_stock", variant)
        } else {
            ("variants/out_of_stock", variant)
        };
        deliver(book, topic, body.as_bytes(), self.triggered_at)
    }
}

/// A history of states (quantity, whether `updated_at` moves) in time order, and for each
/// state 1 to 3 reports taken while it held, via random topics; some are redelivered.
fn history() -> impl Strategy<Value = (Vec<i64>, Vec<Report>)> {
    let state = (
        -2i64..4,
        any::<bool>(),
        prop::collection::vec((0i64..10, any::<bool>(), any::<bool>()), 1..4),
    );
    prop::collection::vec(state, 1..12).prop_map(|states| {
        let mut quantities = Vec::new();
        let mut reports = Vec::new();
        let mut updated_at = 1_600_000_000_000i64;
        for (i, (q, bump, snaps)) in states.into_iter().enumerate() {
            if bump {
                updated_at += 1_000;
            }
            quantities.push(q);
            for (offset, via_product, redeliver) in snaps {
                let r = Report {
                    state: i,
                    quantity: q,
                    updated_at,
                    triggered_at: 1_700_000_000_000 + i as i64 * 10 + offset,
                    via_product,
                };
                if redeliver {
                    reports.push(r.clone());
                }
                reports.push(r);
            }
        }
        (quantities, reports)
    })
}

/// Real 0-or-less → positive transitions in the full, version-ordered history.
fn real_transitions(q: &[i64]) -> usize {
    q.windows(2).filter(|w| w[0] <= 0 && w[1] > 0).count()
}

/// Delivers every report in order; returns the events' states and the book.
fn run(reports: &[Report]) -> Result<(Vec<usize>, CatalogBook), TestCaseError> {
    let mut book = CatalogBook::new();
    let mut fired = Vec::new();
    for r in reports {
        let change = r.deliver(&mut book);
        for e in &change.events {
            match e {
                EventKind::VariantRestocked {
                    product_id,
                    variant_id,
                    previous_quantity,
                    quantity,
                } => {
                    prop_assert_eq!((*product_id, *variant_id), (PID, VID));
                    prop_assert!(*previous_quantity <= 0 && *quantity > 0);
                    fired.push(r.state);
                }
                other => prop_assert!(false, "unexpected event {:?}", other),
            }
        }
    }
    Ok((fired, book))
}

proptest! {
    #[test]
    fn restocks_match_real_transitions_whatever_the_delivery_order(
        (quantities, reports) in history(),
        seed in any::<u64>(),
    ) {
        let last = quantities.last().copied().unwrap_or_default();
        let real = real_transitions(&quantities);

        // In version order (with duplicates): exactly the real transitions, one per state.
        let (fired, book) = run(&reports)?;
        prop_assert_eq!(fired.len(), real);
        let expected: Vec<usize> = (1..quantities.len())
            .filter(|&i| quantities[i - 1] <= 0 && quantities[i] > 0)
            .collect();
        prop_assert_eq!(fired, expected);
        prop_assert_eq!(book.product(PID).and_then(|p| p.variant(VID)).map(|v| v.inventory_quantity), Some(last));

        // Shuffled: never more than the real transitions, never two for one state, and
        // the newest state wins.
        let mut shuffled = reports.clone();
        let mut rng = seed;
        for i in (1..shuffled.len()).rev() {
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let j = (rng >> 33) as usize % (i + 1);
            shuffled.swap(i, j);
        }
        let (fired, book) = run(&shuffled)?;
        prop_assert!(fired.len() <= real, "{} events > {} transitions", fired.len(), real);
        // While every distinct snapshot fits in the stock history, reordering loses no
        // transition either: exactly one event per real transition.
        let mut versions: Vec<(i64, i64)> = reports.iter().map(|r| (r.updated_at, r.triggered_at)).collect();
        versions.sort_unstable();
        versions.dedup();
        if versions.len() <= crate::domain::catalog::STOCK_HISTORY {
            prop_assert_eq!(fired.len(), real, "reordering lost or doubled a transition");
        }
        prop_assert_eq!(book.product(PID).and_then(|p| p.variant(VID)).map(|v| v.inventory_quantity), Some(last));
    }
}
