//! The write-ahead log: append-only segment files made durable by one group `fdatasync`
//! per batch of waiting requests. It is the webhook journal's disk form (see [`super::journal`]);
//! sled is never on the acknowledgement path (its flush holds a tree-wide lock and rewrites
//! whole pages, BENCHMARKS.md).
//!
//! Appends only copy the record into an in-memory buffer. One sync thread takes every waiting
//! request, writes the buffer to the open segment with one `write`, calls `fdatasync` once
//! and releases them all; it also rotates to a new segment on request, so the segment a
//! record was appended under is always the file it lands in.
//!
//! Record: `len: u32 LE | crc32(payload): u32 LE | payload`. A torn or corrupt tail (a crash
//! mid-write, never acknowledged) ends the segment when it is read back.
//!
//! A failed write or sync poisons the log: every later append and sync fails (503 to the
//! caller, which retries), because records of the failed batch may be lost and must never
//! be acknowledged as durable. The operator restarts the engine once the disk is fixed.

use super::StoreError;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio::sync::oneshot;

type Reply<T> = oneshot::Sender<Result<T, String>>;

enum Cmd {
    Sync(Reply<()>),
    Rotate(Reply<Option<u64>>),
}

/// The open log. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Wal {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    /// Records appended but not yet written, and the segment they belong to.
    buf: Mutex<Buffer>,
    /// The open segment file; held by whoever writes the buffer out (lock order: `file`,
    /// then `buf`).
    file: Mutex<OpenSegment>,
    /// To the sync thread.
    tx: std::sync::mpsc::Sender<Cmd>,
    /// Tests: how many segment opens fail with `EMFILE` (descriptor pressure).
    #[cfg(test)]
    failing_opens: std::sync::atomic::AtomicU32,
}

#[derive(Debug)]
struct Buffer {
    segment: u64,
    bytes: Vec<u8>,
    failed: Option<String>,
}

#[derive(Debug)]
struct OpenSegment {
    id: u64,
    file: Option<File>,
    written: u64,
    /// The buffer written last, emptied, for the next swap.
    spare: Vec<u8>,
}

/// A spare buffer bigger than this (after a burst) is freed rather than kept.
const SPARE_MAX: usize = 4 << 20;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
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

/// The process (`EMFILE`) or the system (`ENFILE`) is out of file descriptors.
fn is_descriptor_exhaustion(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Flush(format!("write-ahead log: {e}"))
}

/// Frames one record.
fn frame(payload: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
}

/// The payloads of one segment up to its first torn or corrupt record.
fn read_segment(path: &Path) -> Result<Vec<Vec<u8>>, StoreError> {
    let mut bytes = Vec::new();
    File::open(path)
        .map_err(io)?
        .read_to_end(&mut bytes)
        .map_err(io)?;
    let mut out = Vec::new();
    let mut at = 0usize;
    while let Some(head) = bytes.get(at..at + 8) {
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        let Some(payload) = bytes.get(at + 8..at + 8 + len) else {
            break;
        };
        if crc32fast::hash(payload) != crc {
            break;
        }
        out.push(payload.to_vec());
        at += 8 + len;
    }
    Ok(out)
}

impl Inner {
    /// Writes the buffer to the open segment and syncs it; with `rotate`, then starts the
    /// next segment and returns the id of the last closed one (every record appended before
    /// the call is in a segment up to it). Runs on the sync thread.
    ///
    /// The next segment is opened *before* anything is switched to it: when that fails (out
    /// of descriptors, `EMFILE`/`ENFILE`, or any other refusal) nothing has been written
    /// anywhere else, so the rotation is simply deferred (`Ok(None)`), the buffer goes to
    /// the current segment as for a sync, and the log stays healthy. Only a failed write or
    /// sync poisons it.
    fn write_out(&self, rotate: bool) -> Result<Option<u64>, String> {
        let mut seg = lock(&self.file);
        // An empty segment is not rotated: there is nothing in it to close. Records
        // appended before the call are in the buffer by now, so a buffer seen empty here
        // means none of them is in the current segment.
        let wants_rotation = rotate && (seg.written > 0 || !lock(&self.buf).bytes.is_empty());
        let mut deferred = false;
        let next = if wants_rotation {
            match self.open_segment(seg.id + 1) {
                Ok(f) => Some(f),
                Err(e) => {
                    deferred = true;
                    metrics::counter!("galantis_wal_rotations_deferred_total").increment(1);
                    tracing::warn!(
                        message = "Write-ahead log rotation deferred: the next segment cannot be opened; the current one is kept and the checkpoint retries.",
                        error = %e,
                        emfile = is_descriptor_exhaustion(&e),
                    );
                    None
                }
            }
        } else {
            None
        };
        // The buffers are swapped, not taken: appends keep reusing the capacity of the
        // one written last (no growing a new buffer, and no fresh pages, every group).
        let mut bytes = std::mem::take(&mut seg.spare);
        let id = {
            let mut b = lock(&self.buf);
            if let Some(f) = &b.failed {
                return Err(f.clone());
            }
            let id = b.segment;
            std::mem::swap(&mut b.bytes, &mut bytes);
            if next.is_some() {
                b.segment += 1;
            }
            id
        };
        let r = self.write_synced(&mut seg, id, &bytes);
        if bytes.capacity() <= SPARE_MAX {
            bytes.clear();
            seg.spare = bytes;
        }
        if let Err(e) = &r {
            let msg = format!("write-ahead log failed, refusing writes until restart: {e}");
            tracing::error!(message = "Write-ahead log failed.", error = %e);
            lock(&self.buf).failed = Some(msg.clone());
            return Err(msg);
        }
        if let Some(f) = next {
            seg.id = id + 1;
            seg.file = Some(f);
            seg.written = 0;
            return Ok(Some(id));
        }
        if deferred {
            return Ok(None);
        }
        Ok(Some(id.saturating_sub(1)))
    }

