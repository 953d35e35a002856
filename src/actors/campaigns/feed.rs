//! One dispatch tick: start campaigns whose time came, release held recipients whose
//! quiet hours ended, top up the outbox's campaign lane from each sending campaign's
//! frozen list (in order), then write the runs' cursors and counts, and finish the
//! campaigns whose every message left the outbox. Each recipient is checked again when
//! its turn comes (`logic::campaigns::classify`: exclusion flag, number, consent, smart
//! sending, the global marketing cap) and held for its quiet hours; the audience's own
//! segment and list exclusions were applied at the freeze and are not re-read.

use super::{CampaignsError, CampaignsState};
use crate::actors::conversations::{ConversationsMsg, SendError};
use crate::domain::analytics::Source;
use crate::domain::bulk::BulkItem;
use crate::domain::campaigns::{CampaignStatus, Recipient};
use crate::domain::contact::Contact;
use crate::domain::whatsapp::{Purpose, Template, TemplateStatus};
use crate::domain::Timestamp;
use crate::integrations::meta::action::build;
use crate::integrations::meta::messages::OutboundMessage;
use crate::logic::automations::quiet;
use crate::logic::automations::vars::{TemplateShape, VarContext};
use crate::logic::campaigns::{classify, Rules};
use crate::store::campaigns::CHUNK;
use crate::store::conversations as persist;
use crate::store::{Batch, Kind, StoreError};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::time::Duration;

/// The once-key of a campaign recipient: a re-handed position queues nothing new.
pub fn once_key(campaign: u64, position: u64) -> u64 {
    let mut h = Sha256::new();
    h.update(b"campaign-recipient");
    h.update(campaign.to_be_bytes());
    h.update(position.to_be_bytes());
    let d = h.finalize();
    let mut eight = [0u8; 8];
    eight.copy_from_slice(&d[..8]);
    u64::from_be_bytes(eight)
}

