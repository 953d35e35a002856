//! The webhook write-ahead log: the acknowledgement path's durability. Each accepted
//! webhook is appended to a segment file and made durable by a group `fdatasync` (one per
//! batch of waiting requests), instead of a sled flush: sled 0.34's flush holds a tree-wide
//! lock and rewrites whole pages (BENCHMARKS.md), an append of one record does neither.
//!
//! The journal in sled stays the source of pending work; the log only covers the window in
//! which sled may not have written the entry yet. A checkpoint (every second) rotates to a
//! new segment, flushes sled, and deletes the older segments: everything they hold reached
//! sled before the flush began. At start, records of the remaining segments whose dedupe
//! marker sled lost are journaled again ([`super::Store::replay_wal`]).
//!
//! Record: `len: u32 LE | crc32(payload): u32 LE | payload` (a versioned envelope of a
//! [`JournalEntry`]). A torn or corrupt tail (a crash mid-append, never acknowledged) ends
//! the segment.

use super::{codec, JournalEntry, StoreError};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::{mpsc, oneshot};

type Waiter = oneshot::Sender<Result<(), String>>;

/// The open log.
#[derive(Clone, Debug)]
pub struct Wal {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    current: Mutex<Segment>,
    tx: mpsc::UnboundedSender<Waiter>,
}

#[derive(Debug)]
struct Segment {
    id: u64,
    file: Arc<File>,
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

fn segment_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("wal-{id:020}.log"))
}

fn segments(dir: &Path) -> Result<Vec<u64>, StoreError> {
    let mut ids = Vec::new();
    for e in std::fs::read_dir(dir).map_err(io)? {
        let name = e.map_err(io)?.file_name();
        let name = name.to_string_lossy();
        if let Some(id) = name
            .strip_prefix("wal-")
            .and_then(|r| r.strip_suffix(".log"))
            .and_then(|n| n.parse::<u64>().ok())
        {
            ids.push(id);
        }
    }
    ids.sort_unstable();
    Ok(ids)
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Flush(format!("write-ahead log: {e}"))
}

/// Reads the records of one segment up to its first torn or corrupt record.
fn read_segment(path: &Path) -> Result<Vec<JournalEntry>, StoreError> {
    let mut bytes = Vec::new();
    File::open(path)
        .map_err(io)?
        .read_to_end(&mut bytes)
        .map_err(io)?;
    let mut out = Vec::new();
    let mut at = 0usize;
    while at + 8 <= bytes.len() {
        let len =
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize;
        let crc = u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]]);
        let Some(payload) = bytes.get(at + 8..at + 8 + len) else {
            break;
        };
        if crc32(payload) != crc {
            break;
        }
        match codec::decode::<JournalEntry>(payload) {
            Ok(e) => out.push(e),
            Err(_) => break,
        }
        at += 8 + len;
    }
    Ok(out)
}

fn open_segment(dir: &Path, id: u64) -> Result<Segment, StoreError> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(segment_path(dir, id))
        .map_err(io)?;
    Ok(Segment {
        id,
        file: Arc::new(file),
    })
}

