//! From a domain event to new runs: which active flows it triggers and for which contact,
//! the enrolment checks in the product's order (each refusal logged with its reason), and
//! the batch that starts the runs. A new run is written with a due-index entry for *now*,
//! so a crash before its first step leaves it to be stepped at start, never lost; the
//! event's consumed marker is in the same batch, so no event enrols twice.

use super::flows::FlowEntry;
use crate::domain::automations::run::{Run, RunStatus, TriggerContext};
use crate::domain::automations::{NodeKind, Trigger};
use crate::domain::contact::{Checkout, Contact};
use crate::domain::{DomainEvent, EventKind};
use crate::logic::automations::enrol::{decide, Around};
use crate::logic::automations::vars::TemplateShape;
use crate::store::{Batch, Kind, Store, StoreError};
use sha2::{Digest, Sha256};

/// A run an event asks for.
#[derive(Debug, Clone)]
pub struct Wanted {
    /// The contact (`None`: a guest checkout, whose contact comes from its phone).
    pub contact: Option<u64>,
    /// What started it.
    pub context: TriggerContext,
    /// Once-key when the trigger fires once per thing (a checkout).
    pub once: Option<u64>,
}

/// The segments and lists a contact is in, among those a flow reads.
#[derive(Debug, Default)]
pub struct Membership {
    /// Segments the contact is in.
    pub segments: Vec<u64>,
    /// Lists the contact is in.
    pub lists: Vec<u64>,
}

/// A stable key of parts.
pub fn key(parts: &[&[u8]]) -> u64 {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    let d = h.finalize();
    let mut eight = [0u8; 8];
    eight.copy_from_slice(&d[..8]);
    u64::from_be_bytes(eight)
}

/// The trigger of a flow.
pub fn trigger_of(flow: &FlowEntry) -> Option<(&str, &Trigger)> {
    flow.draft.nodes.iter().find_map(|n| match &n.kind {
        NodeKind::Trigger { trigger, .. } => Some((n.id.as_str(), trigger)),
        _ => None,
    })
}

/// The run `e` asks of a flow with `trigger`, if any.
pub fn wanted(flow_id: u64, trigger: &Trigger, e: &DomainEvent) -> Option<Wanted> {
    let plain = |contact: Option<u64>, context: TriggerContext| Wanted {
        contact,
        context,
        once: None,
    };
    let order = |id: u64| TriggerContext {
        order_id: Some(id),
        ..TriggerContext::default()
    };
    match (trigger, &e.kind) {
        (
            Trigger::OrderPlaced,
            EventKind::OrderPlaced {
                order_id,
                customer_id,
                ..
            },
        )
        | (
            Trigger::OrderCancelled,
            EventKind::OrderCancelled {
                order_id,
                customer_id,
            },
        )
        | (
            Trigger::OrderShipped,
            EventKind::OrderShipped {
                order_id,
                customer_id,
            },
        ) => Some(plain(Some((*customer_id)?), order(*order_id))),
        (Trigger::CustomerCreated, EventKind::CustomerCreated { customer_id }) => {
            Some(plain(Some(*customer_id), TriggerContext::default()))
        }
        (Trigger::CustomerTagged { tag }, EventKind::CustomerTagged { customer_id, tags }) => {
            let hit = tag
                .as_ref()
                .is_none_or(|want| tags.iter().any(|t| t.eq_ignore_ascii_case(want)));
            hit.then(|| plain(Some(*customer_id), TriggerContext::default()))
        }
        (
            Trigger::AbandonedCheckout,
            EventKind::CheckoutUpdated {
                checkout_id,
                customer_id,
            },
        ) => Some(Wanted {
            contact: *customer_id,
            context: TriggerContext {
                checkout_id: Some(*checkout_id),
                ..TriggerContext::default()
            },
            once: Some(key(&[
                b"checkout",
                &flow_id.to_be_bytes(),
                &checkout_id.to_be_bytes(),
            ])),
        }),
        (
            Trigger::BackInStock,
            EventKind::BackInStockNotified {
                product_id,
                variant_id,
                contact_id,
                ..
            },
        ) => Some(plain(
            *contact_id,
            TriggerContext {
                product_id: Some(*product_id),
                variant_id: Some(*variant_id),
                ..TriggerContext::default()
            },
        )),
        (
            Trigger::UserAddedToSegment { segment_id },
            EventKind::UserAddedToSegment {
                segment_id: s,
                contact_id,
            },
        ) if s == segment_id => Some(plain(
            Some(*contact_id),
            TriggerContext {
                segment_id: Some(*s),
                ..TriggerContext::default()
            },
        )),
        (Trigger::InboundKeyword { keywords }, EventKind::MessageReceived { contact_id, text }) => {
            let said = |k: &String| {
                text.split(|c: char| !c.is_alphanumeric())
                    .any(|w| !w.is_empty() && w.eq_ignore_ascii_case(k.trim()))
            };
            keywords.iter().any(said).then(|| {
                plain(
                    Some(*contact_id),
                    TriggerContext {
                        text: Some(text.clone()),
                        ..TriggerContext::default()
                    },
                )
            })
        }
        _ => None,
    }
}