/// What became of one recipient this tick.
pub(super) enum Outcome {
    /// Not this phase's recipient (A/B): passed over, nothing counted.
    Pass,
    /// Handed to the outbox (index into the tick's requests).
    Send(usize),
    /// Already in the outbox (a re-handed position after a crash).
    Already,
    /// Not sent, with the reason's code.
    Skip(&'static str),
    /// Held until its quiet hours end (ms).
    Hold(i64),
}

/// One recipient handled this tick.
pub(super) struct Step {
    pub(super) campaign: u64,
    pub(super) position: u64,
    pub(super) contact: u64,
    /// From the hold queue (its entry's key), else from the list at `position`.
    pub(super) held: Option<(i64, u64)>,
    /// Walking the list for the A/B winner's rest (`rest_cursor`), else `cursor`.
    pub(super) rest: bool,
    /// The A/B variant.
    pub(super) variant: u8,
    pub(super) outcome: Outcome,
}

/// Most recipients passed over (A/B: not this phase's) in one tick.
const MAX_PASSES: usize = 200_000;

/// What one variant of a campaign sends, fixed for the tick.
pub(super) struct Plan {
    pub(super) template: Template,
    pub(super) shape: TemplateShape,
    pub(super) rules: Rules,
}

/// A campaign's plans, by variant.
pub(super) type Plans = HashMap<u64, Vec<Plan>>;

/// Runs one tick (see the module docs).
///
/// # Errors
/// When the store fails (the actor restarts from its durable state).
pub(super) async fn tick(state: &mut CampaignsState) -> Result<(), CampaignsError> {
    let now = Timestamp::now();
    let mut batch = Batch::new();
    start_due(state, now, &mut batch)?;
    for (id, a) in &mut state.active {
        let scale = state.automations.time_scale;
        if super::ab::advance(&state.store, &state.shop, (*id, a), now, scale)? {
            batch.put(&state.shop, Kind::CampaignRun, *id, &a.run)?;
        }
    }
    let plans = plans(state, now, &mut batch)?;
    let sending: Vec<u64> = plans.keys().copied().collect();
    let room = match lane_room(state).await {
        Some(r) if !sending.is_empty() => r,
        _ => {
            state.store.commit(batch)?;
            return super::finish::finish_done(state, now).await;
        }
    };
    let policy = crate::actors::automations::policy::load(&state.store, &state.shop)?;
    let mut steps = Vec::new();
    let mut out = super::links::Staged::default();
    let held = state.store.held_due(&state.shop, now.millis(), room)?;
    for (due, seq, h) in held {
        match state.active.get(&h.campaign).map(|a| a.run.status()) {
            Some(CampaignStatus::Sending) => {}
            Some(_) => continue,
            None => {
                batch.remove_held(&state.shop, due, seq);
                continue;
            }
        }
        let Some(plan) = plans
            .get(&h.campaign)
            .and_then(|p| p.get(usize::from(h.variant)))
        else {
            continue;
        };
        let r = (h.position, h.contact, h.variant);
        let outcome = prepare(state, plan, h.campaign, r, &policy, now, &mut out)?;
        steps.push(Step {
            campaign: h.campaign,
            position: h.position,
            contact: h.contact,
            held: Some((due, seq)),
            rest: false,
            variant: h.variant,
            outcome,
        });
    }
    let mut passes = 0;
    for id in sending {
        let Some(plan) = plans.get(&id) else { continue };
        while steps.len() - passes < room && passes < MAX_PASSES {
            let Some(a) = state.active.get(&id) else {
                break;
            };
            let rest = a.run.ab_phase == super::ab::REST;
            let at = if rest {
                a.run.rest_cursor
            } else {
                a.run.cursor
            };
            let cursor = at + pending_of(&steps, id, rest);
            if a.run.ab_phase == super::ab::WAITING || cursor >= a.run.total {
                break;
            }
            let r = recipient(state, id, cursor)?;
            if r.due_ms > now.millis() {
                break;
            }
            let Some(a) = state.active.get(&id) else {
                break;
            };
            let variant = super::ab::variant_for(id, a, cursor, r.contact);
            let outcome = match variant.and_then(|v| plan.get(usize::from(v)).map(|p| (v, p))) {
                None => {
                    passes += 1;
                    Outcome::Pass
                }
                Some((v, p)) => {
                    prepare(state, p, id, (cursor, r.contact, v), &policy, now, &mut out)?
                }
            };
            steps.push(Step {
                campaign: id,
                position: cursor,
                contact: r.contact,
                held: None,
                rest,
                variant: variant.unwrap_or(0),
                outcome,
            });
        }
    }
    if !out.links.is_empty() {
        // The links exist before any message that carries them can be clicked.
        let mut b = Batch::new();
        for (code, link) in &out.links {
            b.put_link(code, link)?;
        }
        state.store.commit(b)?;
    }
    let handed = !steps.is_empty();
    let results = send_many(state, out.reqs).await;
    super::outcomes::apply(state, &plans, steps, results, now, &mut batch)?;
    state.store.commit(batch)?;
    if handed {
        // Cursors and holds on disk; a tick that handed nothing on only moved phases
        // (recomputed the same way after a restart) and needs no flush.
        state.store.durable().await?;
    }
    super::finish::finish_done(state, now).await
}

/// Positions of campaign `id` already taken from its list this tick (in the rest's walk
/// or the first).
fn pending_of(steps: &[Step], id: u64, rest: bool) -> u64 {
    steps
        .iter()
        .filter(|s| s.campaign == id && s.held.is_none() && s.rest == rest)
        .count() as u64
}

/// Scheduled campaigns whose time came start sending.
fn start_due(
    state: &mut CampaignsState,
    now: Timestamp,
    batch: &mut Batch,
) -> Result<(), StoreError> {
    for (id, a) in &mut state.active {
        let due = a.run.start_at.is_some_and(|s| s <= now);
        if a.run.status() == CampaignStatus::Pending && due {
            a.run.status = Some(CampaignStatus::Sending);
            a.run.status_at = now;
            batch.put(&state.shop, Kind::CampaignRun, *id, &a.run)?;
            tracing::info!(message = "Scheduled campaign starts sending.", tenant = %state.shop, campaign = id);
        }
    }
    Ok(())
}

/// The template and rules of each sending campaign; a campaign whose template is gone or
/// no longer APPROVED (Meta may pause one) is paused with the reason.
fn plans(
    state: &mut CampaignsState,
    now: Timestamp,
    batch: &mut Batch,
) -> Result<Plans, StoreError> {
    let mut out = HashMap::new();
    let cap = (
        state.automations.global_marketing_cap,
        state.automations.global_marketing_window_ms(),
    );
    'campaigns: for (id, a) in &mut state.active {
        if a.run.status() != CampaignStatus::Sending {
            continue;
        }
        let mut plans = Vec::new();
        for v in 0..a.def.variant_count() {
            let t = &a.def.variant(v).template;
            let template = persist::template(&state.store, &state.shop, &t.name, &t.language)?
                .filter(|t| t.status == TemplateStatus::Approved);
            let Some(template) = template else {
                a.run.status = Some(CampaignStatus::Paused);
                a.run.status_at = now;
                a.run.note = Some(format!(
                    "paused: template `{}` ({}) is no longer APPROVED",
                    t.name, t.language
                ));
                batch.put(&state.shop, Kind::CampaignRun, *id, &a.run)?;
                tracing::warn!(message = "Campaign paused: its template is not approved.", tenant = %state.shop, campaign = id);
                continue 'campaigns;
            };
            let shape = TemplateShape::of(&template);
            let rules = Rules {
                marketing: shape.marketing,
                smart_sending_ms: a.def.smart_sending_hours.map(|h| i64::from(h) * 3_600_000),
                cap: cap.0,
                cap_window_ms: cap.1,
                now_ms: now.millis(),
            };
            plans.push(Plan {
                template,
                shape,
                rules,
            });
        }
        out.insert(*id, plans);
    }
    Ok(out)
}

