//! The checks every Graph handler shares: the caller's access token (bearer header or
//! `access_token` query parameter; 190 for a missing, unknown or revoked token, the app
//! token `APP_ID|APP_SECRET` recognised) and the version segment (400/2500 for any other
//! version). Answers are Graph errors ([`ApiError`]). Imports only `faults` and `state`;
//! never the handler modules or the router.

use super::faults::ApiError;
use super::state::{Shared, TokenRecord};
use axum::http::{header, HeaderMap};
use std::collections::HashMap;

/// Who is calling.
pub(crate) enum Auth {
    /// A registered, valid token.
    Token(TokenRecord),
    /// The app token (`APP_ID|APP_SECRET`).
    App,
}

/// The bearer token (or `access_token` query parameter).
pub(crate) fn bearer(headers: &HeaderMap, q: &HashMap<String, String>) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("OAuth "))
        })
        .map(|t| t.trim().to_owned())
        .or_else(|| q.get("access_token").cloned())
        .filter(|t| !t.is_empty())
}

/// Checks the caller's token.
pub(crate) fn authorize(
    sh: &Shared,
    headers: &HeaderMap,
    q: &HashMap<String, String>,
) -> Result<Auth, ApiError> {
    let token = bearer(headers, q).ok_or_else(ApiError::bad_token)?;
    if token == format!("{}|{}", sh.cfg.app_id, sh.cfg.app_secret) {
        return Ok(Auth::App);
    }
    let st = sh.lock();
    if st.revoked.contains(&token) {
        return Err(ApiError::token_revoked());
    }
    st.tokens
        .get(&token)
        .cloned()
        .map(Auth::Token)
        .ok_or_else(ApiError::bad_token)
}

/// The version segment must be the one served.
pub(crate) fn check_version(sh: &Shared, version: &str) -> Result<(), ApiError> {
    if version == sh.cfg.graph_version {
        Ok(())
    } else {
        let msg = format!(
            "Unknown path components: /{version} (this emulator serves {})",
            sh.cfg.graph_version
        );
        Err(ApiError::graph(400, &msg, "OAuthException", 2500, None))
    }
}
