//! Graph API error answers and fault injection. Every error has Meta's shape
//! (`responses/error_130429.response.json`, `error_100_mm_api.response.json`):
//! `{"error": {"message": "(#code) title", "type": "OAuthException", "code",
//! "error_data": {"messaging_product": "whatsapp", "details"}, "error_subcode"?,
//! "fbtrace_id"}}`, with the HTTP status of `reference/meta-api.md` §1.9 (401 for 0/190,
//! 403 for permissions, 429 for rate limits, 500 for 131000, 503 for 2, else 400).
//! Token and object-access errors are Graph-level: no `(#code)` prefix, no `error_data`.
//! A leaf: must not import any other module of `sandbox::meta`.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use rand::distributions::Alphanumeric;
use rand::Rng;
use serde_json::{json, Map, Value};

/// A fault the next message sends answer with ([`super::MetaEmulator::fail_next`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// 130429 (per-number throughput), HTTP 429.
    RateLimited,
    /// 131056 (pair rate limit), HTTP 429.
    PairRateLimited,
    /// 131048 (spam rate limit), HTTP 429.
    SpamRateLimited,
    /// 131000 (something went wrong), HTTP 500 with a Graph error.
    ServerError,
    /// A bare HTTP 503 with an HTML body, as a proxy in front of Graph answers.
    Unavailable,
    /// 190 with subcode 463 (session expired), HTTP 401. See also `revoke_token`.
    TokenExpired,
    /// Hangs for `timeout_fault_delay`, then handles the send normally (as Meta may have
    /// accepted a message whose answer the client never saw).
    Timeout,
    /// Any Graph error code with its documented status (131026, 100, 368 …).
    Final(i64),
    /// Accepts the message, then sends `sent` and a `failed` status with this code
    /// (asynchronous failure, e.g. 131049 or 131026).
    FailedStatus(i64),
}

impl Fault {
    /// Parses the control API's spelling (`rate_limited`, `final` + code …).
    pub fn parse(name: &str, code: Option<i64>) -> Option<Self> {
        Some(match name {
            "rate_limited" => Self::RateLimited,
            "pair_rate_limited" => Self::PairRateLimited,
            "spam_rate_limited" => Self::SpamRateLimited,
            "server_error" => Self::ServerError,
            "unavailable" => Self::Unavailable,
            "token_expired" => Self::TokenExpired,
            "timeout" => Self::Timeout,
            "final" => Self::Final(code?),
            "failed_status" => Self::FailedStatus(code?),
            _ => return None,
        })
    }

    /// The answer this fault gives instead of handling the send (`None`: handle it).
    pub(crate) fn error(&self) -> Option<ApiError> {
        match self {
            Self::RateLimited => Some(ApiError::code(130429)),
            Self::PairRateLimited => Some(ApiError::code(131056)),
            Self::SpamRateLimited => Some(ApiError::code(131048)),
            Self::ServerError => Some(ApiError::code(131000)),
            Self::Unavailable => Some(ApiError::unavailable()),
            Self::TokenExpired => Some(ApiError::token_expired()),
            Self::Final(code) => Some(ApiError::code(*code)),
            Self::Timeout | Self::FailedStatus(_) => None,
        }
    }
}

/// An error answer.
#[derive(Clone, Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    /// `None`: a bare HTML body (no Graph error).
    pub body: Option<Value>,
}

