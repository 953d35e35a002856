//! Tests of the outbox rules: the whole decision table (every error class × attempts
//! below, at and over the cap × every purpose), the pre-send checks and the message
//! transitions.

use super::outbox::*;
use crate::domain::phone::PhoneE164;
use crate::domain::whatsapp::{
    ChatMessage, MessageContent, MessageError, MessageStatus, Purpose, Thread, ThreadStatus,
};
use crate::domain::Timestamp;
use crate::logic::whatsapp::retry::Action;
use std::cell::Cell;
use std::collections::HashMap;

const NOW: Timestamp = Timestamp(1_000_000);
const POLICY: RetryPolicy = RetryPolicy {
    max_attempts: 3,
    backoff_base_ms: 100,
    backoff_max_ms: 10_000,
};
const ERROR: &str = "Meta answered HTTP 400: code 1 (x)";
const ACTIONS: [Action; 6] = [
    Action::RetryBackoff,
    Action::WaitRecipient,
    Action::PauseNumber,
    Action::NeedsTemplate,
    Action::TokenDead,
    Action::Final,
];
const PURPOSES: [Purpose; 3] = [Purpose::Marketing, Purpose::Utility, Purpose::Service];

fn at(ms: i64) -> Timestamp {
    Timestamp(NOW.millis() + ms)
}

/// The decision with the jitter at its ceiling, and the ceilings `draw` was asked for.
fn decide_max(action: Action, attempts: u32, purpose: Purpose) -> (Decision, Vec<u64>) {
    let asked = Cell::new(Vec::new());
    let failure = Failure {
        action,
        code: 42,
        error: ERROR,
    };
    let d = decide(&failure, attempts, purpose, &POLICY, NOW, |cap| {
        let mut v = asked.take();
        v.push(cap);
        asked.set(v);
        cap
    });
    (d, asked.take())
}

fn fail_with(reason: &str) -> Decision {
    Decision::Fail {
        code: 42,
        reason: reason.into(),
    }
}

/// What the table says, written out case by case.
fn expected(action: Action, attempts: u32, purpose: Purpose) -> Decision {
    let below_cap = attempts < POLICY.max_attempts;
    // Retry index = attempts - 1: the ceilings are 100 · 2^index, the pair waits 4^index s.
    let index = attempts.saturating_sub(1);
    let backoff = (100i64 << index).min(10_000);
    let pair = 1_000 * 4i64.pow(index);
    match (action, below_cap) {
        (Action::RetryBackoff, true) => Decision::Retry { at: at(backoff) },
        (Action::WaitRecipient, true) => Decision::Retry { at: at(pair) },
        (Action::PauseNumber, true) => Decision::PauseMarketing {
            until: at(3_600_000),
            next_at: if purpose == Purpose::Marketing {
                at(3_600_000)
            } else {
                at(backoff)
            },
            detail: format!("bulk sending paused for an hour: {ERROR}"),
        },
        (Action::NeedsTemplate, _) => fail_with(&format!(
            "the 24-hour customer service window is closed; send an approved template instead ({ERROR})"
        )),
        (Action::TokenDead, _) => Decision::TokenDead {
            code: 42,
            cause: ERROR.into(),
            reason: format!("the WhatsApp access token was rejected: {ERROR}"),
        },
        _ => fail_with(ERROR),
    }
}

#[test]
fn the_decision_table_covers_every_class_attempt_and_purpose() {
    for action in ACTIONS {
        for attempts in [1, 2, 3, 4, 9] {
            for purpose in PURPOSES {
                let (got, _) = decide_max(action, attempts, purpose);
                assert_eq!(
                    got,
                    expected(action, attempts, purpose),
                    "{action:?} attempts {attempts} {purpose:?}"
                );
            }
        }
    }
}

#[test]
fn retryable_classes_fail_with_the_error_text_at_the_cap() {
    for action in [
        Action::RetryBackoff,
        Action::WaitRecipient,
        Action::PauseNumber,
    ] {
        for purpose in PURPOSES {
            let (got, _) = decide_max(action, POLICY.max_attempts, purpose);
            assert_eq!(got, fail_with(ERROR), "{action:?} {purpose:?}");
        }
    }
}

#[test]
fn the_jitter_is_drawn_only_for_a_backoff_and_under_its_ceiling() {
    for action in ACTIONS {
        for purpose in PURPOSES {
            let (_, asked) = decide_max(action, 2, purpose);
            let wants_backoff = action == Action::RetryBackoff
                || (action == Action::PauseNumber && purpose != Purpose::Marketing);
            let want: Vec<u64> = if wants_backoff { vec![200] } else { vec![] };
            assert_eq!(asked, want, "{action:?} {purpose:?}");
        }
    }
    let failure = Failure {
        action: Action::RetryBackoff,
        code: 1,
        error: ERROR,
    };
    let d = decide(&failure, 1, Purpose::Utility, &POLICY, NOW, |_| 0);
    assert_eq!(
        d,
        Decision::Retry { at: NOW },
        "full jitter may retry at once"
    );
    let d = decide(
        &failure,
        30,
        Purpose::Utility,
        &RetryPolicy {
            max_attempts: 99,
            ..POLICY
        },
        NOW,
        |cap| cap,
    );
    assert_eq!(
        d,
        Decision::Retry { at: at(10_000) },
        "capped at backoff_max_ms"
    );
}

