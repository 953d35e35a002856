//! Campaign views for the API and the CLI: a campaign with its status, progress (handed,
//! queued, sent, delivered, read, failed, skipped by reason, held), results (replies,
//! clicks, orders, revenue), its A/B test, and its analytics. Reads only.

use super::campaigns::CampaignError;
use super::Context;
use crate::domain::analytics::SourceStats;
use crate::domain::campaigns::{CampaignDefinition, CampaignRun, CampaignStatus, StoredCampaign};
use crate::domain::Timestamp;
use crate::store::{Kind, StoreError};
use serde::Serialize;
use std::collections::BTreeMap;

/// Progress of a launched campaign.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Progress {
    /// Recipients frozen at launch.
    pub total: u64,
    /// Handed on so far (queued, skipped or held), in list order.
    pub handed: u64,
    /// Waiting in the outbox.
    pub queued: u64,
    /// Accepted by Meta.
    pub sent: u64,
    /// Delivered.
    pub delivered: u64,
    /// Read.
    pub read: u64,
    /// Failed.
    pub failed: u64,
    /// Failed, by Meta's error code.
    pub failed_by_code: BTreeMap<String, u64>,
    /// Skipped when their turn came, by reason.
    pub skipped: BTreeMap<String, u64>,
    /// Held for their quiet hours.
    pub held: u64,
    /// Handed on, in percent of the total.
    pub percent: u64,
}

/// A campaign's A/B test as the API shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AbView {
    /// `SAMPLING`, `WAITING`, `SENDING_WINNER` (or `DONE` once the campaign is over).
    pub phase: &'static str,
    /// Recipients in the sample.
    pub sample_size: u64,
    /// Recipients of each variant in the sample (A first).
    pub sample_by_variant: Vec<u64>,
    /// When the winner is (or was) picked.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decide_at: Option<Timestamp>,
    /// The winning variant (`A`, `B` …), once picked.
    pub winner: Option<String>,
    /// Why it won.
    pub reason: Option<String>,
    /// Each variant's results (A first).
    pub variants: Vec<super::analytics::Totals>,
}

/// A campaign as the API shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CampaignView {
    /// Id.
    #[serde(with = "crate::domain::ids::as_string")]
    #[schema(value_type = String)]
    pub id: u64,
    /// Status.
    pub status: CampaignStatus,
    /// The definition.
    pub definition: CampaignDefinition,
    /// Created.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Launched.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub launched_at: Option<Timestamp>,
    /// When sending starts (or started).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub scheduled_for: Option<Timestamp>,
    /// Finished.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<Timestamp>,
    /// The sending number, once launched.
    pub phone_number_id: Option<String>,
    /// Why it paused or failed, or that it was cancelled.
    pub note: Option<String>,
    /// Progress (zeros before launch).
    pub progress: Progress,
    /// What it earned: replies, clicks, opt-outs, orders and revenue credited.
    pub results: super::analytics::Totals,
    /// Its A/B test, when it has one.
    pub ab: Option<AbView>,
}

fn stats(ctx: &Context, shop: &str, id: u64) -> Result<SourceStats, StoreError> {
    crate::actors::campaigns::campaign_stats(ctx.engine.store(), shop, id)
}

fn definition(c: &StoredCampaign) -> Result<CampaignDefinition, StoreError> {
    serde_json::from_str(&c.definition)
        .map_err(|e| StoreError::Corrupt(format!("campaign {} definition: {e}", c.id)))
}

