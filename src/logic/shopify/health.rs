//! The Shopify integration's health after an Admin API call: a refused token turns it
//! red at once with Shopify's words; other failures (unavailable, refused query) turn it
//! yellow with the cause; a success turns it green and says what was done.

use crate::domain::whatsapp::{HealthState, IntegrationHealth, TokenState};
use crate::domain::Timestamp;

/// The outcome of a call, as health sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It worked; what it did, for the details.
    Ok(String),
    /// Shopify refused the token (401 / 403).
    TokenRefused(String),
    /// Any other failure.
    Failed(String),
}

/// The next health after `outcome`.
pub fn after(h: &IntegrationHealth, outcome: Outcome, now: Timestamp) -> IntegrationHealth {
    let mut next = h.clone();
    next.checked_at = Some(now);
    match outcome {
        Outcome::Ok(detail) => {
            next.state = HealthState::Green;
            next.token = TokenState::Valid;
            next.details = vec![detail];
        }
        Outcome::TokenRefused(e) => {
            next.state = HealthState::Red;
            next.token = TokenState::Invalid;
            next.last_error = Some(e);
            next.last_error_at = Some(now);
        }
        Outcome::Failed(e) => {
            if next.state != HealthState::Red {
                next.state = HealthState::Yellow;
            }
            next.last_error = Some(e);
            next.last_error_at = Some(now);
        }
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_token_is_red_at_once_and_a_success_clears_it() {
        let h = IntegrationHealth::unknown(TokenState::Stored);
        let red = after(&h, Outcome::TokenRefused("HTTP 401".into()), Timestamp(1));
        assert_eq!(
            (red.state, red.token),
            (HealthState::Red, TokenState::Invalid)
        );
        assert_eq!(red.last_error.as_deref(), Some("HTTP 401"));
        let still = after(&red, Outcome::Failed("HTTP 503".into()), Timestamp(2));
        assert_eq!(
            still.state,
            HealthState::Red,
            "a later outage does not hide the dead token"
        );
        let green = after(
            &still,
            Outcome::Ok("25 webhooks subscribed".into()),
            Timestamp(3),
        );
        assert_eq!(
            (green.state, green.token),
            (HealthState::Green, TokenState::Valid)
        );
        assert_eq!(green.details, vec!["25 webhooks subscribed".to_string()]);
    }
}
