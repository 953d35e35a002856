//! Errors of the Meta Graph (WhatsApp Cloud) API client and the retry policy over them:
//! what a failed call means for the sender (retry, wait for one recipient, pause the
//! number, switch to a template, re-authenticate, or give up), per
//! `reference/meta-api.md` §2 and <https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes>.
//!
//! Classification is on Meta's `code`, never on the HTTP status (Meta documents the status
//! only as a hint); the status decides only when the body carries no Graph error.
//! This module owns no I/O; the client (`client.rs`) builds these errors.

use rand::Rng;
use serde::Deserialize;
use std::time::Duration;

/// The `error` object Meta returns with a failed Graph API call.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct GraphError {
    /// Meta's error code (`130429`, `131047` …): the field every decision is made on.
    pub code: i64,
    /// Deprecated by Meta since v16 but still seen in examples; kept for support tickets.
    #[serde(default)]
    pub error_subcode: Option<i64>,
    /// `"(#code) title"`; titles are being deprecated, so never match on it.
    #[serde(default)]
    pub message: String,
    /// Graph error type, usually `OAuthException`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// `error_data.details`: the human explanation Meta asks integrators to use.
    #[serde(default)]
    pub details: Option<String>,
    /// Trace id for Meta support.
    #[serde(default)]
    pub fbtrace_id: Option<String>,
    /// Graph's own hint that the error is temporary.
    #[serde(default)]
    pub is_transient: Option<bool>,
}

/// Wire form of a Graph error (`details` lives under `error_data`).
#[derive(Deserialize)]
struct GraphErrorWire {
    code: i64,
    #[serde(default)]
    error_subcode: Option<i64>,
    #[serde(default)]
    message: String,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    error_data: Option<ErrorData>,
    #[serde(default)]
    fbtrace_id: Option<String>,
    #[serde(default)]
    is_transient: Option<bool>,
}

#[derive(Deserialize)]
struct ErrorData {
    #[serde(default)]
    details: Option<String>,
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: GraphErrorWire,
}

impl From<GraphErrorWire> for GraphError {
    fn from(w: GraphErrorWire) -> Self {
        Self {
            code: w.code,
            error_subcode: w.error_subcode,
            message: w.message,
            kind: w.kind,
            details: w.error_data.and_then(|d| d.details),
            fbtrace_id: w.fbtrace_id,
            is_transient: w.is_transient,
        }
    }
}

impl GraphError {
    /// Parses a Graph error body (`{"error": {...}}`); `None` when the body is not one.
    pub fn from_body(body: &[u8]) -> Option<Self> {
        serde_json::from_slice::<ErrorEnvelope>(body)
            .ok()
            .map(|e| e.error.into())
    }
}

