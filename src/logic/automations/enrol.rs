//! Enrolment, in the product's order: `exclude_from_galantis` and a WhatsApp number, then
//! consent (marketing templates need SUBSCRIBED; utility ones do not), then the flow's
//! frequency cap, then its exclusion segments and lists. Consent and exclusions are checked
//! again at send time ([`at_send`]); beyond the product, a global marketing cap per contact
//! across flows ([`within_global_cap`]).

use crate::domain::automations::FlowSettings;
use crate::domain::contact::{Contact, MarketingState};

/// Why a contact is not enrolled (or not sent to).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// `exclude_from_galantis`.
    #[error("the contact is excluded from Galantis")]
    Excluded,
    /// No WhatsApp number.
    #[error("the contact has no usable WhatsApp number")]
    NoPhone,
    /// A marketing flow and consent is not SUBSCRIBED.
    #[error("marketing consent is {0:?}, not SUBSCRIBED")]
    NoConsent(MarketingState),
    /// Entered this flow within the cap's window.
    #[error("frequency cap: already entered this flow within the cap's window")]
    FrequencyCap,
    /// In an excluded segment.
    #[error("in excluded segment {0}")]
    ExcludedSegment(u64),
    /// In an excluded list.
    #[error("in excluded list {0}")]
    ExcludedList(u64),
    /// Over the global marketing cap.
    #[error("global marketing cap: {0} marketing messages already in the window")]
    GlobalCap(usize),
}

impl Refusal {
    /// Stable code for logs and the activity log.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Excluded => "excluded_from_galantis",
            Self::NoPhone => "no_phone",
            Self::NoConsent(_) => "no_marketing_consent",
            Self::FrequencyCap => "frequency_cap",
            Self::ExcludedSegment(_) => "excluded_segment",
            Self::ExcludedList(_) => "excluded_list",
            Self::GlobalCap(_) => "global_marketing_cap",
        }
    }
}

/// Exclusion and consent: the checks made at enrolment and again before each send.
///
/// # Errors
/// The first [`Refusal`] in the product's order.
pub fn at_send(
    contact: &Contact,
    marketing: bool,
    settings: &FlowSettings,
    in_segment: &dyn Fn(u64) -> bool,
    in_list: &dyn Fn(u64) -> bool,
) -> Result<(), Refusal> {
    reachable(contact, marketing)?;
    exclusions(settings, in_segment, in_list)
}

/// Not excluded, a number, and consent when the message is marketing.
fn reachable(contact: &Contact, marketing: bool) -> Result<(), Refusal> {
    if contact.exclude_from_galantis {
        return Err(Refusal::Excluded);
    }
    if contact.phone.is_none() {
        return Err(Refusal::NoPhone);
    }
    if marketing && contact.marketing_state != MarketingState::Subscribed {
        return Err(Refusal::NoConsent(contact.marketing_state));
    }
    Ok(())
}

fn exclusions(
    settings: &FlowSettings,
    in_segment: &dyn Fn(u64) -> bool,
    in_list: &dyn Fn(u64) -> bool,
) -> Result<(), Refusal> {
    if let Some(s) = settings.exclude_segments.iter().find(|s| in_segment(**s)) {
        return Err(Refusal::ExcludedSegment(*s));
    }
    if let Some(l) = settings.exclude_lists.iter().find(|l| in_list(**l)) {
        return Err(Refusal::ExcludedList(*l));
    }
    Ok(())
}

/// What an enrolment decision looks up: the time, flow-time scaling of the cap's window
/// (as delays are scaled), and memberships.
pub struct Around<'a> {
    /// Now, ms.
    pub now_ms: i64,
    /// Flow time to real time.
    pub scale: &'a dyn Fn(i64) -> i64,
    /// Segment membership.
    pub in_segment: &'a dyn Fn(u64) -> bool,
    /// List membership.
    pub in_list: &'a dyn Fn(u64) -> bool,
}

/// The enrolment decision: exclusion and number → consent → frequency cap (given when the
/// contact last entered this flow) → exclusions.
///
/// # Errors
/// The first [`Refusal`] in that order.
pub fn decide(
    contact: &Contact,
    marketing: bool,
    settings: &FlowSettings,
    last_entered_ms: Option<i64>,
    around: &Around<'_>,
) -> Result<(), Refusal> {
    reachable(contact, marketing)?;
    if let (Some(last), Some(cap)) = (last_entered_ms, settings.frequency_cap) {
        let inside = match cap.window_ms() {
            None => true,
            Some(w) => around.now_ms - last < (around.scale)(w),
        };
        if inside {
            return Err(Refusal::FrequencyCap);
        }
    }
    exclusions(settings, around.in_segment, around.in_list)
}

/// Whether one more marketing message fits: fewer than `max` sent within `window_ms`
/// before `now_ms` (`max` 0: no cap).
///
/// # Errors
/// [`Refusal::GlobalCap`] with the count in the window.
pub fn within_global_cap(
    recent_ms: &[i64],
    max: usize,
    window_ms: i64,
    now_ms: i64,
) -> Result<(), Refusal> {
    if max == 0 {
        return Ok(());
    }
    let n = recent_ms
        .iter()
        .filter(|t| now_ms - **t < window_ms)
        .count();
    if n >= max {
        Err(Refusal::GlobalCap(n))
    } else {
        Ok(())
    }
}
