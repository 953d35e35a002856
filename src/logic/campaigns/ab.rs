//! Owns a campaign's A/B test: validation, the deterministic split of the frozen
//! audience into sample variants and rest, and the winner rule. Pure: no I/O, no clock.
//!
//! # Split design
//!
//! The sample must be *exact* (`ceil(audience_len * sample_percent / 100)`
//! recipients), *spread* over the audience (not "the first N contacts"), and
//! decidable one recipient at a time. Ranking recipients by a keyed hash would
//! need the whole audience, so instead every position `p` in `[0, audience_len)`
//! is mapped through a keyed pseudo-random permutation of `[0, audience_len)`:
//! an 8-round balanced Feistel network over the smallest even-bit domain
//! `2^(2k) >= audience_len`, restricted to `[0, audience_len)` by cycle walking
//! (re-apply the network until the value falls back in range; the expected
//! number of walks is below 4 because the domain is < 4 × the audience). The
//! round keys are SHA-256 of (`seed`, `audience_len`, round). A position is in
//! the sample iff its permuted index is `< sample_size`, and its variant is
//! `permuted index % variants`, so variant counts differ by at most one.
//!
//! `contact_id` is accepted by [`assign`] but deliberately does not influence the
//! result: any per-contact input would make the sample size inexact. The
//! audience is frozen and ordered, so the position already identifies the contact.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::cmp::Ordering;

/// Number of Feistel rounds.
const ROUNDS: usize = 8;
/// Domain-separation tag for the round keys; bump to re-shuffle every test.
const KEY_TAG: &[u8] = b"galantis/ab/feistel/v1";

/// Configuration of a campaign's A/B test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbTest {
    /// Number of variants, 2..=8. Variants are identified by index 0..variants.
    pub variants: u8,
    /// Share of the audience in the sample, 1..=100 (100: no rest).
    pub sample_percent: u8,
    /// Metric that picks the winner.
    pub metric: Metric,
    /// Wait after the sample's last send before picking the winner, >= 0.
    pub wait_ms: i64,
    /// Seed of the split; the only source of "randomness".
    pub seed: u64,
}

/// Why an [`AbTest`] is invalid; each variant names the bad field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AbError {
    #[error("ab.variants must be between 2 and 8, got {0}")]
    Variants(u8),
    #[error("ab.sample_percent must be between 1 and 100, got {0}")]
    SamplePercent(u8),
    #[error("ab.wait_ms must be >= 0, got {0}")]
    WaitMs(i64),
}

impl AbTest {
    /// Checks every field; returns the first bad one.
    pub fn validate(&self) -> Result<(), AbError> {
        if !(2..=8).contains(&self.variants) {
            return Err(AbError::Variants(self.variants));
        }
        if !(1..=100).contains(&self.sample_percent) {
            return Err(AbError::SamplePercent(self.sample_percent));
        }
        if self.wait_ms < 0 {
            return Err(AbError::WaitMs(self.wait_ms));
        }
        Ok(())
    }

    /// Variant count used for arithmetic; never 0 even for an invalid test.
    fn variant_divisor(&self) -> u64 {
        u64::from(self.variants.max(1))
    }
}

/// The metric that decides the winner.
pub use crate::domain::campaigns::AbMetric as Metric;

/// Where one recipient of the frozen audience goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Assignment {
    /// In the sample, receives this variant (0-based index).
    Sample(u8),
    /// Not in the sample; receives the winner later.
    Rest,
}

/// Keyed permutation of `[0, len)`; build once per (test, audience) and reuse
/// it to assign a whole audience without re-deriving the keys.
#[derive(Debug, Clone)]
pub struct Permutation {
    len: u64,
    half_bits: u32,
    keys: [u64; ROUNDS],
}

impl Permutation {
    /// The permutation of `[0, len)` keyed by `seed` (and `len`).
    pub fn new(seed: u64, len: u64) -> Self {
        let mut half_bits = 1u32;
        while half_bits < 32 && (1u128 << (2 * half_bits)) < u128::from(len) {
            half_bits += 1;
        }
        let mut keys = [0u64; ROUNDS];
        for (chunk_no, chunk) in keys.chunks_mut(4).enumerate() {
            let digest = Sha256::new()
                .chain_update(KEY_TAG)
                .chain_update(seed.to_le_bytes())
                .chain_update(len.to_le_bytes())
                .chain_update([chunk_no as u8])
                .finalize();
            for (key, bytes) in chunk.iter_mut().zip(digest.chunks_exact(8)) {
                let mut word = [0u8; 8];
                word.copy_from_slice(bytes);
                *key = u64::from_le_bytes(word);
            }
        }
        Self {
            len,
            half_bits,
            keys,
        }
    }

