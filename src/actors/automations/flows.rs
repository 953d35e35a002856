//! The tenant's flows as the automation actor holds them: every version's definition
//! (runs finish on the version they started on), the current version and status of each
//! flow, and its run counts. Loaded at start; every change is written through.
//! Owns `Kind::Flow`, `Kind::FlowVersion` and `Kind::FlowStats`.

use crate::domain::automations::{FlowCounts, FlowDraft, FlowStatus, StoredFlow};
use crate::store::{Batch, Kind, Store, StoreError};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Versions are keyed `flow id × 2^20 + version`.
const VERSION_BITS: u32 = 20;

/// The record id of a flow version.
pub fn version_key(flow: u64, version: u32) -> u64 {
    (flow << VERSION_BITS) | u64::from(version)
}

/// Why a flow could not be stored or read.
#[derive(Debug, thiserror::Error)]
pub enum FlowsError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored definition no longer parses (a bug or a downgrade).
    #[error("stored flow {0} does not parse: {1}")]
    Corrupt(u64, String),
}

/// One flow: its current record and counts.
#[derive(Clone, Debug)]
pub struct FlowEntry {
    /// The current version's record.
    pub stored: StoredFlow,
    /// The current definition.
    pub draft: Arc<FlowDraft>,
    /// Run counts (all versions).
    pub counts: FlowCounts,
}

/// Every flow of the tenant.
#[derive(Debug, Default)]
pub struct FlowBook {
    flows: BTreeMap<u64, FlowEntry>,
    versions: HashMap<u64, Arc<FlowDraft>>,
}

fn parse(s: &StoredFlow) -> Result<FlowDraft, FlowsError> {
    serde_json::from_str(&s.definition).map_err(|e| FlowsError::Corrupt(s.id, e.to_string()))
}

impl FlowBook {
    /// Loads every flow, version and count.
    ///
    /// # Errors
    /// The store fails or a definition does not parse.
    pub fn load(store: &Store, shop: &str) -> Result<Self, FlowsError> {
        let mut book = Self::default();
        for (key, s) in store.scan::<StoredFlow>(shop, Kind::FlowVersion)? {
            book.versions.insert(key, Arc::new(parse(&s)?));
        }
        for (id, s) in store.scan::<StoredFlow>(shop, Kind::Flow)? {
            let counts = store.get(shop, Kind::FlowStats, id)?.unwrap_or_default();
            let draft = Arc::new(parse(&s)?);
            book.flows.insert(
                id,
                FlowEntry {
                    stored: s,
                    draft,
                    counts,
                },
            );
        }
        Ok(book)
    }

    /// A flow.
    pub fn get(&self, id: u64) -> Option<&FlowEntry> {
        self.flows.get(&id)
    }

    /// Flows with id > `after`, at most `limit`.
    pub fn page(&self, after: Option<u64>, limit: usize) -> Vec<FlowEntry> {
        let from = after.map_or(0, |a| a.saturating_add(1));
        self.flows
            .range(from..)
            .take(limit)
            .map(|(_, e)| e.clone())
            .collect()
    }

    /// The active flows.
    pub fn active(&self) -> impl Iterator<Item = &FlowEntry> {
        self.flows
            .values()
            .filter(|e| e.stored.status == FlowStatus::Active)
    }

    /// The definition a run on `version` follows.
    pub fn version(&self, flow: u64, version: u32) -> Option<Arc<FlowDraft>> {
        self.versions.get(&version_key(flow, version)).cloned()
    }

    /// Stages a new flow or a new version of one (status kept, or `status` when given),
    /// and takes it in once the batch is committed by the caller ([`FlowBook::put`]).
    ///
    /// # Errors
    /// The record cannot be encoded.
    pub fn stage(
        &self,
        batch: &mut Batch,
        shop: &str,
        stored: &StoredFlow,
    ) -> Result<(), StoreError> {
        batch.put(shop, Kind::Flow, stored.id, stored)?;
        batch.put(
            shop,
            Kind::FlowVersion,
            version_key(stored.id, stored.version),
            stored,
        )
    }

    /// Takes in a committed flow record.
    pub fn put(&mut self, stored: StoredFlow, draft: FlowDraft) {
        let draft = Arc::new(draft);
        self.versions
            .insert(version_key(stored.id, stored.version), draft.clone());
        let counts = self
            .flows
            .get(&stored.id)
            .map(|e| e.counts)
            .unwrap_or_default();
        self.flows.insert(
            stored.id,
            FlowEntry {
                stored,
                draft,
                counts,
            },
        );
    }

    /// Changes a flow's counts and stages them.
    ///
    /// # Errors
    /// The record cannot be encoded.
    pub fn count(
        &mut self,
        batch: &mut Batch,
        shop: &str,
        flow: u64,
        change: impl FnOnce(&mut FlowCounts),
    ) -> Result<(), StoreError> {
        if let Some(e) = self.flows.get_mut(&flow) {
            change(&mut e.counts);
            batch.put(shop, Kind::FlowStats, flow, &e.counts)?;
        }
        Ok(())
    }
}
