//! `MetaClient`: the typed Graph API (WhatsApp Cloud API) client — send messages, read
//! receipts, media upload, `debug_token` and `health_status` (template management is in
//! `templates.rs`). Docs: <https://developers.facebook.com/docs/whatsapp/cloud-api>,
//! `reference/meta-api.md` §1, §7, §10.
//!
//! One `reqwest::Client` is built per `MetaClient` with connect and request timeouts.
//! Tokens are per tenant, so every method takes the token as an argument; it goes only
//! into the `Authorization` header (marked sensitive) — or, for `debug_token`, into the
//! query Meta requires — and is never logged: request URLs are stripped from errors and
//! logs name the operation only. Retry decisions are `error::classify`'s, not this
//! module's: every method makes exactly one attempt.

use super::error::MetaError;
use super::messages::OutboundMessage;
use reqwest::{Method, RequestBuilder, Url};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::time::Duration;

#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod tests;

/// Where and how to reach the Graph API. Plain data; the application maps its settings
/// onto it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetaClientSettings {
    /// Graph API base URL (a path prefix is kept: `http://127.0.0.1:9/meta` works).
    pub base_url: String,
    /// Graph API version, the first path segment (`v23.0`).
    pub graph_version: String,
    /// Timeout of a whole request, in milliseconds (connecting is capped at 10 s too).
    pub timeout_ms: u64,
}

impl Default for MetaClientSettings {
    fn default() -> Self {
        Self {
            base_url: "https://graph.facebook.com".into(),
            graph_version: "v23.0".into(),
            timeout_ms: 10_000,
        }
    }
}

/// The Graph API client. Cheap to clone (the connection pool is shared).
#[derive(Clone, Debug)]
pub struct MetaClient {
    http: reqwest::Client,
    base: Url,
    version: String,
}

/// Meta accepted a message (delivery arrives later as status webhooks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendAccepted {
    /// The message id (`wamid.…`) that status webhooks will refer to.
    pub wamid: String,
    /// The recipient's WhatsApp id (may differ from the number sent to).
    pub wa_id: Option<String>,
    /// Template pacing: `accepted`, `held_for_quality_assessment` or `paused`.
    pub message_status: Option<String>,
}

/// What `debug_token` says about an access token.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct TokenInfo {
    /// False once the token expired, was revoked or the user changed their password.
    #[serde(default)]
    pub is_valid: bool,
    /// App the token belongs to.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub app_id: Option<String>,
    /// `USER`, `SYSTEM_USER`, `PAGE`, `APP` …
    #[serde(default, rename = "type")]
    pub token_type: Option<String>,
    /// Expiry as unix seconds; `None` when it never expires (Meta's `0`) or is not given.
    #[serde(default, deserialize_with = "unix_or_never")]
    pub expires_at: Option<i64>,
    /// When data access expires (unix seconds), if given.
    #[serde(default, deserialize_with = "unix_or_never")]
    pub data_access_expires_at: Option<i64>,
    /// Granted permissions (`whatsapp_business_messaging` …).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Permissions per asset: check the tenant's WABA id is among the targets.
    #[serde(default)]
    pub granular_scopes: Vec<GranularScope>,
    /// User (or system user) the token acts for.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub user_id: Option<String>,
    /// Why the token is invalid, when it is.
    #[serde(default)]
    pub error: Option<TokenError>,
}

impl TokenInfo {
    /// True when the token is valid and grants `scope` on `target_id` (a granular scope
    /// without targets applies to every asset).
    pub fn grants(&self, scope: &str, target_id: &str) -> bool {
        self.is_valid
            && self.granular_scopes.iter().any(|g| {
                g.scope == scope
                    && (g.target_ids.is_empty() || g.target_ids.iter().any(|t| t == target_id))
            })
    }
}

/// A permission limited to some assets.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct GranularScope {
    /// The permission.
    pub scope: String,
    /// Asset ids it covers (WABA ids, catalog ids …); empty means all.
    #[serde(default)]
    pub target_ids: Vec<String>,
}

