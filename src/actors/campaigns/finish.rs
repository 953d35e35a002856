//! The end of a campaign: its counters summed over its variants, and the final status
//! (SENT, PARTIALLY_SENT, FAILED) once every recipient was handed on, nothing is held and
//! every message left the outbox.

use super::{CampaignsError, CampaignsState};
use crate::domain::analytics::Source;
use crate::domain::campaigns::{CampaignRun, CampaignStatus};
use crate::domain::Timestamp;
use crate::logic::campaigns::final_status;
use crate::store::{Batch, Kind, StoreError};

/// The campaign's counters over its variants.
pub fn campaign_stats(
    store: &crate::store::Store,
    shop: &str,
    id: u64,
) -> Result<crate::domain::analytics::SourceStats, StoreError> {
    let mut total = crate::domain::analytics::SourceStats::default();
    for variant in 0..=7u8 {
        let s = store.source_stats(shop, Source::Campaign { id, variant }.key())?;
        total.add(&s);
    }
    Ok(total)
}

/// Sending campaigns whose list is done, with nothing held and every message out of
/// the outbox, reach their final status.
pub(super) async fn finish_done(
    state: &mut CampaignsState,
    now: Timestamp,
) -> Result<(), CampaignsError> {
    let mut batch = Batch::new();
    let mut done = Vec::new();
    for (id, a) in &mut state.active {
        if a.run.status() != CampaignStatus::Sending || !super::ab::all_handed(a) || a.run.held > 0
        {
            continue;
        }
        let r: &mut CampaignRun = &mut a.run;
        let stats = campaign_stats(&state.store, &state.shop, *id)?;
        if stats.settled < r.queued {
            continue;
        }
        r.status = Some(final_status(stats.sent, stats.failed));
        r.status_at = now;
        r.finished_at = Some(now);
        batch.put(&state.shop, Kind::CampaignRun, *id, r)?;
        tracing::info!(message = "Campaign finished.", tenant = %state.shop, campaign = id, status = r.status().as_str(), sent = stats.sent, failed = stats.failed, skipped = r.skipped_total());
        done.push(*id);
    }
    if done.is_empty() {
        return Ok(());
    }
    state.store.commit(batch)?;
    state.store.durable().await?;
    for id in done {
        state.active.remove(&id);
    }
    Ok(())
}