    /// Creates (or reopens) segment `id` for appending.
    fn open_segment(&self, id: u64) -> std::io::Result<File> {
        #[cfg(test)]
        {
            use std::sync::atomic::Ordering;
            let armed = self
                .failing_opens
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
            if armed.is_ok() {
                return Err(std::io::Error::from_raw_os_error(libc::EMFILE));
            }
        }
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(segment_path(&self.dir, id))
    }

    fn write_synced(&self, seg: &mut OpenSegment, id: u64, bytes: &[u8]) -> std::io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        debug_assert_eq!(
            seg.id, id,
            "records land in the segment they were appended to"
        );
        if seg.file.is_none() {
            seg.file = Some(self.open_segment(seg.id)?);
        }
        if let Some(f) = seg.file.as_mut() {
            f.write_all(bytes)?;
            f.sync_data()?;
        }
        seg.written += bytes.len() as u64;
        Ok(())
    }
}

/// The sync thread: takes every waiting command, writes and syncs once, answers them all.
/// A dedicated OS thread rather than a tokio task: the group's latency is then the disk's
/// (~0.2 ms here) and not the wait of a task queued behind every busy HTTP connection on
/// the runtime's workers (a task plus `spawn_blocking` gave ~1.4 ms cycles under load:
/// BENCHMARKS.md, session 3). Ends when the log is dropped.
fn sync_loop(rx: &std::sync::mpsc::Receiver<Cmd>, log: &std::sync::Weak<Inner>) {
    while let Ok(first) = rx.recv() {
        let mut cmds = vec![first];
        cmds.extend(rx.try_iter());
        let Some(inner) = log.upgrade() else {
            break;
        };
        let rotate = cmds.iter().any(|c| matches!(c, Cmd::Rotate(_)));
        let r = inner.write_out(rotate);
        drop(inner);
        metrics::counter!("galantis_wal_syncs_total").increment(1);
        metrics::histogram!("galantis_wal_sync_batch_size").record(cmds.len() as f64);
        for c in cmds {
            match c {
                Cmd::Sync(w) => drop(w.send(r.clone().map(|_| ()))),
                Cmd::Rotate(w) => drop(w.send(r.clone())),
            }
        }
    }
}

impl Wal {
    /// Opens the log in `dir`: returns it (appending to a new segment) and the payloads of
    /// the segments left by the previous run, oldest first. Starts the sync thread.
    ///
    /// # Errors
    /// When the directory or a segment cannot be read.
    pub fn open(dir: &Path) -> Result<(Self, Vec<Vec<u8>>), StoreError> {
        std::fs::create_dir_all(dir).map_err(io)?;
        let old = segments(dir)?;
        let mut records = Vec::new();
        for id in &old {
            records.extend(read_segment(&segment_path(dir, *id))?);
        }
        let next = old.last().map_or(1, |l| l + 1);
        let (tx, rx) = std::sync::mpsc::channel::<Cmd>();
        let inner = Arc::new(Inner {
            dir: dir.to_path_buf(),
            buf: Mutex::new(Buffer {
                segment: next,
                bytes: Vec::new(),
                failed: None,
            }),
            file: Mutex::new(OpenSegment {
                id: next,
                file: None,
                written: 0,
                spare: Vec::new(),
            }),
            tx,
            #[cfg(test)]
            failing_opens: std::sync::atomic::AtomicU32::new(0),
        });
        let syncing = Arc::downgrade(&inner);
        std::thread::Builder::new()
            .name("wal-sync".into())
            .spawn(move || sync_loop(&rx, &syncing))
            .map_err(io)?;
        Ok((Self { inner }, records))
    }

    /// Appends a record (not yet durable: see [`Wal::durable`]) and returns the segment it
    /// belongs to.
    ///
    /// # Errors
    /// When the log has failed.
    pub fn append(&self, payload: &[u8]) -> Result<u64, StoreError> {
        let mut b = lock(&self.inner.buf);
        if let Some(f) = &b.failed {
            return Err(StoreError::Flush(f.clone()));
        }
        frame(payload, &mut b.bytes);
        Ok(b.segment)
    }

    async fn command<T>(&self, cmd: impl FnOnce(Reply<T>) -> Cmd) -> Result<T, StoreError> {
        let (tx, rx) = oneshot::channel();
        let closed = || StoreError::Flush("the write-ahead log is closed".into());
        self.inner.tx.send(cmd(tx)).map_err(|_| closed())?;
        rx.await.map_err(|_| closed())?.map_err(StoreError::Flush)
    }

