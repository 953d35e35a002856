//! Tests of the inbox rules.

use super::*;
use crate::domain::whatsapp::Purpose;

fn phone(s: &str) -> PhoneE164 {
    PhoneE164::parse(s).expect("phone")
}

fn t(ms: i64) -> Timestamp {
    Timestamp(ms)
}

#[test]
fn inbound_opens_the_window_and_reopens_the_thread() {
    let mut inbox = Inbox::default();
    let (th, new) = inbox.open_thread(7, "111", phone("+447700900123"), None, t(0));
    assert!(new);
    assert!(
        inbox.check_send(th.id, false, t(1)).is_err(),
        "never opened"
    );
    inbox.set_status(7, ThreadStatus::Resolved).expect("status");
    let th = inbox
        .on_inbound(7, t(1_000), t(1_000), Some("Pat"))
        .expect("inbound");
    assert_eq!(th.status, ThreadStatus::Open);
    assert_eq!(th.unread, 1);
    assert_eq!(th.profile_name.as_deref(), Some("Pat"));
    assert!(inbox.check_send(7, false, t(1_000 + WINDOW_MS - 1)).is_ok());
    let err = inbox
        .check_send(7, false, t(1_000 + WINDOW_MS))
        .expect_err("closed");
    assert!(err.to_string().contains("template"), "{err}");
    assert!(
        inbox.check_send(7, true, t(1_000 + WINDOW_MS)).is_ok(),
        "templates always"
    );
    // Each inbound resets the window; an older late inbound does not shorten it.
    inbox
        .on_inbound(7, t(50_000), t(50_000), None)
        .expect("inbound");
    inbox
        .on_inbound(7, t(2_000), t(60_000), None)
        .expect("late inbound");
    assert_eq!(
        inbox.thread(7).and_then(|t| t.window_expires_at),
        Some(t(50_000 + WINDOW_MS))
    );
    let (again, new) = inbox.open_thread(8, "111", phone("+447700900123"), Some(5), t(9));
    assert!(!new);
    assert_eq!((again.id, again.contact_id), (7, Some(5)));
}

#[test]
fn the_first_agent_to_reply_takes_an_unassigned_thread() {
    let mut inbox = Inbox::default();
    inbox.open_thread(1, "111", phone("+15551234567"), None, t(0));
    inbox.on_inbound(1, t(10), t(10), None).expect("inbound");
    inbox.on_inbound(1, t(20), t(20), None).expect("inbound");
    let th = inbox.on_outbound(1, Some("ana"), t(30)).expect("reply");
    assert_eq!((th.assignee.as_deref(), th.unread), (Some("ana"), 0));
    let th = inbox.on_outbound(1, Some("ben"), t(40)).expect("reply");
    assert_eq!(
        th.assignee.as_deref(),
        Some("ana"),
        "an assigned thread stays"
    );
    inbox.on_outbound(1, None, t(50)).expect("automation");
    let f = ThreadFilter {
        assignee: Some("ana".into()),
        ..ThreadFilter::default()
    };
    assert_eq!(inbox.threads(&f).len(), 1);
    let f = ThreadFilter {
        unread: true,
        ..ThreadFilter::default()
    };
    assert!(inbox.threads(&f).is_empty());
}

fn outbound(status: MessageStatus) -> ChatMessage {
    ChatMessage {
        id: 1,
        thread_id: 1,
        direction: Direction::Outbound,
        wamid: Some("wamid.1".into()),
        author: Some("ana".into()),
        kind: "text".into(),
        text: Some("hi".into()),
        payload: None,
        purpose: Purpose::Service,
        status,
        error: None,
        at: t(0),
        status_at: t(0),
        attempts: 1,
        due_at: None,
        in_flight: false,
    }
}

