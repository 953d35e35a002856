//! Campaign audiences, resolved where the contacts and the segment index live: the
//! included sets minus the excluded ones by bitmaps, then each remaining contact through
//! `logic::campaigns::classify` (exclusion flag, number, consent, smart sending, the
//! global marketing cap), counted by reason. The same function serves the estimate and
//! the freeze at launch, so an estimate is what a launch at that moment would send.
//! For a local-time campaign each recipient's due time is computed here (zone from the
//! contact's country and province, else the shop's) and the list is ordered by it.

use super::segments::SegmentsError;
use super::CustomersState;
use crate::domain::campaigns::{Audience, Recipient};
use crate::logic::campaigns::{classify, local_due_ms, Reach, Rules};
use crate::store::Kind;
use std::collections::HashMap;

/// What to resolve.
#[derive(Clone, Debug)]
pub struct AudienceRequest {
    /// The audience.
    pub audience: Audience,
    /// The per-contact rules (marketing, smart sending, cap, now).
    pub rules: Rules,
    /// A local-time send: the wall-clock time and the shop's zone.
    pub local: Option<(jiff::civil::DateTime, String)>,
    /// Keep the recipients (a launch) or only count them (an estimate).
    pub keep: bool,
}

/// The resolved audience.
#[derive(Clone, Debug, Default)]
pub struct Resolved {
    /// Recipients in send order (contact id, or due time then contact id); empty for an
    /// estimate.
    pub recipients: Vec<Recipient>,
    /// Counts.
    pub reach: Reach,
}

/// Resolves an audience (see the module docs).
///
/// # Errors
/// An unknown segment or list, or a store failure reading the marketing sends.
pub fn resolve(state: &CustomersState, req: &AudienceRequest) -> Result<Resolved, SegmentsError> {
    let rows = state.segments.audience(&req.audience)?;
    let mut reach = Reach {
        matched: rows.matched,
        duplicates: rows.duplicates,
        ..Reach::default()
    };
    if rows.excluded > 0 {
        let code = crate::logic::campaigns::Exclusion::ExcludedAudience.code();
        reach.excluded.insert(code.to_string(), rows.excluded);
    }
    let r = &req.rules;
    let recent: HashMap<u64, Vec<i64>> =
        if r.marketing && (r.smart_sending_ms.is_some() || r.cap > 0) {
            state
                .store
                .scan::<Vec<i64>>(&state.shop, Kind::MarketingSends)?
                .into_iter()
                .collect()
        } else {
            HashMap::new()
        };
    let mut out = Vec::with_capacity(if req.keep { rows.contacts.len() } else { 0 });
    for id in rows.contacts {
        let Some(c) = state.book.contact(id) else {
            continue;
        };
        let sent = recent.get(&id).map_or(&[][..], Vec::as_slice);
        match classify(c, sent, r) {
            Err(why) => reach.exclude(why),
            Ok(()) => {
                reach.eligible += 1;
                if req.keep {
                    out.push(Recipient {
                        contact: id,
                        due_ms: 0,
                    });
                }
            }
        }
    }
    if let Some((local, shop_zone)) = &req.local {
        for rec in &mut out {
            let country = state
                .book
                .contact(rec.contact)
                .and_then(|c| c.country)
                .map(|c| c.to_string());
            let province = state.store.contact_region(&state.shop, rec.contact)?;
            let zone = crate::logic::automations::quiet::zone_for(
                country.as_deref(),
                province.as_deref(),
                shop_zone,
            );
            rec.due_ms = local_due_ms(*local, zone);
        }
        out.sort_unstable_by_key(|r| (r.due_ms, r.contact));
    }
    Ok(Resolved {
        recipients: out,
        reach,
    })
}