    /// Size of the permuted range.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when the range is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The permuted index of `position`, or `None` when `position >= len`.
    pub fn index(&self, position: u64) -> Option<u64> {
        if position >= self.len {
            return None;
        }
        // Cycle walking: the network is a bijection on the power-of-two domain,
        // so the orbit of an in-range value returns in range; this terminates.
        let mut value = self.feistel(position);
        while value >= self.len {
            value = self.feistel(value);
        }
        Some(value)
    }

    fn feistel(&self, value: u64) -> u64 {
        let mask = (1u64 << self.half_bits) - 1;
        let mut left = (value >> self.half_bits) & mask;
        let mut right = value & mask;
        for key in self.keys {
            let next = left ^ (mix64(right ^ key) & mask);
            left = right;
            right = next;
        }
        (left << self.half_bits) | right
    }
}

/// SplitMix64 finalizer: a fast bijective mixer of 64-bit words.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Number of sample recipients: `ceil(audience_len * sample_percent / 100)`,
/// so at least one when the audience is non-empty and the percent is >= 1.
/// A percent above 100 (invalid) is treated as 100.
pub fn sample_size(test: &AbTest, audience_len: u64) -> u64 {
    let percent = u128::from(test.sample_percent.min(100));
    let size = (u128::from(audience_len) * percent).div_ceil(100);
    u64::try_from(size)
        .unwrap_or(audience_len)
        .min(audience_len)
}

/// Recipients per variant in the sample; entries differ by at most one and
/// lower variants get the extra recipients.
pub fn variant_counts(test: &AbTest, audience_len: u64) -> Vec<u64> {
    let size = sample_size(test, audience_len);
    let variants = test.variant_divisor();
    (0..variants)
        .map(|v| size / variants + u64::from(v < size % variants))
        .collect()
}

/// Assigns the recipient at `position` (0-based, in the frozen ordered audience
/// of `audience_len`) to a sample variant or the rest. Deterministic in
/// (test.seed, test.variants, test.sample_percent, position, audience_len).
/// `contact_id` does not affect the result (see the module docs). A position
/// outside the audience is `Rest`. For many recipients prefer
/// [`assign_with`] with one shared [`Permutation`].
pub fn assign(test: &AbTest, position: u64, audience_len: u64, contact_id: u64) -> Assignment {
    let permutation = Permutation::new(test.seed, audience_len);
    assign_with(test, &permutation, position, contact_id)
}

/// [`assign`] with a prebuilt `Permutation::new(test.seed, audience_len)`.
pub fn assign_with(
    test: &AbTest,
    permutation: &Permutation,
    position: u64,
    _contact_id: u64,
) -> Assignment {
    let Some(index) = permutation.index(position) else {
        return Assignment::Rest;
    };
    if index >= sample_size(test, permutation.len()) {
        return Assignment::Rest;
    }
    // `variants` is a u8, so the remainder always fits.
    let variant = u8::try_from(index % test.variant_divisor()).unwrap_or(0);
    Assignment::Sample(variant)
}

/// Delivery outcomes of one variant of the sample.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantStats {
    pub sent: u64,
    pub delivered: u64,
    pub read: u64,
    pub replied: u64,
    pub clicked: u64,
    /// Attributed revenue, in minor currency units.
    pub revenue_minor: i64,
}

/// The picked variant and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Winner {
    /// 0-based variant index.
    pub variant: u8,
    /// Rate in [0, 1] for rate metrics; revenue (minor units) per sent message for Revenue.
    pub rate_or_value: f64,
    /// Human sentence, e.g. "variant B: read rate 41.2% (206 of 500) beats A 35.0%".
    pub reason: String,
}