/// How many more messages the lane takes; `None` when the outbox cannot be asked now.
async fn lane_room(state: &CampaignsState) -> Option<usize> {
    let c = state.conversations.get()?;
    let depth = match c
        .call(
            |reply_to| ConversationsMsg::BulkDepth { reply_to },
            Some(Duration::from_secs(5)),
        )
        .await
    {
        Ok(ractor::rpc::CallResult::Success(d)) => d,
        _ => return None,
    };
    Some(
        state
            .settings
            .lane_depth(state.messages_per_second)
            .saturating_sub(depth),
    )
}

/// The recipient at `position` of a campaign's frozen list.
fn recipient(state: &mut CampaignsState, id: u64, position: u64) -> Result<Recipient, StoreError> {
    let chunk = position / CHUNK;
    let cached = matches!(&state.chunk, Some((c, n, _)) if *c == id && *n == chunk);
    if !cached {
        let list = state.store.recipients(&state.shop, id, chunk)?;
        state.chunk = Some((id, chunk, list));
    }
    let at = (position % CHUNK) as usize;
    state
        .chunk
        .as_ref()
        .and_then(|(_, _, l)| l.get(at).copied())
        .ok_or_else(|| StoreError::Corrupt(format!("campaign {id} has no recipient {position}")))
}

/// Decides one recipient: already queued, skipped, held, or a request in `out`.
#[allow(clippy::too_many_arguments)]
fn prepare(
    state: &CampaignsState,
    plan: &Plan,
    id: u64,
    (position, contact_id, variant): (u64, u64, u8),
    policy: &crate::actors::automations::policy::AutomationPolicy,
    now: Timestamp,
    out: &mut super::links::Staged,
) -> Result<Outcome, StoreError> {
    let key = once_key(id, position);
    if state
        .store
        .get::<u64>(&state.shop, Kind::SendOnce, key)?
        .is_some()
    {
        return Ok(Outcome::Already);
    }
    let Some(contact) = state
        .store
        .get::<Contact>(&state.shop, Kind::Contact, contact_id)?
    else {
        return Ok(Outcome::Skip("contact_deleted"));
    };
    let recent: Vec<i64> = state
        .store
        .get(&state.shop, Kind::MarketingSends, contact_id)?
        .unwrap_or_default();
    if let Err(why) = classify(&contact, &recent, &plan.rules) {
        return Ok(Outcome::Skip(why.code()));
    }
    if plan.shape.marketing {
        if let Some(q) = &policy.quiet_hours {
            let country = contact.country.map(|c| c.to_string());
            let province = state.store.contact_region(&state.shop, contact_id)?;
            let zone = quiet::zone_for(country.as_deref(), province.as_deref(), &policy.time_zone);
            if let Some(until) = quiet::hold_until(q, zone, now.millis()) {
                return Ok(Outcome::Hold(until));
            }
        }
    }
    let Some(phone) = contact.phone else {
        return Ok(Outcome::Skip("no_phone"));
    };
    let Some(a) = state.active.get(&id) else {
        return Ok(Outcome::Skip("campaign_gone"));
    };
    let cx = VarContext {
        contact: &contact,
        order: None,
        checkout: None,
        product: None,
        store_name: state.shop.trim_end_matches(".myshopify.com"),
        shop_domain: &state.shop,
    };
    let t = &plan.template;
    let source = Source::Campaign { id, variant };
    let tracked = super::links::tracked(
        state,
        a.def.variant(variant),
        (&plan.shape, &cx),
        &source,
        key,
        &mut out.links,
    );
    let Ok(message) = tracked else {
        return Ok(Outcome::Skip("link_invalid"));
    };
    let Ok((values, body)) = build(
        &t.name,
        &t.language,
        &message,
        plan.shape,
        &cx,
        Vec::new(),
        None,
    ) else {
        return Ok(Outcome::Skip("variable_missing"));
    };
    out.reqs.push(BulkItem {
        once_key: key,
        contact: contact_id,
        position,
        phone,
        phone_number_id: a.run.phone_number_id.clone(),
        template: t.name.clone(),
        language: t.language.clone(),
        purpose: if plan.shape.marketing {
            Purpose::Marketing
        } else {
            Purpose::Utility
        },
        source,
        body: OutboundMessage::template(phone, body).body().to_string(),
        text: format!("{} {}", t.name, values.join(" | "))
            .trim()
            .to_string(),
    });
    Ok(Outcome::Send(out.reqs.len() - 1))
}

pub(super) type SendResults = Option<Vec<Result<(), SendError>>>;

/// Hands the tick's messages to the outbox's campaign lane in one write; `None` when it
/// cannot be reached (nothing advances then: the same positions are tried next tick).
async fn send_many(state: &CampaignsState, items: Vec<BulkItem>) -> SendResults {
    if items.is_empty() {
        return Some(Vec::new());
    }
    let c = state.conversations.get()?;
    match c
        .call(
            |reply_to| ConversationsMsg::SendBulk { items, reply_to },
            Some(Duration::from_secs(30)),
        )
        .await
    {
        Ok(ractor::rpc::CallResult::Success(r)) => Some(r),
        _ => None,
    }
}
