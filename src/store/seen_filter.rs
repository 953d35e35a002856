//! A Bloom filter of the dedupe markers' keys (`S<shop>\0<webhook id>`), so that a new
//! webhook — nearly every webhook — is journaled without a sled read.
//!
//! "No" from the filter is certain, "maybe" sends the check to sled as before, so a false
//! positive costs one read and never a wrong answer. The filter can only say "no" once it
//! holds every marker on disk: it starts *not ready* (every answer "maybe"), every marker
//! [`super::Store::commit`] writes is added before it is staged, a background thread adds
//! the markers found in sled at open, and only then is it ready. Markers removed later
//! (retention sweep, erasure) stay in it as false positives.
//!
//! Sized for ~3.5 M markers at 1 % false positives (4 MiB, 7 probes); a store that keeps
//! far more within its dedupe retention sees the rate rise towards "maybe" for everything,
//! which is the cost of a sled read per webhook, as without the filter.

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Bits in the filter (a power of two).
const BITS: usize = 1 << 25;
/// Probes per key.
const PROBES: u64 = 7;

/// The filter. Shared by every store handle.
pub(super) struct SeenFilter {
    words: Box<[AtomicU64]>,
    ready: AtomicBool,
}

impl std::fmt::Debug for SeenFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeenFilter")
            .field("bits", &BITS)
            .field("ready", &self.is_ready())
            .finish()
    }
}

impl Default for SeenFilter {
    fn default() -> Self {
        Self {
            words: (0..BITS / 64).map(|_| AtomicU64::new(0)).collect(),
            ready: AtomicBool::new(false),
        }
    }
}

/// Two independent 64-bit hashes of `key` (SipHash with fixed keys: stable in a run).
fn hashes(key: &[u8]) -> (u64, u64) {
    let h = |salt: u8| {
        let mut s = std::collections::hash_map::DefaultHasher::new();
        salt.hash(&mut s);
        key.hash(&mut s);
        s.finish()
    };
    (h(0), h(1) | 1)
}

/// The bit positions of `key` (double hashing).
fn positions(key: &[u8]) -> impl Iterator<Item = usize> {
    let (a, b) = hashes(key);
    (0..PROBES).map(move |i| (a.wrapping_add(i.wrapping_mul(b)) as usize) & (BITS - 1))
}

impl SeenFilter {
    /// Adds a marker key. Call before the marker becomes visible to readers.
    pub(super) fn insert(&self, key: &[u8]) {
        for p in positions(key) {
            self.words[p / 64].fetch_or(1 << (p % 64), Ordering::Relaxed);
        }
    }

    /// False only when `key` is certainly not a marker in the store. Callers that need the
    /// answer to hold against a concurrent [`SeenFilter::insert`] order the two through a
    /// lock (the journal's pending index; see `Store::journal`).
    pub(super) fn may_contain(&self, key: &[u8]) -> bool {
        if !self.ready.load(Ordering::Acquire) {
            return true;
        }
        positions(key).all(|p| self.words[p / 64].load(Ordering::Relaxed) & (1 << (p % 64)) != 0)
    }

    /// Every marker on disk at open has been added: "no" answers are certain from now on.
    pub(super) fn set_ready(&self) {
        self.ready.store(true, Ordering::Release);
    }

    /// Whether the filter answers "no" yet (metrics, tests).
    pub(super) fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_ready_says_maybe_to_everything() {
        let f = SeenFilter::default();
        assert!(f.may_contain(b"Sa.myshopify.com\0w1"));
        f.set_ready();
        assert!(!f.may_contain(b"Sa.myshopify.com\0w1"));
    }

    #[test]
    fn inserted_keys_are_always_found_and_few_others_are() {
        let f = SeenFilter::default();
        f.set_ready();
        let key = |i: u32| format!("Sshop-{}.myshopify.com\0{i:08x}-webhook", i % 7).into_bytes();
        for i in 0..50_000 {
            f.insert(&key(i));
        }
        assert!((0..50_000).all(|i| f.may_contain(&key(i))));
        let false_positives = (50_000..150_000)
            .filter(|&i| f.may_contain(&key(i)))
            .count();
        assert!(
            false_positives < 100,
            "{false_positives} false positives in 100,000 (expected about 0 at this load)"
        );
    }
}
