//! Tests of the journal: dedupe, settling, reopen, migration.

use super::*;
use crate::store::{codec, keys, Batch, Store};

fn entry(id: &str) -> JournalEntry {
    JournalEntry {
        shop: "s.myshopify.com".into(),
        source: crate::logic::Source::parse("customers/create"),
        webhook_id: id.into(),
        api_version: "2026-04".into(),
        triggered_at: None,
        received_at: Timestamp(1),
        body: bytes::Bytes::from_static(b"{}"),
    }
}

/// Opens the store again once the previous handle's background tasks have let go of
/// sled's lock file.
async fn reopen(dir: &std::path::Path) -> Store {
    for _ in 0..200 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        if let Ok(s) = Store::open(dir, 1 << 20) {
            return s;
        }
    }
    Store::open(dir, 1 << 20).expect("reopen")
}

fn new_seq(a: Accepted) -> u64 {
    match a {
        Accepted::New { seq, .. } => seq,
        Accepted::Duplicate => panic!("expected a new entry"),
    }
}

#[tokio::test]
async fn dedupes_while_pending_and_after_applied() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path(), 1 << 20).expect("store");
    let seq = new_seq(store.accept_webhook(entry("w1")).expect("accept"));
    assert_eq!(
        store.accept_webhook(entry("w1")).expect("again"),
        Accepted::Duplicate,
        "pending"
    );
    assert!(store.is_pending(seq));
    let mut batch = Batch::new();
    batch.applied(seq, &entry("w1")).expect("mark");
    store.commit(batch).expect("commit");
    assert!(!store.is_pending(seq));
    assert_eq!(
        store.accept_webhook(entry("w1")).expect("after"),
        Accepted::Duplicate,
        "applied"
    );
    assert_eq!(store.sweep_seen(Timestamp(i64::MAX)).expect("sweep"), 1);
    assert!(matches!(
        store.accept_webhook(entry("w1")).expect("swept"),
        Accepted::New { .. }
    ));
}

#[tokio::test]
async fn an_applied_entry_stays_indexed_until_its_batch_is_in_sled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path(), 1 << 20).expect("store");
    let seq = new_seq(store.accept_webhook(entry("w")).expect("accept"));
    let mut batch = Batch::new();
    batch.applied(seq, &entry("w")).expect("mark");
    store.commit(batch).expect("commit");
    // Committed (staged): not delivered again, still a duplicate, still indexed.
    assert!(!store.is_pending(seq));
    assert!(store.pending().is_empty());
    assert_eq!(store.pending_count(), 1);
    assert_eq!(
        store.accept_webhook(entry("w")).expect("dup"),
        Accepted::Duplicate
    );
    // A checkpoint writes the batch to sled first: the entry is settled.
    store.checkpoint().await.expect("checkpoint");
    assert_eq!(store.pending_count(), 0);
    assert_eq!(
        store.accept_webhook(entry("w")).expect("dup"),
        Accepted::Duplicate,
        "the marker is in sled now"
    );
}

#[tokio::test]
async fn a_reopen_brings_back_exactly_the_unapplied_entries_under_their_seq() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (applied, waiting) = {
        let store = Store::open(dir.path(), 1 << 20).expect("store");
        store
            .tree
            .insert(keys::tenant("s.myshopify.com"), b"t".to_vec())
            .expect("tenant");
        let a = new_seq(store.accept_webhook(entry("a")).expect("a"));
        let b = new_seq(store.accept_webhook(entry("b")).expect("b"));
        store.ack_durable().await.expect("durable");
        let mut batch = Batch::new();
        batch.applied(a, &entry("a")).expect("mark");
        store.commit(batch).expect("commit");
        store.flush_now().expect("flush");
        (a, b)
    };
    let store = reopen(dir.path()).await;
    let pending: Vec<u64> = store.pending().into_iter().map(|(s, _)| s).collect();
    assert_eq!(pending, vec![waiting]);
    assert!(!store.is_pending(applied));
    assert_eq!(
        store.accept_webhook(entry("b")).expect("b"),
        Accepted::Duplicate
    );
    // A checkpoint keeps the pending entry (copied forward) and drops the old segments.
    store.checkpoint().await.expect("checkpoint");
    drop(store);
    let store = reopen(dir.path()).await;
    assert_eq!(store.pending().len(), 1);
    assert_eq!(store.wal.segment_count(), 1);
}

