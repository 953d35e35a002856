//! The checks of Shopify's app-install flows, pure: the HMAC of an install or callback
//! query string, the shop hostname, the timestamp's age, and the App Bridge session token
//! (a JWT signed HS256 with the app's client secret) that embedded apps exchange for an
//! access token. Also the canonical message Shopify signs, so the emulator signs exactly
//! what the engine verifies.

use crate::domain::ShopDomain;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// How far a query's `timestamp` may be from now (shopify-app-js allows 90 s).
pub const TIMESTAMP_TOLERANCE_S: i64 = 90;
/// Clock skew allowed on a session token's `exp` and `nbf` (shopify-app-js: 10 s).
pub const JWT_SKEW_S: i64 = 10;

/// Why an install request or a session token is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OauthError {
    /// A required query parameter is absent.
    #[error("the query has no `{0}`")]
    Missing(&'static str),
    /// The HMAC does not match the parameters.
    #[error("the request's hmac does not match its parameters (not signed by Shopify with this app's secret)")]
    BadHmac,
    /// `shop` is not a `*.myshopify.com` hostname.
    #[error("`{0}` is not a shop's myshopify.com hostname")]
    BadShop(String),
    /// The timestamp is too old or in the future.
    #[error("the request's timestamp is {0} s away from now (at most 90 s allowed)")]
    Stale(i64),
    /// `state` is not the nonce this engine issued for the shop (or was already used).
    #[error("the `state` does not match a pending install of this shop")]
    BadState,
    /// The session token is malformed.
    #[error("the session token is not a JWT: {0}")]
    Malformed(&'static str),
    /// The session token's signature does not verify.
    #[error("the session token is not signed with this app's secret")]
    BadSignature,
    /// The session token's claims refuse it.
    #[error("the session token is refused: {0}")]
    Claims(String),
}

/// HMAC-SHA256 (HMAC takes keys of any length; the error arm cannot happen).
fn mac(secret: &[u8], message: &[u8]) -> [u8; 32] {
    match <Hmac<Sha256> as Mac>::new_from_slice(secret) {
        Ok(mut m) => {
            m.update(message);
            m.finalize().into_bytes().into()
        }
        Err(_) => [0; 32],
    }
}

fn escape(s: &str, key: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '&' => out.push_str("%26"),
            '=' if key => out.push_str("%3D"),
            c => out.push(c),
        }
    }
    out
}

/// The message Shopify signs: every parameter but `hmac` and `signature`, sorted by
/// name, as `name=value` joined by `&` (`%` and `&` escaped, and `=` in names).
pub fn signed_message(params: &[(String, String)]) -> String {
    let mut kept: Vec<&(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "hmac" && k != "signature")
        .collect();
    kept.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    kept.iter()
        .map(|(k, v)| format!("{}={}", escape(k, true), escape(v, false)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The hex HMAC of `params` (what Shopify puts in `hmac`).
pub fn sign_query(params: &[(String, String)], secret: &[u8]) -> String {
    hex::encode(mac(secret, signed_message(params).as_bytes()))
}

fn param<'a>(params: &'a [(String, String)], name: &'static str) -> Result<&'a str, OauthError> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .ok_or(OauthError::Missing(name))
}

/// Checks an install or callback query: its HMAC under any of `secrets` (current, then
/// previous during a rotation), the shop hostname and the timestamp; the shop.
///
/// # Errors
/// [`OauthError`] naming the first check that fails.
pub fn verify_query(
    params: &[(String, String)],
    secrets: &[Vec<u8>],
    now_s: i64,
) -> Result<ShopDomain, OauthError> {
    let given = param(params, "hmac")?;
    let given = hex::decode(given.trim()).map_err(|_| OauthError::BadHmac)?;
    let message = signed_message(params);
    let ok = secrets
        .iter()
        .any(|s| bool::from(mac(s, message.as_bytes()).as_slice().ct_eq(&given)));
    if !ok {
        return Err(OauthError::BadHmac);
    }
    let shop = param(params, "shop")?;
    let shop = ShopDomain::parse(shop).map_err(|_| OauthError::BadShop(shop.to_string()))?;
    let ts: i64 = param(params, "timestamp")?
        .trim()
        .parse()
        .map_err(|_| OauthError::Stale(i64::MAX))?;
    let off = now_s.saturating_sub(ts);
    if off.abs() > TIMESTAMP_TOLERANCE_S {
        return Err(OauthError::Stale(off));
    }
    Ok(shop)
}

/// A verified session token's facts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The shop (`dest`).
    pub shop: ShopDomain,
    /// The staff user (`sub`), when present.
    pub user: Option<String>,
}

fn b64(s: &str) -> Result<Vec<u8>, OauthError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .map_err(|_| OauthError::Malformed("a part is not base64url"))
}

