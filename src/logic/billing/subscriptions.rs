//! App subscriptions, pure: what an `app_subscriptions/update` delivery says, how it
//! changes a tenant's subscriptions (deliveries can arrive out of order and are ordered
//! by Shopify's `updated_at`), and the terms a tenant is metered on.
//!
//! Rules: an update of the pending subscription that makes it ACTIVE puts it in force
//! (Shopify cancels the replaced one; its CANCELLED delivery, whenever it comes, no
//! longer touches the one in force); an update of the subscription in force applies
//! only when it is newer; an update of an unknown subscription becomes the pending one
//! unless it is ACTIVE (then it is in force) — or older than what it would replace.
//!
//! A subscription the app creates enters the same way: `services::billing` journals the
//! created subscription as an `app_subscriptions/update` delivery carrying two fields of
//! ours (`galantis_trial_days`, `galantis_confirmation_url`; Shopify never sends them),
//! so the tenant actor stays the only writer of the record.

use crate::domain::billing::{Subscription, SubscriptionStatus, Subscriptions};
use crate::domain::Timestamp;
use serde::Deserialize;

/// Why a delivery is not a usable subscription update.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UpdateError {
    /// Not the documented shape.
    #[error("app_subscriptions/update payload does not parse: {0}")]
    Malformed(String),
    /// A field is missing or wrong.
    #[error("app_subscriptions/update: {0}")]
    Invalid(&'static str),
}

#[derive(Deserialize)]
struct Body {
    app_subscription: Dto,
}

#[derive(Deserialize)]
struct Dto {
    admin_graphql_api_id: Option<String>,
    name: Option<String>,
    status: Option<String>,
    updated_at: Option<String>,
    created_at: Option<String>,
    galantis_trial_days: Option<u32>,
    galantis_confirmation_url: Option<String>,
}

/// What one delivery says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Update {
    /// The subscription's gid.
    pub id: String,
    /// Its name (our plan's name).
    pub plan: String,
    /// Its status.
    pub status: SubscriptionStatus,
    /// Shopify's `updated_at` (else `created_at`).
    pub updated_at: Timestamp,
    /// Free days (only in the delivery the app makes when it creates a subscription).
    pub trial_days: Option<u32>,
    /// The approval URL (idem).
    pub confirmation_url: Option<String>,
}

/// Parses an `app_subscriptions/update` body.
///
/// # Errors
/// [`UpdateError`].
pub fn parse(body: &[u8]) -> Result<Update, UpdateError> {
    let b: Body =
        serde_json::from_slice(body).map_err(|e| UpdateError::Malformed(e.to_string()))?;
    let d = b.app_subscription;
    let id = d
        .admin_graphql_api_id
        .filter(|g| g.starts_with("gid://shopify/AppSubscription/"))
        .ok_or(UpdateError::Invalid(
            "admin_graphql_api_id is not an AppSubscription gid",
        ))?;
    let status = d
        .status
        .as_deref()
        .and_then(SubscriptionStatus::parse)
        .ok_or(UpdateError::Invalid("status is missing or unknown"))?;
    let updated_at = d
        .updated_at
        .or(d.created_at)
        .as_deref()
        .and_then(Timestamp::parse)
        .ok_or(UpdateError::Invalid("updated_at is missing or not a time"))?;
    Ok(Update {
        id,
        plan: d.name.unwrap_or_default(),
        status,
        updated_at,
        trial_days: d.galantis_trial_days,
        confirmation_url: d.galantis_confirmation_url,
    })
}

fn updated(old: &Subscription, u: &Update) -> Subscription {
    let activated =
        u.status == SubscriptionStatus::Active && old.status != SubscriptionStatus::Active;
    let trial_ends = if activated && old.trial_days > 0 {
        Some(Timestamp(
            u.updated_at.millis() + i64::from(old.trial_days) * 86_400_000,
        ))
    } else {
        old.trial_ends
    };
    Subscription {
        trial_ends,
        status: u.status,
        updated_at: u.updated_at,
        plan: if u.plan.is_empty() {
            old.plan.clone()
        } else {
            u.plan.clone()
        },
        confirmation_url: if u.status == SubscriptionStatus::Pending {
            u.confirmation_url
                .clone()
                .or_else(|| old.confirmation_url.clone())
        } else {
            None
        },
        ..old.clone()
    }
}

