//! How the emulator is set up: [`EmulatorConfig`] with its [`StatusDelays`] and the
//! [`AccountRegistration`]s known from the start. Plain values read by every layer; must
//! not import any other module of `sandbox::meta` (doc links name the facade only).

use std::net::SocketAddr;
use std::time::Duration;

/// When the status webhooks of an accepted message are sent, counted from the send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusDelays {
    /// `sent`.
    pub sent: Duration,
    /// `delivered` (or `failed` for
    /// [`Fault::FailedStatus`](super::Fault::FailedStatus)).
    pub delivered: Duration,
    /// `read` (only with [`EmulatorConfig::auto_read`]).
    pub read: Duration,
}

impl Default for StatusDelays {
    fn default() -> Self {
        Self {
            sent: Duration::from_millis(50),
            delivered: Duration::from_millis(100),
            read: Duration::from_millis(200),
        }
    }
}

/// A token and the assets it may use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountRegistration {
    /// The access token (opaque).
    pub token: String,
    /// The WhatsApp Business Account id.
    pub waba_id: String,
    /// The business phone number ids of that WABA.
    pub phone_number_ids: Vec<String>,
}

/// How the emulator behaves.
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    /// Where to listen (`127.0.0.1:0` picks a free port).
    pub addr: SocketAddr,
    /// The Graph version served (`v23.0`); other versions answer 400.
    pub graph_version: String,
    /// The app id (`debug_token`, `health_status`); the app token is `APP_ID|APP_SECRET`.
    pub app_id: String,
    /// The app secret: the HMAC key of `X-Hub-Signature-256` on every webhook.
    pub app_secret: String,
    /// The business portfolio id shown by `health_status`.
    pub business_id: String,
    /// The engine's `POST /webhooks/meta` URL (see
    /// [`MetaEmulator::set_webhook_url`](super::MetaEmulator::set_webhook_url)).
    pub webhook_url: Option<String>,
    /// Accounts known from the start (more with
    /// [`MetaEmulator::register_account`](super::MetaEmulator::register_account)).
    pub accounts: Vec<AccountRegistration>,
    /// Messages per second per number (Meta: 80 by default); over it → 130429.
    pub messages_per_second: u32,
    /// Messages one recipient may get in a burst (Meta allows up to 45 in 6 s).
    pub pair_burst: u32,
    /// One more message per recipient every this long (Meta: 6 s); over it → 131056.
    pub pair_interval: Duration,
    /// Status webhook delays.
    pub status_delays: StatusDelays,
    /// Send a `read` status after `delivered`.
    pub auto_read: bool,
    /// Approve new templates by themselves after this long.
    pub auto_approve_after: Option<Duration>,
    /// How long [`Fault::Timeout`](super::Fault::Timeout) hangs before answering (longer
    /// than the client's timeout).
    pub timeout_fault_delay: Duration,
    /// Attempts per webhook (Meta retries failed deliveries).
    pub webhook_attempts: u32,
    /// Wait before the first webhook retry (doubles per attempt).
    pub webhook_retry_base: Duration,
    /// `items_batch` calls per catalog per hour (Meta: 200 + 200 × log2(users)); more
    /// answer 80014.
    pub catalog_calls_per_hour: u32,
    /// How long Meta takes to ingest an accepted `items_batch` (its handle answers
    /// `in_progress` meanwhile and the items appear after).
    pub catalog_batch_delay: Duration,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            graph_version: "v23.0".into(),
            app_id: "634974688087057".into(),
            app_secret: "sandbox-app-secret".into(),
            business_id: "506914307656634".into(),
            webhook_url: None,
            accounts: Vec::new(),
            messages_per_second: 80,
            pair_burst: 45,
            pair_interval: Duration::from_secs(6),
            status_delays: StatusDelays::default(),
            auto_read: true,
            auto_approve_after: None,
            timeout_fault_delay: Duration::from_secs(30),
            webhook_attempts: 4,
            webhook_retry_base: Duration::from_millis(100),
            catalog_calls_per_hour: 200,
            catalog_batch_delay: Duration::from_millis(30),
        }
    }
}