fn ab_view(
    ctx: &Context,
    shop: &str,
    c: &StoredCampaign,
    def: &CampaignDefinition,
    run: &CampaignRun,
) -> Result<Option<AbView>, CampaignError> {
    use crate::logic::campaigns::ab;
    let Some(d) = &def.ab else { return Ok(None) };
    let test = ab::AbTest {
        variants: def.variant_count(),
        sample_percent: d.sample_percent,
        metric: d.metric,
        wait_ms: i64::from(d.wait_minutes) * 60_000 / i64::from(ctx.automations.time_scale.max(1)),
        seed: c.id,
    };
    let phase = match (run.status().is_final(), run.ab_phase) {
        (true, _) => "DONE",
        (_, 2) => "WAITING",
        (_, 3) => "SENDING_WINNER",
        _ => "SAMPLING",
    };
    let mut variants = Vec::new();
    for variant in 0..test.variants {
        variants.push(super::analytics::totals(
            ctx.engine.store(),
            shop,
            &[crate::domain::analytics::Source::Campaign { id: c.id, variant }],
        )?);
    }
    Ok(Some(AbView {
        phase,
        sample_size: ab::sample_size(&test, run.total),
        sample_by_variant: ab::variant_counts(&test, run.total),
        decide_at: run
            .sample_done_at
            .map(|t| Timestamp(t.millis() + test.wait_ms)),
        winner: run.winner.map(ab::variant_name),
        reason: run.winner_reason.clone(),
        variants,
    }))
}

fn view_of(ctx: &Context, shop: &str, c: &StoredCampaign) -> Result<CampaignView, CampaignError> {
    let run = ctx.engine.store().campaign_run(shop, c.id)?;
    let s = stats(ctx, shop, c.id)?;
    let handed = run.queued + run.skipped_total() + run.held;
    let progress = Progress {
        total: run.total,
        handed,
        queued: run.queued.saturating_sub(s.settled),
        sent: s.sent,
        delivered: s.delivered,
        read: s.read,
        failed: s.failed,
        failed_by_code: s
            .failed_by_code
            .iter()
            .map(|(c, n)| (c.to_string(), *n))
            .collect(),
        skipped: run.skipped.clone(),
        held: run.held,
        percent: (handed * 100).checked_div(run.total).unwrap_or(100),
    };
    let def = definition(c)?;
    let ab = ab_view(ctx, shop, c, &def, &run)?;
    Ok(CampaignView {
        id: c.id,
        status: run.status(),
        definition: def,
        created_at: c.created_at,
        launched_at: run.launched_at,
        scheduled_for: run.start_at,
        finished_at: run.finished_at,
        phone_number_id: (!run.phone_number_id.is_empty()).then(|| run.phone_number_id.clone()),
        note: run.note.clone(),
        progress: if run.launched_at.is_some() {
            progress
        } else {
            Progress::default()
        },
        results: super::analytics::totals(
            ctx.engine.store(),
            shop,
            &super::analytics::campaign_sources(c.id),
        )?,
        ab,
    })
}

/// One campaign.
///
/// # Errors
/// [`CampaignError::NotFound`] or the store.
pub fn get(ctx: &Context, shop: &str, id: u64) -> Result<CampaignView, CampaignError> {
    let c = ctx
        .engine
        .store()
        .campaign(shop, id)?
        .ok_or(CampaignError::NotFound(id))?;
    view_of(ctx, shop, &c)
}

/// A page of campaigns by id (ids above `after`, at most `limit`).
///
/// # Errors
/// The store.
pub fn list(
    ctx: &Context,
    shop: &str,
    after: Option<u64>,
    limit: usize,
) -> Result<Vec<CampaignView>, CampaignError> {
    let page: Vec<(u64, StoredCampaign)> =
        ctx.engine
            .store()
            .scan_from(shop, Kind::Campaign, after, limit)?;
    page.iter().map(|(_, c)| view_of(ctx, shop, c)).collect()
}

/// A campaign's analytics: totals and a daily series since it was created.
///
/// # Errors
/// [`CampaignError::NotFound`] or the store.
pub fn analytics(
    ctx: &Context,
    shop: &str,
    id: u64,
) -> Result<super::analytics::Analytics, CampaignError> {
    let c = ctx
        .engine
        .store()
        .campaign(shop, id)?
        .ok_or(CampaignError::NotFound(id))?;
    Ok(super::analytics::of(
        ctx.engine.store(),
        shop,
        &super::analytics::campaign_sources(id),
        c.created_at,
    )?)
}
