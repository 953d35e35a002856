//! The outbox's rules: what to do with a queued message before a send (drop, fail,
//! reschedule, go), what a failed send means (retry with backoff, wait for the recipient,
//! pause marketing on the number, fail, token dead) under the attempts cap, and how each
//! outcome changes the stored message. It owns no rate limiter, clock, store or call: the
//! actor asks the limiters, draws the jitter and executes the decision.

use super::retry::{backoff_cap_ms, pair_wait, Action};
use crate::domain::whatsapp::{ChatMessage, MessageError, MessageStatus, Purpose, Thread};
use crate::domain::Timestamp;
use std::collections::HashMap;
use std::time::Duration;

/// How long marketing stays paused on a number after a spam rate limit (131048).
pub const MARKETING_PAUSE_MS: i64 = 3_600_000;

/// Failure text when the message's thread is gone.
pub const THREAD_GONE: &str = "the message's thread no longer exists";

/// Failure text when the stored request body cannot be read back.
pub const BODY_NOT_JSON: &str = "the stored message body is not JSON";

/// The retry settings of the outbox (from `MetaSettings`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts after which a retryable failure becomes final.
    pub max_attempts: u32,
    /// Backoff of the first retry, doubled per retry.
    pub backoff_base_ms: u64,
    /// Backoff ceiling.
    pub backoff_max_ms: u64,
}

/// A failed send as [`decide`] sees it.
#[derive(Clone, Copy, Debug)]
pub struct Failure<'a> {
    /// Meta's error class.
    pub action: Action,
    /// Meta's error code (0 when the answer carried none).
    pub code: i64,
    /// The error's text (kept in the message's error).
    pub error: &'a str,
}

/// What to do with a message whose send failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Send again at `at` (a backoff, or the recipient's pair wait).
    Retry { at: Timestamp },
    /// Spam rate limit: pause marketing on the message's number until `until`, warn the
    /// health with `detail`, and send this message again at `next_at`.
    PauseMarketing {
        until: Timestamp,
        next_at: Timestamp,
        detail: String,
    },
    /// Give up: the message fails with Meta's code and this text.
    Fail { code: i64, reason: String },
    /// The token is dead: the health turns red with `cause` and the message fails.
    TokenDead {
        code: i64,
        cause: String,
        reason: String,
    },
}

/// The decision table for a failed send. `attempts` counts the attempt that just failed;
/// retryable classes retry while `attempts < max_attempts`, then fail with the error text.
/// `draw(cap)` is the backoff's jitter: a uniform pick in `0..=cap` ms (the actor passes a
/// random one, tests a fixed one). The pause's `next_at` is its end for marketing, a
/// backoff for other purposes (only marketing is paused).
pub fn decide(
    f: &Failure<'_>,
    attempts: u32,
    purpose: Purpose,
    policy: &RetryPolicy,
    now: Timestamp,
    draw: impl FnOnce(u64) -> u64,
) -> Decision {
    let retry_index = attempts.saturating_sub(1);
    let can_retry = attempts < policy.max_attempts;
    let cap = backoff_cap_ms(retry_index, policy.backoff_base_ms, policy.backoff_max_ms);
    match f.action {
        Action::RetryBackoff if can_retry => Decision::Retry {
            at: after(now, Duration::from_millis(draw(cap))),
        },
        Action::WaitRecipient if can_retry => Decision::Retry {
            at: after(now, pair_wait(retry_index)),
        },
        Action::PauseNumber if can_retry => {
            let until = Timestamp(now.millis() + MARKETING_PAUSE_MS);
            let next_at = if purpose == Purpose::Marketing {
                until
            } else {
                after(now, Duration::from_millis(draw(cap)))
            };
            Decision::PauseMarketing {
                until,
                next_at,
                detail: format!("bulk sending paused for an hour: {}", f.error),
            }
        }
        Action::NeedsTemplate => Decision::Fail {
            code: f.code,
            reason: format!(
                "the 24-hour customer service window is closed; send an approved template instead ({})",
                f.error
            ),
        },
        Action::TokenDead => Decision::TokenDead {
            code: f.code,
            cause: f.error.to_string(),
            reason: format!("the WhatsApp access token was rejected: {}", f.error),
        },
        _ => Decision::Fail {
            code: f.code,
            reason: f.error.to_string(),
        },
    }
}

fn after(now: Timestamp, wait: Duration) -> Timestamp {
    Timestamp(now.millis() + wait.as_millis() as i64)
}

/// What to do with a due message before the rate limiters are asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BeforeSend<'a> {
    /// No longer queued (sent, failed or cancelled meanwhile): drop its outbox entry.
    Drop,
    /// Cannot be sent: fail it with code 0 and this text.
    Fail(&'static str),
    /// Marketing is paused on its number: move it to the pause's end.
    Reschedule(Timestamp),
    /// Go on with the rate limits, sending through this thread.
    Send(&'a Thread),
}

/// The pre-send checks of a due message: still queued, thread still there, marketing not
/// paused on the thread's number (`paused_until` per phone number id).
pub fn before_send<'a>(
    m: &ChatMessage,
    thread: Option<&'a Thread>,
    paused_until: &HashMap<String, Timestamp>,
    now: Timestamp,
) -> BeforeSend<'a> {
    if m.status != MessageStatus::Queued {
        return BeforeSend::Drop;
    }
    let Some(thread) = thread else {
        return BeforeSend::Fail(THREAD_GONE);
    };
    if m.purpose == Purpose::Marketing {
        if let Some(&until) = paused_until.get(&thread.phone_number_id) {
            if until > now {
                return BeforeSend::Reschedule(until);
            }
        }
    }
    BeforeSend::Send(thread)
}

/// When to try again after the recipient's pair limiter said "not before `wait`".
pub fn after_pair_limit(now: Timestamp, wait: Duration) -> Timestamp {
    Timestamp(now.millis() + wait.as_millis() as i64 + 1)
}

/// Marks a message as being sent: one more attempt, in flight (stored before the call).
pub fn start_attempt(m: &mut ChatMessage) {
    m.attempts += 1;
    m.in_flight = true;
}

/// Moves a queued message to a new due time.
pub fn reschedule(m: &mut ChatMessage, due: Timestamp) {
    m.due_at = Some(due);
    m.in_flight = false;
}

/// Marks a message failed (terminal) at `at`, with the code and text.
pub fn fail(m: &mut ChatMessage, code: i64, message: String, at: Timestamp) {
    m.status = MessageStatus::Failed;
    m.status_at = at;
    m.error = Some(MessageError { code, message });
    m.in_flight = false;
    m.due_at = None;
}

/// Records Meta's acceptance: the `wamid`, out of the outbox, and `accepted` unless a
/// status webhook already moved it further.
pub fn accept(m: &mut ChatMessage, wamid: String, now: Timestamp) {
    m.wamid = Some(wamid);
    m.in_flight = false;
    m.due_at = None;
    if m.status.rank() < MessageStatus::Accepted.rank() {
        m.status = MessageStatus::Accepted;
        m.status_at = now;
    }
}

/// A message found in flight after a crash: it may have gone out; it is due again now.
pub fn requeue_after_crash(m: &mut ChatMessage, now: Timestamp) {
    m.in_flight = false;
    m.due_at = Some(now);
}
