//! Settings: a TOML file plus `GALANTIS__SECTION__KEY` environment overrides plus the
//! well-known secret variables (`GALANTIS_MASTER_KEY` …), validated once at start.
//! Unknown keys are rejected so a typo never silently falls back to a default.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub mod automations;
pub mod billing;
pub mod campaigns;
pub mod catalog;
pub mod meta;
pub use automations::AutomationSettings;
pub use billing::{BillingSettings, PlanSettings};
pub use campaigns::CampaignSettings;
pub use catalog::CatalogSettings;
pub use meta::MetaSettings;

/// A secret string: never shown by `Debug` or `Display`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The secret itself: call it only on the line that uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when unset or empty.
    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() {
            "<unset>"
        } else {
            "<redacted>"
        })
    }
}

/// All settings of the engine.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// HTTP server.
    pub server: ServerSettings,
    /// Embedded store.
    pub store: StoreSettings,
    /// Shopify app credentials and API version.
    pub shopify: ShopifySettings,
    /// Master key and operator token.
    pub security: SecuritySettings,
    /// Meta (WhatsApp Cloud API) settings.
    pub meta: MetaSettings,
    /// Logging.
    pub log: LogSettings,
    /// Automation engine.
    pub automations: AutomationSettings,
    /// The public storefront endpoints (back-in-stock widget).
    pub storefront: StorefrontSettings,
    /// Plans and usage metering.
    pub billing: BillingSettings,
    /// The Meta catalog push.
    pub catalog: CatalogSettings,
    /// Campaign dispatch.
    pub campaigns: CampaignSettings,
}

/// Settings of the public storefront endpoints (`/storefront/v1/…`): their rate limits and
/// whom they trust for the client's address.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorefrontSettings {
    /// Requests per minute from one client IP, to every storefront endpoint (burst of the
    /// same size). Over it: 429 with `Retry-After`.
    pub per_ip_per_minute: u32,
    /// Subscribe requests per minute for one phone number, whichever IP sends them.
    pub per_phone_per_minute: u32,
    /// Take the client IP from the right-most `X-Forwarded-For` entry (the address our
    /// own reverse proxy saw). Off by default: without a proxy that sets it, anyone could
    /// forge it to escape the per-IP limit.
    pub trust_forwarded_for: bool,
}

impl Default for StorefrontSettings {
    fn default() -> Self {
        Self {
            per_ip_per_minute: 20,
            per_phone_per_minute: 5,
            trust_forwarded_for: false,
        }
    }
}

/// HTTP server settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Address to listen on; port 0 picks a free port (tests).
    pub listen: SocketAddr,
    /// Largest request body accepted, in bytes (413 above it). Shopify order payloads with
    /// many line items reach a few hundred KB; 2 MiB leaves room.
    pub max_body_bytes: usize,
    /// Timeout for a call from an HTTP handler into an actor, in milliseconds (503 after).
    pub actor_call_timeout_ms: u64,
    /// Time a client has to send a request's headers, in milliseconds (hyper's
    /// `header_read_timeout`; nginx `client_header_timeout`). The connection is closed after
    /// it. hyper starts this timer whenever it waits for a request head, so it also bounds
    /// how long a keep-alive connection may sit idle between requests.
    pub header_read_timeout_ms: u64,
    /// Deadline for reading a whole request body, from the end of the headers, in
    /// milliseconds (nginx `client_body_timeout`, but for the whole body, not per read: a
    /// body trickled a byte at a time does not renew it). 408 and the connection closed after.
    pub body_read_timeout_ms: u64,
    /// A connection on which nothing is read or written for this long is closed, in
    /// milliseconds (nginx `keepalive_timeout`; also a client that stops reading our
    /// response). A request still being handled is finished first.
    pub idle_timeout_ms: u64,
    /// Most connections served at once. The effective cap is the lower of this and the
    /// process's open-file limit (`RLIMIT_NOFILE`, soft) minus `reserved_file_descriptors`,
    /// logged at start. Above the cap, new connections wait in the kernel's accept backlog
    /// (no descriptor of ours) until one closes.
    pub max_connections: usize,
    /// Descriptors kept for the engine's own files and sockets (sled, write-ahead log
    /// segments, calls to Meta), never used for client connections.
    pub reserved_file_descriptors: usize,
    /// Most bytes of request bodies held at once, across all connections. A request whose
    /// body (its `Content-Length`, or `max_body_bytes` when it has none) does not fit gets 503
    /// with `Retry-After` instead of growing memory.
    pub max_body_bytes_in_flight: usize,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_body_bytes: 2 * 1024 * 1024,
            actor_call_timeout_ms: 5_000,
            header_read_timeout_ms: 10_000,
            body_read_timeout_ms: 30_000,
            idle_timeout_ms: 60_000,
            max_connections: 10_000,
            reserved_file_descriptors: 64,
            max_body_bytes_in_flight: 64 * 1024 * 1024,
        }
    }
}

