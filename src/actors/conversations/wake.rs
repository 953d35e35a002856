//! The dispatcher's wake-ups: one timer armed for the earliest due message of either
//! lane, or for the number's rate budget to refill; never two for the same moment.

use super::{ConversationsMsg, ConversationsState};
use crate::domain::Timestamp;
use ractor::ActorRef;
use std::collections::BTreeSet;
use std::time::Duration;

/// Wakes the dispatcher after `wait` (rate budget refills).
pub(super) fn wake_in(
    myself: &ActorRef<ConversationsMsg>,
    state: &mut ConversationsState,
    wait: Duration,
) {
    let at = Timestamp::now().millis() + wait.as_millis() as i64;
    if state
        .outbox
        .next_wake
        .is_some_and(|w| w <= at && w > Timestamp::now().millis())
    {
        return;
    }
    state.outbox.next_wake = Some(at);
    myself.send_after(wait.max(Duration::from_millis(1)), || {
        ConversationsMsg::Pump
    });
}

pub(super) fn arm_timer(myself: &ActorRef<ConversationsMsg>, state: &mut ConversationsState) {
    let first = |q: &BTreeSet<(i64, u64)>| q.first().map(|(d, _)| *d);
    let Some(due) = [first(&state.outbox.queue), first(&state.outbox.bulk)]
        .into_iter()
        .flatten()
        .min()
    else {
        state.outbox.next_wake = None;
        return;
    };
    if state.outbox.flying() >= state.outbox.max_in_flight {
        return; // a completion will pump again
    }
    if state.outbox.next_wake.is_some_and(|w| w <= due)
        && state.outbox.next_wake > Some(Timestamp::now().millis())
    {
        return;
    }
    let wait = (due - Timestamp::now().millis()).max(1) as u64;
    state.outbox.next_wake = Some(due);
    myself.send_after(Duration::from_millis(wait), || ConversationsMsg::Pump);
}