/// The `error` of an invalid token in `debug_token`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct TokenError {
    /// Graph error code (190 …).
    #[serde(default)]
    pub code: i64,
    /// Explanation.
    #[serde(default)]
    pub message: String,
    /// Sub-code (463 expired, 460 password changed …).
    #[serde(default)]
    pub subcode: Option<i64>,
}

/// Whether a node can send messages (`can_send_message`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendAvailability {
    /// Can send.
    Available,
    /// Can send with limits (e.g. display name not approved).
    Limited,
    /// Cannot send.
    Blocked,
    /// A value Meta added later, kept as sent.
    Other(String),
}

impl SendAvailability {
    /// Meta's spelling (`AVAILABLE`, `LIMITED`, `BLOCKED`, or the unknown value).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Available => "AVAILABLE",
            Self::Limited => "LIMITED",
            Self::Blocked => "BLOCKED",
            Self::Other(s) => s,
        }
    }
}

impl std::fmt::Display for SendAvailability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SendAvailability {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(match s.as_str() {
            "AVAILABLE" => Self::Available,
            "LIMITED" => Self::Limited,
            "BLOCKED" => Self::Blocked,
            _ => Self::Other(s),
        })
    }
}

/// `health_status` of a phone number, WABA or template: the overall state is the worst
/// of the entities on the path (number → WABA → business → app).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct HealthStatus {
    /// Overall availability.
    pub can_send_message: SendAvailability,
    /// Each node checked.
    #[serde(default)]
    pub entities: Vec<HealthEntity>,
}

/// One node of a `health_status` answer.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct HealthEntity {
    /// `PHONE_NUMBER`, `WABA`, `BUSINESS`, `APP`, `MESSAGE_TEMPLATE`.
    pub entity_type: String,
    /// The node's id.
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    /// Its availability.
    pub can_send_message: SendAvailability,
    /// Notes for `LIMITED`.
    #[serde(default)]
    pub additional_info: Vec<String>,
    /// Problems for `BLOCKED` (and sometimes `LIMITED`).
    #[serde(default)]
    pub errors: Vec<HealthIssue>,
}

/// A problem reported by `health_status`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct HealthIssue {
    /// Meta's code (141002 …).
    pub error_code: i64,
    /// What is wrong.
    #[serde(default)]
    pub error_description: String,
    /// What to do.
    #[serde(default)]
    pub possible_solution: Option<String>,
}

#[derive(Deserialize)]
struct SendResponse {
    #[serde(default)]
    contacts: Vec<SendContact>,
    #[serde(default)]
    messages: Vec<SendMessageId>,
}

#[derive(Deserialize)]
struct SendContact {
    #[serde(default)]
    wa_id: Option<String>,
}

#[derive(Deserialize)]
struct SendMessageId {
    id: String,
    #[serde(default)]
    message_status: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct Success {
    #[serde(default)]
    pub(crate) success: bool,
}

#[derive(Deserialize)]
struct MediaId {
    #[serde(deserialize_with = "string_or_number")]
    id: String,
}

#[derive(Deserialize)]
struct DebugTokenResponse {
    data: TokenInfo,
}

#[derive(Deserialize)]
struct HealthResponse {
    health_status: HealthStatus,
}

impl MetaClient {
    /// Builds the client.
    ///
    /// # Errors
    /// [`MetaError::Setup`] for a base URL that cannot carry a path, a blank version, or
    /// an HTTP client that cannot be built.
    pub fn new(settings: &MetaClientSettings) -> Result<Self, MetaError> {
        let mut base = Url::parse(settings.base_url.trim())
            .map_err(|e| MetaError::Setup(format!("base_url: {e}")))?;
        if base.cannot_be_a_base() || !matches!(base.scheme(), "http" | "https") {
            return Err(MetaError::Setup("base_url: must be an http(s) URL".into()));
        }
        base.set_query(None);
        base.set_fragment(None);
        let version = settings.graph_version.trim();
        check_segment("graph_version", version).map_err(|e| MetaError::Setup(e.to_string()))?;
        let timeout = Duration::from_millis(settings.timeout_ms.max(1));
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("galantis/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| MetaError::Setup(e.without_url().to_string()))?;
        Ok(Self {
            http,
            base,
            version: version.to_owned(),
        })
    }

    /// `base/version/segments…`; every segment is checked (no `/`, `?`, `..`).
    pub(crate) fn url(&self, segments: &[(&str, &str)]) -> Result<Url, MetaError> {
        let mut url = self.base.clone();
        {
            let mut path = url
                .path_segments_mut()
                .map_err(|()| MetaError::Setup("base_url cannot carry a path".into()))?;
            path.pop_if_empty().push(&self.version);
            for (field, seg) in segments {
                check_segment(field, seg)?;
                path.push(seg);
            }
        }
        Ok(url)
    }

    /// True when `url` points under this client's base URL (same origin and prefix), so a
    /// token is never sent elsewhere when following a `paging.next` link.
    pub(crate) fn is_own_url(&self, url: &Url) -> bool {
        url.origin() == self.base.origin() && url.path().starts_with(self.base.path())
    }

    pub(crate) fn request(&self, method: Method, url: Url, token: &str) -> RequestBuilder {
        self.http.request(method, url).bearer_auth(token)
    }

    /// Sends once and decodes a success body into `T`; a non-2xx answer (or a 2xx one
    /// carrying a Graph `error`) becomes [`MetaError::Api`] / [`MetaError::Http`].
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        op: &'static str,
        req: RequestBuilder,
    ) -> Result<T, MetaError> {
        let result = self.call_inner(op, req).await;
        if let Err(error) = &result {
            tracing::warn!(message = "Meta call failed.", op, %error, code = ?error.code());
        }
        result
    }

