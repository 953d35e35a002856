//! Analytics rules, pure: how a message's status change moves its source's counters
//! ([`count_change`]). Each counter moves once per message: `sent` when Meta first
//! accepts it, `delivered` when it first reaches the phone (a `read` without a delivery
//! report counts as delivered too), `read` once, `failed` once (by Meta's code).

use crate::domain::analytics::SourceStats;
use crate::domain::whatsapp::{ChatMessage, MessageStatus};

fn reached(s: MessageStatus) -> bool {
    matches!(s, MessageStatus::Delivered | MessageStatus::Read)
}

fn accepted(s: MessageStatus) -> bool {
    !matches!(
        s,
        MessageStatus::Queued
            | MessageStatus::Failed
            | MessageStatus::Received
            | MessageStatus::Noted
    )
}

/// Moves `stats` for a message that went from `before` to `next.status`.
pub fn count_change(stats: &mut SourceStats, before: MessageStatus, next: &ChatMessage) {
    let after = next.status;
    if before == MessageStatus::Queued && after != MessageStatus::Queued {
        stats.settled += 1;
    }
    if before == MessageStatus::Queued && accepted(after) {
        stats.sent += 1;
    }
    if !reached(before) && reached(after) {
        stats.delivered += 1;
    }
    if before != MessageStatus::Read && after == MessageStatus::Read {
        stats.read += 1;
    }
    if before != MessageStatus::Failed && after == MessageStatus::Failed {
        stats.failed += 1;
        let code = next.error.as_ref().map_or(0, |e| e.code);
        *stats.failed_by_code.entry(code).or_default() += 1;
    }
}

#[cfg(test)]
mod tests;
