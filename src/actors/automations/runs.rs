//! Stepping one run: load it, gather what it reads, walk it (`logic::automations::step`),
//! send its actions through the conversation actor (once-key per step), and write where
//! it ends up — waiting with a new due entry, or finished — in one batch that also
//! removes the due entry that woke it. A crash anywhere in between leaves the old due
//! entry, so the step runs again at start; its sends are deduplicated by their once-keys.

use super::gather::{exit_reason, gather, orders_of};
use super::send::{prepare, Prepared};
use super::AutomationsState;
use crate::actors::conversations::ConversationsMsg;
use crate::domain::automations::run::{NodeStatus, Run, RunStatus};
use crate::domain::automations::FlowStatus;
use crate::domain::Timestamp;
use crate::logic::automations::conditions::Facts;
use crate::logic::automations::graph::Graph;
use crate::logic::automations::step::{advance, moved_past, Step};
use crate::store::{Batch, Kind, StoreError};
use std::time::Duration;

/// How a step ended.
enum End {
    Wait(i64),
    Over(RunStatus),
    /// Try again later (the conversation actor is restarting).
    Later(i64),
}

/// Steps run `id`, woken by its due entry at `due`.
///
/// # Errors
/// When the store fails (the due entry stays: the step is retried).
pub async fn fire(state: &mut AutomationsState, due: i64, id: u64) -> Result<(), StoreError> {
    let Some(mut run) = state.store.get::<Run>(&state.shop, Kind::Run, id)? else {
        let mut b = Batch::new();
        b.remove_pair(&state.shop, Kind::RunDue, due.max(0) as u64, id);
        return state.store.commit(b);
    };
    if run.status.is_over() {
        let mut b = Batch::new();
        b.remove_pair(&state.shop, Kind::RunDue, due.max(0) as u64, id);
        return state.store.commit(b);
    }
    let was_waiting = run.status == RunStatus::Waiting;
    let end = walk(state, &mut run).await?;
    finish(state, run, due, was_waiting, end)
}

