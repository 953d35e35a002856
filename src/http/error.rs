//! The one HTTP error type: every failure becomes a JSON `{code, message}` with the right
//! status. 4xx messages name the problem; 5xx are opaque to the caller and fully logged.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// The JSON body of every error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code (`invalid_signature`, `unknown_shop` …).
    pub code: &'static str,
    /// What went wrong, for a human.
    pub message: String,
}

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 with a specific code.
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    /// 401.
    #[error("{message}")]
    Unauthorized { code: &'static str, message: String },
    /// 404.
    #[error("{message}")]
    NotFound { code: &'static str, message: String },
    /// 403.
    #[error("{0}")]
    Forbidden(String),
    /// 409.
    #[error("{0}")]
    Conflict(String),
    /// 422: well-formed but refused by a business rule.
    #[error("{message}")]
    Unprocessable { code: &'static str, message: String },
    /// 410: the shop uninstalled the app.
    #[error("{0}")]
    Gone(String),
    /// 502: Meta (or Shopify) refused or failed; the message carries their code and text.
    #[error("{message}")]
    Upstream { code: &'static str, message: String },
    /// 413.
    #[error("request body is larger than the limit of {0} bytes")]
    TooLarge(usize),
    /// 408: the request body did not arrive within the body deadline.
    #[error("{0}")]
    BodyTimeout(String),
    /// 415: a body that is not declared JSON.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 405: the route exists, the method does not.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// 503: not ready yet, or an actor did not answer.
    #[error("{0}")]
    Unavailable(String),
    /// 500: our fault; the cause (with its chain) is logged, not returned.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
}

impl ApiError {
    /// A failed Shopify Admin call: 422 `shopify_token_invalid` when Shopify refused the
    /// token (`refused`), else 502 `shopify_error`; `message` says what failed.
    pub fn shopify(refused: bool, message: String) -> Self {
        if refused {
            ApiError::Unprocessable {
                code: "shopify_token_invalid",
                message,
            }
        } else {
            ApiError::Upstream {
                code: "shopify_error",
                message,
            }
        }
    }

    /// 400 with a code.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code,
            message: message.into(),
        }
    }

    /// 404 with a code.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::NotFound {
            code,
            message: message.into(),
        }
    }

    /// 401 with a code.
    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Unauthorized {
            code,
            message: message.into(),
        }
    }

    /// 500 from any error; its source chain is kept and logged.
    pub fn internal(e: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> Self {
        ApiError::Internal(e.into())
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::internal(e)
    }
}

impl From<crate::actors::EngineError> for ApiError {
    fn from(e: crate::actors::EngineError) -> Self {
        use crate::actors::EngineError as E;
        match e {
            E::TenantNotRunning(s) => {
                ApiError::Unavailable(format!("tenant `{s}` is not running; retry shortly"))
            }
            E::Unavailable(s) => {
                ApiError::Unavailable(format!("the tenant did not answer in time ({s}); retry"))
            }
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = match &self {
            ApiError::BadRequest { code, message } => {
                (StatusCode::BAD_REQUEST, *code, message.clone())
            }
            ApiError::Unauthorized { code, message } => {
                (StatusCode::UNAUTHORIZED, *code, message.clone())
            }
            ApiError::NotFound { code, message } => (StatusCode::NOT_FOUND, *code, message.clone()),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m.clone()),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, "conflict", m.clone()),
            ApiError::Unprocessable { code, message } => {
                (StatusCode::UNPROCESSABLE_ENTITY, *code, message.clone())
            }
            ApiError::Gone(m) => (StatusCode::GONE, "shop_uninstalled", m.clone()),
            ApiError::Upstream { code, message } => {
                (StatusCode::BAD_GATEWAY, *code, message.clone())
            }
            ApiError::TooLarge(_) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                self.to_string(),
            ),
            ApiError::BodyTimeout(m) => (StatusCode::REQUEST_TIMEOUT, "body_timeout", m.clone()),
            ApiError::UnsupportedMediaType(m) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                m.clone(),
            ),
            ApiError::MethodNotAllowed(m) => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                m.clone(),
            ),
            ApiError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", m.clone()),
            ApiError::Internal(cause) => {
                let error = crate::telemetry::chain(cause.as_ref());
                tracing::error!(message = "Request failed.", %error);
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error; it has been logged".to_string(),
                )
            }
        };
        let mut resp = (status, Json(ErrorBody { code, message })).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
        resp
    }
}
