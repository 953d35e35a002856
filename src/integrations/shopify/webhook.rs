//! Verifying and reading a Shopify webhook delivery: `X-Shopify-Hmac-Sha256` is the base64
//! HMAC-SHA256 of the raw body under the app's client secret (or, during a rotation, the
//! previous one), compared in constant time before anything parses the body.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// The base64 HMAC-SHA256 of `body` under `secret` (what Shopify puts in the header).
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = match HmacSha256::new_from_slice(secret) {
        Ok(m) => m,
        // HMAC accepts keys of any length; this branch cannot be taken.
        Err(_) => return String::new(),
    };
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// True when `header` is the signature of `body` under any of `secrets` (empty secrets are
/// skipped). Every candidate is checked, so timing does not reveal which one matched.
pub fn verify(secrets: &[&[u8]], body: &[u8], header: &str) -> bool {
    let Ok(given) = base64::engine::general_purpose::STANDARD.decode(header.trim()) else {
        return false;
    };
    let mut ok = 0u8;
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        let Ok(mut mac) = HmacSha256::new_from_slice(secret) else {
            continue;
        };
        mac.update(body);
        let expected = mac.finalize().into_bytes();
        ok |= expected.as_slice().ct_eq(given.as_slice()).unwrap_u8();
    }
    ok == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_current_and_previous_secret_only() {
        let body = br#"{"id":1}"#;
        let sig_new = sign(b"new", body);
        let sig_old = sign(b"old", body);
        assert!(verify(&[b"new", b"old"], body, &sig_new));
        assert!(verify(&[b"new", b"old"], body, &sig_old));
        assert!(!verify(&[b"new", b""], body, &sig_old));
        assert!(!verify(&[b"new"], b"{\"id\":2}", &sig_new));
        assert!(!verify(&[b"new"], body, "not base64!"));
        assert!(!verify(&[b""], body, &sign(b"", body)));
    }
}
