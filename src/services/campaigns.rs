//! Campaign operations for the API and the CLI: define (checked against the shop's
//! templates, lists, segments and numbers), estimate the reach with every exclusion
//! reason, launch (the launch checks, then the audience frozen by the campaign actor),
//! pause / resume / cancel; the views are `campaign_views` (re-exported here).
//! Must not decide who is sent to: that is `logic::campaigns`, run in the customer actor.

pub use super::campaign_views::{analytics, get, list, AbView, CampaignView, Progress};
use super::Context;
use crate::actors::campaigns::{CampaignsError, Control, Launch};
use crate::actors::customers::audience::AudienceRequest;
use crate::actors::customers::segments::SegmentsError;
use crate::actors::EngineError;
use crate::domain::campaigns::{CampaignDefinition, CampaignRun};
use crate::domain::whatsapp::Template;
use crate::domain::Timestamp;
use crate::integrations::meta::error::classify;
use crate::logic::automations::validate::FlowProblem;
use crate::logic::automations::vars::TemplateShape;
use crate::logic::campaigns::{
    check_definition, launch_checks, parse_local, LaunchFacts, LaunchProblem, NumberFacts, Reach,
    Rules,
};
use crate::logic::whatsapp::retry::Action;
use crate::store::conversations as persist;
use crate::store::StoreError;

/// Why a campaign operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    /// No such campaign.
    #[error("no campaign {0}")]
    NotFound(u64),
    /// The definition has problems (each named).
    #[error("the campaign has problems: {}", .0.iter().map(|p| p.message.clone()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FlowProblem>),
    /// A launch check failed (each named); nothing was sent.
    #[error("the campaign cannot launch: {}", .0.iter().map(|p| p.message.clone()).collect::<Vec<_>>().join("; "))]
    Refused(Vec<LaunchProblem>),
    /// The campaign's status does not allow it.
    #[error("{0}")]
    Conflict(String),
    /// A segment or list of the audience does not exist.
    #[error("audience: {0}")]
    Audience(String),
    /// The actors cannot be reached.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<CampaignsError> for CampaignError {
    fn from(e: CampaignsError) -> Self {
        match e {
            CampaignsError::NotFound(id) => Self::NotFound(id),
            CampaignsError::Conflict(m) => Self::Conflict(m),
            CampaignsError::Store(s) => Self::Store(s),
        }
    }
}

impl From<SegmentsError> for CampaignError {
    fn from(e: SegmentsError) -> Self {
        match e {
            SegmentsError::Store(s) => Self::Store(s),
            other => Self::Audience(other.to_string()),
        }
    }
}

/// Checks a definition against the shop (templates, number, lists and segments exist).
async fn check(ctx: &Context, shop: &str, def: &CampaignDefinition) -> Result<(), CampaignError> {
    let store = ctx.engine.store();
    let templates = persist::templates(store, shop)?;
    let mut problems = check_definition(def, &templates);
    if let Some(p) = &def.phone_number_id {
        let known = store
            .tenant(shop)?
            .is_some_and(|t| t.meta_phone_number_ids.iter().any(|n| n == p));
        if !known {
            problems.push(FlowProblem {
                node: None,
                code: "unknown_number",
                message: format!(
                    "phone_number_id `{p}` is not one of this shop's WhatsApp numbers"
                ),
            });
        }
    }
    if !problems.is_empty() {
        return Err(CampaignError::Invalid(problems));
    }
    // Unknown segments and lists are named by the audience resolution itself.
    estimate_def(ctx, shop, def).await.map(|_| ())
}

/// Stores a new campaign (PENDING); its view.
///
/// # Errors
/// [`CampaignError::Invalid`], [`CampaignError::Audience`], or the engine.
pub async fn create(
    ctx: &Context,
    shop: &str,
    def: CampaignDefinition,
) -> Result<CampaignView, CampaignError> {
    check(ctx, shop, &def).await?;
    let id = ctx.engine.create_campaign(shop, def).await??;
    get(ctx, shop, id)
}

