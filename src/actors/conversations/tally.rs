//! Analytics counters in the conversation actor, where message changes happen: a tagged
//! message's tag is staged with it when it is queued, and every later status change
//! moves its source's counters (`logic::analytics::count_change`) in the same batch as
//! the change, so a status applied once counts once, also across a crash. Counters are
//! cached in the actor (one writer) and written through.

use super::commands::Tagged;
use super::ConversationsState;
use crate::domain::analytics::{MessageTag, SourceStats};
use crate::domain::whatsapp::{ChatMessage, MessageStatus};
use crate::store::{Batch, Kind, StoreError};

fn stats<'a>(
    state: &'a mut ConversationsState,
    key: u64,
) -> Result<&'a mut SourceStats, StoreError> {
    if !state.stats.contains_key(&key) {
        let s = state.store.source_stats(&state.shop, key)?;
        state.stats.insert(key, s);
    }
    state
        .stats
        .get_mut(&key)
        .ok_or_else(|| StoreError::Corrupt("source stats cache".into()))
}

/// Stages the tag of a newly queued message and counts it queued.
///
/// # Errors
/// When the store fails.
pub fn on_queued(
    state: &mut ConversationsState,
    batch: &mut Batch,
    m: &ChatMessage,
    t: &Tagged,
) -> Result<(), StoreError> {
    let key = t.source.key();
    let tag = MessageTag {
        source: key,
        contact: t.contact,
        position: t.position,
        flags: 0,
    };
    batch.put(&state.shop, Kind::MessageTag, m.id, &tag)?;
    let shop = state.shop.clone();
    let s = stats(state, key)?;
    if s.code.is_empty() {
        s.code = t.source.code();
    }
    s.queued += 1;
    batch.put(&shop, Kind::SourceStats, key, s)
}

/// Moves the counters of a tagged message that changed from `before` to `next`.
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
    let shop = state.shop.clone();
    let s = stats(state, tag.source)?;
    crate::logic::analytics::count_change(s, before, next);
    batch.put(&shop, Kind::SourceStats, tag.source, s)
}
