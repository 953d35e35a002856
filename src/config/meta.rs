//! The `[meta]` section: the WhatsApp Cloud API's address, the send rates and retries,
//! and the opt-out words.

use super::Secret;
use serde::{Deserialize, Serialize};

/// Meta (WhatsApp Cloud API) settings. Every URL, timeout, rate and retry is here so
/// tests and the sandbox can point the engine at the emulator and shrink delays.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetaSettings {
    /// Graph API base URL.
    pub base_url: String,
    /// Graph API version.
    pub graph_version: String,
    /// App id (for `debug_token` with an app token `APP_ID|APP_SECRET`).
    pub app_id: Option<String>,
    /// App secret: the HMAC key of `X-Hub-Signature-256` (env `GALANTIS_META_APP_SECRET`).
    pub app_secret: Secret,
    /// How often every tenant's templates are reconciled with Meta, in minutes (0: never).
    pub template_sync_minutes: u64,
    /// Verify token echoed by `GET /webhooks/meta` (env `GALANTIS_META_VERIFY_TOKEN`).
    pub verify_token: Secret,
    /// Per-request timeout, in milliseconds.
    pub request_timeout_ms: u64,
    /// Messages per second per phone number (Meta: 80 by default, up to 1,000).
    pub messages_per_second: u32,
    /// Minimum spacing of messages to one recipient, in milliseconds (Meta: 1 per 6 s).
    pub pair_interval_ms: u64,
    /// Messages one recipient may receive in a burst before the pair spacing applies.
    pub pair_burst: u32,
    /// Attempts of a retryable send before it is marked failed.
    pub max_attempts: u32,
    /// First retry delay, in milliseconds (doubles, with full jitter).
    pub backoff_base_ms: u64,
    /// Largest retry delay, in milliseconds.
    pub backoff_max_ms: u64,
    /// Inbound texts that opt the sender out of marketing (case and spaces ignored).
    pub stop_words: Vec<String>,
    /// Inbound texts that opt the sender back in.
    pub start_words: Vec<String>,
    /// Reply sent after an opt-out (inside the service window), if any.
    pub stop_confirmation: Option<String>,
}

impl Default for MetaSettings {
    fn default() -> Self {
        Self {
            base_url: "https://graph.facebook.com".into(),
            graph_version: "v23.0".into(),
            app_id: None,
            app_secret: Secret::default(),
            template_sync_minutes: 30,
            verify_token: Secret::default(),
            request_timeout_ms: 10_000,
            messages_per_second: 80,
            pair_interval_ms: 6_000,
            pair_burst: 10,
            max_attempts: 8,
            backoff_base_ms: 500,
            backoff_max_ms: 60_000,
            stop_words: ["STOP", "UNSUBSCRIBE", "STOP ALL", "OPT OUT", "CANCEL"]
                .map(String::from)
                .to_vec(),
            start_words: ["START", "SUBSCRIBE", "UNSTOP"].map(String::from).to_vec(),
            stop_confirmation: Some(
                "You will no longer receive marketing messages from us. Reply START to subscribe again."
                    .into(),
            ),
        }
    }
}