#[test]
fn statuses_never_go_backwards_and_failures_keep_metas_cause() {
    let mut m = outbound(MessageStatus::Accepted);
    assert!(apply_status(&mut m, MessageStatus::Read, t(3), None));
    assert!(
        !apply_status(&mut m, MessageStatus::Delivered, t(4), None),
        "late delivered"
    );
    assert!(!apply_status(&mut m, MessageStatus::Sent, t(5), None));
    assert_eq!(m.status, MessageStatus::Read);
    let mut m = outbound(MessageStatus::Sent);
    let err = MessageError {
        code: 131049,
        message: "not delivered to maintain healthy ecosystem engagement".into(),
    };
    assert!(apply_status(
        &mut m,
        MessageStatus::Failed,
        t(6),
        Some(err.clone())
    ));
    assert_eq!(m.error, Some(err));
    assert!(!apply_status(&mut m, MessageStatus::Delivered, t(7), None));
}

#[test]
fn opt_words_ignore_case_spaces_and_trailing_punctuation() {
    let stop = vec!["STOP".to_string(), "opt out".to_string()];
    let start = vec!["START".to_string()];
    assert_eq!(detect(" stop ", &stop, &start), Some(OptWord::Stop));
    assert_eq!(detect("S T O P!", &stop, &start), Some(OptWord::Stop));
    assert_eq!(detect("Opt Out", &stop, &start), Some(OptWord::Stop));
    assert_eq!(detect("start", &stop, &start), Some(OptWord::Start));
    assert_eq!(detect("stop sending me the blue one", &stop, &start), None);
    assert_eq!(detect("", &stop, &start), None);
}

#[test]
fn a_message_dated_in_the_future_opens_the_window_only_until_receipt_plus_24_hours() {
    let mut inbox = Inbox::default();
    inbox.open_thread(3, "111", phone("+15551234567"), None, t(0));
    let received = t(1_000_000);
    // Dated 2099: the sender's clock (or a forged payload) cannot keep the window open.
    let dated_2099 = t(4_070_908_800_000);
    let th = inbox
        .on_inbound(3, dated_2099, received, None)
        .expect("inbound");
    assert_eq!(th.window_expires_at, Some(t(1_000_000 + WINDOW_MS)));
    assert_eq!(th.last_inbound_at, Some(received));
    assert!(inbox
        .check_send(3, false, t(1_000_000 + WINDOW_MS))
        .is_err());
    // A message dated before its receipt keeps its own (earlier) time.
    let th = inbox
        .on_inbound(3, t(2_000_000), t(2_500_000), None)
        .expect("inbound");
    assert_eq!(th.window_expires_at, Some(t(2_000_000 + WINDOW_MS)));
    assert_eq!(trusted_time(t(5), t(9)), t(5));
    assert_eq!(trusted_time(t(9), t(5)), t(5));
}

#[test]
fn one_customer_number_has_a_thread_per_tenant_number() {
    let mut inbox = Inbox::default();
    let customer = phone("+447700900123");
    let (a, new_a) = inbox.open_thread(1, "111", customer, None, t(0));
    let (b, new_b) = inbox.open_thread(2, "222", customer, None, t(1));
    let (c, new_c) = inbox.open_thread(3, "333", customer, None, t(2));
    assert!(new_a && new_b && new_c);
    assert_eq!((a.id, b.id, c.id), (1, 2, 3));
    for (number, id) in [("111", 1), ("222", 2), ("333", 3)] {
        assert_eq!(inbox.find(number, customer).map(|t| t.id), Some(id));
        let (again, new) = inbox.open_thread(99, number, customer, None, t(5));
        assert_eq!((again.id, new), (id, false), "{number}");
    }
    assert!(inbox.find("444", customer).is_none());
    assert!(inbox.find("111", phone("+15551234567")).is_none());
    // Restoring keeps the last record of a pair, as stored order gives it.
    let mut dup = a.clone();
    dup.id = 4;
    let restored = Inbox::restore([a, b, dup]);
    assert_eq!(restored.find("111", customer).map(|t| t.id), Some(4));
    assert_eq!(restored.find("222", customer).map(|t| t.id), Some(2));
    assert_eq!(restored.len(), 3);
}
