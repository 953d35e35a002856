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

fn cmp<T: PartialOrd>(op: Cmp, a: T, b: T, to: Option<T>) -> bool {
    match op {
        Cmp::Gt => a > b,
        Cmp::Gte => a >= b,
        Cmp::Lt => a < b,
        Cmp::Lte => a <= b,
        Cmp::Eq => a == b,
        Cmp::Between => to.is_some_and(|t| a >= b && a <= t),
    }
}

/// What is wrong with a comparison: `BETWEEN` needs `to` at or above the value, and
/// only `BETWEEN` takes `to`.
fn bounds_problem<T: PartialOrd>(op: Cmp, value: T, to: Option<T>) -> Option<&'static str> {
    match (op, to) {
        (Cmp::Between, None) => Some("BETWEEN needs `to`, the upper bound"),
        (Cmp::Between, Some(t)) if t < value => Some("BETWEEN needs `to` at or above the value"),
        (Cmp::Between, Some(_)) => None,
        (_, Some(_)) => Some("`to` is only for BETWEEN"),
        (_, None) => None,
    }
}

/// The problems of a condition rule (nested rules included), for validation.
pub fn rule_problems(rule: &Rule) -> Vec<String> {
    let mut out = Vec::new();
    walk_problems(rule, &mut out);
    out
}

fn walk_problems(rule: &Rule, out: &mut Vec<String>) {
    match rule {
        Rule::All { all } => all.iter().for_each(|r| walk_problems(r, out)),
        Rule::Any { any } => any.iter().for_each(|r| walk_problems(r, out)),
        Rule::One(c) => {
            let p = match c {
                Condition::OrderRecency { op, days, to } => bounds_problem(*op, *days, *to),
                Condition::OrderCount { op, value, to } => bounds_problem(*op, *value, *to),
                Condition::OrderValue { op, value, to }
                | Condition::TotalSpent { op, value, to } => bounds_problem(*op, *value, *to),
                _ => None,
            };
            if let Some(p) = p {
                out.push(p.to_string());
            }
        }
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
        Condition::OrderRecency { op, days, to } => contact.last_order_at.is_some_and(|at| {
            let since = (f.now_ms - at.millis()).max(0) / 86_400_000;
            cmp(*op, since, i64::from(*days), to.map(i64::from))
        }),
        Condition::OrderValue { op, value, to } => {
            f.run_total.is_some_and(|t| cmp(*op, t, *value, *to))
        }
        Condition::OrderCount { op, value, to } => cmp(*op, contact.orders_count, *value, *to),
        Condition::TotalSpent { op, value, to } => cmp(*op, contact.total_spent, *value, *to),
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
