//! Why an Admin GraphQL call failed, in the classes the callers act on: the token is
//! refused (the shop's Shopify health turns red at once), Shopify is unavailable or
//! throttling past the retries, the document or its variables were refused, or a
//! mutation's `userErrors`.

/// One `userErrors` entry of a mutation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct UserError {
    /// The input path at fault (`["webhookSubscription", "uri"]`).
    #[serde(default)]
    pub field: Option<Vec<String>>,
    /// Shopify's text.
    pub message: String,
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The client's own settings (base URL, version) are wrong.
    #[error("Shopify Admin client setup: {0}")]
    Setup(String),
    /// 401 or 403: the token is invalid, revoked or lacks a scope.
    #[error("Shopify refused the access token (HTTP {status}): {message}")]
    Unauthorized { status: u16, message: String },
    /// 5xx, 429 or THROTTLED still after every retry, or no answer.
    #[error("Shopify is unavailable after {attempts} attempts: {last}")]
    Unavailable { attempts: u32, last: String },
    /// `errors` in the answer (a document or variables Shopify refused).
    #[error("Shopify refused the query: {}", .0.join("; "))]
    Refused(Vec<String>),
    /// A mutation's `userErrors`.
    #[error("Shopify refused the change: {}", .0.iter().map(|e| match &e.field { Some(f) => format!("{}: {}", f.join("."), e.message), None => e.message.clone() }).collect::<Vec<_>>().join("; "))]
    UserErrors(Vec<UserError>),
    /// The answer does not have the expected shape.
    #[error("Shopify's answer does not parse: {0}")]
    Decode(String),
}

impl AdminError {
    /// Whether the failure is the token's (health red, no retry until a new token).
    pub fn is_auth(&self) -> bool {
        matches!(self, Self::Unauthorized { .. })
    }
}

/// `Err` with the mutation's `userErrors` when there are any.
///
/// # Errors
/// [`AdminError::UserErrors`].
pub fn check_user_errors(errors: &[UserError]) -> Result<(), AdminError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AdminError::UserErrors(errors.to_vec()))
    }
}