/// One candidate's score as an exact fraction `numerator / sent` (sent > 0).
#[derive(Debug, Clone, Copy)]
struct Score {
    variant: u8,
    numerator: i128,
    sent: u64,
}

impl Score {
    fn value(&self) -> f64 {
        self.numerator as f64 / self.sent as f64
    }

    /// Exact comparison by cross-multiplication (no float rounding in ties);
    /// falls back to floats only if the products overflow i128.
    fn cmp_value(&self, other: &Score) -> Ordering {
        let lhs = self.numerator.checked_mul(i128::from(other.sent));
        let rhs = other.numerator.checked_mul(i128::from(self.sent));
        match (lhs, rhs) {
            (Some(l), Some(r)) => l.cmp(&r),
            _ => self.value().total_cmp(&other.value()),
        }
    }
}

/// Picks the winner by `metric`. Rate metrics compare `count / sent`; Revenue
/// compares revenue per sent message. A variant with `sent == 0` cannot win;
/// `None` when no variant sent anything. Ties (exactly equal values) go to the
/// lower variant index. Only the first 256 entries of `stats` are considered.
pub fn winner(metric: Metric, stats: &[VariantStats]) -> Option<Winner> {
    let mut scores: Vec<Score> = stats
        .iter()
        .zip(0..=u8::MAX)
        .filter(|(s, _)| s.sent > 0)
        .map(|(s, variant)| Score {
            variant,
            numerator: numerator(metric, s),
            sent: s.sent,
        })
        .collect();
    // Best first; the stable sort keeps lower indices first among equals.
    scores.sort_by(|a, b| b.cmp_value(a));
    let best = *scores.first()?;
    let mut reason = format!(
        "variant {}: {} {}",
        variant_name(best.variant),
        metric_label(metric),
        describe(metric, &best)
    );
    match scores.get(1) {
        Some(second) if best.cmp_value(second) == Ordering::Equal => reason.push_str(&format!(
            " ties {} {}; the lower variant wins ties",
            variant_name(second.variant),
            format_value(metric, second.value())
        )),
        Some(second) => reason.push_str(&format!(
            " beats {} {}",
            variant_name(second.variant),
            format_value(metric, second.value())
        )),
        None => reason.push_str("; no other variant sent anything"),
    }
    Some(Winner {
        variant: best.variant,
        rate_or_value: best.value(),
        reason,
    })
}

fn numerator(metric: Metric, s: &VariantStats) -> i128 {
    match metric {
        Metric::Delivered => i128::from(s.delivered),
        Metric::Read => i128::from(s.read),
        Metric::Replied => i128::from(s.replied),
        Metric::Clicked => i128::from(s.clicked),
        Metric::Revenue => i128::from(s.revenue_minor),
    }
}

fn metric_label(metric: Metric) -> &'static str {
    match metric {
        Metric::Delivered => "delivery rate",
        Metric::Read => "read rate",
        Metric::Replied => "reply rate",
        Metric::Clicked => "click rate",
        Metric::Revenue => "revenue per sent message",
    }
}

fn format_value(metric: Metric, value: f64) -> String {
    match metric {
        Metric::Revenue => format!("{value:.2}"),
        _ => format!("{:.1}%", value * 100.0),
    }
}

fn describe(metric: Metric, score: &Score) -> String {
    let value = format_value(metric, score.value());
    match metric {
        Metric::Revenue => format!(
            "{value} ({} minor units over {} sent)",
            score.numerator, score.sent
        ),
        _ => format!("{value} ({} of {})", score.numerator, score.sent),
    }
}

/// Letter name of a variant: 0 → "A", 1 → "B", …; beyond "Z" it is "#<index>".
pub fn variant_name(variant: u8) -> String {
    if variant < 26 {
        char::from(b'A' + variant).to_string()
    } else {
        format!("#{variant}")
    }
}

/// When the winner is picked: `wait_ms` after the sample's last send, never
/// before `launched_at_ms`. A negative (invalid) wait counts as 0; saturates.
pub fn decide_at(launched_at_ms: i64, sample_done_at_ms: i64, test: &AbTest) -> i64 {
    sample_done_at_ms
        .saturating_add(test.wait_ms.max(0))
        .max(launched_at_ms)
}

#[cfg(test)]
#[path = "ab_tests.rs"]
mod tests;
