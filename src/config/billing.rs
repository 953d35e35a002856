//! The `[billing]` section: the plans and how usage is metered and enforced.

use serde::{Deserialize, Serialize};

/// A plan: how many conversations (delivered template messages) a month it includes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanSettings {
    /// `Starter` …
    pub name: String,
    /// US dollars a month.
    pub price_usd: u32,
    /// Conversations included per calendar month.
    pub conversations: u64,
}

/// Billing: usage metering and its guardrails. Off by default (an operator turns it on
/// with the plans the app is listed with): then every tenant is on `plan`, each template
/// message counts once when Meta reports it delivered, warnings are recorded at 80 % and
/// 90 %, and at 100 % marketing sends are refused until the next month or an upgrade
/// (utility messages and the inbox keep working).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BillingSettings {
    /// Meter and enforce.
    pub enabled: bool,
    /// The plan of tenants without an active app subscription.
    pub plan: String,
    /// The plans (galantis-features.md §1.11).
    pub plans: Vec<PlanSettings>,
    /// Free days of a new subscription (Shopify's `trialDays`).
    pub trial_days: u32,
    /// Conversations a month during the trial (galantis-features §1.11: 10).
    pub trial_conversations: u64,
    /// Create test charges (development stores: nobody pays).
    pub test_charges: bool,
}

impl Default for BillingSettings {
    fn default() -> Self {
        let plan = |name: &str, price_usd, conversations| PlanSettings {
            name: name.into(),
            price_usd,
            conversations,
        };
        Self {
            enabled: false,
            plan: "Starter".into(),
            plans: vec![
                plan("Starter", 39, 50),
                plan("Growth", 79, 250),
                plan("Scale", 179, 1_000),
                plan("Enterprise", 399, 2_000),
            ],
            trial_days: 7,
            trial_conversations: 10,
            test_charges: false,
        }
    }
}

impl BillingSettings {
    /// The tenants' plan (`None` when billing is off or the name is not a plan).
    pub fn current(&self) -> Option<&PlanSettings> {
        if !self.enabled {
            return None;
        }
        self.plans.iter().find(|p| p.name == self.plan)
    }

    /// The plan named `name`.
    pub fn plan_named(&self, name: &str) -> Option<&PlanSettings> {
        self.plans.iter().find(|p| p.name == name)
    }
}
