//! The campaign lane's unstored messages. A campaign tick hands its messages in slice
//! records of a few items each (`Kind::BulkSlice`, [`SLICE_ITEMS`]); they wait here in
//! memory in hand order, go out in rounds (`rounds`: one flight record, one flush and one
//! task per round), and become inbox messages only when Meta answers: thread,
//! `ChatMessage` with its `wamid`, once-key, tag and counters written in one batch per
//! round. A message that cannot go now (the recipient's pair budget, a paused number, a
//! dead token) or whose send failed is written as a stored message on the lane
//! (`Kind::BulkOutbox`) and follows the outbox's rules from there (`outbox`,
//! `sent::on_error`).
//!
//! Why (BENCHMARKS.md "Results: campaigns"): a stored outbox message costs three writes
//! of the message (queued, in flight, accepted), two reads, an actor message and a task
//! per send: 428 µs of engine CPU per campaign message against the 100 µs the issue asks.
//!
//! Crash safety: a slice is committed before the campaign cursor that handed it, and the
//! same flush writes both, so a restart finds every handed message either sent (its
//! once-key is stored with it) or in a slice (back in the lane, in order). A round's flight
//! record is flushed before its calls; the messages of a round found after a crash are
//! sent again and counted in `galantis_outbox_possible_duplicates_total`.
//! Must not decide who receives a campaign (the campaign actor does).

use super::commands::{check_template, SendError};
use super::ConversationsState;
use crate::domain::bulk::{BulkItem, Flight};
use crate::domain::whatsapp::Purpose;
use crate::store::{Batch, Kind, Store, StoreError};
use std::collections::{HashMap, HashSet, VecDeque};

/// Items per slice record. sled writes a page bigger than a quarter of a log segment
/// (128 KiB) as a blob file, and a leaf holds up to 17 records, rewritten whole when it
/// is consolidated: slices of a whole tick (200 items, ~140 KB) made every rewrite of
/// their leaf a multi-megabyte blob (8 % of the engine's CPU in `write_blob`, more in
/// copies and allocations). Eight items (~6 KB) keep a leaf of slices inline.
const SLICE_ITEMS: usize = 8;

/// Where an item is: its slice and its index there.
pub(super) type At = (u64, u32);

/// The lane's unstored messages.
#[derive(Default)]
pub struct Lane {
    /// Waiting, in hand order.
    waiting: VecDeque<At>,
    slices: HashMap<u64, Slice>,
    /// Once-keys waiting or in flight: a re-handed recipient is not queued twice.
    keys: HashSet<u64>,
    /// Items being sent.
    pub(super) in_flight: usize,
}

/// A slice's items; each is taken out when it is settled, the record goes with the last.
struct Slice {
    items: Vec<Option<BulkItem>>,
    left: usize,
}

impl Lane {
    /// The unsettled items of the stored slices, in order; the flight records of rounds
    /// cut short by a crash are counted as possible duplicates and removed.
    ///
    /// # Errors
    /// When the store fails.
    pub fn recover(store: &Store, shop: &str) -> Result<Self, StoreError> {
        let mut lane = Lane::default();
        let mut batch = Batch::new();
        let mut flying = HashSet::new();
        for (id, flight) in store.scan::<Flight>(shop, Kind::BulkFlight)? {
            flying.extend(flight);
            batch.remove(shop, Kind::BulkFlight, id);
        }
        for (id, items) in store.scan::<Vec<BulkItem>>(shop, Kind::BulkSlice)? {
            let mut slice = Slice {
                items: Vec::with_capacity(items.len()),
                left: 0,
            };
            for (i, item) in items.into_iter().enumerate() {
                let at = (id, i as u32);
                if store
                    .get::<u64>(shop, Kind::SendOnce, item.once_key)?
                    .is_some()
                {
                    slice.items.push(None);
                    continue;
                }
                if flying.contains(&at) {
                    metrics::counter!("galantis_outbox_possible_duplicates_total").increment(1);
                    tracing::warn!(message = "Campaign message was in flight at a crash; sending again (possible duplicate).", tenant = shop, once_key = item.once_key);
                }
                lane.waiting.push_back(at);
                lane.keys.insert(item.once_key);
                slice.items.push(Some(item));
                slice.left += 1;
            }
            if slice.left == 0 {
                batch.remove(shop, Kind::BulkSlice, id);
            } else {
                lane.slices.insert(id, slice);
            }
        }
        store.commit(batch)?;
        Ok(lane)
    }

    /// Items waiting (not in flight).
    pub fn depth(&self) -> usize {
        self.waiting.len()
    }

    /// The first waiting item.
    pub(super) fn front(&self) -> Option<At> {
        self.waiting.front().copied()
    }

