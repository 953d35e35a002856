//! What a tick's outcomes do to the runs: counts (queued, skipped by reason, held), the
//! cursors, the hold queue, a campaign paused when the plan's conversations ran out, and
//! each marketing send noted for smart sending and the global cap.

use super::feed::{Outcome, Plans, SendResults, Step};
use super::CampaignsState;
use crate::actors::conversations::SendError;
use crate::domain::campaigns::{CampaignStatus, Held};
use crate::domain::Timestamp;
use crate::store::{Batch, Kind, StoreError};
use std::collections::HashMap;

/// Applies the tick's outcomes to the runs, the hold queue and the marketing sends.
pub(super) fn apply(
    state: &mut CampaignsState,
    plans: &Plans,
    steps: Vec<Step>,
    results: SendResults,
    now: Timestamp,
    batch: &mut Batch,
) -> Result<(), StoreError> {
    let Some(results) = results else {
        return Ok(());
    };
    let mut stopped: HashMap<u64, String> = HashMap::new();
    let mut marketing: HashMap<u64, Vec<i64>> = HashMap::new();
    for s in steps {
        if stopped.contains_key(&s.campaign) {
            continue;
        }
        let Some(a) = state.active.get_mut(&s.campaign) else {
            continue;
        };
        match s.outcome {
            Outcome::Send(i) => match results.get(i) {
                Some(Ok(_)) => {
                    a.run.queued += 1;
                    let is_marketing = (plans.get(&s.campaign))
                        .and_then(|p| p.get(usize::from(s.variant)))
                        .is_some_and(|p| p.shape.marketing);
                    if is_marketing {
                        let recent = match marketing.remove(&s.contact) {
                            Some(r) => r,
                            None => state
                                .store
                                .get(&state.shop, Kind::MarketingSends, s.contact)?
                                .unwrap_or_default(),
                        };
                        marketing.insert(s.contact, noted(recent, now.millis()));
                    }
                }
                Some(Err(e @ SendError::UsageExhausted { .. })) => {
                    stopped.insert(s.campaign, format!("paused: {e}"));
                    continue;
                }
                Some(Err(e)) => {
                    *a.run.skipped.entry("refused".into()).or_default() += 1;
                    a.run.note = Some(format!("a message was refused: {e}"));
                }
                None => continue,
            },
            Outcome::Pass => {}
            Outcome::Already => a.run.queued += 1,
            Outcome::Skip(code) => *a.run.skipped.entry(code.into()).or_default() += 1,
            Outcome::Hold(until) => {
                let seq = state.store.next_id()?;
                let h = Held {
                    campaign: s.campaign,
                    position: s.position,
                    contact: s.contact,
                    variant: s.variant,
                };
                batch.put_held(&state.shop, until, seq, &h)?;
                a.run.held += 1;
            }
        }
        match s.held {
            Some((due, seq)) => {
                batch.remove_held(&state.shop, due, seq);
                a.run.held = a.run.held.saturating_sub(1);
            }
            None if s.rest => a.run.rest_cursor = s.position + 1,
            None => a.run.cursor = s.position + 1,
        }
    }
    for (id, note) in stopped {
        if let Some(a) = state.active.get_mut(&id) {
            tracing::warn!(message = "Campaign paused.", tenant = %state.shop, campaign = id, reason = %note);
            a.run.status = Some(CampaignStatus::Paused);
            a.run.status_at = now;
            a.run.note = Some(note);
        }
    }
    for (contact, recent) in marketing {
        batch.put(&state.shop, Kind::MarketingSends, contact, &recent)?;
    }
    for (id, a) in &state.active {
        batch.put(&state.shop, Kind::CampaignRun, *id, &a.run)?;
    }
    Ok(())
}

/// A marketing send noted for smart sending and the global cap (the last 16 kept).
fn noted(mut recent: Vec<i64>, now: i64) -> Vec<i64> {
    recent.push(now);
    let keep = recent.len().saturating_sub(16);
    recent.drain(..keep);
    recent
}
