//! What Shopify's token endpoint grants, and the request bodies of its three uses:
//! exchanging an install's authorization code, exchanging an App Bridge session token
//! (or migrating a non-expiring token), and refreshing an expiring one.

use serde::Deserialize;
use serde_json::{json, Value};

/// An access token as granted.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct TokenGrant {
    /// The Admin API token.
    pub access_token: String,
    /// Granted scopes, comma-separated.
    #[serde(default)]
    pub scope: String,
    /// Seconds until it expires (expiring offline tokens: 3600).
    #[serde(default)]
    pub expires_in: Option<i64>,
    /// The rotating refresh token (expiring tokens).
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// Seconds until the refresh token expires.
    #[serde(default)]
    pub refresh_token_expires_in: Option<i64>,
}

/// The app's credentials as the token endpoint takes them.
#[derive(Clone, Copy, Debug)]
pub struct App<'a> {
    /// Client id.
    pub client_id: &'a str,
    /// Client secret.
    pub client_secret: &'a str,
}

fn expiring(e: bool) -> &'static str {
    if e {
        "1"
    } else {
        "0"
    }
}

/// Exchanging an install's authorization code.
pub fn code_body(app: App<'_>, code: &str, want_expiring: bool) -> Value {
    json!({"client_id": app.client_id, "client_secret": app.client_secret, "code": code,
           "expiring": expiring(want_expiring)})
}

/// Exchanging a session token (`subject_token_type` id_token) or migrating a
/// non-expiring offline token (`subject_token_type` offline-access-token) for an
/// offline token.
pub fn exchange_body(
    app: App<'_>,
    subject: &str,
    from_offline_token: bool,
    want_expiring: bool,
) -> Value {
    let subject_type = if from_offline_token {
        "urn:shopify:params:oauth:token-type:offline-access-token"
    } else {
        "urn:ietf:params:oauth:token-type:id_token"
    };
    json!({"client_id": app.client_id, "client_secret": app.client_secret,
           "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
           "subject_token": subject, "subject_token_type": subject_type,
           "requested_token_type": "urn:shopify:params:oauth:token-type:offline-access-token",
           "expiring": expiring(want_expiring)})
}

/// Refreshing an expiring token.
pub fn refresh_body(app: App<'_>, refresh_token: &str) -> Value {
    json!({"client_id": app.client_id, "client_secret": app.client_secret,
           "grant_type": "refresh_token", "refresh_token": refresh_token})
}