/// A failed call to Meta. Never carries an access token (request URLs are stripped from
/// transport errors, since `debug_token` puts a token in the query string).
#[derive(Debug, thiserror::Error)]
pub enum MetaError {
    /// The request did not complete within the configured timeout.
    #[error("Meta request timed out")]
    Timeout(#[source] reqwest::Error),
    /// No connection could be made to Meta.
    #[error("could not connect to Meta")]
    Connect(#[source] reqwest::Error),
    /// Another transport failure (connection reset, body read failure …).
    #[error("Meta transport error")]
    Transport(#[source] reqwest::Error),
    /// Meta answered with a Graph error object.
    #[error("Meta answered HTTP {status}: code {} ({})", error.code, error.message)]
    Api {
        /// HTTP status (a hint only).
        status: u16,
        /// The parsed Graph error (boxed: it keeps `Result<_, MetaError>` small).
        error: Box<GraphError>,
    },
    /// Meta (or something in between) answered an error status without a Graph error.
    #[error("Meta answered HTTP {status} without a Graph error")]
    Http {
        /// HTTP status.
        status: u16,
        /// The start of the body, for the log (at most 512 bytes).
        body: String,
    },
    /// A success answer whose body is not what the API documents.
    #[error("undecodable Meta response: {0}")]
    Decode(String),
    /// A caller argument that cannot go into a request (e.g. an id with a `/`).
    #[error("invalid argument {field}: {reason}")]
    InvalidArgument {
        /// The argument's name.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The client could not be built (bad base URL, TLS backend missing …).
    #[error("Meta client setup failed: {0}")]
    Setup(String),
}

impl MetaError {
    /// Maps a `reqwest` failure to the right transport variant, dropping its URL.
    pub(crate) fn from_reqwest(e: reqwest::Error) -> Self {
        let e = e.without_url();
        if e.is_timeout() {
            Self::Timeout(e)
        } else if e.is_connect() {
            Self::Connect(e)
        } else {
            Self::Transport(e)
        }
    }

    /// Builds the error for a non-success answer from its status and raw body.
    pub fn from_response(status: u16, body: &[u8]) -> Self {
        match GraphError::from_body(body) {
            Some(error) => Self::Api {
                status,
                error: Box::new(error),
            },
            None => {
                let cut = body.len().min(512);
                Self::Http {
                    status,
                    body: String::from_utf8_lossy(&body[..cut]).into_owned(),
                }
            }
        }
    }

    /// Meta's error code, when the answer carried one.
    pub fn code(&self) -> Option<i64> {
        match self {
            Self::Api { error, .. } => Some(error.code),
            _ => None,
        }
    }

    /// True for timeouts, connection and other transport failures.
    pub fn is_transport(&self) -> bool {
        matches!(
            self,
            Self::Timeout(_) | Self::Connect(_) | Self::Transport(_)
        )
    }
}

pub use crate::logic::whatsapp::retry::{
    backoff_cap_ms, pair_wait, Action, PAIR_WAIT_MAX_EXPONENT,
};

/// Codes worth retrying with backoff: throughput and API rate limits, unknown/temporary
/// server errors, maintenance (131057), and the catalog/management rate limits.
const RETRY_CODES: &[i64] = &[
    1, 2, 4, 80007, 80008, 80009, 80014, 130429, 131000, 131016, 131057, 133004,
];

/// The action for a Graph error code, or `None` when the code alone does not decide
/// (unknown codes: then the HTTP status and `is_transient` do). Also usable for the
/// asynchronous errors of status webhooks (`statuses[].errors[].code`).
pub fn classify_code(code: i64) -> Option<Action> {
    let action = match code {
        c if RETRY_CODES.contains(&c) => Action::RetryBackoff,
        131056 => Action::WaitRecipient,
        131048 => Action::PauseNumber,
        131047 => Action::NeedsTemplate,
        0 | 190 => Action::TokenDead,
        // Permissions, policy, bad parameters, undeliverable, opted out, template
        // problems (132xxx), registration: fixing them needs a person, not a retry.
        3 | 10 | 100 | 200..=299 | 368 | 130403 | 130472 | 130497 => Action::Final,
        131000..=131999 | 132000..=132999 | 133000..=133999 | 135000 => Action::Final,
        _ => return None,
    };
    Some(action)
}

/// What to do after `err` (`reference/meta-api.md` §2): classify on Meta's code; without
/// one, transport failures, 408, 429 and 5xx are retried and other statuses are final.
/// A success answer that could not be decoded is final: Meta accepted something, and
/// sending again could duplicate the message.
pub fn classify(err: &MetaError) -> Action {
    match err {
        MetaError::Timeout(_) | MetaError::Connect(_) | MetaError::Transport(_) => {
            Action::RetryBackoff
        }
        MetaError::Api { status, error } => classify_code(error.code).unwrap_or_else(|| {
            if error.is_transient == Some(true) || retryable_status(*status) {
                Action::RetryBackoff
            } else {
                Action::Final
            }
        }),
        MetaError::Http { status, .. } if retryable_status(*status) => Action::RetryBackoff,
        MetaError::Http { .. }
        | MetaError::Decode(_)
        | MetaError::InvalidArgument { .. }
        | MetaError::Setup(_) => Action::Final,
    }
}

fn retryable_status(status: u16) -> bool {
    status == 408 || status == 429 || (status >= 500 && status != 501)
}

/// Exponential backoff with full jitter: a uniform delay in
/// `[0, min(max_ms, base_ms × 2^attempt)]` (attempt 0 is the first retry).
pub fn backoff(attempt: u32, base_ms: u64, max_ms: u64) -> Duration {
    Duration::from_millis(jitter_ms(backoff_cap_ms(attempt, base_ms, max_ms)))
}

/// The full jitter of [`backoff`]: a uniform pick in `[0, cap_ms]`.
pub fn jitter_ms(cap_ms: u64) -> u64 {
    rand::thread_rng().gen_range(0..=cap_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: i64, status: u16) -> MetaError {
        MetaError::Api {
            status,
            error: Box::new(GraphError {
                code,
                ..GraphError::default()
            }),
        }
    }

    #[test]
    fn every_named_code_classifies_as_documented() {
        use Action::*;
        let table: &[(i64, Action)] = &[
            (130429, RetryBackoff),
            (80007, RetryBackoff),
            (131000, RetryBackoff),
            (131016, RetryBackoff),
            (1, RetryBackoff),
            (2, RetryBackoff),
            (4, RetryBackoff),
            (133004, RetryBackoff),
            (131057, RetryBackoff),
            (131056, WaitRecipient),
            (131048, PauseNumber),
            (131047, NeedsTemplate),
            (190, TokenDead),
            (0, TokenDead),
            (131026, Final),
            (131050, Final),
            (100, Final),
            (131009, Final),
            (131008, Final),
            (132000, Final),
            (132001, Final),
            (132005, Final),
            (132007, Final),
            (132012, Final),
            (132015, Final),
            (132016, Final),
            (10, Final),
            (368, Final),
        ];
        for &(code, want) in table {
            // The code decides whatever status Meta put on the answer.
            for status in [400, 403, 429, 500] {
                assert_eq!(
                    classify(&api(code, status)),
                    want,
                    "code {code} status {status}"
                );
            }
        }
    }

    #[test]
    fn unknown_codes_fall_back_to_the_status() {
        assert_eq!(classify(&api(999_999, 503)), Action::RetryBackoff);
        assert_eq!(classify(&api(999_999, 400)), Action::Final);
        let transient = MetaError::Api {
            status: 400,
            error: Box::new(GraphError {
                code: 999_999,
                is_transient: Some(true),
                ..GraphError::default()
            }),
        };
        assert_eq!(classify(&transient), Action::RetryBackoff);
    }

    #[test]
    fn errors_without_a_graph_body_classify_on_the_status() {
        for (status, want) in [
            (500, Action::RetryBackoff),
            (502, Action::RetryBackoff),
            (503, Action::RetryBackoff),
            (429, Action::RetryBackoff),
            (408, Action::RetryBackoff),
            (501, Action::Final),
            (400, Action::Final),
            (404, Action::Final),
        ] {
            let e = MetaError::from_response(status, b"<html>bad gateway</html>");
            assert!(matches!(e, MetaError::Http { .. }));
            assert_eq!(classify(&e), want, "status {status}");
        }
        assert_eq!(classify(&MetaError::Decode("x".into())), Action::Final);
    }

    fn fixture(name: &str) -> Vec<u8> {
        crate::integrations::meta::client::test_support::fixture(name).into_bytes()
    }

    #[test]
    fn fixture_130429_parses_into_a_throughput_error() {
        let e = MetaError::from_response(429, &fixture("error_130429.response.json"));
        let MetaError::Api { status, error } = &e else {
            panic!("not an API error: {e:?}");
        };
        assert_eq!(*status, 429);
        assert_eq!(error.code, 130429);
        assert_eq!(error.error_subcode, Some(2494055));
        assert_eq!(error.kind.as_deref(), Some("OAuthException"));
        assert_eq!(
            error.details.as_deref(),
            Some("Cloud API message throughput has been reached.")
        );
        assert_eq!(error.fbtrace_id.as_deref(), Some("Az8or2yhqkZfEZ-_4Qn_Bam"));
        assert_eq!(classify(&e), Action::RetryBackoff);
    }

    #[test]
    fn fixture_100_parses_into_a_final_parameter_error() {
        let e = MetaError::from_response(400, &fixture("error_100_mm_api.response.json"));
        assert_eq!(e.code(), Some(100));
        let MetaError::Api { error, .. } = &e else {
            panic!("not an API error: {e:?}");
        };
        assert_eq!(error.error_subcode, None);
        assert_eq!(
            error.details.as_deref(),
            Some("Message must be a template message.")
        );
        assert_eq!(classify(&e), Action::Final);
    }

    #[test]
    fn backoff_stays_within_the_doubling_cap() {
        assert_eq!(backoff_cap_ms(0, 500, 60_000), 500);
        assert_eq!(backoff_cap_ms(3, 500, 60_000), 4_000);
        assert_eq!(backoff_cap_ms(10, 500, 60_000), 60_000);
        assert_eq!(backoff_cap_ms(200, 500, 60_000), 60_000);
        for attempt in 0..12 {
            for _ in 0..50 {
                let d = backoff(attempt, 100, 5_000);
                assert!(d <= Duration::from_millis(backoff_cap_ms(attempt, 100, 5_000)));
            }
        }
    }

    #[test]
    fn pair_wait_is_four_to_the_attempt_capped() {
        assert_eq!(pair_wait(0), Duration::from_secs(1));
        assert_eq!(pair_wait(1), Duration::from_secs(4));
        assert_eq!(pair_wait(2), Duration::from_secs(16));
        assert_eq!(pair_wait(3), Duration::from_secs(64));
        assert_eq!(pair_wait(100), Duration::from_secs(4096));
    }
}
