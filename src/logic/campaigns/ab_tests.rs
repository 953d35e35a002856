use super::*;
use proptest::prelude::*;
use serde::de::value::{Error as DeError, StrDeserializer};
use std::collections::HashSet;

fn test_with(variants: u8, sample_percent: u8, seed: u64) -> AbTest {
    AbTest {
        variants,
        sample_percent,
        metric: Metric::Read,
        wait_ms: 3_600_000,
        seed,
    }
}

fn assign_all(test: &AbTest, n: u64) -> Vec<Assignment> {
    (0..n).map(|p| assign(test, p, n, 1_000 + p * 7)).collect()
}

fn sampled_positions(test: &AbTest, n: u64) -> Vec<u64> {
    let perm = Permutation::new(test.seed, n);
    (0..n)
        .filter(|&p| matches!(assign_with(test, &perm, p, p), Assignment::Sample(_)))
        .collect()
}

fn is_bijection(seed: u64, n: u64) -> bool {
    let perm = Permutation::new(seed, n);
    let mut seen = vec![false; n as usize];
    for p in 0..n {
        let Some(i) = perm.index(p) else { return false };
        if i >= n || seen[i as usize] {
            return false;
        }
        seen[i as usize] = true;
    }
    perm.index(n).is_none() && seen.iter().all(|&s| s)
}

#[test]
fn validate_accepts_valid_and_refuses_each_bad_field() {
    assert_eq!(test_with(2, 1, 0).validate(), Ok(()));
    assert_eq!(test_with(8, 100, 0).validate(), Ok(()));
    let err = test_with(1, 10, 0).validate().unwrap_err();
    assert_eq!(err, AbError::Variants(1));
    assert_eq!(
        err.to_string(),
        "ab.variants must be between 2 and 8, got 1"
    );
    assert_eq!(test_with(9, 10, 0).validate(), Err(AbError::Variants(9)));
    let err = test_with(2, 0, 0).validate().unwrap_err();
    assert_eq!(err, AbError::SamplePercent(0));
    assert_eq!(
        err.to_string(),
        "ab.sample_percent must be between 1 and 100, got 0"
    );
    assert_eq!(
        test_with(2, 101, 0).validate(),
        Err(AbError::SamplePercent(101))
    );
    let mut t = test_with(2, 10, 0);
    t.wait_ms = -1;
    let err = t.validate().unwrap_err();
    assert_eq!(err, AbError::WaitMs(-1));
    assert_eq!(err.to_string(), "ab.wait_ms must be >= 0, got -1");
    t.wait_ms = 0;
    assert_eq!(t.validate(), Ok(()));
}

#[test]
fn metric_uses_screaming_snake_case_names() {
    let read = Metric::deserialize(StrDeserializer::<DeError>::new("READ")).unwrap();
    assert_eq!(read, Metric::Read);
    let rev = Metric::deserialize(StrDeserializer::<DeError>::new("REVENUE")).unwrap();
    assert_eq!(rev, Metric::Revenue);
    assert!(Metric::deserialize(StrDeserializer::<DeError>::new("Read")).is_err());
}

#[test]
fn assign_is_deterministic_across_passes() {
    let test = test_with(3, 25, 42);
    let first = assign_all(&test, 5_000);
    let second = assign_all(&test, 5_000);
    assert_eq!(first, second);
    // contact_id does not change the answer; position and seed do.
    assert_eq!(assign(&test, 17, 5_000, 1), assign(&test, 17, 5_000, 999));
}

#[test]
fn permutation_is_bijection_for_listed_sizes() {
    for n in [0u64, 1, 2, 3, 7, 16, 17, 1000, 12345] {
        for seed in [0u64, 1, 0xdead_beef, u64::MAX] {
            assert!(is_bijection(seed, n), "n={n} seed={seed}");
        }
    }
}

#[test]
fn permutation_handles_huge_lengths() {
    let perm = Permutation::new(7, u64::MAX);
    for p in [0, 1, u64::MAX / 2, u64::MAX - 1] {
        assert!(perm.index(p).is_some_and(|i| i < u64::MAX));
    }
    assert_eq!(perm.index(u64::MAX), None);
    assert_eq!(sample_size(&test_with(2, 100, 0), u64::MAX), u64::MAX);
}