fn fresh(u: &Update) -> Subscription {
    Subscription {
        id: u.id.clone(),
        plan: u.plan.clone(),
        status: u.status,
        updated_at: u.updated_at,
        trial_days: u.trial_days.unwrap_or(0),
        trial_ends: None,
        confirmation_url: u.confirmation_url.clone(),
    }
}

/// Applies `u`; whether anything changed (a stale or repeated delivery changes nothing).
pub fn apply(subs: &mut Subscriptions, u: &Update) -> bool {
    let is_current = subs.current.as_ref().is_some_and(|c| c.id == u.id);
    let is_pending = subs.pending.as_ref().is_some_and(|p| p.id == u.id);
    if is_current {
        let Some(c) = subs.current.as_mut() else {
            return false;
        };
        if u.updated_at <= c.updated_at {
            return false;
        }
        *c = updated(c, u);
        return true;
    }
    let base = if is_pending {
        subs.pending.clone()
    } else {
        None
    };
    if let Some(p) = &base {
        if u.updated_at <= p.updated_at {
            return false;
        }
    }
    let next = base.map_or_else(|| fresh(u), |p| updated(&p, u));
    if u.status == SubscriptionStatus::Active {
        if subs
            .current
            .as_ref()
            .is_some_and(|c| c.status == SubscriptionStatus::Active && c.updated_at > u.updated_at)
        {
            return false;
        }
        subs.current = Some(next);
        if is_pending {
            subs.pending = None;
        }
        return true;
    }
    if !is_pending
        && !matches!(
            u.status,
            SubscriptionStatus::Pending
                | SubscriptionStatus::Declined
                | SubscriptionStatus::Expired
        )
    {
        // A cancelled or frozen subscription that is neither in force nor pending.
        return false;
    }
    if !is_pending
        && subs
            .pending
            .as_ref()
            .is_some_and(|p| p.updated_at > u.updated_at)
    {
        return false;
    }
    subs.pending = Some(next);
    true
}

/// What a tenant is metered on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Terms {
    /// The plan's name.
    pub plan: String,
    /// Conversations included this month.
    pub included: u64,
    /// In its free trial (the trial's conversations apply).
    pub trial: bool,
}

