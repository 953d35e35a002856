//! The integration-health state machine of the Meta side: each transition takes the
//! current [`IntegrationHealth`] and `now` and returns the next one. It owns the rules
//! (yellow never downgrades red, only the last [`MAX_DETAILS`] details are kept, a dead
//! token holds the outbox); it must not persist or send anything.

use crate::domain::whatsapp::SendAvailability;
use crate::domain::whatsapp::{HealthState, IntegrationHealth, TokenState};
use crate::domain::Timestamp;

/// How many details a transition keeps (the oldest go first).
pub const MAX_DETAILS: usize = 10;

/// Something that happened to the integration, as the event handlers classify it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HealthEvent {
    /// A degradation (paused sending, flagged number, account restriction).
    Warning(String),
    /// Broken (account disabled, deleted, offboarded).
    Broken(String),
    /// Worth showing, changes nothing (quality upgrade, partner added …).
    Detail(String),
}

/// Applies a classified event (see [`on_warning`], [`on_broken`], [`on_detail`]).
pub fn apply(h: &IntegrationHealth, event: HealthEvent, now: Timestamp) -> IntegrationHealth {
    match event {
        HealthEvent::Warning(d) => on_warning(h, d, now),
        HealthEvent::Broken(d) => on_broken(h, d, now),
        HealthEvent::Detail(d) => on_detail(h, d),
    }
}

/// The state before any check, and after a new token is set or the shop is erased.
pub fn fresh() -> IntegrationHealth {
    IntegrationHealth::unknown(TokenState::Unknown)
}

/// A successful call: green with a valid token, checked now. Already green: unchanged
/// (a success per message must not cost a write per message).
pub fn on_success(h: &IntegrationHealth, now: Timestamp) -> IntegrationHealth {
    if h.state == HealthState::Green {
        return h.clone();
    }
    IntegrationHealth {
        state: HealthState::Green,
        token: TokenState::Valid,
        checked_at: Some(now),
        ..h.clone()
    }
}

/// A degradation: yellow (never over red), recorded as the last error and a detail.
pub fn on_warning(h: &IntegrationHealth, detail: String, now: Timestamp) -> IntegrationHealth {
    let mut next = with_error(h, detail, now);
    if next.state != HealthState::Red {
        next.state = HealthState::Yellow;
    }
    next
}

/// Broken: red, recorded as the last error and a detail.
pub fn on_broken(h: &IntegrationHealth, detail: String, now: Timestamp) -> IntegrationHealth {
    let mut next = with_error(h, detail, now);
    next.state = HealthState::Red;
    next
}

/// A detail only: the state and the last error stay.
pub fn on_detail(h: &IntegrationHealth, detail: String) -> IntegrationHealth {
    let mut next = h.clone();
    push_detail(&mut next.details, detail);
    next
}

/// Meta rejected the token (190): red, token invalid, with the cause. The outbox holds
/// its queue from then on (see [`holds_sends`]).
pub fn on_token_rejected(h: &IntegrationHealth, cause: &str, now: Timestamp) -> IntegrationHealth {
    let mut next = on_broken(h, format!("access token rejected by Meta: {cause}"), now);
    next.token = TokenState::Invalid;
    next
}

/// A failed call outside the outbox (an admin call): the error becomes the last error; a
/// dead token also turns the state red and the token invalid. No detail is added.
pub fn on_failed_call(
    h: &IntegrationHealth,
    error: String,
    token_dead: bool,
    now: Timestamp,
) -> IntegrationHealth {
    let mut next = h.clone();
    next.last_error = Some(error);
    next.last_error_at = Some(now);
    if token_dead {
        next.state = HealthState::Red;
        next.token = TokenState::Invalid;
    }
    next
}

/// True while the outbox must hold its queue: a dead token would fail every message.
pub fn holds_sends(h: &IntegrationHealth) -> bool {
    h.state == HealthState::Red && h.token == TokenState::Invalid
}

/// True when replacing `old` by `new` ends a dead token, so the held outbox may drain.
pub fn token_revived(old: &IntegrationHealth, new: &IntegrationHealth) -> bool {
    old.token == TokenState::Invalid && new.token != TokenState::Invalid
}