    async fn call_inner<T: DeserializeOwned>(
        &self,
        op: &'static str,
        req: RequestBuilder,
    ) -> Result<T, MetaError> {
        let resp = req.send().await.map_err(MetaError::from_reqwest)?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(MetaError::from_reqwest)?;
        tracing::debug!(message = "Meta answered.", op, status);
        if !(200..300).contains(&status) {
            return Err(MetaError::from_response(status, &bytes));
        }
        let value: Value =
            serde_json::from_slice(&bytes).map_err(|e| MetaError::Decode(format!("{op}: {e}")))?;
        if value.get("error").is_some() {
            return Err(MetaError::from_response(status, &bytes));
        }
        serde_json::from_value(value).map_err(|e| MetaError::Decode(format!("{op}: {e}")))
    }

    /// `POST /{phone-number-id}/messages` with a body built by
    /// [`OutboundMessage::body`](super::messages::OutboundMessage::body) (stored by the
    /// outbox and sent verbatim).
    ///
    /// # Errors
    /// Any [`MetaError`]; decide with [`classify`](super::error::classify). A success
    /// answer without a message id is [`MetaError::Decode`].
    pub async fn send_message(
        &self,
        token: &str,
        phone_number_id: &str,
        body: &Value,
    ) -> Result<SendAccepted, MetaError> {
        let url = self.url(&[("phone_number_id", phone_number_id), ("", "messages")])?;
        let req = self.request(Method::POST, url, token).json(body);
        let resp: SendResponse = self.call("send_message", req).await?;
        let first = resp
            .messages
            .into_iter()
            .next()
            .ok_or_else(|| MetaError::Decode("send_message: no messages[0].id".into()))?;
        Ok(SendAccepted {
            wamid: first.id,
            wa_id: resp.contacts.into_iter().next().and_then(|c| c.wa_id),
            message_status: first.message_status,
        })
    }

    /// Marks `wamid` (and earlier messages) read; `typing` shows the typing indicator.
    ///
    /// # Errors
    /// [`MetaError::InvalidArgument`] for a blank `wamid`; any call error; `Decode` when
    /// Meta does not answer `success: true`.
    pub async fn mark_read(
        &self,
        token: &str,
        phone_number_id: &str,
        wamid: &str,
        typing: bool,
    ) -> Result<(), MetaError> {
        let body = OutboundMessage::mark_read(wamid, typing)
            .map_err(|e| MetaError::InvalidArgument {
                field: "wamid".into(),
                reason: e.to_string(),
            })?
            .body();
        let url = self.url(&[("phone_number_id", phone_number_id), ("", "messages")])?;
        let req = self.request(Method::POST, url, token).json(&body);
        expect_success(self.call("mark_read", req).await?, "mark_read")
    }

