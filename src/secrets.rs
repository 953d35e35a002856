//! The master key and sealing of tokens at rest (XChaCha20-Poly1305), plus tenant API keys
//! (random, shown once, stored as SHA-256).

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Why a key or sealed value is not usable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretsError {
    /// The master key text is not 32 bytes of hex or base64.
    #[error("master key must be 32 bytes as 64 hex characters or base64 (got {0} bytes)")]
    BadMasterKey(usize),
    /// The sealed value was tampered with, or sealed under another key or for another use.
    #[error("sealed value does not open with this master key")]
    Open,
    /// Sealing failed (never in practice).
    #[error("sealing failed")]
    Seal,
}

/// Context string binding a sealed token to its tenant and use (`{shop}|{what}`): a token
/// sealed for one shop or one use does not open for another.
pub fn seal_context(shop: &str, what: &str) -> String {
    format!("{shop}|{what}")
}

/// The master key. `Debug` never shows it.
#[derive(Clone)]
pub struct MasterKey {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    /// Parses 32 bytes given as 64 hex characters or as base64.
    ///
    /// # Errors
    /// [`SecretsError::BadMasterKey`].
    pub fn parse(text: &str) -> Result<Self, SecretsError> {
        let t = text.trim();
        let bytes = hex::decode(t)
            .ok()
            .filter(|b| b.len() == 32)
            .or_else(|| {
                base64::engine::general_purpose::STANDARD
                    .decode(t)
                    .ok()
                    .filter(|b| b.len() == 32)
            })
            .ok_or_else(|| {
                SecretsError::BadMasterKey(
                    hex::decode(t)
                        .map(|b| b.len())
                        .or_else(|_| {
                            base64::engine::general_purpose::STANDARD
                                .decode(t)
                                .map(|b| b.len())
                        })
                        .unwrap_or(0),
                )
            })?;
        let cipher = XChaCha20Poly1305::new_from_slice(&bytes)
            .map_err(|_| SecretsError::BadMasterKey(bytes.len()))?;
        Ok(Self { cipher })
    }

    /// A new random key, as hex (for `galantis keygen` and the sandbox).
    pub fn generate_hex() -> String {
        let mut k = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut k);
        hex::encode(k)
    }

    /// Seals `plain`, bound to `context` (e.g. `shop|shopify_token`) so a sealed value
    /// cannot be moved to another tenant or field. Output: 24-byte nonce ‖ ciphertext.
    ///
    /// # Errors
    /// [`SecretsError::Seal`].
    pub fn seal(&self, context: &str, plain: &[u8]) -> Result<Vec<u8>, SecretsError> {
        let mut nonce = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SecretsError::Seal)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Opens a value sealed by [`MasterKey::seal`] with the same context.
    ///
    /// # Errors
    /// [`SecretsError::Open`].
    pub fn open(&self, context: &str, sealed: &[u8]) -> Result<Vec<u8>, SecretsError> {
        if sealed.len() < 24 {
            return Err(SecretsError::Open);
        }
        let (nonce, ct) = sealed.split_at(24);
        self.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SecretsError::Open)
    }
}

/// A new tenant API key (`glt_` + 64 hex characters) and its hash for storage.
pub fn new_api_key() -> (String, [u8; 32]) {
    let mut k = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut k);
    let key = format!("glt_{}", hex::encode(k));
    let hash = hash_api_key(&key);
    (key, hash)
}

/// SHA-256 of an API key (what is stored and looked up).
pub fn hash_api_key(key: &str) -> [u8; 32] {
    Sha256::digest(key.trim().as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_bound_to_context() {
        let k = MasterKey::parse(&MasterKey::generate_hex()).expect("key");
        let sealed = k
            .seal("a.myshopify.com|shopify", b"shpat_secret")
            .expect("seal");
        assert!(!sealed.windows(12).any(|w| w == b"shpat_secret"));
        assert_eq!(
            k.open("a.myshopify.com|shopify", &sealed).expect("open"),
            b"shpat_secret"
        );
        assert_eq!(
            k.open("b.myshopify.com|shopify", &sealed),
            Err(SecretsError::Open)
        );
        let other = MasterKey::parse(&MasterKey::generate_hex()).expect("key");
        assert_eq!(
            other.open("a.myshopify.com|shopify", &sealed),
            Err(SecretsError::Open)
        );
    }

    #[test]
    fn master_key_accepts_hex_and_base64_only_32_bytes() {
        assert!(MasterKey::parse(&"ab".repeat(32)).is_ok());
        let b64 = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        assert!(MasterKey::parse(&b64).is_ok());
        assert_eq!(
            MasterKey::parse("abcd").err(),
            Some(SecretsError::BadMasterKey(2))
        );
        assert!(MasterKey::parse("").is_err());
    }

    #[test]
    fn api_keys_hash_stably() {
        let (key, hash) = new_api_key();
        assert!(key.starts_with("glt_"));
        assert_eq!(hash_api_key(&key), hash);
    }
}