/// Verifies an App Bridge session token: HS256 with one of `secrets`, `aud` = our
/// client id, `exp` and `nbf` within [`JWT_SKEW_S`], `dest` a shop.
///
/// # Errors
/// [`OauthError`].
pub fn verify_session_token(
    jwt: &str,
    secrets: &[Vec<u8>],
    client_id: &str,
    now_s: i64,
) -> Result<Session, OauthError> {
    let mut parts = jwt.trim().split('.');
    let (Some(h), Some(p), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(OauthError::Malformed("it does not have three parts"));
    };
    let header: serde_json::Value = serde_json::from_slice(&b64(h)?)
        .map_err(|_| OauthError::Malformed("the header is not JSON"))?;
    if header["alg"] != "HS256" {
        return Err(OauthError::Claims(format!(
            "alg {} (HS256 expected)",
            header["alg"]
        )));
    }
    let sig = b64(sig)?;
    let message = format!("{h}.{p}");
    let ok = secrets
        .iter()
        .any(|s| bool::from(mac(s, message.as_bytes()).as_slice().ct_eq(&sig)));
    if !ok {
        return Err(OauthError::BadSignature);
    }
    let claims: serde_json::Value = serde_json::from_slice(&b64(p)?)
        .map_err(|_| OauthError::Malformed("the payload is not JSON"))?;
    let aud_ok = match &claims["aud"] {
        serde_json::Value::String(a) => a == client_id,
        serde_json::Value::Array(a) => a.iter().any(|x| x == client_id),
        _ => false,
    };
    if !aud_ok {
        return Err(OauthError::Claims("aud is not this app's client id".into()));
    }
    let exp = claims["exp"]
        .as_i64()
        .ok_or_else(|| OauthError::Claims("no exp".into()))?;
    if now_s > exp + JWT_SKEW_S {
        return Err(OauthError::Claims(format!("expired {} s ago", now_s - exp)));
    }
    if let Some(nbf) = claims["nbf"].as_i64() {
        if nbf > now_s + JWT_SKEW_S {
            return Err(OauthError::Claims("not valid yet (nbf)".into()));
        }
    }
    let dest = claims["dest"].as_str().unwrap_or_default();
    let host = dest.trim_start_matches("https://").trim_end_matches('/');
    let shop = ShopDomain::parse(host).map_err(|_| OauthError::BadShop(dest.to_string()))?;
    Ok(Session {
        shop,
        user: claims["sub"].as_str().map(str::to_string),
    })
}

/// A session token as App Bridge makes it (the emulator and tests mint them).
pub fn mint_session_token(claims: &serde_json::Value, secret: &[u8]) -> String {
    let e = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    let h = e(br#"{"alg":"HS256","typ":"JWT"}"#);
    let p = e(claims.to_string().as_bytes());
    let sig = e(&mac(secret, format!("{h}.{p}").as_bytes()));
    format!("{h}.{p}.{sig}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn shopifys_documented_example_signs_to_its_hmac() {
        // shopify.dev "Verify a request": secret "hush".
        let params = q(&[
            ("code", "0907a61c0c8d55e99db179b68161bc00"),
            ("shop", "some-shop.myshopify.com"),
            ("state", "0.6784241404160823"),
            ("timestamp", "1337178173"),
        ]);
        assert_eq!(
            sign_query(&params, b"hush"),
            "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"
        );
    }

    #[test]
    fn a_query_is_refused_for_its_hmac_shop_or_age() {
        let secret = b"s3cret".to_vec();
        let now = 1_800_000_000;
        let mut params = q(&[
            ("shop", "demo.myshopify.com"),
            ("timestamp", "1800000000"),
            ("host", "YWRtaW4="),
        ]);
        let h = sign_query(&params, &secret);
        params.push(("hmac".into(), h));
        assert_eq!(
            verify_query(&params, std::slice::from_ref(&secret), now).map(|s| s.to_string()),
            Ok("demo.myshopify.com".into())
        );
        assert_eq!(
            verify_query(&params, &[b"other".to_vec()], now),
            Err(OauthError::BadHmac)
        );
        assert!(matches!(
            verify_query(&params, std::slice::from_ref(&secret), now + 91),
            Err(OauthError::Stale(91))
        ));
        let mut evil = q(&[("shop", "evil.example.com"), ("timestamp", "1800000000")]);
        let h = sign_query(&evil, &secret);
        evil.push(("hmac".into(), h));
        assert!(matches!(
            verify_query(&evil, &[secret], now),
            Err(OauthError::BadShop(_))
        ));
    }

    #[test]
    fn a_session_token_is_checked_for_signature_audience_and_time() {
        let secret = b"app-secret".to_vec();
        let now = 1_800_000_000;
        let claims = |exp: i64, aud: &str| {
            json!({"iss": "https://demo.myshopify.com/admin", "dest": "https://demo.myshopify.com",
            "aud": aud, "sub": "42", "exp": exp, "nbf": now - 60, "iat": now - 60, "jti": "x", "sid": "y"})
        };
        let good = mint_session_token(&claims(now + 60, "client-1"), &secret);
        let s = verify_session_token(&good, std::slice::from_ref(&secret), "client-1", now)
            .expect("valid");
        assert_eq!(
            (s.shop.as_str(), s.user.as_deref()),
            ("demo.myshopify.com", Some("42"))
        );
        assert_eq!(
            verify_session_token(&good, &[b"nope".to_vec()], "client-1", now),
            Err(OauthError::BadSignature)
        );
        let expired = mint_session_token(&claims(now - 11, "client-1"), &secret);
        assert!(matches!(
            verify_session_token(&expired, std::slice::from_ref(&secret), "client-1", now),
            Err(OauthError::Claims(_))
        ));
        let skewed = mint_session_token(&claims(now - 9, "client-1"), &secret);
        assert!(
            verify_session_token(&skewed, std::slice::from_ref(&secret), "client-1", now).is_ok(),
            "within the skew"
        );
        let other = mint_session_token(&claims(now + 60, "client-2"), &secret);
        assert!(matches!(
            verify_session_token(&other, std::slice::from_ref(&secret), "client-1", now),
            Err(OauthError::Claims(_))
        ));
        assert!(matches!(
            verify_session_token("a.b", &[secret], "client-1", now),
            Err(OauthError::Malformed(_))
        ));
    }
}