/// HTTP status, title, default details and subcode of a code.
fn spec(code: i64) -> (u16, &'static str, &'static str, Option<i64>) {
    match code {
        0 => (401, "AuthException", "We were unable to authenticate the app user.", None),
        1 => (400, "API Unknown", "Invalid request or possible server error.", None),
        2 => (503, "API Service", "Temporary due to downtime or due to being overloaded.", None),
        3 => (500, "API Method", "Capability or permissions issue.", None),
        4 => (429, "API Too Many Calls", "The app has reached its API call rate limit.", None),
        10 => (403, "Permission Denied", "Permission is either not granted or has been removed.", None),
        100 => (400, "Invalid parameter", "Invalid parameter.", None),
        200..=299 => (403, "Permissions error", "Permission is either not granted or has been removed.", None),
        368 => (403, "Temporarily blocked for policies violations", "The WhatsApp Business Account associated with the app has been restricted or disabled for violating a platform policy.", None),
        80007 => (429, "Rate limit issues", "The WhatsApp Business Account has reached its rate limit.", None),
        130429 => (429, "Rate limit hit", "Cloud API message throughput has been reached.", Some(2494055)),
        130472 => (400, "User's number is part of an experiment", "Message was not sent as part of an experiment.", None),
        130497 => (403, "Business account is restricted from messaging users in this country", "The WhatsApp Business Account is restricted from messaging users in this country.", None),
        131000 => (500, "Something went wrong", "Message failed to send due to an unknown error.", None),
        131005 => (403, "Access denied", "Permission is either not granted or has been removed.", None),
        131008 => (400, "Required parameter is missing", "The request is missing a required parameter.", None),
        131009 => (400, "Parameter value is not valid", "One or more parameter values are invalid.", None),
        131016 => (503, "Service unavailable", "A service is temporarily unavailable.", None),
        131021 => (400, "Recipient cannot be sender", "Sender and recipient phone number is the same.", None),
        131026 => (400, "Message undeliverable", "Unable to deliver message. Reasons can include: the recipient phone number is not a WhatsApp phone number; the recipient has not accepted our new Terms of Service and Privacy Policy; the recipient is using an old WhatsApp version.", None),
        131031 => (403, "Business Account locked", "The WhatsApp Business Account associated with the app has been restricted or disabled.", None),
        131042 => (400, "Business eligibility payment issue", "Message failed to send because there were one or more errors related to your payment method.", None),
        131045 => (400, "Incorrect certificate", "Message failed to send due to a phone number registration error.", None),
        131047 => (400, "Re-engagement message", "Message failed to send because more than 24 hours have passed since the customer last replied to this number.", None),
        131048 => (429, "Spam rate limit hit", "Message failed to send because there are restrictions on how many messages can be sent from this phone number. This may be because too many previous messages were blocked or flagged as spam.", None),
        131049 => (400, "This message was not delivered to maintain healthy ecosystem engagement.", "In order to maintain a healthy ecosystem engagement, the message failed to be delivered.", None),
        131050 => (400, "Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.", "The recipient has stopped marketing messages from this business.", None),
        131051 => (400, "Unsupported message type", "Unsupported message type.", None),
        131052 => (400, "Media download error", "Unable to download the media sent by the user.", None),
        131053 => (400, "Media upload error", "Unable to upload the media used in the message.", None),
        131056 => (429, "(Business Account, Consumer Account) pair rate limit hit", "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.", None),
        131057 => (503, "Account in maintenance mode", "Business Account is in maintenance mode.", None),
        132000 => (400, "Number of parameters does not match the expected number of params", "The number of variable parameter values does not match the number of variables in the template.", None),
        132001 => (400, "Template name does not exist in the translation", "The template does not exist in the specified language or has not been approved.", None),
        132005 => (400, "Translated text too long", "Translated text is too long.", None),
        132007 => (400, "Template format character policy violated", "Template content violates a WhatsApp policy.", None),
        132012 => (400, "Parameter format does not match format in the created template", "Variable parameter values formatted incorrectly.", None),
        132015 => (400, "Template is Paused", "Template is paused due to low quality so it cannot be sent in a template message.", None),
        132016 => (400, "Template is Disabled", "Template has been paused too many times due to low quality and is now permanently disabled.", None),
        133010 => (400, "Phone number Not Registered", "Phone number is not registered on the WhatsApp Business Platform.", None),
        135000 => (400, "Generic user error", "Message failed to send because of an unknown error with your request parameters.", None),
        _ => (400, "Unknown error", "An unknown error occurred.", None),
    }
}

impl ApiError {
    /// A WhatsApp error with the code's default details.
    pub fn code(code: i64) -> Self {
        Self::with_details(code, None)
    }