    /// `POST /{phone-number-id}/media` (multipart: `messaging_product`, `type`, `file`);
    /// returns the media id (valid 30 days).
    ///
    /// # Errors
    /// [`MetaError::InvalidArgument`] for an empty file, a bad MIME type or a blank
    /// filename; any call error (131053 = Meta refused the media).
    pub async fn upload_media(
        &self,
        token: &str,
        phone_number_id: &str,
        bytes: Vec<u8>,
        mime: &str,
        filename: &str,
    ) -> Result<String, MetaError> {
        let invalid = |field: &str, reason: &str| MetaError::InvalidArgument {
            field: field.into(),
            reason: reason.into(),
        };
        if bytes.is_empty() {
            return Err(invalid("bytes", "empty file"));
        }
        if filename.trim().is_empty() || filename.contains(['/', '\\', '"', '\r', '\n']) {
            return Err(invalid("filename", "blank, or contains a path or quote"));
        }
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(filename.to_owned())
            .mime_str(mime)
            .map_err(|_| invalid("mime", "not a MIME type"))?;
        let form = reqwest::multipart::Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", mime.to_owned())
            .part("file", part);
        let url = self.url(&[("phone_number_id", phone_number_id), ("", "media")])?;
        let req = self.request(Method::POST, url, token).multipart(form);
        let media: MediaId = self.call("upload_media", req).await?;
        Ok(media.id)
    }

    /// `GET /debug_token?input_token=…` authenticated with an app token
    /// (`APP_ID|APP_SECRET`): validity, expiry and scopes of a tenant's token.
    ///
    /// # Errors
    /// Any call error (an invalid *app* token is a Graph error; an invalid *input* token
    /// is a success with `is_valid: false`).
    pub async fn debug_token(
        &self,
        app_token: &str,
        input_token: &str,
    ) -> Result<TokenInfo, MetaError> {
        let mut url = self.url(&[("", "debug_token")])?;
        url.query_pairs_mut()
            .append_pair("input_token", input_token);
        let req = self.request(Method::GET, url, app_token);
        let resp: DebugTokenResponse = self.call("debug_token", req).await?;
        Ok(resp.data)
    }

    /// `GET /{node-id}?fields=health_status` for a phone number, WABA or template id.
    ///
    /// # Errors
    /// Any call error.
    pub async fn health_status(
        &self,
        token: &str,
        node_id: &str,
    ) -> Result<HealthStatus, MetaError> {
        let mut url = self.url(&[("node_id", node_id)])?;
        url.query_pairs_mut().append_pair("fields", "health_status");
        let req = self.request(Method::GET, url, token);
        let resp: HealthResponse = self.call("health_status", req).await?;
        Ok(resp.health_status)
    }
}

/// Turns `{"success": false}` into an error.
pub(crate) fn expect_success(v: Success, op: &str) -> Result<(), MetaError> {
    if v.success {
        Ok(())
    } else {
        Err(MetaError::Decode(format!("{op}: success is not true")))
    }
}

/// A Graph path segment: non-empty, at most 256 characters, ASCII letters, digits and
/// `_ - . |` only, and not `.`/`..`. Ids and names come from tenants' data, so nothing
/// else may reach a URL path.
pub(crate) fn check_segment(field: &str, seg: &str) -> Result<(), MetaError> {
    let ok = !seg.is_empty()
        && seg.len() <= 256
        && seg != "."
        && seg != ".."
        && seg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'|'));
    if ok {
        Ok(())
    } else {
        Err(MetaError::InvalidArgument {
            field: if field.is_empty() { "path" } else { field }.into(),
            reason: "must be a non-empty id of letters, digits, _ - .".into(),
        })
    }
}

/// Graph ids are strings but some endpoints send numbers: accept both.
pub(crate) fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "expected a string or number id, got {other}"
        ))),
    }
}

fn opt_string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        other => Err(serde::de::Error::custom(format!(
            "expected a string or number, got {other}"
        ))),
    }
}

/// Unix seconds where `0` means "never".
fn unix_or_never<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(Option::<i64>::deserialize(d)?.filter(|&t| t != 0))
}
