//! Campaign rules, pure: who of the audience may receive the message and why not
//! ([`classify`], counted in a [`Reach`]), what a definition must satisfy
//! ([`check_definition`]), the launch checks ([`launch_checks`]), when a local-time send
//! is due for a recipient ([`local_due_ms`]) and the status a finished campaign ends in
//! ([`final_status`]). No store, no clock, no actor.

pub mod ab;
mod broadcast;
pub mod checks;

pub use checks::{launch_checks, LaunchFacts, LaunchProblem, NumberFacts};

use crate::domain::campaigns::{CampaignDefinition, CampaignStatus};
use crate::domain::contact::{Contact, MarketingState};
use crate::domain::whatsapp::Template;
use crate::logic::automations::validate::FlowProblem;
pub use broadcast::validate_broadcast;
use serde::Serialize;
use std::collections::BTreeMap;

/// Why a contact of the audience is not sent to, in the order they are checked: the
/// first that applies is the one counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exclusion {
    /// In an excluded segment or list (exclusions win over inclusions).
    ExcludedAudience,
    /// `exclude_from_galantis`.
    ExcludedFromGalantis,
    /// No usable WhatsApp number.
    NoPhone,
    /// A marketing template and consent is not SUBSCRIBED.
    NoConsent,
    /// Smart sending: got a marketing message within the window.
    SmartSending,
    /// Over the global marketing cap.
    MarketingCap,
}

impl Exclusion {
    /// The stable code shown in estimates and progress.
    pub fn code(self) -> &'static str {
        match self {
            Self::ExcludedAudience => "excluded_segment_or_list",
            Self::ExcludedFromGalantis => "excluded_from_galantis",
            Self::NoPhone => "no_phone",
            Self::NoConsent => "no_marketing_consent",
            Self::SmartSending => "smart_sending",
            Self::MarketingCap => "marketing_cap",
        }
    }
}

/// What the per-contact checks need besides the contact.
#[derive(Clone, Copy, Debug)]
pub struct Rules {
    /// The template is MARKETING (consent and caps apply).
    pub marketing: bool,
    /// Smart sending window, ms (`None`: off).
    pub smart_sending_ms: Option<i64>,
    /// Global marketing cap: at most this many in `cap_window_ms` (0: no cap).
    pub cap: usize,
    /// The cap's window, ms.
    pub cap_window_ms: i64,
    /// Now, ms.
    pub now_ms: i64,
}

/// The per-contact checks of a campaign (after the audience's own exclusions):
/// `exclude_from_galantis`, a number, consent for marketing, smart sending, the global
/// marketing cap. `recent` are the contact's recent marketing sends (ms).
///
/// # Errors
/// The first [`Exclusion`] that applies.
pub fn classify(contact: &Contact, recent: &[i64], r: &Rules) -> Result<(), Exclusion> {
    if contact.exclude_from_galantis {
        return Err(Exclusion::ExcludedFromGalantis);
    }
    if contact.phone.is_none() {
        return Err(Exclusion::NoPhone);
    }
    if !r.marketing {
        return Ok(());
    }
    if contact.marketing_state != MarketingState::Subscribed {
        return Err(Exclusion::NoConsent);
    }
    if let Some(w) = r.smart_sending_ms {
        if recent.iter().any(|t| r.now_ms - t < w) {
            return Err(Exclusion::SmartSending);
        }
    }
    if r.cap > 0 {
        let n = recent
            .iter()
            .filter(|t| r.now_ms - **t < r.cap_window_ms)
            .count();
        if n >= r.cap {
            return Err(Exclusion::MarketingCap);
        }
    }
    Ok(())
}

/// A campaign's reach: who matched, who is left, and why the others are not.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = CampaignReach)]
pub struct Reach {
    /// Contacts in at least one included segment or list.
    pub matched: u64,
    /// Memberships beyond the first (a contact in two included sets counts once).
    pub duplicates: u64,
    /// Contacts who will receive the message.
    pub eligible: u64,
    /// Contacts left out, by reason (`excluded_segment_or_list`, `excluded_from_galantis`,
    /// `no_phone`, `no_marketing_consent`, `smart_sending`, `marketing_cap`); each
    /// contact under the first reason that applies.
    pub excluded: BTreeMap<String, u64>,
}

