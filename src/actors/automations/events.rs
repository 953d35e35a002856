//! Consuming the tenant's domain events: each event's triggers matched against the active
//! flows, runs staged with the event's marker in one batch, their first steps taken; the
//! contact an event is about (asked of the customer actor); and the backfill of a flow
//! activated with `include_existing_users`.

use super::{arm, enrol, flows, AutomationsState};
use crate::actors::customers::CustomersMsg;
use crate::domain::automations::run::Run;
use crate::domain::contact::Contact;
use crate::domain::DomainEvent;
use crate::domain::Timestamp;
use crate::store::{Batch, Kind, StoreError};
use std::time::Duration;

/// Consumes `events` not consumed yet, in stream order: the runs each starts and its
/// marker in one batch per event; then the new runs take their first steps.
pub(super) async fn consume(
    state: &mut AutomationsState,
    mut events: Vec<DomainEvent>,
) -> Result<(), StoreError> {
    events.sort_by_key(|e| e.seq);
    for e in events {
        if state.intake.is_done(e.seq) {
            continue;
        }
        let mut batch = Batch::new();
        state.intake.stage(&mut batch, &state.shop, e.seq)?;
        let started = if state.status.paused || e.is_history() {
            Vec::new()
        } else {
            start_runs(state, &e, &mut batch).await?
        };
        *state
            .status
            .consumed
            .entry(e.kind.name().to_string())
            .or_insert(0) += 1;
        batch.put(&state.shop, Kind::Automations, 0, &state.status)?;
        state.store.commit(batch)?;
        state.intake.mark(e.seq);
        let now = Timestamp::now().millis();
        for run in started {
            state.due.schedule(now, run.id);
        }
    }
    arm(state)
}

/// The contact a run is for: the event's, or (a guest checkout) the one of its phone.
pub(super) async fn contact_for(
    state: &AutomationsState,
    want: &enrol::Wanted,
) -> Result<Option<Contact>, StoreError> {
    let id = match want.contact {
        Some(id) => Some(id),
        None => match want.context.checkout_id {
            Some(k) => {
                let checkout = state.store.get(&state.shop, Kind::Checkout, k)?;
                match checkout.as_ref().and_then(enrol::checkout_phone) {
                    Some(phone) => ask_contact_for_phone(state, phone).await,
                    None => None,
                }
            }
            None => None,
        },
    };
    match id {
        Some(id) => state.store.get(&state.shop, Kind::Contact, id),
        None => Ok(None),
    }
}

async fn ask_contact_for_phone(
    state: &AutomationsState,
    phone: crate::domain::phone::PhoneE164,
) -> Option<u64> {
    let actor = state.customers.get()?;
    let at = Timestamp::now();
    match actor
        .call(
            |r| CustomersMsg::ContactForPhone {
                phone,
                profile_name: None,
                at,
                reply_to: r,
            },
            Some(Duration::from_secs(10)),
        )
        .await
    {
        Ok(ractor::rpc::CallResult::Success(id)) => id,
        _ => None,
    }
}

/// Stages the runs `e` starts in the active flows.
pub(super) async fn start_runs(
    state: &mut AutomationsState,
    e: &DomainEvent,
    batch: &mut Batch,
) -> Result<Vec<Run>, StoreError> {
    let flows: Vec<flows::FlowEntry> = state.flows.active().cloned().collect();
    start_runs_in(state, e, batch, flows).await
}

