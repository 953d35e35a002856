//! A campaign's A/B test in the campaign actor: who of the frozen list gets which
//! variant (`logic::campaigns::ab::assign`, deterministic from the campaign id), the
//! phases (send the sample → wait → pick the winner by the metric → send the winner to
//! the rest), each written with the run, so a restart resumes the phase it was in.

use super::Active;
use crate::domain::analytics::{Source, SourceRevenue};
use crate::domain::campaigns::CampaignStatus;
use crate::domain::Timestamp;
use crate::logic::campaigns::ab::{winner, AbTest, Assignment, VariantStats};
use crate::store::{Kind, Store, StoreError};

/// Phase: no test.
pub const NONE: u8 = 0;
/// Phase: sending the sample.
pub const SAMPLING: u8 = 1;
/// Phase: waiting to pick the winner.
pub const WAITING: u8 = 2;
/// Phase: sending the winner to the rest.
pub const REST: u8 = 3;

/// The campaign's test, if it has one.
/// The wait is scaled like flow delays (`automations.time_scale`: 1 in production).
pub fn test_of(id: u64, a: &Active, time_scale: u32) -> Option<AbTest> {
    let ab = a.def.ab.as_ref()?;
    Some(AbTest {
        variants: a.def.variant_count(),
        sample_percent: ab.sample_percent,
        metric: ab.metric,
        wait_ms: i64::from(ab.wait_minutes) * 60_000 / i64::from(time_scale.max(1)),
        seed: id,
    })
}

/// What a recipient at `position` gets in the campaign's current phase: `Some(variant)`
/// to send, `None` to pass over (not its phase).
pub fn variant_for(id: u64, a: &Active, position: u64, contact: u64) -> Option<u8> {
    let Some(test) = test_of(id, a, 1) else {
        return Some(0);
    };
    let assigned = crate::logic::campaigns::ab::assign(&test, position, a.run.total, contact);
    match (a.run.ab_phase, assigned) {
        (REST, Assignment::Rest) => Some(a.run.winner.unwrap_or(0)),
        (REST, Assignment::Sample(_)) => None,
        (_, Assignment::Sample(v)) => Some(v),
        (_, Assignment::Rest) => None,
    }
}

/// Each variant's results so far.
///
/// # Errors
/// When the store fails.
pub fn variant_stats(
    store: &Store,
    shop: &str,
    id: u64,
    variants: u8,
) -> Result<Vec<VariantStats>, StoreError> {
    let mut out = Vec::new();
    for variant in 0..variants {
        let key = Source::Campaign { id, variant }.key();
        let s = store.source_stats(shop, key)?;
        let r: SourceRevenue = store
            .get(shop, Kind::SourceRevenue, key)?
            .unwrap_or_default();
        out.push(VariantStats {
            sent: s.sent,
            delivered: s.delivered,
            read: s.read,
            replied: s.replied,
            clicked: s.clicked,
            revenue_minor: r.revenue.0,
        });
    }
    Ok(out)
}

/// Moves a sending campaign's test on: the sample all handed on → wait; the wait over →
/// the winner picked. True when the run changed.
///
/// # Errors
/// When the store fails.
pub fn advance(
    store: &Store,
    shop: &str,
    (id, a): (u64, &mut Active),
    now: Timestamp,
    time_scale: u32,
) -> Result<bool, StoreError> {
    let Some(test) = test_of(id, a, time_scale) else {
        return Ok(false);
    };
    let r = &mut a.run;
    if r.status() != CampaignStatus::Sending {
        return Ok(false);
    }
    if r.ab_phase == SAMPLING && r.cursor >= r.total && r.held == 0 {
        r.ab_phase = WAITING;
        r.sample_done_at = Some(now);
        tracing::info!(
            message = "A/B sample sent; waiting to pick the winner.",
            tenant = shop,
            campaign = id
        );
        return Ok(true);
    }
    let done = r.sample_done_at.map_or(0, Timestamp::millis);
    if r.ab_phase == WAITING && now.millis() >= done + test.wait_ms {
        let stats = variant_stats(store, shop, id, test.variants)?;
        let (variant, reason) = match winner(test.metric, &stats) {
            Some(w) => (w.variant, w.reason),
            None => (0, "no variant was sent: A goes to the rest".to_string()),
        };
        r.winner = Some(variant);
        r.winner_reason = Some(reason.clone());
        r.ab_phase = REST;
        tracing::info!(message = "A/B winner picked.", tenant = shop, campaign = id, variant, reason = %reason);
        return Ok(true);
    }
    Ok(false)
}

/// True when every recipient of every phase was handed on.
pub fn all_handed(a: &Active) -> bool {
    match a.run.ab_phase {
        NONE => a.run.cursor >= a.run.total,
        REST => a.run.rest_cursor >= a.run.total,
        _ => false,
    }
}