async fn walk(state: &mut AutomationsState, run: &mut Run) -> Result<End, StoreError> {
    let now = Timestamp::now().millis();
    if run.status.is_over() {
        return Ok(End::Over(run.status));
    }
    let Some(entry) = state.flows.get(run.flow_id).cloned() else {
        return Ok(End::Over(RunStatus::Failed));
    };
    let marketing = super::enrol::is_marketing(&state.store, &state.shop, &entry)?;
    match entry.stored.status {
        FlowStatus::Archived => {
            run.log(
                &run.node.clone(),
                NodeStatus::Skipped,
                now,
                Some("the flow was archived".into()),
            );
            return Ok(End::Over(RunStatus::Exited));
        }
        FlowStatus::Paused | FlowStatus::Draft => {
            // Frozen: look again in a minute (of flow time).
            return Ok(End::Later(
                now + state.settings.scaled_ms(60_000).max(1_000),
            ));
        }
        FlowStatus::Active => {}
    }
    let Some(flow) = state.flows.version(run.flow_id, run.version) else {
        return Ok(End::Over(RunStatus::Failed));
    };
    run.status = RunStatus::Active;
    let member = super::events::membership(state, run.contact_id, &flow).await;
    let scale = state.settings.clone();
    for _ in 0..16 {
        let g = gather(&state.store, &state.shop, run)?;
        let Some(contact) = g.contact.as_ref() else {
            run.log(
                &run.node.clone(),
                NodeStatus::Skipped,
                now,
                Some("the contact was deleted".into()),
            );
            return Ok(End::Over(RunStatus::Exited));
        };
        if marketing
            && contact.marketing_state != crate::domain::contact::MarketingState::Subscribed
        {
            // Enrolment required SUBSCRIBED: the contact has unsubscribed since.
            run.log(
                &run.node.clone(),
                NodeStatus::Skipped,
                now,
                Some("the contact unsubscribed".into()),
            );
            return Ok(End::Over(RunStatus::Exited));
        }
        let orders = orders_of(&state.store, &state.shop, contact.id)?;
        let exit = exit_reason(&flow, run, &g, &orders);
        if exit.is_none() {
            if let Some(later) = abandoned_later(&flow, run, &g, now, &scale) {
                run.due_ms = Some(later);
                return Ok(End::Wait(later));
            }
        }
        let province = state.store.contact_region(&state.shop, contact.id)?;
        let step = {
            let in_segment = |s: u64| member.segments.contains(&s);
            let facts = Facts {
                contact,
                now_ms: now,
                run_total: g.total(),
                run_product_tags: &g.product_tags,
                last_status: g.last_status,
                replies: &g.replies,
                segment_member: &in_segment,
                zone: crate::logic::automations::quiet::zone_for(
                    contact.country.map(|c| c.to_string()).as_deref(),
                    province.as_deref(),
                    &state.policy.time_zone,
                ),
            };
            advance(&flow, run.flow_id, run, &facts, exit, &|ms| {
                scale.scaled_ms(ms)
            })
        };
        let node = match step {
            Step::Wait { due_ms } => return Ok(End::Wait(due_ms)),
            Step::Complete => return Ok(End::Over(RunStatus::Completed)),
            Step::Exit { .. } => return Ok(End::Over(RunStatus::Exited)),
            Step::Fail { reason } => {
                run.log(&run.node.clone(), NodeStatus::Failed, now, Some(reason));
                return Ok(End::Over(RunStatus::Failed));
            }
            Step::Send { node } => node,
        };
        let recent: Vec<i64> = state
            .store
            .get(&state.shop, Kind::MarketingSends, contact.id)?
            .unwrap_or_default();
        let cap = (
            state.settings.global_marketing_cap,
            state.settings.global_marketing_window_ms(),
        );
        let prepared = prepare(
            &state.store,
            &state.shop,
            &flow,
            &node,
            run,
            &g,
            &recent,
            cap,
            &state.policy,
            &member,
            (now, state.link_base_url.as_deref()),
        )?;
        if let Prepared::Send(_, _, links) = &prepared {
            // The links exist before any message that carries them can be clicked.
            if !links.is_empty() {
                let mut b = Batch::new();
                for (code, link) in links {
                    b.put_link(code, link)?;
                }
                state.store.commit(b)?;
            }
        }
        match prepared {
            Prepared::Send(req, marketing, _) => match send(state, *req).await {
                Some(Ok(m)) => {
                    run.last_message = Some(m.id);
                    run.log(
                        &node,
                        NodeStatus::Completed,
                        now,
                        Some(format!("message {} queued", m.id)),
                    );
                    if marketing {
                        note_marketing(state, contact.id, recent, now)?;
                    }
                }
                Some(Err(e)) => {
                    run.log(&node, NodeStatus::Failed, now, Some(e.to_string()));
                    return Ok(End::Over(RunStatus::Failed));
                }
                None => return Ok(End::Later(now + 5_000)),
            },
            Prepared::Hold(until) => {
                let when = crate::domain::Timestamp(until).to_rfc3339();
                run.log(
                    &node,
                    NodeStatus::Scheduled,
                    now,
                    Some(format!("quiet hours: held until {when}")),
                );
                return Ok(End::Wait(until));
            }
            Prepared::Skip(r) => {
                tracing::info!(message = "Automation message skipped.", tenant = %state.shop, run = run.id, node = %node, reason = r.code());
                run.log(
                    &node,
                    NodeStatus::Skipped,
                    now,
                    Some(format!("{}: {r}", r.code())),
                );
            }
            Prepared::Fail(reason) => {
                run.log(&node, NodeStatus::Failed, now, Some(reason));
                return Ok(End::Over(RunStatus::Failed));
            }
        }
        if !moved_past(&Graph::of(&flow), run, None) {
            return Ok(End::Over(RunStatus::Completed));
        }
    }
    Ok(End::Later(now + 1_000))
}

