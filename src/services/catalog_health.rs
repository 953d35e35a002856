//! The catalog's health (issue #12 point 4): the view (variants by status, success rate,
//! errors by type, last successful push, a hold with its cause, the token and WABA link
//! as last checked) folded from the pusher's records, and the check itself
//! (`debug_token` of the catalog token, the WABA's connected catalog). Never silent: a
//! hold is red with Meta's words, failed items are yellow with their most common cause.

use super::catalog::CatalogLink;
use super::Context;
use crate::domain::catalog_sync::{
    CatalogCheck, CatalogHealthView, HoldView, PushOutcome, SyncCounts,
};
use crate::domain::whatsapp::HealthState;
use crate::domain::Timestamp;
use crate::store::{Batch, Kind, StoreError};

/// The catalog's health, or `None` when no catalog is connected.
///
/// # Errors
/// When the store fails.
pub fn view(ctx: &Context, shop: &str) -> Result<Option<CatalogHealthView>, StoreError> {
    let store = ctx.engine.store();
    let Some(link) = store.get::<CatalogLink>(shop, Kind::CatalogLink, 0)? else {
        return Ok(None);
    };
    let h = store.push_health(shop)?;
    let check: CatalogCheck = store.get(shop, Kind::CatalogCheck, 0)?.unwrap_or_default();
    let mut counts = SyncCounts {
        pending_products: store.queued_push_count(shop)?,
        ..SyncCounts::default()
    };
    store.each_item_sync(shop, |_, _, s| match s.outcome {
        PushOutcome::Synced => counts.synced += 1,
        PushOutcome::Failed => counts.failed += 1,
    })?;
    let now = Timestamp::now().millis();
    let mut details = Vec::new();
    let mut state = HealthState::Green;
    let worse = |s: HealthState, state: &mut HealthState| {
        let rank = |s: HealthState| match s {
            HealthState::Green | HealthState::Unknown => 0,
            HealthState::Yellow => 1,
            HealthState::Red => 2,
        };
        if rank(s) > rank(*state) {
            *state = s;
        }
    };
    if let Some(hold) = &h.hold {
        worse(HealthState::Red, &mut state);
        details.push(format!(
            "the catalog queue is held: Meta refused the catalog token (code {}): {}; connect the catalog again with a new token (PUT /api/v1/catalog)",
            hold.code, hold.cause
        ));
    }
    if check.token_valid == Some(false) {
        worse(HealthState::Red, &mut state);
        details.push(format!(
            "the catalog token is not valid: {}",
            check
                .token_problem
                .as_deref()
                .unwrap_or("debug_token says so")
        ));
    }
    if check.linked == Some(false) {
        worse(HealthState::Red, &mut state);
        details.push(format!(
            "catalog {} is not the one connected to the WhatsApp Business Account: product messages cannot show it",
            link.catalog_id
        ));
    }
    if counts.failed > 0 {
        worse(HealthState::Yellow, &mut state);
        let top = h
            .errors
            .iter()
            .filter(|(k, _)| !k.starts_with("call:"))
            .max_by_key(|(_, n)| **n)
            .map(|(k, n)| format!("; most common: {k} ({n})"))
            .unwrap_or_default();
        details.push(format!("{} variants FAILED{top}", counts.failed));
    }
    if h.retry_after_ms > now && h.hold.is_none() {
        worse(HealthState::Yellow, &mut state);
        let why = h
            .last_error
            .as_ref()
            .map(|(c, t)| format!("code {c}: {t}"))
            .unwrap_or_else(|| "the hourly call budget is spent".into());
        details.push(format!(
            "pushing waits until {} ({why})",
            Timestamp(h.retry_after_ms)
        ));
    }
    let total = h.accepted + h.refused;
    Ok(Some(CatalogHealthView {
        state,
        catalog_id: link.catalog_id.clone(),
        token: match check.token_valid {
            Some(true) if h.hold.is_none() => "valid",
            Some(false) => "invalid",
            _ if h.hold.as_ref().is_some_and(|x| x.code == 190) => "invalid",
            _ => "unknown",
        }
        .into(),
        linked_to_waba: check.linked,
        counts,
        success_rate: (total > 0).then(|| h.accepted as f64 / total as f64),
        errors: h.errors.clone(),
        last_success_at: h.last_success_ms.map(Timestamp),
        last_error: h.last_error.as_ref().map(|(c, t)| format!("code {c}: {t}")),
        held: h.hold.as_ref().map(|x| HoldView {
            code: x.code,
            cause: x.cause.clone(),
            since: Timestamp(x.since_ms),
        }),
        retry_after: (h.retry_after_ms > now).then_some(Timestamp(h.retry_after_ms)),
        calls_this_hour: if h.hour == now.div_euclid(3_600_000) {
            h.calls_in_hour
        } else {
            0
        },
        calls: h.calls,
        details,
        checked_at: (check.at_ms > 0).then_some(Timestamp(check.at_ms)),
    }))
}

/// Checks the catalog token (`debug_token`) and the WABA's connected catalog now, and
/// stores the result. Nothing when no catalog is connected.
///
/// # Errors
/// When the store fails (Meta's failures are part of the result).
pub async fn check(ctx: &Context, shop: &str) -> Result<(), StoreError> {
    let store = ctx.engine.store();
    let Some(link) = store.get::<CatalogLink>(shop, Kind::CatalogLink, 0)? else {
        return Ok(());
    };
    let Ok(token) = ctx
        .master_key
        .open(
            &crate::secrets::seal_context(shop, "meta_catalog_token"),
            &link.token,
        )
        .map(|t| String::from_utf8_lossy(&t).into_owned())
    else {
        return Ok(());
    };
    let mut c = CatalogCheck {
        at_ms: Timestamp::now().millis(),
        ..CatalogCheck::default()
    };
    let app_token = ctx
        .meta_app_id
        .as_ref()
        .map(|id| format!("{id}|{}", ctx.meta_app_secret))
        .unwrap_or_else(|| token.clone());
    match ctx.meta.debug_token(&app_token, &token).await {
        Ok(info) => {
            c.token_valid = Some(info.is_valid);
            if !info.is_valid {
                c.token_problem = Some(
                    info.error
                        .map(|e| e.message)
                        .unwrap_or_else(|| "expired or revoked".into()),
                );
            }
        }
        Err(e) if e.code() == Some(190) => {
            c.token_valid = Some(false);
            c.token_problem = Some(e.to_string());
        }
        Err(e) => c.token_problem = Some(format!("debug_token failed: {e}")),
    }
    if let Ok(t) = super::credentials::tenant(ctx, shop) {
        if let Some(waba) = t.meta_waba_id {
            match ctx.meta.connected_catalogs(&token, &waba).await {
                Ok(list) => c.linked = Some(list.iter().any(|x| x.id == link.catalog_id)),
                Err(e) => c.link_problem = Some(e.to_string()),
            }
        }
    }
    let mut b = Batch::new();
    b.put(shop, Kind::CatalogCheck, 0, &c)?;
    store.commit(b)?;
    Ok(())
}