/// Replaces a campaign's definition before launch.
///
/// # Errors
/// As [`create`], or [`CampaignError::Conflict`] once launched.
pub async fn update(
    ctx: &Context,
    shop: &str,
    id: u64,
    def: CampaignDefinition,
) -> Result<CampaignView, CampaignError> {
    get(ctx, shop, id)?;
    check(ctx, shop, &def).await?;
    ctx.engine.update_campaign(shop, id, def).await??;
    get(ctx, shop, id)
}

/// Deletes a campaign (before launch, or once final).
///
/// # Errors
/// [`CampaignError::NotFound`], [`CampaignError::Conflict`], or the engine.
pub async fn delete(ctx: &Context, shop: &str, id: u64) -> Result<(), CampaignError> {
    ctx.engine.delete_campaign(shop, id).await??;
    Ok(())
}

/// The per-contact rules of a definition now: marketing when its template is MARKETING
/// (an unknown template is read as marketing, the stricter).
fn rules(ctx: &Context, def: &CampaignDefinition, template: Option<&Template>) -> Rules {
    Rules {
        marketing: template.is_none_or(|t| TemplateShape::of(t).marketing),
        smart_sending_ms: def.smart_sending_hours.map(|h| i64::from(h) * 3_600_000),
        cap: ctx.automations.global_marketing_cap,
        cap_window_ms: ctx.automations.global_marketing_window_ms(),
        now_ms: Timestamp::now().millis(),
    }
}

fn template_of(
    ctx: &Context,
    shop: &str,
    def: &CampaignDefinition,
) -> Result<Option<Template>, StoreError> {
    let t = &def.message.template;
    persist::template(ctx.engine.store(), shop, &t.name, &t.language)
}

async fn estimate_def(
    ctx: &Context,
    shop: &str,
    def: &CampaignDefinition,
) -> Result<Reach, CampaignError> {
    let template = template_of(ctx, shop, def)?;
    let req = AudienceRequest {
        audience: def.audience.clone(),
        rules: rules(ctx, def, template.as_ref()),
        local: None,
        keep: false,
    };
    Ok(ctx.engine.campaign_audience(shop, req).await??.reach)
}

/// The reach of a campaign now, with every exclusion reason counted: what a launch at
/// this moment would freeze.
///
/// # Errors
/// [`CampaignError::NotFound`], [`CampaignError::Audience`], or the engine.
pub async fn estimate(ctx: &Context, shop: &str, id: u64) -> Result<Reach, CampaignError> {
    let def = get(ctx, shop, id)?.definition;
    estimate_def(ctx, shop, &def).await
}

/// The reach of an unsaved definition (its audience and template), without saving it.
///
/// # Errors
/// [`CampaignError::Audience`], or the engine.
pub async fn estimate_draft(
    ctx: &Context,
    shop: &str,
    def: &CampaignDefinition,
) -> Result<Reach, CampaignError> {
    estimate_def(ctx, shop, def).await
}

/// What Meta says about the sending number now.
async fn number_facts(ctx: &Context, shop: &str, pnid: &str) -> NumberFacts {
    let token = match super::credentials::tenant(ctx, shop)
        .and_then(|t| super::credentials::token(ctx, &t))
    {
        Ok(t) => t,
        Err(e) => return NumberFacts::TokenRejected(e.to_string()),
    };
    let failed = |e: crate::integrations::meta::error::MetaError| {
        if classify(&e) == Action::TokenDead {
            NumberFacts::TokenRejected(e.to_string())
        } else {
            NumberFacts::Unknown(e.to_string())
        }
    };
    let availability = match ctx.meta.health_status(&token, pnid).await {
        Ok(h) => h.can_send_message,
        Err(e) => return failed(e),
    };
    match ctx.meta.quality_rating(&token, pnid).await {
        Ok(quality) => NumberFacts::Answered {
            availability,
            quality,
        },
        Err(e) => failed(e),
    }
}

