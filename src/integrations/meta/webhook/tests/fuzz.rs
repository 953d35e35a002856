//! Proptests: parsing never panics, whatever the bytes or however a fixture is mutated.

use super::*;

/// Preorder-replaces the `n`th node of `v` (mod the node count) with `with`.
fn replace_nth(v: &mut Value, n: &mut usize, with: &Value) -> bool {
    if *n == 0 {
        *v = with.clone();
        return true;
    }
    *n -= 1;
    match v {
        Value::Array(items) => items.iter_mut().any(|i| replace_nth(i, n, with)),
        Value::Object(map) => map.values_mut().any(|i| replace_nth(i, n, with)),
        _ => false,
    }
}

fn node_count(v: &Value) -> usize {
    1 + match v {
        Value::Array(items) => items.iter().map(node_count).sum(),
        Value::Object(map) => map.values().map(node_count).sum(),
        _ => 0,
    }
}

fn arb_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e20f64..1e20).prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
        Just(Value::Array(vec![])),
        Just(serde_json::json!({})),
        Just(serde_json::json!([{"id": 1}])),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parse_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse(&bytes);
    }

    #[test]
    fn parse_never_panics_on_byte_mutated_fixtures(
        which in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let fixtures = all_fixtures();
        let mut bytes = fixtures[which.index(fixtures.len())].1.clone();
        for (at, byte, op) in edits {
            if bytes.is_empty() { break; }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => { bytes.remove(i); }
                _ => bytes.insert(i, byte),
            }
        }
        let _ = parse(&bytes);
    }

    #[test]
    fn parse_never_panics_on_structurally_mutated_fixtures(
        which in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<usize>(), arb_leaf()), 1..4),
    ) {
        let fixtures = all_fixtures();
        let mut v: Value = serde_json::from_slice(&fixtures[which.index(fixtures.len())].1)
            .expect("fixture json");
        for (n, leaf) in edits {
            let mut n = n % node_count(&v);
            replace_nth(&mut v, &mut n, &leaf);
        }
        if let Ok(events) = parse(v.to_string().as_bytes()) {
            for e in events {
                let _ = e.dedupe_key();
            }
        }
    }
}