/// Embedded store settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSettings {
    /// Directory of the sled database.
    pub data_dir: PathBuf,
    /// sled page cache, in MiB.
    pub cache_mb: u64,
    /// How long webhook dedupe markers are kept, in hours (Shopify retries for 4 h).
    pub dedupe_retention_hours: u64,
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data/run/galantis"),
            cache_mb: 256,
            dedupe_retention_hours: 72,
        }
    }
}

/// Shopify app settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ShopifySettings {
    /// The app's client secret: the HMAC key of webhooks.
    pub client_secret: Secret,
    /// The previous client secret, accepted during a rotation.
    pub previous_client_secret: Secret,
    /// Admin API version the engine speaks.
    pub api_version: String,
    /// Where the Admin API is: unset for Shopify itself (`https://{shop}`); the Shopify
    /// emulator's address in the sandbox and tests.
    pub admin_base_url: Option<String>,
    /// The public HTTPS address of `POST /webhooks/shopify`, registered with each shop;
    /// unset: subscriptions are not reconciled (the operator manages them).
    pub webhook_callback_url: Option<String>,
    /// Timeout of one Admin API request, in milliseconds.
    pub timeout_ms: u64,
    /// Retries of a THROTTLED, 429 or 5xx answer before giving up.
    pub max_retries: u32,
    /// The app's client id (OAuth installs, session tokens' `aud`).
    pub client_id: String,
    /// Access scopes asked at install.
    pub scopes: String,
    /// The engine's public base URL (`https://galantis.example.com`): the OAuth
    /// `redirect_uri` is `{app_url}/shopify/callback`.
    pub app_url: Option<String>,
    /// Ask Shopify for expiring offline tokens (60 min, refreshed with a rotating refresh
    /// token; required of public apps from 2027-01-01).
    pub expiring_tokens: bool,
    /// Refresh an expiring token this many seconds before it expires.
    pub token_refresh_margin_s: u64,
    /// How often an import asks Shopify whether its bulk operation has finished.
    pub import_poll_ms: u64,
    /// How often each tenant's customers are reconciled with Shopify (0: never).
    pub reconcile_minutes: u64,
    /// How often each tenant's open abandoned checkouts are polled (0: never; a fraction
    /// of a minute is allowed, for tests).
    pub abandoned_checkout_poll_minutes: f64,
}

impl Default for ShopifySettings {
    fn default() -> Self {
        Self {
            client_secret: Secret::default(),
            previous_client_secret: Secret::default(),
            api_version: "2026-04".into(),
            admin_base_url: None,
            webhook_callback_url: None,
            timeout_ms: 15_000,
            max_retries: 4,
            client_id: String::new(),
            scopes: "read_customers,read_orders,read_products".into(),
            app_url: None,
            expiring_tokens: true,
            token_refresh_margin_s: 300,
            import_poll_ms: 2_000,
            reconcile_minutes: 15,
            abandoned_checkout_poll_minutes: 10.0,
        }
    }
}

/// Keys and tokens.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecuritySettings {
    /// 32-byte master key, hex or base64: seals tokens at rest.
    pub master_key: Secret,
    /// Bearer token of the operator API.
    pub operator_token: Secret,
}

/// Log output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One JSON object per line (production).
    Json,
    /// Human-readable (sandbox, development).
    Pretty,
}

/// Logging settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// Output format.
    pub format: LogFormat,
    /// `tracing` filter, e.g. `info,galantis=debug` (`RUST_LOG` wins when set).
    pub level: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: LogFormat::Json,
            level: "info".into(),
        }
    }
}

/// Why the settings are not usable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file or an environment value does not parse, or has an unknown key.
    #[error("configuration: {0}")]
    Load(#[from] Box<figment::Error>),
    /// A value is present but invalid.
    #[error("configuration: {0}")]
    Invalid(String),
}

