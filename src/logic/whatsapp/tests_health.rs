//! Tests of the integration-health state machine.

use super::health::*;
use crate::domain::whatsapp::{HealthState, IntegrationHealth, TokenState};
use crate::domain::Timestamp;
use crate::integrations::meta::client::SendAvailability;

fn t(ms: i64) -> Timestamp {
    Timestamp(ms)
}

fn with(state: HealthState, token: TokenState) -> IntegrationHealth {
    IntegrationHealth {
        state,
        ..IntegrationHealth::unknown(token)
    }
}

#[test]
fn fresh_health_is_unknown_with_an_unknown_token() {
    let h = fresh();
    assert_eq!(
        (h.state, h.token),
        (HealthState::Unknown, TokenState::Unknown)
    );
    assert_eq!((h.last_error, h.checked_at), (None, None));
    assert!(h.details.is_empty());
}

#[test]
fn a_success_turns_green_with_a_valid_token_and_changes_nothing_when_green() {
    for state in [HealthState::Unknown, HealthState::Yellow, HealthState::Red] {
        let before = IntegrationHealth {
            last_error: Some("old".into()),
            ..with(state, TokenState::Invalid)
        };
        let h = on_success(&before, t(9));
        assert_eq!((h.state, h.token), (HealthState::Green, TokenState::Valid));
        assert_eq!(h.checked_at, Some(t(9)));
        assert_eq!(h.last_error.as_deref(), Some("old"), "the last error stays");
    }
    let green = with(HealthState::Green, TokenState::Unknown);
    assert_eq!(on_success(&green, t(9)), green);
}

#[test]
fn a_warning_turns_yellow_but_never_downgrades_red() {
    for (from, to) in [
        (HealthState::Unknown, HealthState::Yellow),
        (HealthState::Green, HealthState::Yellow),
        (HealthState::Yellow, HealthState::Yellow),
        (HealthState::Red, HealthState::Red),
    ] {
        let h = on_warning(&with(from, TokenState::Valid), "flagged".into(), t(5));
        assert_eq!(h.state, to, "{from:?}");
        assert_eq!(h.last_error.as_deref(), Some("flagged"));
        assert_eq!(h.last_error_at, Some(t(5)));
        assert_eq!(h.details, vec!["flagged".to_string()]);
        assert_eq!(h.token, TokenState::Valid);
        assert_eq!(h.checked_at, None, "a warning is not a check");
    }
}

#[test]
fn broken_is_red_from_any_state() {
    for from in [
        HealthState::Unknown,
        HealthState::Green,
        HealthState::Yellow,
        HealthState::Red,
    ] {
        let h = on_broken(&with(from, TokenState::Valid), "disabled".into(), t(5));
        assert_eq!(h.state, HealthState::Red);
        assert_eq!(h.last_error.as_deref(), Some("disabled"));
        assert_eq!(h.last_error_at, Some(t(5)));
        assert_eq!(h.token, TokenState::Valid, "the token is not judged");
    }
}

#[test]
fn a_detail_changes_neither_the_state_nor_the_last_error() {
    let before = IntegrationHealth {
        last_error: Some("e".into()),
        last_error_at: Some(t(1)),
        ..with(HealthState::Yellow, TokenState::Valid)
    };
    let h = on_detail(&before, "upgrade".into());
    assert_eq!(h.state, HealthState::Yellow);
    assert_eq!(
        (h.last_error.as_deref(), h.last_error_at),
        (Some("e"), Some(t(1)))
    );
    assert_eq!(h.details, vec!["upgrade".to_string()]);
}

#[test]
fn only_the_last_ten_details_are_kept() {
    let mut h = fresh();
    for i in 0..25 {
        h = match i % 3 {
            0 => on_detail(&h, format!("d{i}")),
            1 => on_warning(&h, format!("d{i}"), t(i)),
            _ => on_broken(&h, format!("d{i}"), t(i)),
        };
        assert!(h.details.len() <= MAX_DETAILS);
    }
    let want: Vec<String> = (15..25).map(|i| format!("d{i}")).collect();
    assert_eq!(h.details, want);
}

#[test]
fn a_rejected_token_is_red_invalid_and_holds_the_outbox() {
    let h = on_token_rejected(
        &with(HealthState::Green, TokenState::Valid),
        "code 190",
        t(7),
    );
    assert_eq!((h.state, h.token), (HealthState::Red, TokenState::Invalid));
    let text = "access token rejected by Meta: code 190";
    assert_eq!(h.last_error.as_deref(), Some(text));
    assert_eq!(h.details, vec![text.to_string()]);
    assert!(holds_sends(&h));
    // Red for another reason, or an invalid token not (yet) red, does not hold it.
    assert!(!holds_sends(&with(HealthState::Red, TokenState::Valid)));
    assert!(!holds_sends(&with(
        HealthState::Yellow,
        TokenState::Invalid
    )));
}

#[test]
fn a_new_token_revives_a_dead_one_only() {
    let dead = with(HealthState::Red, TokenState::Invalid);
    assert!(token_revived(&dead, &fresh()));
    assert!(!token_revived(&dead, &dead));
    assert!(!token_revived(
        &fresh(),
        &with(HealthState::Green, TokenState::Valid)
    ));
}

