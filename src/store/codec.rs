//! Versioned bincode envelopes: every stored value is `[format version][bincode bytes]`.

use serde::{de::DeserializeOwned, Serialize};

/// The current format version of every stored value. Bump it (and teach `decode` the old
/// one) when a stored type changes shape.
pub const FORMAT_VERSION: u8 = 1;

/// Why a stored value could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// Stored under a format this build does not know.
    #[error("stored value has format version {found}, this build reads {FORMAT_VERSION}")]
    UnknownVersion { found: u8 },
    /// Empty value where an envelope was expected.
    #[error("stored value is empty")]
    Empty,
    /// bincode failed to encode.
    #[error("encode failed: {0}")]
    Encode(#[from] bincode::error::EncodeError),
    /// bincode failed to decode.
    #[error("decode failed: {0}")]
    Decode(#[from] bincode::error::DecodeError),
}

fn config() -> bincode::config::Configuration {
    bincode::config::standard()
}

/// Encodes `value` in a versioned envelope.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, CodecError> {
    let mut out = vec![FORMAT_VERSION];
    let body = bincode::serde::encode_to_vec(value, config())?;
    out.extend_from_slice(&body);
    Ok(out)
}

/// Decodes a versioned envelope.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    let (&version, body) = bytes.split_first().ok_or(CodecError::Empty)?;
    if version != FORMAT_VERSION {
        return Err(CodecError::UnknownVersion { found: version });
    }
    let (value, _) = bincode::serde::decode_from_slice(body, config())?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_unknown_versions() {
        let v = (42u64, "hello".to_string(), Some(7i64));
        let bytes = encode(&v).expect("encode");
        assert_eq!(bytes[0], FORMAT_VERSION);
        let back: (u64, String, Option<i64>) = decode(&bytes).expect("decode");
        assert_eq!(back, v);
        let mut bad = bytes.clone();
        bad[0] = 99;
        assert!(matches!(
            decode::<(u64, String, Option<i64>)>(&bad),
            Err(CodecError::UnknownVersion { found: 99 })
        ));
        assert!(matches!(decode::<u64>(&[]), Err(CodecError::Empty)));
    }
}
