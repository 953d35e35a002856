//! A tenant's app subscriptions (its Shopify-billed plan), as stored: the one in force
//! and the one waiting for the merchant's approval.

use super::Timestamp;
use serde::{Deserialize, Serialize};

/// `AppSubscriptionStatus` (2026-04; `ACCEPTED` is deprecated and read as ACTIVE).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = AppSubscriptionStatus)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SubscriptionStatus {
    /// Created, waiting for the merchant to approve it.
    Pending,
    /// Approved and billed.
    Active,
    /// The merchant declined it.
    Declined,
    /// Not approved within two days.
    Expired,
    /// On hold for non-payment.
    Frozen,
    /// Cancelled (by the app, a replacement or an uninstall).
    Cancelled,
}

impl SubscriptionStatus {
    /// Parses Shopify's spelling (any case); `None` for an unknown status.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_uppercase().as_str() {
            "PENDING" => Self::Pending,
            "ACTIVE" | "ACCEPTED" => Self::Active,
            "DECLINED" => Self::Declined,
            "EXPIRED" => Self::Expired,
            "FROZEN" => Self::Frozen,
            "CANCELLED" => Self::Cancelled,
            _ => return None,
        })
    }
}

/// One app subscription (named `AppSubscription` in the OpenAPI document, apart from the
/// back-in-stock subscriptions).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = AppSubscription)]
pub struct Subscription {
    /// `gid://shopify/AppSubscription/…`.
    pub id: String,
    /// The plan's name (the subscription's `name`).
    pub plan: String,
    /// Where it is.
    pub status: SubscriptionStatus,
    /// Shopify's `updated_at` of the newest version applied (orders the deliveries).
    pub updated_at: Timestamp,
    /// Free days it was created with (the trial starts when the merchant approves).
    pub trial_days: u32,
    /// The end of its free trial, once approved with one.
    pub trial_ends: Option<Timestamp>,
    /// Where the merchant approves it (while pending).
    pub confirmation_url: Option<String>,
}

/// A tenant's subscriptions: the one in force (ACTIVE, or the last one that was) and
/// the one created and not yet approved.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = AppSubscriptions)]
pub struct Subscriptions {
    /// The subscription in force, or the last one that was.
    pub current: Option<Subscription>,
    /// Created, waiting for approval (or declined / expired: shown until the next one).
    pub pending: Option<Subscription>,
}
