//! Tracked links (`L <code>`, global: the public redirect `GET /r/{code}` carries no
//! shop): which shop's message a link belongs to (by the send's once-key) and where it
//! forwards. Written before the message that carries it is queued.

use super::records::Batch;
use super::{codec, Store, StoreError};
use serde::{Deserialize, Serialize};

/// A tracked link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// The shop.
    pub shop: String,
    /// The once-key of the send whose message carries the link.
    pub once_key: u64,
    /// The message source's code (`utm_campaign`).
    pub source: String,
    /// Where the link forwards.
    pub target: String,
}

/// The records of a message's new tracked links (`logic::links::track`): each code with
/// the shop, the send's once-key, the source's code and the target. Campaigns and flows
/// alike.
pub fn records(
    shop: &str,
    once_key: u64,
    source: &str,
    new: Vec<crate::logic::links::NewLink>,
) -> Vec<(String, Link)> {
    new.into_iter()
        .map(|l| {
            let link = Link {
                shop: shop.to_string(),
                once_key,
                source: source.to_string(),
                target: l.target,
            };
            (l.code, link)
        })
        .collect()
}

/// A fresh random link code: 12 characters of `[0-9A-Za-z]` (71 bits).
pub fn new_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::thread_rng();
    (0..12)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

fn key(code: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + code.len());
    k.push(b'L');
    k.extend_from_slice(code.as_bytes());
    k
}

impl Batch {
    /// Stores a tracked link under `code`.
    ///
    /// # Errors
    /// When the value cannot be encoded.
    pub fn put_link(&mut self, code: &str, link: &Link) -> Result<(), StoreError> {
        self.raw_put(key(code), codec::encode(link)?);
        Ok(())
    }
}

impl Store {
    /// The link under `code`.
    ///
    /// # Errors
    /// When sled fails or the record does not decode.
    pub fn link(&self, code: &str) -> Result<Option<Link>, StoreError> {
        match self.read(&key(code))? {
            Some(v) => Ok(Some(codec::decode(&v)?)),
            None => Ok(None),
        }
    }
}