#[test]
fn sample_size_is_exact_ceiling() {
    let cases: [(u64, u8, u64); 12] = [
        (0, 10, 0),
        (0, 100, 0),
        (1, 1, 1),
        (7, 1, 1),
        (99, 1, 1),
        (100, 1, 1),
        (101, 1, 2),
        (3, 50, 2),
        (1000, 10, 100),
        (1001, 10, 101),
        (10, 100, 10),
        (12345, 33, 4074),
    ];
    for (n, percent, expected) in cases {
        let test = test_with(2, percent, 9);
        assert_eq!(sample_size(&test, n), expected, "n={n} percent={percent}");
        let sampled = assign_all(&test, n)
            .iter()
            .filter(|a| matches!(a, Assignment::Sample(_)))
            .count() as u64;
        assert_eq!(sampled, expected, "n={n} percent={percent}");
    }
}

#[test]
fn full_sample_has_no_rest() {
    let test = test_with(4, 100, 5);
    let all = assign_all(&test, 777);
    assert!(all.iter().all(|a| matches!(a, Assignment::Sample(_))));
}

#[test]
fn one_percent_of_small_audiences_is_at_least_one() {
    for n in 1..=120u64 {
        let test = test_with(2, 1, n);
        let expected = n.div_ceil(100);
        assert!(sample_size(&test, n) >= 1);
        assert_eq!(sampled_positions(&test, n).len() as u64, expected, "n={n}");
    }
}

#[test]
fn variant_counts_are_balanced_and_match_assignments() {
    for variants in 2..=8u8 {
        for (n, percent) in [(10u64, 100u8), (1000, 10), (1234, 37), (5, 1), (0, 50)] {
            let test = test_with(variants, percent, 77);
            let expected = variant_counts(&test, n);
            assert_eq!(expected.len(), variants as usize);
            assert_eq!(expected.iter().sum::<u64>(), sample_size(&test, n));
            let max = expected.iter().max().copied().unwrap_or(0);
            let min = expected.iter().min().copied().unwrap_or(0);
            assert!(max - min <= 1, "{expected:?}");
            let mut actual = vec![0u64; variants as usize];
            for a in assign_all(&test, n) {
                if let Assignment::Sample(v) = a {
                    actual[v as usize] += 1;
                }
            }
            assert_eq!(actual, expected, "variants={variants} n={n}");
        }
    }
}

#[test]
fn sample_is_spread_over_the_audience() {
    for seed in [1u64, 2, 3, 12345] {
        let test = test_with(2, 10, seed);
        let sampled = sampled_positions(&test, 10_000);
        assert_eq!(sampled.len(), 1_000);
        let early = sampled.iter().filter(|&&p| p < 1_000).count();
        assert!(early < 300, "seed={seed}: {early} of 1000 in first 10%");
        let late = sampled.iter().filter(|&&p| p >= 9_000).count();
        assert!(late < 300, "seed={seed}: {late} of 1000 in last 10%");
    }
}

#[test]
fn different_seeds_give_different_samples() {
    let a: HashSet<u64> = sampled_positions(&test_with(2, 10, 1), 1_000)
        .into_iter()
        .collect();
    let b: HashSet<u64> = sampled_positions(&test_with(2, 10, 2), 1_000)
        .into_iter()
        .collect();
    assert_eq!(a.len(), b.len());
    assert_ne!(a, b);
    assert!(a.intersection(&b).count() < 50, "samples overlap too much");
}

#[test]
fn out_of_range_position_is_rest() {
    let test = test_with(2, 100, 1);
    assert_eq!(assign(&test, 10, 10, 1), Assignment::Rest);
    assert_eq!(assign(&test, 0, 0, 1), Assignment::Rest);
}

fn stats(
    sent: u64,
    delivered: u64,
    read: u64,
    replied: u64,
    clicked: u64,
    rev: i64,
) -> VariantStats {
    VariantStats {
        sent,
        delivered,
        read,
        replied,
        clicked,
        revenue_minor: rev,
    }
}

#[test]
fn winner_picks_right_variant_for_each_metric() {
    // A: best delivered, B: best read, C: best replied, D: best clicked + revenue/sent
    let s = [
        stats(500, 495, 175, 10, 5, 10_000),
        stats(500, 480, 206, 12, 6, 12_000),
        stats(400, 380, 100, 40, 8, 9_000),
        stats(100, 90, 20, 5, 30, 5_000),
    ];
    let pick = |m| winner(m, &s).map(|w| w.variant);
    assert_eq!(pick(Metric::Delivered), Some(0));
    assert_eq!(pick(Metric::Read), Some(1));
    assert_eq!(pick(Metric::Replied), Some(2));
    assert_eq!(pick(Metric::Clicked), Some(3));
    assert_eq!(pick(Metric::Revenue), Some(3));

    let w = winner(Metric::Read, &s[..2]).unwrap();
    assert_eq!(
        w.reason,
        "variant B: read rate 41.2% (206 of 500) beats A 35.0%"
    );
    assert!((w.rate_or_value - 0.412).abs() < 1e-12);
    let w = winner(Metric::Revenue, &s).unwrap();
    assert!((w.rate_or_value - 50.0).abs() < 1e-12);
    assert!(
        w.reason
            .starts_with("variant D: revenue per sent message 50.00"),
        "{}",
        w.reason
    );
}