/// Whether the flow sends any marketing template (then consent must be SUBSCRIBED).
///
/// # Errors
/// When the store fails.
pub fn is_marketing(store: &Store, shop: &str, flow: &FlowEntry) -> Result<bool, StoreError> {
    for n in &flow.draft.nodes {
        if let NodeKind::Action(a) = &n.kind {
            let template = &a.template;
            let t = crate::store::conversations::template(
                store,
                shop,
                &template.name,
                &template.language,
            )?;
            if t.is_some_and(|t| TemplateShape::of(&t).marketing) {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// The phone of a guest checkout, for the contact it becomes.
pub fn checkout_phone(checkout: &Checkout) -> Option<crate::domain::phone::PhoneE164> {
    checkout
        .phone
        .as_deref()
        .and_then(|p| crate::domain::phone::PhoneE164::parse(p).ok())
}

/// Checks the enrolment of `contact` in `flow` and stages the new run. `Ok(None)` when
/// refused (logged with the reason) or already triggered once for this thing.
///
/// # Errors
/// When the store fails.
#[allow(clippy::too_many_arguments)]
pub fn stage_run(
    store: &Store,
    shop: &str,
    batch: &mut Batch,
    flow: &FlowEntry,
    contact: &Contact,
    want: &Wanted,
    marketing: bool,
    now_ms: i64,
    scale: &dyn Fn(i64) -> i64,
    member: &Membership,
) -> Result<Option<Run>, StoreError> {
    let flow_id = flow.stored.id;
    if let Some(once) = want.once {
        if store.get::<u64>(shop, Kind::TriggerOnce, once)?.is_some() {
            return Ok(None);
        }
    }
    let entered_key = key(&[
        b"entered",
        &flow_id.to_be_bytes(),
        &contact.id.to_be_bytes(),
    ]);
    let last: Option<i64> = store.get(shop, Kind::Entered, entered_key)?;
    let in_segment = |s: u64| member.segments.contains(&s);
    let in_list = |l: u64| member.lists.contains(&l);
    let around = Around {
        now_ms,
        scale,
        in_segment: &in_segment,
        in_list: &in_list,
    };
    if let Err(refusal) = decide(contact, marketing, &flow.draft.settings, last, &around) {
        metrics::counter!("galantis_automation_enrolments_refused_total", "reason" => refusal.code()).increment(1);
        tracing::info!(message = "Enrolment refused.", tenant = shop, flow = flow_id, contact = contact.id, reason = refusal.code(), detail = %refusal);
        return Ok(None);
    }
    let Some((trigger_node, _)) = trigger_of(flow) else {
        return Ok(None);
    };
    let id = store.next_id()?;
    let run = Run {
        id,
        flow_id,
        version: flow.stored.version,
        contact_id: contact.id,
        status: RunStatus::Active,
        node: trigger_node.to_string(),
        due_ms: None,
        started_ms: now_ms,
        context: want.context.clone(),
        last_message: None,
        steps: 0,
        activity: Vec::new(),
    };
    batch.put(shop, Kind::Run, id, &run)?;
    batch.put_pair(shop, Kind::RunDue, now_ms.max(0) as u64, id);
    batch.put_pair(shop, Kind::RunByContact, contact.id, id);
    batch.put(shop, Kind::Entered, entered_key, &now_ms)?;
    if let Some(once) = want.once {
        batch.put(shop, Kind::TriggerOnce, once, &id)?;
    }
    metrics::counter!("galantis_automation_runs_started_total").increment(1);
    Ok(Some(run))
}