impl Reach {
    /// Counts one left-out contact.
    pub fn exclude(&mut self, why: Exclusion) {
        *self.excluded.entry(why.code().to_string()).or_default() += 1;
    }
}

/// Every problem of a definition against the shop's templates (empty: it may be saved).
pub fn check_definition(d: &CampaignDefinition, templates: &[Template]) -> Vec<FlowProblem> {
    let mut out = validate_broadcast(&d.message, templates);
    let p = |code, message: String| FlowProblem {
        node: None,
        code,
        message,
    };
    let n = d.name.trim().chars().count();
    if n == 0 || n > 120 {
        out.push(p(
            "bad_name",
            format!("name must be 1 to 120 characters (it has {n})"),
        ));
    }
    let a = &d.audience;
    if a.include_segments.is_empty() && a.include_lists.is_empty() {
        out.push(p(
            "empty_audience",
            "audience: include at least one segment or list".into(),
        ));
    }
    if d.send_at.is_some() && d.send_at_local.is_some() {
        out.push(p(
            "bad_schedule",
            "give at most one of send_at and send_at_local".into(),
        ));
    }
    if let Some(l) = &d.send_at_local {
        if parse_local(l).is_none() {
            out.push(p(
                "bad_schedule",
                format!("send_at_local `{l}` is not a local date and time like 2026-12-24T10:00"),
            ));
        }
    }
    if let Some(ab) = &d.ab {
        check_ab(d, ab, templates, &mut out);
    }
    if let Some(h) = d.smart_sending_hours {
        if h == 0 || h > 720 {
            out.push(p(
                "bad_smart_sending",
                format!("smart_sending_hours must be 1 to 720 (it is {h})"),
            ));
        }
    }
    out
}

fn check_ab(
    d: &CampaignDefinition,
    ab: &crate::domain::campaigns::AbDefinition,
    templates: &[Template],
    out: &mut Vec<FlowProblem>,
) {
    let p = |code, message: String| FlowProblem {
        node: None,
        code,
        message,
    };
    if ab.variants.is_empty() || ab.variants.len() > 7 {
        out.push(p(
            "bad_ab",
            format!(
                "ab.variants must hold 1 to 7 variants besides `message` (it has {})",
                ab.variants.len()
            ),
        ));
    }
    if !(1..=100).contains(&ab.sample_percent) {
        out.push(p(
            "bad_ab",
            format!(
                "ab.sample_percent must be 1 to 100 (it is {})",
                ab.sample_percent
            ),
        ));
    }
    if d.send_at_local.is_some() {
        out.push(p(
            "bad_ab",
            "an A/B test cannot send at each recipient's local time (the winner needs one sample first)".into(),
        ));
    }
    for (i, v) in ab.variants.iter().enumerate() {
        let name = ab::variant_name(u8::try_from(i + 1).unwrap_or(u8::MAX));
        for mut problem in validate_broadcast(v, templates) {
            problem.node = Some(format!("ab.variants[{i}]"));
            problem.message = format!("variant {name}: {}", problem.message);
            out.push(problem);
        }
    }
}

/// A local wall-clock time (`2026-12-24T10:00`, seconds optional).
pub fn parse_local(s: &str) -> Option<jiff::civil::DateTime> {
    s.parse::<jiff::civil::DateTime>().ok()
}

/// When a local-time send is due for a recipient in `zone` (ms since the epoch); an
/// unknown zone is read as UTC.
pub fn local_due_ms(local: jiff::civil::DateTime, zone: &str) -> i64 {
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    local
        .to_zoned(tz)
        .map(|z| z.timestamp().as_millisecond())
        .unwrap_or(0)
}

/// How a campaign ends once every recipient was handed on and no message of it is
/// waiting: SENT when none failed, FAILED when none went (and some failed),
/// PARTIALLY_SENT otherwise. A campaign whose recipients were all skipped is SENT (there
/// was nothing to fail).
pub fn final_status(sent: u64, failed: u64) -> CampaignStatus {
    match (sent, failed) {
        (_, 0) => CampaignStatus::Sent,
        (0, _) => CampaignStatus::Failed,
        _ => CampaignStatus::PartiallySent,
    }
}

#[cfg(test)]
mod tests;
