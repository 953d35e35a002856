//! Counting message changes.

use super::*;
use crate::domain::whatsapp::{MessageError, Purpose};
use crate::domain::Timestamp;

fn msg(status: MessageStatus, code: Option<i64>) -> ChatMessage {
    ChatMessage {
        id: 1,
        thread_id: 1,
        direction: crate::domain::whatsapp::Direction::Outbound,
        wamid: None,
        author: None,
        kind: "template".into(),
        text: None,
        payload: None,
        purpose: Purpose::Marketing,
        status,
        error: code.map(|code| MessageError {
            code,
            message: "x".into(),
        }),
        at: Timestamp(0),
        status_at: Timestamp(0),
        attempts: 1,
        due_at: None,
        in_flight: false,
    }
}

#[test]
fn a_message_walks_the_counters_once_each() {
    use MessageStatus::*;
    let mut s = SourceStats::default();
    let steps = [
        (Queued, Accepted),
        (Accepted, Sent),
        (Sent, Delivered),
        (Delivered, Read),
    ];
    for (b, a) in steps {
        count_change(&mut s, b, &msg(a, None));
    }
    assert_eq!((s.sent, s.delivered, s.read, s.failed), (1, 1, 1, 0));
    assert_eq!(s.settled, 1);
}

#[test]
fn a_read_without_delivery_counts_as_delivered_and_failures_keep_their_code() {
    use MessageStatus::*;
    let mut s = SourceStats::default();
    count_change(&mut s, Accepted, &msg(Read, None));
    count_change(&mut s, Queued, &msg(Failed, Some(131_026)));
    count_change(&mut s, Accepted, &msg(Failed, Some(131_026)));
    count_change(&mut s, Queued, &msg(Failed, None));
    assert_eq!((s.delivered, s.read, s.failed), (1, 1, 3));
    assert_eq!(s.failed_by_code.get(&131_026), Some(&2));
    assert_eq!(s.failed_by_code.get(&0), Some(&1));
    assert_eq!(
        s.sent, 0,
        "a message failing before acceptance was never sent"
    );
}