/// Launches a campaign: the launch checks (each failing one named, nothing sent), then
/// the audience frozen and sending started (or scheduled for `send_at`; a local-time
/// campaign starts at once and each recipient waits for its own time).
///
/// # Errors
/// [`CampaignError::Refused`] with the failed checks, [`CampaignError::Conflict`] when
/// already launched, or the engine.
pub async fn launch(
    ctx: &Context,
    shop: &str,
    id: u64,
    confirm_low_quality: bool,
) -> Result<CampaignView, CampaignError> {
    let view = get(ctx, shop, id)?;
    if view.launched_at.is_some() {
        return Err(CampaignError::Conflict(format!(
            "campaign {id} was already launched ({})",
            view.status.as_str()
        )));
    }
    let def = view.definition;
    let store = ctx.engine.store();
    let tenant = store.tenant(shop)?;
    let numbers = tenant.map(|t| t.meta_phone_number_ids).unwrap_or_default();
    let pnid = def
        .phone_number_id
        .clone()
        .or_else(|| numbers.first().cloned())
        .unwrap_or_default();
    let template = template_of(ctx, shop, &def)?;
    let policy = crate::actors::automations::policy::load(store, shop)?;
    let local = def
        .send_at_local
        .as_deref()
        .and_then(parse_local)
        .map(|l| (l, policy.time_zone.clone()));
    let req = AudienceRequest {
        audience: def.audience.clone(),
        rules: rules(ctx, &def, template.as_ref()),
        local,
        keep: true,
    };
    let resolved = ctx.engine.campaign_audience(shop, req).await??;
    let usage = match super::billing::current_terms(ctx, shop)? {
        Some(t) => Some((super::billing::view(ctx, shop)?.used, t.included)),
        None => None,
    };
    let known = numbers.contains(&pnid);
    let number = if known {
        number_facts(ctx, shop, &pnid).await
    } else {
        NumberFacts::Unknown("no such number".into())
    };
    let t = &def.message.template;
    let facts = LaunchFacts {
        template: template.as_ref(),
        template_ref: (&t.name, &t.language),
        eligible: resolved.reach.eligible,
        usage,
        number_known: known,
        number,
        large_send: ctx.campaigns.large_send,
        confirmed_low_quality: confirm_low_quality,
    };
    let mut problems = launch_checks(&facts);
    for v in 1..def.variant_count() {
        let t = &def.variant(v).template;
        let ok = persist::template(store, shop, &t.name, &t.language)?
            .is_some_and(|t| t.status == crate::domain::whatsapp::TemplateStatus::Approved);
        if !ok {
            problems.push(LaunchProblem {
                code: "template_not_approved",
                message: format!(
                    "variant {}: template `{}` ({}) is missing or not APPROVED",
                    crate::logic::campaigns::ab::variant_name(v),
                    t.name,
                    t.language
                ),
            });
        }
    }
    if !problems.is_empty() {
        tracing::info!(message = "Campaign launch refused.", tenant = shop, campaign = id, checks = ?problems.iter().map(|p| p.code).collect::<Vec<_>>());
        return Err(CampaignError::Refused(problems));
    }
    let launch = Launch {
        id,
        recipients: resolved.recipients,
        start_at: def.send_at.unwrap_or_else(Timestamp::now),
        phone_number_id: pnid,
        confirmed_low_quality: confirm_low_quality,
    };
    let _run: CampaignRun = ctx.engine.launch_campaign(shop, launch).await??;
    get(ctx, shop, id)
}

/// Pauses, resumes or cancels a launched campaign.
///
/// # Errors
/// [`CampaignError::NotFound`], [`CampaignError::Conflict`], or the engine.
pub async fn control(
    ctx: &Context,
    shop: &str,
    id: u64,
    what: Control,
) -> Result<CampaignView, CampaignError> {
    ctx.engine.control_campaign(shop, id, what).await??;
    get(ctx, shop, id)
}