/// What `debug_token` said about the tenant's token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenCheck {
    /// Valid.
    Valid,
    /// Answered, not valid; Meta's reason when it gave one.
    Invalid { reason: Option<String> },
    /// The call failed; `token_dead` when Meta's error class says the token is dead.
    Failed { error: String, token_dead: bool },
}

/// What one number's `health_status` call said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumberCheck {
    /// The number's id.
    pub phone_number_id: String,
    /// `can_send_message`, or the call's error text.
    pub result: Result<SendAvailability, String>,
}

/// Folds a health check into the state: checked now, details replaced by one line per
/// number; green unless the token check or a number says otherwise (red: dead or invalid
/// token, a blocked number; yellow: a failed token check, a limited or unknown
/// availability, a failed number check). The last error is kept unless the token check
/// reports one.
pub fn after_check(
    h: &IntegrationHealth,
    token: &TokenCheck,
    numbers: &[NumberCheck],
    now: Timestamp,
) -> IntegrationHealth {
    let mut next = h.clone();
    next.checked_at = Some(now);
    next.details.clear();
    let mut state = fold_token(&mut next, token, now);
    for n in numbers {
        let pnid = &n.phone_number_id;
        match &n.result {
            Ok(a) => {
                next.details
                    .push(format!("number {pnid}: can_send_message {a:?}"));
                match a {
                    SendAvailability::Blocked => state = HealthState::Red,
                    SendAvailability::Limited | SendAvailability::Other(_)
                        if state == HealthState::Green =>
                    {
                        state = HealthState::Yellow
                    }
                    _ => {}
                }
            }
            Err(e) => {
                next.details.push(format!("number {pnid}: {e}"));
                if state == HealthState::Green {
                    state = HealthState::Yellow;
                }
            }
        }
    }
    next.state = state;
    next
}

/// Records the token check in `next`; returns the state it allows (green, yellow, red).
fn fold_token(next: &mut IntegrationHealth, token: &TokenCheck, now: Timestamp) -> HealthState {
    match token {
        TokenCheck::Valid => {
            next.token = TokenState::Valid;
            HealthState::Green
        }
        TokenCheck::Invalid { reason } => {
            next.token = TokenState::Invalid;
            next.last_error = Some(format!(
                "access token is not valid: {}",
                reason.as_deref().unwrap_or("no reason given")
            ));
            next.last_error_at = Some(now);
            HealthState::Red
        }
        TokenCheck::Failed { error, token_dead } => {
            next.last_error = Some(error.clone());
            next.last_error_at = Some(now);
            if *token_dead {
                next.token = TokenState::Invalid;
                HealthState::Red
            } else {
                HealthState::Yellow
            }
        }
    }
}

/// The Shopify side's health as served: the engine makes no Shopify calls yet, so it
/// says only whether a token is stored (red when none is).
pub fn shopify_view(token_stored: bool) -> IntegrationHealth {
    if token_stored {
        IntegrationHealth::unknown(TokenState::Stored)
    } else {
        IntegrationHealth {
            state: HealthState::Red,
            ..IntegrationHealth::unknown(TokenState::Missing)
        }
    }
}

/// The Meta side's health as served: without a token it is red whatever was recorded.
pub fn meta_view(h: &IntegrationHealth, token_stored: bool) -> IntegrationHealth {
    let mut view = h.clone();
    if !token_stored {
        view.token = TokenState::Missing;
        view.state = HealthState::Red;
        view.last_error
            .get_or_insert_with(|| "no WhatsApp access token configured".into());
    }
    view
}

fn with_error(h: &IntegrationHealth, detail: String, now: Timestamp) -> IntegrationHealth {
    let mut next = h.clone();
    next.last_error = Some(detail.clone());
    next.last_error_at = Some(now);
    push_detail(&mut next.details, detail);
    next
}

fn push_detail(details: &mut Vec<String>, detail: String) {
    details.push(detail);
    let n = details.len();
    if n > MAX_DETAILS {
        details.drain(..n - MAX_DETAILS);
    }
}
