//! The tenant's automation policy: quiet hours (in each recipient's local time) and the
//! shop's time zone (for recipients whose country is unknown). Stored as its own record
//! (`Kind::Automations`, id 1) so the actor's status record keeps its shape.

use crate::logic::automations::quiet::QuietHours;
use crate::store::{Batch, Kind, Store, StoreError};
use serde::{Deserialize, Serialize};

/// The record id of the policy under `Kind::Automations`.
const POLICY_ID: u64 = 1;

/// Quiet hours and the shop's zone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutomationPolicy {
    /// Marketing messages due inside this window wait for its end; `None`: no quiet hours.
    pub quiet_hours: Option<QuietHours>,
    /// IANA zone of the shop (recipients without a known country).
    pub time_zone: String,
}

impl Default for AutomationPolicy {
    fn default() -> Self {
        Self {
            quiet_hours: None,
            time_zone: "UTC".into(),
        }
    }
}

/// The stored policy, or the default.
///
/// # Errors
/// When the store fails.
pub fn load(store: &Store, shop: &str) -> Result<AutomationPolicy, StoreError> {
    Ok(store
        .get(shop, Kind::Automations, POLICY_ID)?
        .unwrap_or_default())
}

/// Stores the policy.
///
/// # Errors
/// When the store fails.
pub fn save(store: &Store, shop: &str, policy: &AutomationPolicy) -> Result<(), StoreError> {
    let mut b = Batch::new();
    b.put(shop, Kind::Automations, POLICY_ID, policy)?;
    store.commit(b)
}