impl Settings {
    /// Loads defaults, then `file` (when given), then `GALANTIS__SECTION__KEY` variables, then
    /// the secret variables `GALANTIS_MASTER_KEY`, `GALANTIS_OPERATOR_TOKEN`,
    /// `GALANTIS_SHOPIFY_CLIENT_SECRET`, `GALANTIS_SHOPIFY_PREVIOUS_CLIENT_SECRET`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the bad key or value.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(f) = file {
            if !f.exists() {
                return Err(ConfigError::Invalid(format!(
                    "config file {} does not exist",
                    f.display()
                )));
            }
            fig = fig.merge(Toml::file(f));
        }
        fig = fig.merge(Env::prefixed("GALANTIS__").split("__"));
        let mut s: Settings = fig.extract().map_err(Box::new)?;
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        if let Some(v) = env("GALANTIS_MASTER_KEY") {
            s.security.master_key = Secret::new(v);
        }
        if let Some(v) = env("GALANTIS_OPERATOR_TOKEN") {
            s.security.operator_token = Secret::new(v);
        }
        if let Some(v) = env("GALANTIS_SHOPIFY_CLIENT_SECRET") {
            s.shopify.client_secret = Secret::new(v);
        }
        if let Some(v) = env("GALANTIS_SHOPIFY_PREVIOUS_CLIENT_SECRET") {
            s.shopify.previous_client_secret = Secret::new(v);
        }
        if let Some(v) = env("GALANTIS_META_APP_SECRET") {
            s.meta.app_secret = Secret::new(v);
        }
        if let Some(v) = env("GALANTIS_META_VERIFY_TOKEN") {
            s.meta.verify_token = Secret::new(v);
        }
        Ok(s)
    }

    /// Checks what `serve` needs: a valid master key, a client secret, an operator token.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] saying what is missing and how to fix it.
    pub fn validate_for_serve(&self) -> Result<(), ConfigError> {
        if self.security.master_key.is_empty() {
            return Err(ConfigError::Invalid(
                "no master key: set GALANTIS_MASTER_KEY to 32 random bytes in hex or base64, \
                 e.g. `export GALANTIS_MASTER_KEY=$(openssl rand -hex 32)` \
                 (or `galantis keygen`)"
                    .into(),
            ));
        }
        crate::secrets::MasterKey::parse(self.security.master_key.expose())
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        if self.shopify.client_secret.is_empty() {
            return Err(ConfigError::Invalid(
                "no Shopify client secret: set GALANTIS_SHOPIFY_CLIENT_SECRET (the app's API secret key)"
                    .into(),
            ));
        }
        if self.billing.enabled && self.billing.current().is_none() {
            return Err(ConfigError::Invalid(format!(
                "billing.plan `{}` is not one of billing.plans",
                self.billing.plan
            )));
        }
        if self.security.operator_token.expose().trim().len() < 16 {
            return Err(ConfigError::Invalid(
                "operator token missing or shorter than 16 characters: set GALANTIS_OPERATOR_TOKEN"
                    .into(),
            ));
        }
        if !(1..=1_000).contains(&self.meta.messages_per_second) {
            return Err(ConfigError::Invalid(
                "meta.messages_per_second must be between 1 and 1000 (Meta's per-number limits)"
                    .into(),
            ));
        }
        if self.automations.time_scale == 0 || self.automations.due_batch == 0 {
            return Err(ConfigError::Invalid(
                "automations.time_scale and automations.due_batch must be at least 1".into(),
            ));
        }
        if self.storefront.per_ip_per_minute == 0 || self.storefront.per_phone_per_minute == 0 {
            return Err(ConfigError::Invalid(
                "storefront.per_ip_per_minute and per_phone_per_minute must be at least 1".into(),
            ));
        }
        self.server.validate()
    }
}

impl ServerSettings {
    /// [`ServerSettings::header_read_timeout_ms`] as a duration.
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_millis(self.header_read_timeout_ms)
    }

    /// [`ServerSettings::body_read_timeout_ms`] as a duration.
    pub fn body_read_timeout(&self) -> Duration {
        Duration::from_millis(self.body_read_timeout_ms)
    }

    /// [`ServerSettings::idle_timeout_ms`] as a duration.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_millis(self.idle_timeout_ms)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: &str| Err(ConfigError::Invalid(format!("server.{m}")));
        if self.max_body_bytes < 1024 {
            return invalid("max_body_bytes must be at least 1024");
        }
        for (name, ms) in [
            ("header_read_timeout_ms", self.header_read_timeout_ms),
            ("body_read_timeout_ms", self.body_read_timeout_ms),
            ("idle_timeout_ms", self.idle_timeout_ms),
        ] {
            if ms == 0 {
                return invalid(&format!("{name} must be more than 0"));
            }
        }
        if self.max_connections == 0 {
            return invalid("max_connections must be at least 1");
        }
        if self.max_body_bytes_in_flight < self.max_body_bytes {
            return invalid("max_body_bytes_in_flight must be at least max_body_bytes");
        }
        if u32::try_from(self.max_body_bytes_in_flight).is_err() {
            return invalid("max_body_bytes_in_flight must be below 4 GiB");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
