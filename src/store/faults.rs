//! Test-only fault injection: makes chosen reads fail the way a disk error would, so tests
//! can prove that a transient store error neither stops an actor nor dead-letters a webhook.

use super::{Store, StoreError};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

/// Reads to fail: the next `remaining` reads of keys that contain `needle`.
#[derive(Default, Debug)]
pub(crate) struct Faults {
    remaining: AtomicU32,
    needle: Mutex<Vec<u8>>,
}

impl Faults {
    /// Fails with an injected I/O error when armed and `key` matches.
    pub(super) fn on_read(&self, key: &[u8]) -> Result<(), StoreError> {
        if self.remaining.load(Ordering::SeqCst) == 0 {
            return Ok(());
        }
        let hit = self
            .needle
            .lock()
            .map(|n| key.windows(n.len().max(1)).any(|w| w == n.as_slice()))
            .unwrap_or(false);
        if !hit {
            return Ok(());
        }
        let armed = self
            .remaining
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        match armed {
            Ok(_) => Err(StoreError::Sled(sled::Error::Io(std::io::Error::other(
                "injected read failure",
            )))),
            Err(_) => Ok(()),
        }
    }
}

impl Store {
    /// Makes the next `n` reads of keys containing `needle` fail with an I/O error.
    pub(crate) fn fail_reads(&self, needle: &[u8], n: u32) {
        if let Ok(mut k) = self.faults.needle.lock() {
            *k = needle.to_vec();
        }
        self.faults.remaining.store(n, Ordering::SeqCst);
    }
}