#[test]
fn winner_rate_uses_sent_not_raw_count() {
    // B has fewer reads but a higher rate.
    let s = [stats(1000, 0, 300, 0, 0, 0), stats(100, 0, 50, 0, 0, 0)];
    assert_eq!(winner(Metric::Read, &s).map(|w| w.variant), Some(1));
}

#[test]
fn winner_tie_goes_to_lower_index() {
    let s = [
        stats(300, 0, 10, 0, 0, 0),
        stats(200, 0, 50, 0, 0, 0),
        stats(400, 0, 100, 0, 0, 0),
    ];
    let w = winner(Metric::Read, &s).unwrap();
    assert_eq!(w.variant, 1);
    assert!(w.reason.contains("ties C"), "{}", w.reason);
    // Equal revenue per message, different scale.
    let r = [stats(3, 0, 0, 0, 0, 100), stats(6, 0, 0, 0, 0, 200)];
    assert_eq!(winner(Metric::Revenue, &r).map(|w| w.variant), Some(0));
}

#[test]
fn winner_none_when_nothing_sent_and_zero_sent_cannot_win() {
    assert_eq!(winner(Metric::Read, &[]), None);
    let zero = [VariantStats::default(), VariantStats::default()];
    for m in [
        Metric::Delivered,
        Metric::Read,
        Metric::Replied,
        Metric::Clicked,
        Metric::Revenue,
    ] {
        assert_eq!(winner(m, &zero), None);
    }
    // A sent nothing but reports reads (bogus); B is the only candidate.
    let s = [stats(0, 0, 9, 0, 0, 99), stats(10, 0, 1, 0, 0, -5)];
    let w = winner(Metric::Read, &s).unwrap();
    assert_eq!(w.variant, 1);
    assert!(
        w.reason.ends_with("no other variant sent anything"),
        "{}",
        w.reason
    );
    assert_eq!(winner(Metric::Revenue, &s).map(|w| w.variant), Some(1));
}

#[test]
fn variant_names_are_letters() {
    assert_eq!(variant_name(0), "A");
    assert_eq!(variant_name(7), "H");
    assert_eq!(variant_name(25), "Z");
    assert_eq!(variant_name(26), "#26");
}

#[test]
fn decide_at_waits_after_sample_and_never_before_launch() {
    let test = test_with(2, 10, 0);
    assert_eq!(decide_at(1_000, 5_000, &test), 5_000 + 3_600_000);
    let mut t = test.clone();
    t.wait_ms = 0;
    assert_eq!(decide_at(10_000, 5_000, &t), 10_000);
    assert_eq!(decide_at(1_000, 5_000, &t), 5_000);
    t.wait_ms = i64::MAX;
    assert_eq!(decide_at(0, 5, &t), i64::MAX);
    t.wait_ms = -100;
    assert_eq!(decide_at(0, 5, &t), 5);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn prop_permutation_is_bijection(seed in any::<u64>(), n in 0u64..3_000) {
        prop_assert!(is_bijection(seed, n));
    }

    #[test]
    fn prop_sample_exact_and_balanced(
        seed in any::<u64>(),
        n in 0u64..2_000,
        percent in 1u8..=100,
        variants in 2u8..=8,
    ) {
        let test = test_with(variants, percent, seed);
        let expected_size = (n * u64::from(percent)).div_ceil(100);
        prop_assert_eq!(sample_size(&test, n), expected_size);
        let perm = Permutation::new(seed, n);
        let mut counts = vec![0u64; variants as usize];
        for p in 0..n {
            let a = assign_with(&test, &perm, p, p);
            prop_assert_eq!(a, assign(&test, p, n, p));
            if let Assignment::Sample(v) = a {
                counts[v as usize] += 1;
            }
        }
        prop_assert_eq!(counts.iter().sum::<u64>(), expected_size);
        prop_assert_eq!(counts, variant_counts(&test, n));
    }
}

#[test]
fn winner_survives_extreme_counts() {
    let s = [
        stats(u64::MAX, u64::MAX, u64::MAX, 0, 0, i64::MAX),
        stats(u64::MAX, u64::MAX - 1, 1, 0, 0, i64::MIN),
    ];
    assert_eq!(winner(Metric::Delivered, &s).map(|w| w.variant), Some(0));
    assert_eq!(winner(Metric::Revenue, &s).map(|w| w.variant), Some(0));
}
