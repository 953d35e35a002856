//! What a failed send means for the sender (the [`Action`] classes Meta's error codes fall
//! into) and the waits between attempts. Pure: the classification of a Meta error into an
//! action is `integrations::meta::error::classify`, the jitter is drawn by the caller.

use std::time::Duration;

/// What the sender should do after a failed call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Temporary: retry the same message after a jittered backoff (`integrations::meta::error::backoff`).
    RetryBackoff,
    /// Pair rate limit (131056): retry this recipient only, after [`pair_wait`]; others
    /// on the number are unaffected.
    WaitRecipient,
    /// Spam rate limit (131048): stop sending from this number and surface it.
    PauseNumber,
    /// Outside the 24 h window (131047): only a template can reach this recipient.
    NeedsTemplate,
    /// The access token is expired or invalid (190, 0): mark the integration unhealthy.
    TokenDead,
    /// Retrying cannot help: record the failure.
    Final,
}

/// The upper bound a jittered backoff draws from: `base_ms × 2^attempt`, capped at `max_ms`.
pub fn backoff_cap_ms(attempt: u32, base_ms: u64, max_ms: u64) -> u64 {
    let factor = 1u64.checked_shl(attempt.min(63)).unwrap_or(u64::MAX);
    base_ms.saturating_mul(factor).min(max_ms)
}

/// Largest exponent of [`pair_wait`]: 4^6 s is about 68 minutes.
pub const PAIR_WAIT_MAX_EXPONENT: u32 = 6;

/// Wait before retrying a recipient after a pair rate limit (131056): Meta suggests
/// 4^attempt seconds (1, 4, 16, 64 …), capped at 4^[`PAIR_WAIT_MAX_EXPONENT`] s.
pub fn pair_wait(attempt: u32) -> Duration {
    Duration::from_secs(4u64.pow(attempt.min(PAIR_WAIT_MAX_EXPONENT)))
}
