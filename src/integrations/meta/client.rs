//! `MetaClient`: the typed Graph API (WhatsApp Cloud API) client — send messages, read
//! receipts, media upload, `debug_token` and `health_status` (template management is in
//! `client/templates.rs`). Docs: <https://developers.facebook.com/docs/whatsapp/cloud-api>,
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
use serde_json::Value;
use std::time::Duration;

pub use catalogs::{
    BatchAnswer, BatchLineError, BatchStatus, CatalogInfo, ItemMessage, ItemValidation, RemoteItem,
};
pub(crate) use model::{expect_success, Success};
use model::{DebugTokenResponse, HealthResponse, MediaId, SendResponse};
pub use model::{
    GranularScope, HealthEntity, HealthIssue, HealthStatus, SendAccepted, SendAvailability,
    TokenError, TokenInfo,
};

mod catalogs;
pub(crate) mod model;
mod templates;
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
        crate::integrations::install_tls_provider();
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
        accepted(self.call("send_message", req).await?)
    }

    /// [`send_message`](Self::send_message) with the body already serialized (the
    /// campaign lane stores each body as the JSON text it sends).
    ///
    /// # Errors
    /// As [`send_message`](Self::send_message).
    pub async fn send_message_json(
        &self,
        token: &str,
        phone_number_id: &str,
        body: String,
    ) -> Result<SendAccepted, MetaError> {
        let url = self.url(&[("phone_number_id", phone_number_id), ("", "messages")])?;
        let req = self
            .request(Method::POST, url, token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        accepted(self.call("send_message", req).await?)
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

    /// `GET /{phone-number-id}?fields=quality_rating`: `GREEN`, `YELLOW`, `RED` (shown
    /// as "Low" in Meta's tools) or `NA`; `None` when Meta leaves it out.
    ///
    /// # Errors
    /// Any call error.
    pub async fn quality_rating(
        &self,
        token: &str,
        phone_number_id: &str,
    ) -> Result<Option<String>, MetaError> {
        #[derive(serde::Deserialize)]
        struct Quality {
            quality_rating: Option<String>,
        }
        let mut url = self.url(&[("phone_number_id", phone_number_id)])?;
        url.query_pairs_mut()
            .append_pair("fields", "quality_rating");
        let req = self.request(Method::GET, url, token);
        let resp: Quality = self.call("quality_rating", req).await?;
        Ok(resp.quality_rating)
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

/// The acceptance of a send: `messages[0].id` is required.
fn accepted(resp: SendResponse) -> Result<SendAccepted, MetaError> {
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