#[tokio::test]
async fn an_entry_journaled_in_sled_by_an_earlier_version_is_migrated() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = Store::open(dir.path(), 1 << 20).expect("store");
        let e = entry("old");
        store
            .tree
            .insert(keys::journal(77), codec::encode(&e).expect("encode"))
            .expect("insert");
        store
            .tree
            .insert(
                keys::seen(&e.shop, &e.webhook_id),
                codec::encode(&Seen {
                    seq: 77,
                    at: e.received_at,
                })
                .expect("encode"),
            )
            .expect("marker");
        store.flush_now().expect("flush");
    }
    let store = reopen(dir.path()).await;
    assert_eq!(
        store
            .pending()
            .into_iter()
            .map(|(s, e)| (s, e.webhook_id.clone()))
            .collect::<Vec<_>>(),
        vec![(77, "old".to_string())]
    );
    assert!(store.tree.get(keys::journal(77)).expect("get").is_none());
    assert_eq!(
        store.accept_webhook(entry("old")).expect("dup"),
        Accepted::Duplicate
    );
}

#[test]
fn entries_stored_with_a_vec_body_still_decode() {
    #[derive(serde::Serialize)]
    struct Before {
        shop: String,
        topic: String,
        webhook_id: String,
        api_version: String,
        triggered_at: Option<Timestamp>,
        received_at: Timestamp,
        body: Vec<u8>,
    }
    let before = Before {
        shop: "s.myshopify.com".into(),
        topic: "customers/create".into(),
        webhook_id: "w".into(),
        api_version: "2026-04".into(),
        triggered_at: None,
        received_at: Timestamp(1),
        body: br#"{"id": 1}"#.to_vec(),
    };
    let bytes = codec::encode(&before).expect("encode");
    let now: JournalEntry = codec::decode(&bytes).expect("decode");
    assert_eq!(&now.body[..], br#"{"id": 1}"#);
    assert_eq!(
        codec::encode(&now).expect("encode"),
        bytes,
        "same bytes both ways"
    );
}

#[tokio::test]
async fn the_dedupe_filter_knows_markers_from_disk_and_from_commits() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = Store::open(dir.path(), 1 << 20).expect("store");
        let seq = new_seq(store.accept_webhook(entry("w1")).expect("accept"));
        let mut batch = Batch::new();
        batch.applied(seq, &entry("w1")).expect("mark");
        store.commit(batch).expect("commit");
        store.flush_now().expect("flush");
    }
    let store = reopen(dir.path()).await;
    for _ in 0..500 {
        if store.dedupe_filter_ready() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(store.dedupe_filter_ready(), "the scan of markers finished");
    // The filter answers "no" now; a marker written by the previous run is in it.
    assert_eq!(
        store.accept_webhook(entry("w1")).expect("again"),
        Accepted::Duplicate,
        "marker from the previous run"
    );
    // A marker committed while the filter is in use: once its entry has settled (left the
    // pending index), only the filter and sled can tell it was seen.
    let seq = new_seq(store.accept_webhook(entry("w2")).expect("new"));
    let mut batch = Batch::new();
    batch.applied(seq, &entry("w2")).expect("mark");
    store.commit(batch).expect("commit");
    store.flush_now().expect("settle");
    assert_eq!(store.pending_count(), 0, "settled");
    assert_eq!(
        store.accept_webhook(entry("w2")).expect("again"),
        Accepted::Duplicate,
        "marker committed after the filter was ready"
    );
    assert!(matches!(
        store.accept_webhook(entry("w3")).expect("new"),
        Accepted::New { .. }
    ));
}

#[tokio::test]
async fn a_checkpoint_does_not_carry_applied_entries_and_loses_none() {
    let dir = tempfile::tempdir().expect("tempdir");
    let waiting = {
        let store = Store::open(dir.path(), 1 << 20).expect("store");
        store
            .tree
            .insert(keys::tenant("s.myshopify.com"), b"t".to_vec())
            .expect("tenant");
        let a = new_seq(store.accept_webhook(entry("a")).expect("a"));
        let b = new_seq(store.accept_webhook(entry("b")).expect("b"));
        store.ack_durable().await.expect("durable");
        // `a` is applied (staged, not in sled yet); `b` waits.
        let mut batch = Batch::new();
        batch.applied(a, &entry("a")).expect("mark");
        store.commit(batch).expect("commit");
        store.checkpoint().await.expect("checkpoint");
        assert_eq!(store.wal.segment_count(), 1, "the old segment is gone");
        b
    };
    let store = reopen(dir.path()).await;
    let pending: Vec<u64> = store.pending().into_iter().map(|(s, _)| s).collect();
    assert_eq!(pending, vec![waiting], "the waiting entry was carried");
    assert_eq!(
        store.accept_webhook(entry("a")).expect("a"),
        Accepted::Duplicate,
        "the applied entry's marker reached sled before its segment was deleted"
    );
}