    /// Waits until every record appended before the call is on disk (group sync).
    ///
    /// # Errors
    /// When the write or sync fails, or the log is closing.
    pub async fn durable(&self) -> Result<(), StoreError> {
        self.command(Cmd::Sync).await
    }

    /// Makes everything appended so far durable and starts a new segment; returns the id of
    /// the last closed segment (every record appended before the call is in a segment up to
    /// it, on disk), or `None` when the next segment could not be opened (out of file
    /// descriptors): everything is durable in the current segment, which stays open, and
    /// the caller tries again later.
    ///
    /// # Errors
    /// When the write or sync fails, or the log is closing.
    pub async fn rotate(&self) -> Result<Option<u64>, StoreError> {
        self.command(Cmd::Rotate).await
    }

    /// [`Wal::durable`] for code that is not async (opening the store); blocks.
    ///
    /// # Errors
    /// When the write or sync fails.
    pub fn durable_blocking(&self) -> Result<(), StoreError> {
        self.inner
            .write_out(false)
            .map(|_| ())
            .map_err(StoreError::Flush)
    }

    /// Deletes segments with ids up to `upto`.
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

    /// The segment appends go to now.
    pub fn current_segment(&self) -> u64 {
        lock(&self.inner.buf).segment
    }

    /// Number of segment files on disk (metrics, tests).
    pub fn segment_count(&self) -> usize {
        segments(&self.inner.dir).map_or(0, |s| s.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_ieee_check_value() {
        assert_eq!(crc32fast::hash(b"123456789"), 0xCBF4_3926);
    }

    #[tokio::test]
    async fn records_survive_a_reopen_and_a_torn_tail_is_dropped() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let (wal, old) = Wal::open(dir.path()).expect("open");
            assert!(old.is_empty());
            for i in 0u8..3 {
                wal.append(&[i; 100]).expect("append");
            }
            wal.durable().await.expect("durable");
        }
        // A crash mid-write: half a record at the end of the segment.
        let last = *segments(dir.path()).expect("segments").last().expect("one");
        let mut f = OpenOptions::new()
            .append(true)
            .open(segment_path(dir.path(), last))
            .expect("open");
        f.write_all(&[200, 0, 0, 0, 1, 2, 3]).expect("torn");
        let (wal, old) = Wal::open(dir.path()).expect("reopen");
        assert_eq!(old, vec![vec![0u8; 100], vec![1u8; 100], vec![2u8; 100]]);
        let closed = wal.rotate().await.expect("rotate");
        assert_eq!(
            closed,
            Some(last),
            "nothing new was written: the old segment is the last"
        );
        assert_eq!(wal.delete_upto(last).expect("delete"), 1);
        drop(wal);
        let (_, old) = Wal::open(dir.path()).expect("reopen");
        assert!(old.is_empty(), "deleted segments are gone");
    }

    #[tokio::test]
    async fn rotation_closes_what_was_appended_before_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (wal, _) = Wal::open(dir.path()).expect("open");
        let first = wal.append(b"a").expect("append");
        let closed = wal.rotate().await.expect("rotate");
        assert_eq!(closed, Some(first));
        let second = wal.append(b"b").expect("append");
        assert_eq!(
            second,
            first + 1,
            "appends after the rotation go to the next one"
        );
        wal.durable().await.expect("durable");
        assert_eq!(wal.segment_count(), 2);
        // An empty segment is not rotated again and again.
        assert_eq!(wal.rotate().await.expect("rotate"), Some(second));
        assert_eq!(wal.rotate().await.expect("rotate"), Some(second));
        assert_eq!(wal.delete_upto(second).expect("delete"), 2);
        // The next segment was opened (empty) by the first of those rotations.
        assert_eq!(wal.segment_count(), 1);
    }

    #[tokio::test]
    async fn a_rotation_under_descriptor_pressure_is_deferred_and_loses_nothing() {
        use std::sync::atomic::Ordering;
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let (wal, _) = Wal::open(dir.path()).expect("open");
            wal.append(b"a").expect("append");
            wal.durable().await.expect("durable");
            wal.append(b"b").expect("append");
            // The process is out of descriptors when the checkpoint rotates.
            wal.inner.failing_opens.store(1, Ordering::SeqCst);
            let deferred = wal.rotate().await.expect("a refused open is not an error");
            assert_eq!(deferred, None, "the rotation is deferred");
            // The log still takes and keeps records: it was not poisoned.
            wal.append(b"c").expect("append after a refused open");
            wal.durable().await.expect("durable after a refused open");
            // Descriptors are back: the next rotation closes everything so far.
            let closed = wal
                .rotate()
                .await
                .expect("rotate once descriptors are back");
            wal.append(b"d").expect("append");
            wal.durable().await.expect("durable");
            assert_eq!(closed, Some(1), "a, b and c stayed in the first segment");
        }
        let (_, old) = Wal::open(dir.path()).expect("reopen");
        assert_eq!(
            old,
            vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec(), b"d".to_vec()]
        );
    }
}
