//! The campaign lane's unstored messages. A campaign tick hands its messages in one
//! slice record (`Kind::BulkSlice`); they wait here in memory in hand order, go out in
//! rounds (one flight record, one flush and one task per round), and become inbox
//! messages only when Meta answers: thread, `ChatMessage` with its `wamid`, once-key, tag
//! and counters written in one batch per round. A message that cannot go now (the
//! recipient's pair budget, a paused number, a dead token) or whose send failed is
//! written as a stored message on the lane (`Kind::BulkOutbox`) and follows the outbox's
//! rules from there (`outbox`, `sent::on_error`).
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

use super::commands::{check_template, stage_checked, Outgoing, SendError, Tagged};
use super::outbox::{self, Taken};
use super::{ConversationsMsg, ConversationsState};
use crate::actors::context::ActorContext;
use crate::domain::analytics::MessageTag;
use crate::domain::bulk::{BulkItem, Flight};
use crate::domain::whatsapp::{ChatMessage, MessageContent, Purpose};
use crate::domain::Timestamp;
use crate::integrations::meta::error::MetaError;
use crate::logic::whatsapp::health;
use crate::logic::whatsapp::outbox as logic;
use crate::store::conversations as persist;
use crate::store::whatsapp::text_id;
use crate::store::{Batch, Kind, Store, StoreError};
use governor::clock::Clock;
use ractor::{ActorProcessingErr, ActorRef};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

/// Where an item is: its slice and its index there.
type At = (u64, u32);