/// The terms now: the plan of the ACTIVE subscription (its trial's conversations while
/// the trial lasts) when `included_of` knows it, else `default` — the plan of tenants
/// that have not subscribed (a FROZEN or CANCELLED subscription falls back to it too).
pub fn terms(
    subs: &Subscriptions,
    default: (&str, u64),
    included_of: impl Fn(&str) -> Option<u64>,
    trial_conversations: u64,
    now: Timestamp,
) -> Terms {
    if let Some(c) = subs
        .current
        .as_ref()
        .filter(|c| c.status == SubscriptionStatus::Active)
    {
        if let Some(included) = included_of(&c.plan) {
            let trial = c.trial_ends.is_some_and(|t| now < t);
            return Terms {
                plan: c.plan.clone(),
                included: if trial { trial_conversations } else { included },
                trial,
            };
        }
    }
    Terms {
        plan: default.0.to_string(),
        included: default.1,
        trial: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up(id: u64, status: &str, at: i64) -> Update {
        Update {
            id: format!("gid://shopify/AppSubscription/{id}"),
            plan: format!("Plan{id}"),
            status: SubscriptionStatus::parse(status).expect("status"),
            updated_at: Timestamp(at),
            trial_days: None,
            confirmation_url: None,
        }
    }

    #[test]
    fn the_fixture_parses_and_bad_bodies_are_named() {
        let body = br#"{"app_subscription":{"admin_graphql_api_id":"gid://shopify/AppSubscription/1029266952",
            "name":"Webhook Test","status":"PENDING","created_at":"2021-12-31T19:00:00-05:00",
            "updated_at":"2021-12-31T19:00:00-05:00"}}"#;
        let u = parse(body).expect("update");
        assert_eq!(
            (u.plan.as_str(), u.status),
            ("Webhook Test", SubscriptionStatus::Pending)
        );
        assert!(matches!(parse(b"{"), Err(UpdateError::Malformed(_))));
        assert_eq!(
            parse(br#"{"app_subscription":{"admin_graphql_api_id":"gid://shopify/Order/1","status":"ACTIVE","updated_at":"2021-12-31T19:00:00Z"}}"#),
            Err(UpdateError::Invalid("admin_graphql_api_id is not an AppSubscription gid"))
        );
    }

    #[test]
    fn an_upgrade_lands_whatever_the_order_of_its_deliveries() {
        // A (Growth) is active; B is created pending; approving B cancels A.
        let a_active = up(1, "ACTIVE", 10);
        let b_pending = up(2, "PENDING", 20);
        let b_active = up(2, "ACTIVE", 30);
        let a_cancelled = up(1, "CANCELLED", 30);
        for order in [
            vec![&a_active, &b_pending, &b_active, &a_cancelled],
            vec![&a_active, &b_pending, &a_cancelled, &b_active],
            vec![&a_active, &a_cancelled, &b_active, &b_pending],
            vec![&b_active, &a_cancelled, &b_pending, &a_active],
        ] {
            let mut s = Subscriptions::default();
            for u in order {
                apply(&mut s, u);
            }
            let c = s.current.expect("current");
            assert_eq!(
                (c.id.as_str(), c.status),
                (
                    "gid://shopify/AppSubscription/2",
                    SubscriptionStatus::Active
                )
            );
        }
    }

    #[test]
    fn stale_and_repeated_deliveries_change_nothing_and_a_decline_keeps_the_plan() {
        let mut s = Subscriptions::default();
        assert!(apply(&mut s, &up(1, "ACTIVE", 10)));
        assert!(!apply(&mut s, &up(1, "ACTIVE", 10)));
        assert!(!apply(&mut s, &up(1, "PENDING", 5)));
        assert!(apply(&mut s, &up(2, "PENDING", 20)));
        assert!(apply(&mut s, &up(2, "DECLINED", 25)));
        assert_eq!(
            s.current.as_ref().map(|c| c.status),
            Some(SubscriptionStatus::Active)
        );
        assert_eq!(
            s.pending.as_ref().map(|p| p.status),
            Some(SubscriptionStatus::Declined)
        );
        assert!(apply(&mut s, &up(1, "FROZEN", 40)));
        assert_eq!(
            s.current.as_ref().map(|c| c.status),
            Some(SubscriptionStatus::Frozen)
        );
    }

    #[test]
    fn the_trial_starts_when_the_merchant_approves() {
        let mut s = Subscriptions::default();
        let mut p = fresh(&up(3, "PENDING", 1_000));
        p.trial_days = 7;
        s.pending = Some(p);
        assert!(apply(&mut s, &up(3, "ACTIVE", 5_000)));
        let c = s.current.expect("current");
        assert_eq!(c.trial_ends, Some(Timestamp(5_000 + 7 * 86_400_000)));
    }

    #[test]
    fn terms_follow_the_active_plan_its_trial_and_fall_back_to_the_default() {
        let plans = |n: &str| match n {
            "Growth" => Some(250),
            _ => None,
        };
        let mut s = Subscriptions::default();
        let t = terms(&s, ("Starter", 50), plans, 10, Timestamp(100));
        assert_eq!(
            (t.plan.as_str(), t.included, t.trial),
            ("Starter", 50, false)
        );
        let mut g = fresh(&up(1, "ACTIVE", 10));
        g.plan = "Growth".into();
        g.trial_ends = Some(Timestamp(200));
        s.current = Some(g);
        let t = terms(&s, ("Starter", 50), plans, 10, Timestamp(100));
        assert_eq!((t.plan.as_str(), t.included, t.trial), ("Growth", 10, true));
        let t = terms(&s, ("Starter", 50), plans, 10, Timestamp(300));
        assert_eq!((t.included, t.trial), (250, false));
        if let Some(c) = s.current.as_mut() {
            c.status = SubscriptionStatus::Frozen;
        }
        assert_eq!(
            terms(&s, ("Starter", 50), plans, 10, Timestamp(300)).plan,
            "Starter"
        );
    }
}
