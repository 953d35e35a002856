//! Analytics counters in the conversation actor, where message changes happen: a tagged
//! message's tag is staged with it when it is queued, and every later change moves its
//! source's counters (the total and the UTC day's) in the same batch as the change, so
//! a status applied once counts once, also across a crash. Counters are cached in the
//! actor (one writer) and written through.
//!
//! Replies and opt-outs: an inbound message counts as a reply to the latest tagged
//! message we sent in its thread within the 24 hours before it (once per message), a
//! STOP as an opt-out of it too. Clicks come from the redirect (`/r/{code}`), once per
//! message. The tag keeps the times of each signal for revenue attribution.

use super::commands::Tagged;
use super::ConversationsState;
use crate::domain::analytics::{day_key, MessageTag, SourceStats, CLICKED, OPTED_OUT, REPLIED};
use crate::domain::segments::day_of;
use crate::domain::whatsapp::{ChatMessage, Direction, MessageStatus};
use crate::domain::Timestamp;
use crate::store::{Batch, Kind, StoreError};

/// How long after a message a reply or a STOP is counted for it.
pub const REPLY_WINDOW_MS: i64 = 24 * 3_600_000;

/// Messages of a thread looked at (newest first) to find the one a reply answers.
const REPLY_LOOKBACK: usize = 50;

fn cached(state: &mut ConversationsState, key: u64) -> Result<&mut SourceStats, StoreError> {
    if !state.stats.contains_key(&key) {
        let s = state.store.source_stats(&state.shop, key)?;
        state.stats.insert(key, s);
    }
    state
        .stats
        .get_mut(&key)
        .ok_or_else(|| StoreError::Corrupt("source stats cache".into()))
}

/// Adds `delta` to the source's total and to its day of `at`, staged in `batch`.
fn bump(
    state: &mut ConversationsState,
    batch: &mut Batch,
    key: u64,
    code: Option<String>,
    at: Timestamp,
    delta: &SourceStats,
) -> Result<(), StoreError> {
    let shop = state.shop.clone();
    let code = match code {
        Some(c) => c,
        None => cached(state, key)?.code.clone(),
    };
    for k in [key, day_key(key, day_of(at))] {
        let s = cached(state, k)?;
        if s.code.is_empty() {
            s.code.clone_from(&code);
        }
        s.add(delta);
        batch.put(&shop, Kind::SourceStats, k, s)?;
    }
    Ok(())
}

/// Stages the tag of a newly queued message and counts it queued; returns the tag.
///
/// # Errors
/// When the store fails.
pub fn on_queued(
    state: &mut ConversationsState,
    batch: &mut Batch,
    m: &ChatMessage,
    t: &Tagged,
) -> Result<MessageTag, StoreError> {
    let key = t.source.key();
    let tag = MessageTag {
        source: key,
        contact: t.contact,
        position: t.position,
        flags: 0,
        sent_at: 0,
        delivered_at: 0,
        read_at: 0,
        clicked_at: 0,
    };
    batch.put(&state.shop, Kind::MessageTag, m.id, &tag)?;
    if t.contact != 0 {
        batch.put_pair(&state.shop, Kind::ContactTag, t.contact, m.id);
    }
    let delta = SourceStats {
        queued: 1,
        ..SourceStats::default()
    };
    bump(state, batch, key, Some(t.source.code()), m.at, &delta)?;
    Ok(tag)
}

/// Moves the counters of a tagged message that changed from `before` to `next`, and
/// keeps the signal's time in its tag.
///
/// # Errors
/// When the store fails.
pub fn on_change(
    state: &mut ConversationsState,
    batch: &mut Batch,
    before: MessageStatus,
    next: &ChatMessage,
) -> Result<(), StoreError> {
    if before == next.status {
        return Ok(());
    }
    let Some(tag) = state.store.message_tag(&state.shop, next.id)? else {
        return Ok(());
    };
    on_change_tagged(state, batch, before, next, tag)
}

/// [`on_change`] with the message's tag in hand (one staged in the same batch).
///
/// # Errors
/// When the store fails.
pub fn on_change_tagged(
    state: &mut ConversationsState,
    batch: &mut Batch,
    before: MessageStatus,
    next: &ChatMessage,
    mut tag: MessageTag,
) -> Result<(), StoreError> {
    if before == next.status {
        return Ok(());
    }
    let mut delta = SourceStats::default();
    crate::logic::analytics::count_change(&mut delta, before, next);
    let at = next.status_at;
    if delta.sent > 0 {
        tag.sent_at = at.millis();
    }
    if delta.delivered > 0 {
        tag.delivered_at = at.millis();
    }
    if delta.read > 0 {
        tag.read_at = at.millis();
    }
    batch.put(&state.shop, Kind::MessageTag, next.id, &tag)?;
    bump(state, batch, tag.source, None, at, &delta)
}

/// Counts an inbound message of `thread` at `at` as a reply (and, for a STOP, an
/// opt-out) to the latest tagged message we sent there within the window before it.
///
/// # Errors
/// When the store fails.
pub fn on_reply(
    state: &mut ConversationsState,
    batch: &mut Batch,
    thread: u64,
    at: Timestamp,
    stop: bool,
) -> Result<(), StoreError> {
    let ids = state
        .store
        .pairs_of(&state.shop, Kind::ThreadMessage, thread)?;
    for id in ids.iter().rev().take(REPLY_LOOKBACK) {
        let Some(m) = crate::store::conversations::message(&state.store, &state.shop, *id)? else {
            continue;
        };
        if m.direction != Direction::Outbound || m.at > at {
            continue;
        }
        if at.millis() - m.at.millis() > REPLY_WINDOW_MS {
            return Ok(());
        }
        let Some(mut tag) = state.store.message_tag(&state.shop, m.id)? else {
            continue;
        };
        let mut delta = SourceStats::default();
        if tag.flags & REPLIED == 0 {
            tag.flags |= REPLIED;
            delta.replied = 1;
        }
        if stop && tag.flags & OPTED_OUT == 0 {
            tag.flags |= OPTED_OUT;
            delta.opted_out = 1;
        }
        if delta != SourceStats::default() {
            batch.put(&state.shop, Kind::MessageTag, m.id, &tag)?;
            bump(state, batch, tag.source, None, at, &delta)?;
        }
        return Ok(());
    }
    Ok(())
}

/// Counts a click on a link of message `id` (the first one only).
///
/// # Errors
/// When the store fails.
pub fn on_click(
    state: &mut ConversationsState,
    batch: &mut Batch,
    id: u64,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let Some(mut tag) = state.store.message_tag(&state.shop, id)? else {
        return Ok(false);
    };
    if tag.flags & CLICKED != 0 {
        return Ok(false);
    }
    tag.flags |= CLICKED;
    tag.clicked_at = at.millis();
    batch.put(&state.shop, Kind::MessageTag, id, &tag)?;
    let delta = SourceStats {
        clicked: 1,
        ..SourceStats::default()
    };
    bump(state, batch, tag.source, None, at, &delta)?;
    Ok(true)
}