/// The outcome of one send of a round.
pub type Sent = (At, Result<String, MetaError>);

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

    fn item(&self, at: At) -> Option<&BulkItem> {
        self.slices.get(&at.0)?.items.get(at.1 as usize)?.as_ref()
    }

    /// Takes a settled item out (its once-key is in `batch`); the slice's record goes
    /// with its last item.
    fn settle(&mut self, shop: &str, batch: &mut Batch, at: At) -> Option<BulkItem> {
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

/// Hands a campaign tick's messages to the lane in one slice record. Each answers on its
/// own: `Ok` when it is in the lane (or already was, or was already sent), else why not
/// (the template, the number, the plan's usage). Nothing is stored for a refused one.
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
    let written = state.store.next_id().and_then(|id| {
        let mut b = Batch::new();
        b.put(&state.shop, Kind::BulkSlice, id, &kept)?;
        state.store.commit(b)?;
        Ok(id)
    });
    let id = match written {
        Ok(id) => id,
        Err(e) => {
            let e = SendError::from(e);
            for i in kept_at {
                out[i] = Err(e.clone());
            }
            return out;
        }
    };
    let lane = &mut state.outbox.lane;
    for (i, item) in kept.iter().enumerate() {
        lane.waiting.push_back((id, i as u32));
        lane.keys.insert(item.once_key);
    }
    lane.slices.insert(
        id,
        Slice {
            left: kept.len(),
            items: kept.into_iter().map(Some).collect(),
        },
    );
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

/// A message of the round being gathered.
pub(super) struct Sending {
    at: At,
    pnid: String,
    token: String,
    body: String,
}

/// The lane's messages taken in one dispatcher round.
#[derive(Default)]
pub(super) struct Round(Vec<Sending>);

impl Round {
    /// True when nothing was taken.
    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A round whose flight record is written: sent by [`send_round`].
pub(super) struct Flying {
    round: u64,
    items: Vec<Sending>,
}

/// Takes the lane's first message into the round when the number's rate allows; one that
/// cannot go now is stored on the lane instead ([`demote`]) and follows the outbox's
/// rules. `RateLimited` stops the round (a wake-up for the refill is armed).
///
/// # Errors
/// When the store fails.
pub(super) fn take_one(
    myself: &ActorRef<ConversationsMsg>,
    state: &mut ConversationsState,
    now: Timestamp,
    token_cache: &mut Option<Result<String, String>>,
    round: &mut Round,
) -> Result<Taken, ActorProcessingErr> {
    let Some(&at) = state.outbox.lane.waiting.front() else {
        return Ok(Taken::Next);
    };
    let Some(item) = state.outbox.lane.item(at) else {
        state.outbox.lane.waiting.pop_front();
        return Ok(Taken::Next);
    };
    let (pnid, phone, marketing) = (
        item.phone_number_id.clone(),
        item.phone,
        item.purpose == Purpose::Marketing,
    );
    let paused = (state.outbox.marketing_paused_until.get(&pnid)).filter(|u| **u > now);
    if let (true, Some(&until)) = (marketing, paused) {
        state.outbox.lane.waiting.pop_front();
        demote(state, at, until, 0, true)?;
        return Ok(Taken::Next);
    }
    let rate = state.outbox.rate(&pnid);
    if let Err(not_until) = rate.check() {
        let wait = not_until.wait_time_from(rate.clock().now());
        super::wake::wake_in(myself, state, wait);
        return Ok(Taken::RateLimited);
    }
    state.outbox.lane.waiting.pop_front();
    if let Err(not_until) = state.outbox.pair_check(&(text_id(&pnid), phone.digits())) {
        demote(state, at, logic::after_pair_limit(now, not_until), 0, true)?;
        return Ok(Taken::Next);
    }
    let token = match token_cache.get_or_insert_with(|| outbox::token(state)) {
        Ok(t) => t.clone(),
        Err(_) => {
            // Stored, it fails with the token's reason like any other message.
            demote(state, at, now, 0, true)?;
            return Ok(Taken::Next);
        }
    };
    let body = state
        .outbox
        .lane
        .item(at)
        .map(|i| i.body.clone())
        .unwrap_or_default();
    round.0.push(Sending {
        at,
        pnid,
        token,
        body,
    });
    state.outbox.lane.in_flight += 1;
    Ok(Taken::Next)
}

/// Writes the round's flight record (flushed with the round, before any call).
///
/// # Errors
/// When the store fails.
pub(super) fn start_round(
    state: &mut ConversationsState,
    round: Round,
) -> Result<Option<Flying>, StoreError> {
    if round.is_empty() {
        return Ok(None);
    }
    let id = state.store.next_id()?;
    let flight: Flight = round.0.iter().map(|s| s.at).collect();
    let mut b = Batch::new();
    b.put(&state.shop, Kind::BulkFlight, id, &flight)?;
    state.store.commit(b)?;
    Ok(Some(Flying {
        round: id,
        items: round.0,
    }))
}

/// Sends a round's messages concurrently on one task and reports them together.
pub(super) async fn send_round(
    services: Arc<ActorContext>,
    me: ActorRef<ConversationsMsg>,
    flying: Flying,
    flushed: Result<(), String>,
) {
    let sends = flying.items.into_iter().map(|s| {
        let (services, flushed) = (&services, &flushed);
        async move {
            let r = match flushed {
                Ok(()) => (services.meta)
                    .send_message_json(&s.token, &s.pnid, s.body)
                    .await
                    .map(|a| a.wamid),
                Err(e) => Err(MetaError::Setup(format!("outbox flush failed: {e}"))),
            };
            (s.at, r)
        }
    });
    let results = futures_util::future::join_all(sends).await;
    let _ = me.cast(ConversationsMsg::LaneCompleted {
        round: flying.round,
        results,
    });
}

/// Applies a round's results: the accepted ones become inbox messages (one batch, with
/// the flight record's removal); a failed one is stored and decided by Meta's error class
/// like any other. Then the dispatcher pumps again.
///
/// # Errors
/// When the store fails.
pub(super) fn on_completed(
    myself: &ActorRef<ConversationsMsg>,
    state: &mut ConversationsState,
    round: u64,
    results: Vec<Sent>,
) -> Result<(), ActorProcessingErr> {
    let now = Timestamp::now();
    let mut b = Batch::new();
    b.remove(&state.shop, Kind::BulkFlight, round);
    let mut failed = Vec::new();
    let mut accepted = 0u64;
    for (at, r) in results {
        state.outbox.lane.in_flight = state.outbox.lane.in_flight.saturating_sub(1);
        match r {
            Ok(wamid) => {
                let Some(item) = state.outbox.lane.settle(&state.shop, &mut b, at) else {
                    continue;
                };
                accept(state, item, wamid, now, &mut b)?;
                accepted += 1;
            }
            Err(e) => failed.push((at, e)),
        }
    }
    state.store.commit(b)?;
    if accepted > 0 {
        metrics::counter!("galantis_messages_sent_total").increment(accepted);
        let next = health::on_success(&state.health, now);
        if next != state.health {
            state.set_health(next)?;
        }
    }
    for (at, e) in failed {
        if let Some(mut m) = demote(state, at, now, 1, false)? {
            let due = m.due_at.unwrap_or(m.at).millis();
            super::sent::on_error(state, &mut m, due, e, now)?;
        }
    }
    outbox::pump(myself, state)
}

/// An accepted item as an inbox message: thread, message with its `wamid`, once-key, tag
/// and counters (queued and sent), staged in `b`.
fn accept(
    state: &mut ConversationsState,
    item: BulkItem,
    wamid: String,
    now: Timestamp,
    b: &mut Batch,
) -> Result<(), SendError> {
    let (mut m, tag) = materialize(state, item, now, b)?;
    let before = m.status;
    m.attempts = 1;
    logic::accept(&mut m, wamid, now);
    persist::stage_message(b, &state.shop, &m)?;
    if let Some(tag) = tag {
        super::tally::on_change_tagged(state, b, before, &m, tag)?;
    }
    Ok(())
}

/// Stores an item as a queued message on the lane, due at `due` after `attempts`
/// attempts; `schedule` puts it on the dispatcher's schedule (else the caller decides
/// its next step, which reschedules or fails it).
fn demote(
    state: &mut ConversationsState,
    at: At,
    due: Timestamp,
    attempts: u32,
    schedule: bool,
) -> Result<Option<ChatMessage>, ActorProcessingErr> {
    let mut b = Batch::new();
    let Some(item) = state.outbox.lane.settle(&state.shop, &mut b, at) else {
        return Ok(None);
    };
    let (mut m, _) = materialize(state, item, Timestamp::now(), &mut b)?;
    m.attempts = attempts;
    m.due_at = Some(due);
    outbox::stage_queued(&mut b, &state.shop, &m, true)?;
    state.store.commit(b)?;
    if schedule {
        state.outbox.schedule_in(due, true, m.id);
    } else {
        state.outbox.mark_bulk(m.id);
    }
    Ok(Some(m))
}

/// Stages an item as a queued message on its thread (opened when the customer has none
/// on that number), with its once-key and tag; the message itself is left to the caller.
fn materialize(
    state: &mut ConversationsState,
    item: BulkItem,
    now: Timestamp,
    b: &mut Batch,
) -> Result<(ChatMessage, Option<MessageTag>), SendError> {
    let thread_id = match state.inbox.find(&item.phone_number_id, item.phone) {
        Some(t) => t.id,
        None => {
            let id = state.store.next_id()?;
            let contact = (item.contact != 0).then_some(item.contact);
            let (t, _) =
                (state.inbox).open_thread(id, &item.phone_number_id, item.phone, contact, now);
            t.id
        }
    };
    let out = Outgoing {
        author: None,
        content: MessageContent {
            kind: "template".into(),
            text: Some(item.text),
            payload: Some(item.body),
        },
        purpose: item.purpose,
        once_key: Some(item.once_key),
        source: Some(Tagged {
            source: item.source,
            contact: item.contact,
            position: item.position,
        }),
        queue: None,
    };
    stage_checked(state, out, thread_id, now, b)
}