#[test]
fn a_failed_admin_call_records_the_error_and_a_dead_token_turns_red() {
    let before = with(HealthState::Green, TokenState::Valid);
    let h = on_failed_call(&before, "boom".into(), false, t(3));
    assert_eq!((h.state, h.token), (HealthState::Green, TokenState::Valid));
    assert_eq!(
        (h.last_error.as_deref(), h.last_error_at),
        (Some("boom"), Some(t(3)))
    );
    assert!(h.details.is_empty());
    let h = on_failed_call(&before, "190".into(), true, t(3));
    assert_eq!((h.state, h.token), (HealthState::Red, TokenState::Invalid));
}

fn number(id: &str, result: Result<SendAvailability, String>) -> NumberCheck {
    NumberCheck {
        phone_number_id: id.into(),
        result,
    }
}

#[test]
fn a_check_with_a_valid_token_and_available_numbers_is_green() {
    let before = IntegrationHealth {
        details: vec!["old".into()],
        last_error: Some("kept".into()),
        ..with(HealthState::Red, TokenState::Unknown)
    };
    let numbers = [
        number("1", Ok(SendAvailability::Available)),
        number("2", Ok(SendAvailability::Available)),
    ];
    let h = after_check(&before, &TokenCheck::Valid, &numbers, t(4));
    assert_eq!((h.state, h.token), (HealthState::Green, TokenState::Valid));
    assert_eq!(h.checked_at, Some(t(4)));
    assert_eq!(
        h.details,
        vec![
            "number 1: can_send_message Available".to_string(),
            "number 2: can_send_message Available".to_string()
        ]
    );
    assert_eq!(h.last_error.as_deref(), Some("kept"));
}

#[test]
fn a_check_folds_the_worst_answer() {
    use SendAvailability::*;
    let cases: Vec<(TokenCheck, Vec<NumberCheck>, HealthState, TokenState)> = vec![
        (
            TokenCheck::Valid,
            vec![number("1", Ok(Limited))],
            HealthState::Yellow,
            TokenState::Valid,
        ),
        (
            TokenCheck::Valid,
            vec![number("1", Ok(Other("NEW".into())))],
            HealthState::Yellow,
            TokenState::Valid,
        ),
        (
            TokenCheck::Valid,
            vec![number("1", Err("timeout".into()))],
            HealthState::Yellow,
            TokenState::Valid,
        ),
        (
            TokenCheck::Valid,
            vec![
                number("1", Ok(Limited)),
                number("2", Ok(Blocked)),
                number("3", Ok(Limited)),
            ],
            HealthState::Red,
            TokenState::Valid,
        ),
        (
            TokenCheck::Invalid { reason: None },
            vec![number("1", Ok(Limited))],
            HealthState::Red,
            TokenState::Invalid,
        ),
        (
            TokenCheck::Failed {
                error: "down".into(),
                token_dead: false,
            },
            vec![number("1", Ok(Available))],
            HealthState::Yellow,
            TokenState::Unknown,
        ),
        (
            TokenCheck::Failed {
                error: "190".into(),
                token_dead: true,
            },
            vec![],
            HealthState::Red,
            TokenState::Invalid,
        ),
    ];
    for (token, numbers, state, tok) in cases {
        let h = after_check(&fresh(), &token, &numbers, t(4));
        assert_eq!((h.state, h.token), (state, tok), "{token:?} {numbers:?}");
        assert_eq!(h.details.len(), numbers.len());
    }
}

#[test]
fn a_check_explains_a_bad_token() {
    let h = after_check(&fresh(), &TokenCheck::Invalid { reason: None }, &[], t(4));
    assert_eq!(
        h.last_error.as_deref(),
        Some("access token is not valid: no reason given")
    );
    assert_eq!(h.last_error_at, Some(t(4)));
    let reason = Some("Session has expired".to_string());
    let h = after_check(&fresh(), &TokenCheck::Invalid { reason }, &[], t(4));
    assert_eq!(
        h.last_error.as_deref(),
        Some("access token is not valid: Session has expired")
    );
    let failed = TokenCheck::Failed {
        error: "Meta request timed out".into(),
        token_dead: false,
    };
    let h = after_check(&fresh(), &failed, &[number("7", Err("x".into()))], t(4));
    assert_eq!(h.last_error.as_deref(), Some("Meta request timed out"));
    assert_eq!(h.details, vec!["number 7: x".to_string()]);
}

#[test]
fn the_served_views_say_when_a_token_is_missing() {
    let s = shopify_view(true);
    assert_eq!(
        (s.state, s.token),
        (HealthState::Unknown, TokenState::Stored)
    );
    let s = shopify_view(false);
    assert_eq!((s.state, s.token), (HealthState::Red, TokenState::Missing));

    let green = with(HealthState::Green, TokenState::Valid);
    assert_eq!(meta_view(&green, true), green);
    let m = meta_view(&green, false);
    assert_eq!((m.state, m.token), (HealthState::Red, TokenState::Missing));
    assert_eq!(
        m.last_error.as_deref(),
        Some("no WhatsApp access token configured")
    );
    let with_error = IntegrationHealth {
        last_error: Some("earlier".into()),
        ..green
    };
    assert_eq!(
        meta_view(&with_error, false).last_error.as_deref(),
        Some("earlier")
    );
}
