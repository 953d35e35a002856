//! The walk of a run through its flow version: from the node it is at, through triggers,
//! conditions and splits, until it has to wait (a delay), send (an action: the caller
//! sends, then moves it on with [`moved_past`]), or ends. Delays are scaled by the caller's
//! time compression; `until_local_time` is the next such time of day in the recipient's
//! zone (`Facts::zone`).

use super::conditions::{holds, Facts};
use super::graph::Graph;
use crate::domain::automations::run::{NodeStatus, Run};
use crate::domain::automations::{DelaySpec, FlowDraft, NodeKind, SplitBranch};
use sha2::{Digest, Sha256};

/// Most nodes one walk visits without waiting (validation refuses loops without delays;
/// this guards a stored flow that slipped through).
const MAX_HOPS: u32 = 64;

/// What the caller does next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// The run waits until `due_ms` (already scaled).
    Wait {
        /// When to wake it.
        due_ms: i64,
    },
    /// The action node `node` sends now.
    Send {
        /// The action node.
        node: String,
    },
    /// The run reached the end.
    Complete,
    /// The run leaves early.
    Exit {
        /// Why.
        reason: String,
    },
    /// The run cannot go on.
    Fail {
        /// Why.
        reason: String,
    },
}

/// Checks a delay's shape.
///
/// # Errors
/// What is wrong with it.
pub fn delay_ok(d: &DelaySpec) -> Result<(), String> {
    match (d.minutes, &d.until_local_time) {
        (Some(m), None) if (1..=129_600).contains(&m) => Ok(()),
        (Some(_), None) => Err("minutes must be 1 to 129600 (90 days)".into()),
        (None, Some(t)) => parse_hhmm(t).map(|_| ()),
        _ => Err("give exactly one of `minutes` and `until_local_time`".into()),
    }
}

fn parse_hhmm(t: &str) -> Result<i64, String> {
    let bad = || format!("`{t}` is not a time of day HH:MM");
    let (h, m) = t.split_once(':').ok_or_else(bad)?;
    let (h, m): (i64, i64) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if (0..24).contains(&h) && (0..60).contains(&m) && t.len() == 5 {
        Ok((h * 60 + m) * 60_000)
    } else {
        Err(bad())
    }
}

/// The wait of a delay reached at `now_ms`, in flow time (before scaling):
/// `until_local_time` is the next such time of day in `zone` (the recipient's; UTC when
/// the zone is unknown).
pub fn delay_ms(d: &DelaySpec, now_ms: i64, zone: &str) -> i64 {
    if let Some(m) = d.minutes {
        return i64::from(m) * 60_000;
    }
    let at = d
        .until_local_time
        .as_deref()
        .and_then(|t| parse_hhmm(t).ok())
        .unwrap_or(0);
    let day = 86_400_000;
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let offset_ms = jiff::Timestamp::from_millisecond(now_ms)
        .map(|ts| i64::from(tz.to_offset(ts).seconds()) * 1000)
        .unwrap_or(0);
    let since_midnight = (now_ms + offset_ms).rem_euclid(day);
    (at - since_midnight).rem_euclid(day).max(1)
}

/// The split branch of a contact: a stable hash of (flow, node, contact) over the
/// cumulative percents, so a contact always takes the same branch.
pub fn split_key<'a>(
    flow_id: u64,
    node: &str,
    contact: u64,
    branches: &'a [SplitBranch],
) -> Option<&'a str> {
    let mut h = Sha256::new();
    h.update(flow_id.to_be_bytes());
    h.update(node.as_bytes());
    h.update(contact.to_be_bytes());
    let d = h.finalize();
    let mut eight = [0u8; 8];
    eight.copy_from_slice(&d[..8]);
    let point = u64::from_be_bytes(eight) % 100;
    let mut acc = 0u64;
    for b in branches {
        acc += u64::from(b.percent);
        if point < acc {
            return Some(&b.key);
        }
    }
    branches.last().map(|b| b.key.as_str())
}

/// Moves `run` along the edge out of its node on `branch`; false when nothing follows.
pub fn moved_past(graph: &Graph<'_>, run: &mut Run, branch: Option<&str>) -> bool {
    run.steps = run.steps.saturating_add(1);
    match graph.next(&run.node, branch) {
        Some(next) => {
            run.node = next.to_string();
            true
        }
        None => false,
    }
}

/// Walks `run` from its node. `exit` is the reason the run must leave before its next
/// message (goal met, checkout completed), checked before each action; `scale` turns a
/// flow delay into the real wait.
pub fn advance(
    flow: &FlowDraft,
    flow_id: u64,
    run: &mut Run,
    facts: &Facts<'_>,
    exit: Option<String>,
    scale: &dyn Fn(i64) -> i64,
) -> Step {
    let graph = Graph::of(flow);
    let now = facts.now_ms;
    for _ in 0..MAX_HOPS {
        let Some(node) = graph.node(&run.node) else {
            return Step::Fail {
                reason: format!("node `{}` is not in the flow", run.node),
            };
        };
        let branch: Option<String> = match &node.kind {
            NodeKind::Trigger { .. } => None,
            NodeKind::Delay { delay } => match run.due_ms {
                None => {
                    let due = now + scale(delay_ms(delay, now, facts.zone)).max(1);
                    run.due_ms = Some(due);
                    run.log(&node.id, NodeStatus::Scheduled, now, None);
                    return Step::Wait { due_ms: due };
                }
                Some(due) if due > now => return Step::Wait { due_ms: due },
                Some(_) => {
                    run.due_ms = None;
                    run.log(&node.id, NodeStatus::Completed, now, None);
                    None
                }
            },
            NodeKind::Condition { rule } => {
                let b = if holds(rule, facts) { "YES" } else { "NO" };
                run.log(&node.id, NodeStatus::Completed, now, Some(b.to_string()));
                Some(b.to_string())
            }
            NodeKind::Split { branches } => {
                let key =
                    split_key(flow_id, &node.id, run.contact_id, branches).unwrap_or_default();
                run.log(&node.id, NodeStatus::Completed, now, Some(key.to_string()));
                Some(key.to_string())
            }
            NodeKind::Action(_) => {
                if let Some(reason) = exit {
                    run.log(&node.id, NodeStatus::Skipped, now, Some(reason.clone()));
                    return Step::Exit { reason };
                }
                return Step::Send {
                    node: node.id.clone(),
                };
            }
        };
        if !moved_past(&graph, run, branch.as_deref()) {
            return Step::Complete;
        }
    }
    Step::Fail {
        reason: format!("more than {MAX_HOPS} nodes without a delay"),
    }
}