impl Wal {
    /// Opens the log in `dir`: returns it (appending to a new segment) and the records of
    /// the segments left by the previous run, oldest first. Must run inside a tokio
    /// runtime (it starts the group-sync task).
    ///
    /// # Errors
    /// When the directory or a segment cannot be read or created.
    pub fn open(dir: &Path) -> Result<(Self, Vec<JournalEntry>), StoreError> {
        std::fs::create_dir_all(dir).map_err(io)?;
        let old = segments(dir)?;
        let mut records = Vec::new();
        for id in &old {
            records.extend(read_segment(&segment_path(dir, *id))?);
        }
        let next = old.last().map_or(1, |l| l + 1);
        let current = open_segment(dir, next)?;
        let (tx, mut rx) = mpsc::unbounded_channel::<Waiter>();
        let inner = Arc::new(Inner {
            dir: dir.to_path_buf(),
            current: Mutex::new(current),
            tx,
        });
        let syncing = Arc::downgrade(&inner);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut waiters = vec![first];
                while let Ok(w) = rx.try_recv() {
                    waiters.push(w);
                }
                let Some(inner) = syncing.upgrade() else {
                    break;
                };
                let file = inner
                    .current
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .file
                    .clone();
                drop(inner);
                let r = match tokio::task::spawn_blocking(move || file.sync_data()).await {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(e)) => Err(format!("write-ahead log sync failed: {e}")),
                    Err(e) => Err(format!("write-ahead log sync task failed: {e}")),
                };
                metrics::counter!("galantis_wal_syncs_total").increment(1);
                for w in waiters {
                    let _ = w.send(r.clone());
                }
            }
        });
        Ok((Self { inner }, records))
    }

    /// Appends a record (not yet durable: see [`Wal::durable`]).
    ///
    /// # Errors
    /// When the record cannot be encoded or written.
    pub fn append(&self, entry: &JournalEntry) -> Result<(), StoreError> {
        let payload = codec::encode(entry)?;
        let mut rec = Vec::with_capacity(payload.len() + 8);
        rec.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        rec.extend_from_slice(&crc32(&payload).to_le_bytes());
        rec.extend_from_slice(&payload);
        let seg = self
            .inner
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        (&*seg.file).write_all(&rec).map_err(io)
    }

    /// Waits until every record appended before the call is on disk (group sync).
    ///
    /// # Errors
    /// When the sync fails or the log is closing.
    pub async fn durable(&self) -> Result<(), StoreError> {
        let (tx, rx) = oneshot::channel();
        self.inner
            .tx
            .send(tx)
            .map_err(|_| StoreError::Flush("the write-ahead log is closed".into()))?;
        rx.await
            .map_err(|_| StoreError::Flush("the write-ahead log is closed".into()))?
            .map_err(StoreError::Flush)
    }

    /// Starts a new segment (after syncing the current one) and returns the id of the last
    /// closed segment: once sled is flushed, segments up to it can be deleted.
    ///
    /// # Errors
    /// When the new segment cannot be created or the old one synced.
    pub fn rotate(&self) -> Result<u64, StoreError> {
        let mut seg = self
            .inner
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        seg.file.sync_data().map_err(io)?;
        let closed = seg.id;
        *seg = open_segment(&self.inner.dir, closed + 1)?;
        Ok(closed)
    }

    /// Deletes segments with ids up to `upto` (their records are in flushed sled state).
    ///
    /// # Errors
    /// When the directory cannot be read or a file removed.
    pub fn delete_upto(&self, upto: u64) -> Result<usize, StoreError> {
        let mut n = 0;
        for id in segments(&self.inner.dir)? {
            if id <= upto {
                std::fs::remove_file(segment_path(&self.inner.dir, id)).map_err(io)?;
                n += 1;
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;

    fn entry(i: u32) -> JournalEntry {
        JournalEntry {
            shop: "s.myshopify.com".into(),
            topic: "customers/create".into(),
            webhook_id: format!("w{i}"),
            api_version: "2026-04".into(),
            triggered_at: None,
            received_at: Timestamp(i64::from(i)),
            body: vec![b'x'; 100],
        }
    }

    #[test]
    fn crc_matches_the_ieee_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[tokio::test]
    async fn records_survive_a_reopen_and_a_torn_tail_is_dropped() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let (wal, old) = Wal::open(dir.path()).expect("open");
            assert!(old.is_empty());
            for i in 0..3 {
                wal.append(&entry(i)).expect("append");
            }
            wal.durable().await.expect("durable");
        }
        // A crash mid-append: half a record at the end of the segment.
        let last = *segments(dir.path()).expect("segments").last().expect("one");
        let mut f = OpenOptions::new()
            .append(true)
            .open(segment_path(dir.path(), last))
            .expect("open");
        f.write_all(&[200, 0, 0, 0, 1, 2, 3]).expect("torn");
        let (wal, old) = Wal::open(dir.path()).expect("reopen");
        assert_eq!(
            old.iter()
                .map(|e| e.webhook_id.as_str())
                .collect::<Vec<_>>(),
            ["w0", "w1", "w2"]
        );
        let closed = wal.rotate().expect("rotate");
        assert!(wal.delete_upto(closed).expect("delete") >= 2);
        drop(wal);
        let (_, old) = Wal::open(dir.path()).expect("reopen");
        assert!(old.is_empty(), "checkpointed segments are gone");
    }
}
