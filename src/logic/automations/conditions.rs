//! Conditions, evaluated on facts gathered when a run reaches the node (the contact as it
//! is now, never a copy taken at enrolment).

use crate::domain::automations::{Cmp, Condition, DeliveryStatus, Rule};
use crate::domain::contact::{Contact, MarketingState};
use crate::domain::Money;

/// What conditions read.
pub struct Facts<'a> {
    /// The contact now.
    pub contact: &'a Contact,
    /// Now, ms.
    pub now_ms: i64,
    /// The total of the run's order or checkout.
    pub run_total: Option<Money>,
    /// Tags of the products of the run's order or checkout.
    pub run_product_tags: &'a [String],
    /// The status of the run's last message.
    pub last_status: Option<DeliveryStatus>,
    /// Inbound messages after the run's last message: their quick-reply payloads (`None`
    /// for typed text).
    pub replies: &'a [Option<String>],
    /// Segment membership now.
    pub segment_member: &'a dyn Fn(u64) -> bool,
    /// The recipient's IANA zone (`until_local_time` delays).
    pub zone: &'a str,
}

fn cmp<T: PartialOrd>(op: Cmp, a: T, b: T) -> bool {
    match op {
        Cmp::Gt => a > b,
        Cmp::Gte => a >= b,
        Cmp::Lt => a < b,
        Cmp::Lte => a <= b,
        Cmp::Eq => a == b,
    }
}

/// The segments and lists a flow's conditions and exclusions read (to ask for the
/// contact's memberships before a step).
pub fn referenced(flow: &crate::domain::automations::FlowDraft) -> (Vec<u64>, Vec<u64>) {
    fn walk(r: &Rule, out: &mut Vec<u64>) {
        match r {
            Rule::All { all } => all.iter().for_each(|r| walk(r, out)),
            Rule::Any { any } => any.iter().for_each(|r| walk(r, out)),
            Rule::One(Condition::SegmentMembership { segment_id, .. }) => out.push(*segment_id),
            Rule::One(_) => {}
        }
    }
    let mut segments = flow.settings.exclude_segments.clone();
    for n in &flow.nodes {
        if let crate::domain::automations::NodeKind::Condition { rule } = &n.kind {
            walk(rule, &mut segments);
        }
    }
    segments.sort_unstable();
    segments.dedup();
    (segments, flow.settings.exclude_lists.clone())
}

/// Whether `rule` holds.
pub fn holds(rule: &Rule, f: &Facts<'_>) -> bool {
    match rule {
        Rule::All { all } => all.iter().all(|r| holds(r, f)),
        Rule::Any { any } => any.iter().any(|r| holds(r, f)),
        Rule::One(c) => condition(c, f),
    }
}

fn rank(s: DeliveryStatus) -> u8 {
    match s {
        DeliveryStatus::Sent => 1,
        DeliveryStatus::Delivered => 2,
        DeliveryStatus::Read => 3,
        DeliveryStatus::Failed => 0,
    }
}

fn condition(c: &Condition, f: &Facts<'_>) -> bool {
    let contact = f.contact;
    match c {
        Condition::MessageDeliveryStatus { status } => match (status, f.last_status) {
            (_, None) => false,
            (DeliveryStatus::Failed, Some(s)) => s == DeliveryStatus::Failed,
            (want, Some(s)) => s != DeliveryStatus::Failed && rank(s) >= rank(*want),
        },
        Condition::UserReplyStatus { replied, payload } => {
            let did = match payload {
                None => !f.replies.is_empty(),
                Some(p) => f.replies.iter().any(|r| r.as_deref() == Some(p.as_str())),
            };
            did == *replied
        }
        Condition::OrderRecency { op, days } => contact.last_order_at.is_some_and(|at| {
            let since = (f.now_ms - at.millis()).max(0) / 86_400_000;
            cmp(*op, since, i64::from(*days))
        }),
        Condition::OrderValue { op, value } => f.run_total.is_some_and(|t| cmp(*op, t, *value)),
        Condition::OrderCount { op, value } => cmp(*op, contact.orders_count, *value),
        Condition::TotalSpent { op, value } => cmp(*op, contact.total_spent, *value),
        Condition::CustomerTag { tag, present } => {
            contact.tags.iter().any(|t| t.eq_ignore_ascii_case(tag)) == *present
        }
        Condition::ProductInOrderHasTag { tag } => f
            .run_product_tags
            .iter()
            .any(|t| t.eq_ignore_ascii_case(tag)),
        Condition::SegmentMembership { segment_id, member } => {
            (f.segment_member)(*segment_id) == *member
        }
        Condition::MarketingConsent { subscribed } => {
            (contact.marketing_state == MarketingState::Subscribed) == *subscribed
        }
    }
}