    /// Takes the first waiting item off the queue (it is being sent or stored).
    pub(super) fn pop_front(&mut self) {
        self.waiting.pop_front();
    }

    pub(super) fn item(&self, at: At) -> Option<&BulkItem> {
        self.slices.get(&at.0)?.items.get(at.1 as usize)?.as_ref()
    }

    /// Takes a settled item out (its once-key is in `batch`); the slice's record goes
    /// with its last item.
    pub(super) fn settle(&mut self, shop: &str, batch: &mut Batch, at: At) -> Option<BulkItem> {
        let slice = self.slices.get_mut(&at.0)?;
        let item = slice.items.get_mut(at.1 as usize)?.take()?;
        slice.left -= 1;
        if slice.left == 0 {
            self.slices.remove(&at.0);
            batch.remove(shop, Kind::BulkSlice, at.0);
        }
        self.keys.remove(&item.once_key);
        Some(item)
    }
}

/// Hands a campaign tick's messages to the lane in slice records of [`SLICE_ITEMS`]. Each
/// answers on its own: `Ok` when it is in the lane (or already was, or was already sent),
/// else why not (the template, the number, the plan's usage). Nothing is stored for a
/// refused one.
pub fn hand(state: &mut ConversationsState, items: Vec<BulkItem>) -> Vec<Result<(), SendError>> {
    let n = items.len();
    let numbers = match state.store.tenant(&state.shop) {
        Ok(t) => t.map(|t| t.meta_phone_number_ids).unwrap_or_default(),
        Err(e) => return vec![Err(SendError::from(e)); n],
    };
    let mut checks = Checks::default();
    let mut out = Vec::with_capacity(n);
    let mut kept = Vec::new();
    let mut kept_at = Vec::new();
    for item in items {
        match check(state, &item, &numbers, &mut checks) {
            Ok(true) => {
                kept_at.push(out.len());
                kept.push(item);
                out.push(Ok(()));
            }
            Ok(false) => out.push(Ok(())),
            Err(e) => out.push(Err(e)),
        }
    }
    if kept.is_empty() {
        return out;
    }
    let mut slices = Vec::new();
    let mut b = Batch::new();
    let mut rest = kept.into_iter().peekable();
    let written = loop {
        if rest.peek().is_none() {
            break state.store.commit(std::mem::take(&mut b));
        }
        let items: Vec<BulkItem> = rest.by_ref().take(SLICE_ITEMS).collect();
        let staged = (state.store.next_id())
            .and_then(|id| b.put(&state.shop, Kind::BulkSlice, id, &items).map(|()| id));
        match staged {
            Ok(id) => slices.push((id, items)),
            Err(e) => break Err(e),
        }
    };
    if let Err(e) = written {
        let e = SendError::from(e);
        for i in kept_at {
            out[i] = Err(e.clone());
        }
        return out;
    }
    let lane = &mut state.outbox.lane;
    for (id, items) in slices {
        for (i, item) in items.iter().enumerate() {
            lane.waiting.push_back((id, i as u32));
            lane.keys.insert(item.once_key);
        }
        lane.slices.insert(
            id,
            Slice {
                left: items.len(),
                items: items.into_iter().map(Some).collect(),
            },
        );
    }
    out
}

/// What one hand's checks found so far (each template and the usage checked once).
#[derive(Default)]
struct Checks {
    templates: HashMap<(String, String), Result<(), SendError>>,
    usage: Option<Result<(), SendError>>,
    seen: HashSet<u64>,
}

/// True when the item is new to the lane and may be sent; false when it is already in
/// the lane or sent.
fn check(
    state: &mut ConversationsState,
    item: &BulkItem,
    numbers: &[String],
    checks: &mut Checks,
) -> Result<bool, SendError> {
    if state.outbox.lane.keys.contains(&item.once_key) || !checks.seen.insert(item.once_key) {
        return Ok(false);
    }
    if (state.store)
        .get::<u64>(&state.shop, Kind::SendOnce, item.once_key)?
        .is_some()
    {
        return Ok(false);
    }
    if !numbers.contains(&item.phone_number_id) {
        return Err(SendError::UnknownNumber(item.phone_number_id.clone()));
    }
    let key = (item.template.clone(), item.language.clone());
    if !checks.templates.contains_key(&key) {
        let r = check_template(state, Some(&key));
        checks.templates.insert(key.clone(), r);
    }
    if let Some(Err(e)) = checks.templates.get(&key) {
        return Err(e.clone());
    }
    if item.purpose == Purpose::Marketing {
        if checks.usage.is_none() {
            checks.usage = Some(super::usage::check(state, Purpose::Marketing));
        }
        if let Some(Err(e)) = &checks.usage {
            return Err(e.clone());
        }
    }
    Ok(true)
}