    /// A WhatsApp error; `details` replaces the default explanation.
    pub fn with_details(code: i64, details: Option<&str>) -> Self {
        let (status, title, default, subcode) = spec(code);
        let mut e = Map::new();
        e.insert("message".into(), format!("(#{code}) {title}").into());
        e.insert("type".into(), "OAuthException".into());
        e.insert("code".into(), code.into());
        e.insert(
            "error_data".into(),
            json!({"messaging_product": "whatsapp", "details": details.unwrap_or(default)}),
        );
        if let Some(sub) = subcode {
            e.insert("error_subcode".into(), sub.into());
        }
        e.insert("fbtrace_id".into(), fbtrace_id().into());
        Self::new(status, Value::Object(e))
    }

    /// Code 100 (invalid parameter) explaining what is wrong.
    pub fn invalid(details: &str) -> Self {
        Self::with_details(100, Some(details))
    }

    /// Code 100 with a subcode (template creation errors such as 2388024).
    pub fn invalid_sub(subcode: i64, details: &str) -> Self {
        let mut e = Self::invalid(details);
        if let Some(obj) = e
            .body
            .as_mut()
            .and_then(|b| b.get_mut("error"))
            .and_then(Value::as_object_mut)
        {
            obj.insert("error_subcode".into(), subcode.into());
        }
        e
    }

    /// 190 for a missing or unknown token.
    pub fn bad_token() -> Self {
        Self::graph(
            401,
            "Invalid OAuth access token - Cannot parse access token",
            "OAuthException",
            190,
            None,
        )
    }

    /// 190/463: the session expired.
    pub fn token_expired() -> Self {
        Self::graph(
            401,
            "Error validating access token: Session has expired.",
            "OAuthException",
            190,
            Some(463),
        )
    }

    /// 190/460: the token was invalidated (revoked).
    pub fn token_revoked() -> Self {
        Self::graph(401, REVOKED_MESSAGE, "OAuthException", 190, Some(460))
    }

    /// 100/33: the object does not exist or the token may not see it.
    pub fn no_object(method: &str, id: &str) -> Self {
        let msg = format!(
            "Unsupported {method} request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
        );
        Self::graph(400, &msg, "GraphMethodException", 100, Some(33))
    }

    /// A Graph error without WhatsApp `error_data`.
    pub fn graph(status: u16, message: &str, kind: &str, code: i64, subcode: Option<i64>) -> Self {
        let mut e = Map::new();
        e.insert("message".into(), message.into());
        e.insert("type".into(), kind.into());
        e.insert("code".into(), code.into());
        if let Some(sub) = subcode {
            e.insert("error_subcode".into(), sub.into());
        }
        e.insert("fbtrace_id".into(), fbtrace_id().into());
        Self::new(status, Value::Object(e))
    }

    /// A bare 503 (no JSON).
    pub fn unavailable() -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            body: None,
        }
    }

    fn new(status: u16, error: Value) -> Self {
        Self {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            body: Some(json!({ "error": error })),
        }
    }

    /// The code, for the status webhook of a [`Fault::FailedStatus`].
    pub fn title_and_details(code: i64) -> (&'static str, &'static str) {
        let (_, title, details, _) = spec(code);
        (title, details)
    }
}

/// The message of a revoked token (Meta's wording for an invalidated session).
pub(crate) const REVOKED_MESSAGE: &str = "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.";

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self.body {
            Some(body) => (
                self.status,
                [(header::CONTENT_TYPE, "application/json; charset=UTF-8")],
                body.to_string(),
            )
                .into_response(),
            None => (
                self.status,
                [(header::CONTENT_TYPE, "text/html")],
                "<html><body><h1>503 Service Unavailable</h1>No server is available to handle this request.</body></html>",
            )
                .into_response(),
        }
    }
}

/// A random trace id like Meta's (`Az8or2yhqkZfEZ-_4Qn_Bam`).
fn fbtrace_id() -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(23)
        .map(char::from)
        .collect()
}