/// A checkout is abandoned when it stays incomplete for the flow's first delay after its
/// *last* update: when the run's first delay ends sooner than that (the checkout changed
/// while it waited), the new end.
fn abandoned_later(
    flow: &crate::domain::automations::FlowDraft,
    run: &Run,
    g: &super::gather::Gathered,
    now: i64,
    scale: &crate::config::AutomationSettings,
) -> Option<i64> {
    use crate::domain::automations::{NodeKind, Trigger};
    let graph = Graph::of(flow);
    let trigger = graph.trigger()?;
    if !matches!(
        &trigger.kind,
        NodeKind::Trigger {
            trigger: Trigger::AbandonedCheckout,
            ..
        }
    ) {
        return None;
    }
    if graph.next(&trigger.id, None) != Some(run.node.as_str()) {
        return None;
    }
    let NodeKind::Delay { delay } = &graph.node(&run.node)?.kind else {
        return None;
    };
    let due = run.due_ms?;
    let updated = g.checkout.as_ref()?.updated_at?.millis().min(now);
    let end = updated
        + scale.scaled_ms(crate::logic::automations::step::delay_ms(
            delay, updated, "UTC",
        ));
    (end > due && end > now).then_some(end)
}

/// Queues the message; `None` when the conversation actor cannot be reached now.
async fn send(
    state: &AutomationsState,
    req: crate::actors::conversations::SendRequest,
) -> Option<Result<crate::domain::whatsapp::ChatMessage, crate::actors::conversations::SendError>> {
    let actor = state.conversations.get()?;
    match actor
        .call(
            |r| ConversationsMsg::Send {
                req: Box::new(req),
                reply_to: r,
            },
            Some(Duration::from_secs(10)),
        )
        .await
    {
        Ok(ractor::rpc::CallResult::Success(sent)) => Some(sent),
        _ => None,
    }
}

/// Records a marketing send for the global cap (the last 16 kept).
fn note_marketing(
    state: &AutomationsState,
    contact: u64,
    mut recent: Vec<i64>,
    now: i64,
) -> Result<(), StoreError> {
    recent.push(now);
    let keep = recent.len().saturating_sub(16);
    recent.drain(..keep);
    let mut b = Batch::new();
    b.put(&state.shop, Kind::MarketingSends, contact, &recent)?;
    state.store.commit(b)
}

/// Writes where the run ended up, replacing the due entry that woke it.
fn finish(
    state: &mut AutomationsState,
    mut run: Run,
    due: i64,
    was_waiting: bool,
    end: End,
) -> Result<(), StoreError> {
    let shop = state.shop.clone();
    let mut b = Batch::new();
    b.remove_pair(&shop, Kind::RunDue, due.max(0) as u64, run.id);
    let next_due = match end {
        End::Wait(at) | End::Later(at) => {
            run.status = if matches!(end, End::Wait(_)) {
                RunStatus::Waiting
            } else {
                run.status
            };
            b.put_pair(&shop, Kind::RunDue, at.max(0) as u64, run.id);
            Some(at)
        }
        End::Over(status) => {
            run.status = status;
            run.due_ms = None;
            None
        }
    };
    let now_waiting = run.status == RunStatus::Waiting;
    let status = run.status;
    state.flows.count(&mut b, &shop, run.flow_id, |c| {
        if was_waiting && !now_waiting {
            c.waiting = c.waiting.saturating_sub(1);
        }
        if now_waiting && !was_waiting {
            c.waiting += 1;
        }
        match status {
            RunStatus::Completed => c.completed += 1,
            RunStatus::Exited => c.exited += 1,
            RunStatus::Failed => c.failed += 1,
            _ => {}
        }
    })?;
    b.put(&shop, Kind::Run, run.id, &run)?;
    state.store.commit(b)?;
    if let Some(at) = next_due {
        state.due.schedule(at, run.id);
    }
    Ok(())
}