/// Stages the runs `e` starts in `flows`.
async fn start_runs_in(
    state: &mut AutomationsState,
    e: &DomainEvent,
    batch: &mut Batch,
    flows: Vec<flows::FlowEntry>,
) -> Result<Vec<Run>, StoreError> {
    let now = Timestamp::now().millis();
    let mut started = Vec::new();
    for flow in flows {
        let Some((_, trigger)) = enrol::trigger_of(&flow) else {
            continue;
        };
        let Some(want) = enrol::wanted(flow.stored.id, trigger, e) else {
            continue;
        };
        let Some(contact) = contact_for(state, &want).await? else {
            tracing::info!(message = "Enrolment refused.", tenant = %state.shop, flow = flow.stored.id, reason = "no_contact");
            continue;
        };
        let marketing = enrol::is_marketing(&state.store, &state.shop, &flow)?;
        let member = membership(state, contact.id, &flow.draft).await;
        let settings = state.settings.clone();
        let scale = move |ms: i64| settings.scaled_ms(ms);
        if let Some(run) = enrol::stage_run(
            &state.store,
            &state.shop,
            batch,
            &flow,
            &contact,
            &want,
            marketing,
            now,
            &scale,
            &member,
        )? {
            state
                .flows
                .count(batch, &state.shop, flow.stored.id, |c| c.enrolled += 1)?;
            started.push(run);
        }
    }
    Ok(started)
}

/// Enrols those who already match a newly activated flow: the events of the last
/// `lookback_days` its trigger takes (each trigger's own once-keys and the frequency cap
/// keep it from enrolling anyone twice).
pub(super) async fn backfill(state: &mut AutomationsState, flow_id: u64) -> Result<(), StoreError> {
    let Some(flow) = state.flows.get(flow_id).cloned() else {
        return Ok(());
    };
    let lookback = flow.draft.nodes.iter().find_map(|n| match &n.kind {
        crate::domain::automations::NodeKind::Trigger {
            include_existing_users: true,
            lookback_days,
            ..
        } => Some(*lookback_days),
        _ => None,
    });
    let Some(days) = lookback else {
        return Ok(());
    };
    let since = Timestamp::now().millis() - i64::from(days) * 86_400_000;
    let events: Vec<(u64, DomainEvent)> = state.store.scan(&state.shop, Kind::Event)?;
    let mut started = 0usize;
    for (_, e) in events
        .into_iter()
        .filter(|(_, e)| e.occurred_at.millis() >= since)
    {
        let mut batch = Batch::new();
        let runs = start_runs_in(state, &e, &mut batch, vec![flow.clone()]).await?;
        if runs.is_empty() {
            continue;
        }
        state.store.commit(batch)?;
        let now = Timestamp::now().millis();
        for run in runs {
            state.due.schedule(now, run.id);
            started += 1;
        }
    }
    tracing::info!(message = "Existing users enrolled.", tenant = %state.shop, flow = flow_id, runs = started, days);
    arm(state)
}

/// The segments and lists among those `flow` reads that `contact` is in, asked of the
/// customer actor (which keeps memberships current); none when it cannot be reached.
pub(crate) async fn membership(
    state: &AutomationsState,
    contact: u64,
    flow: &crate::domain::automations::FlowDraft,
) -> enrol::Membership {
    use crate::actors::customers::segment_cmds::SegmentCmd;
    let (segments, lists) = crate::logic::automations::conditions::referenced(flow);
    if segments.is_empty() && lists.is_empty() {
        return enrol::Membership::default();
    }
    let Some(actor) = state.customers.get() else {
        return enrol::Membership::default();
    };
    let (s, l) = (segments.clone(), lists.clone());
    let asked = actor
        .call(
            |reply_to| {
                CustomersMsg::Segments(Box::new(SegmentCmd::Membership {
                    contact,
                    segments: s,
                    lists: l,
                    reply_to,
                }))
            },
            Some(Duration::from_secs(10)),
        )
        .await;
    match asked {
        Ok(ractor::rpc::CallResult::Success((in_s, in_l))) => enrol::Membership {
            segments: segments
                .into_iter()
                .zip(in_s)
                .filter_map(|(id, yes)| yes.then_some(id))
                .collect(),
            lists: lists
                .into_iter()
                .zip(in_l)
                .filter_map(|(id, yes)| yes.then_some(id))
                .collect(),
        },
        _ => {
            tracing::warn!(message = "Segment memberships unavailable; taken as none.", tenant = %state.shop, contact);
            enrol::Membership::default()
        }
    }
}