#[test]
fn pair_waits_grow_four_fold_and_stop_growing() {
    let policy = RetryPolicy {
        max_attempts: 100,
        ..POLICY
    };
    let failure = Failure {
        action: Action::WaitRecipient,
        code: 131056,
        error: ERROR,
    };
    for (attempts, secs) in [(1, 1), (2, 4), (3, 16), (4, 64), (7, 4096), (50, 4096)] {
        let d = decide(
            &failure,
            attempts,
            Purpose::Service,
            &policy,
            NOW,
            |_| unreachable!(),
        );
        assert_eq!(
            d,
            Decision::Retry {
                at: at(secs * 1_000)
            },
            "attempt {attempts}"
        );
    }
}

fn phone() -> PhoneE164 {
    PhoneE164::parse("+447700900123").expect("phone")
}

fn thread(pnid: &str) -> Thread {
    Thread {
        id: 5,
        phone_number_id: pnid.into(),
        customer: phone(),
        contact_id: None,
        profile_name: None,
        status: ThreadStatus::Open,
        assignee: None,
        unread: 0,
        window_expires_at: None,
        last_inbound_at: None,
        last_message_at: Timestamp(0),
        created_at: Timestamp(0),
    }
}

fn queued(purpose: Purpose) -> ChatMessage {
    let content = MessageContent {
        kind: "text".into(),
        text: Some("hi".into()),
        payload: Some("{}".into()),
    };
    ChatMessage::queued_outbound(9, 5, None, content, purpose, Timestamp(0))
}

#[test]
fn before_send_drops_fails_reschedules_or_sends() {
    let t = thread("111");
    let none = HashMap::new();
    let paused: HashMap<String, Timestamp> = [("111".to_string(), at(60_000))].into();
    let over: HashMap<String, Timestamp> = [("111".to_string(), NOW)].into();
    let other: HashMap<String, Timestamp> = [("222".to_string(), at(60_000))].into();

    let mut sent = queued(Purpose::Service);
    sent.status = MessageStatus::Accepted;
    assert_eq!(before_send(&sent, Some(&t), &none, NOW), BeforeSend::Drop);
    assert_eq!(
        before_send(&sent, None, &none, NOW),
        BeforeSend::Drop,
        "checked first"
    );

    let m = queued(Purpose::Marketing);
    assert_eq!(
        before_send(&m, None, &none, NOW),
        BeforeSend::Fail(THREAD_GONE)
    );
    assert_eq!(
        before_send(&m, Some(&t), &paused, NOW),
        BeforeSend::Reschedule(at(60_000))
    );
    assert_eq!(
        before_send(&m, Some(&t), &over, NOW),
        BeforeSend::Send(&t),
        "pause over"
    );
    assert_eq!(
        before_send(&m, Some(&t), &other, NOW),
        BeforeSend::Send(&t),
        "other number"
    );
    for purpose in [Purpose::Utility, Purpose::Service] {
        let m = queued(purpose);
        assert_eq!(
            before_send(&m, Some(&t), &paused, NOW),
            BeforeSend::Send(&t),
            "only marketing is paused ({purpose:?})"
        );
    }
}

#[test]
fn a_pair_limit_retries_just_after_the_wait() {
    let wait = std::time::Duration::from_millis(5_999);
    assert_eq!(after_pair_limit(NOW, wait), at(6_000));
}

#[test]
fn message_transitions_of_the_outbox() {
    let mut m = queued(Purpose::Utility);
    start_attempt(&mut m);
    assert_eq!((m.attempts, m.in_flight), (1, true));
    reschedule(&mut m, at(5));
    assert_eq!(
        (m.due_at, m.in_flight, m.status),
        (Some(at(5)), false, MessageStatus::Queued)
    );

    let mut f = m.clone();
    start_attempt(&mut f);
    fail(&mut f, 131026, "undeliverable".into(), at(7));
    assert_eq!(
        (f.status, f.status_at, f.due_at, f.in_flight),
        (MessageStatus::Failed, at(7), None, false)
    );
    assert_eq!(
        f.error,
        Some(MessageError {
            code: 131026,
            message: "undeliverable".into()
        })
    );

    let mut a = m.clone();
    start_attempt(&mut a);
    accept(&mut a, "wamid.X".into(), at(8));
    assert_eq!(
        (a.status, a.status_at, a.due_at, a.in_flight),
        (MessageStatus::Accepted, at(8), None, false)
    );
    assert_eq!(a.wamid.as_deref(), Some("wamid.X"));

    // A status webhook that overtook the send's answer is not downgraded.
    let mut d = m.clone();
    d.status = MessageStatus::Delivered;
    d.status_at = at(3);
    accept(&mut d, "wamid.Y".into(), at(8));
    assert_eq!((d.status, d.status_at), (MessageStatus::Delivered, at(3)));
    assert_eq!(d.wamid.as_deref(), Some("wamid.Y"));

    let mut c = m.clone();
    start_attempt(&mut c);
    requeue_after_crash(&mut c, at(9));
    assert_eq!((c.in_flight, c.due_at, c.attempts), (false, Some(at(9)), 2));
}
