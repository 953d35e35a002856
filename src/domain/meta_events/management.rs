//! Management events: template status, phone number quality, account updates.

use super::*;

wire_enum! {
    /// `message_template_status_update` events.
    TemplateEvent, other = Other {
        /// Approved; usable.
        Approved = "APPROVED",
        /// Rejected at review.
        Rejected = "REJECTED",
        /// In review.
        Pending = "PENDING",
        /// Paused for low quality.
        Paused = "PAUSED",
        /// Disabled for low quality.
        Disabled = "DISABLED",
        /// Flagged for low quality.
        Flagged = "FLAGGED",
        /// Reinstated after a pause or flag.
        Reinstated = "REINSTATED",
        /// Under appeal.
        InAppeal = "IN_APPEAL",
        /// Template limit reached.
        LimitExceeded = "LIMIT_EXCEEDED",
        /// Locked (cannot be edited).
        Locked = "LOCKED",
        /// Archived.
        Archived = "ARCHIVED",
        /// Unarchived.
        Unarchived = "UNARCHIVED",
        /// Deleted.
        Deleted = "DELETED",
        /// Scheduled for deletion.
        PendingDeletion = "PENDING_DELETION",
    }
}

/// A template's review or quality status changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateStatusUpdate {
    /// The WABA id (`entry[].id`).
    pub waba_id: String,
    /// `entry[].time`.
    pub entry_time: Option<Timestamp>,
    /// What happened.
    pub event: TemplateEvent,
    /// The template id (a JSON number in the payload, kept as its digits).
    pub message_template_id: String,
    /// The template name.
    pub message_template_name: String,
    /// The template language (`en_US`, `en-US`, `en` …).
    pub message_template_language: String,
    /// `reason` verbatim (`NONE`, `INVALID_FORMAT`, `PROMOTIONAL` …); `None` when null.
    pub reason: Option<String>,
    /// `message_template_category` (`UTILITY`, `MARKETING` …).
    pub category: Option<String>,
    /// `rejection_info` (reason and recommendation, on rejections).
    pub rejection_info: Option<TemplateInfo>,
    /// `other_info` (`title` such as `FIRST_PAUSE`, and a description, on pauses).
    pub other_info: Option<TemplateInfo>,
    /// See [`MetaEvent::dedupe_key`].
    pub fingerprint: String,
}

/// A two-part explanation attached to a template status (`rejection_info` is
/// `{reason, recommendation}`, `other_info` is `{title, description}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateInfo {
    /// `reason` or `title`.
    pub title: Option<String>,
    /// `recommendation` or `description`.
    pub detail: Option<String>,
}

wire_enum! {
    /// `phone_number_quality_update` events.
    QualityEvent, other = Other {
        /// Quality dropped; the limit may go down.
        Flagged = "FLAGGED",
        /// Quality recovered.
        Unflagged = "UNFLAGGED",
        /// The messaging limit went down.
        Downgrade = "DOWNGRADE",
        /// The messaging limit went up.
        Upgrade = "UPGRADE",
        /// The throughput went up.
        ThroughputUpgrade = "THROUGHPUT_UPGRADE",
        /// The number is being onboarded.
        Onboarding = "ONBOARDING",
    }
}

/// A phone number's quality rating or messaging limit changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneNumberQualityUpdate {
    /// The WABA id (`entry[].id`).
    pub waba_id: String,
    /// `entry[].time`.
    pub entry_time: Option<Timestamp>,
    /// The business number as digits (there is no phone number id in this webhook).
    pub display_phone_number: String,
    /// What happened.
    pub event: QualityEvent,
    /// `current_limit` (`TIER_1K`, `TIER_UNLIMITED` …; removed by Meta in Feb 2026).
    pub current_limit: Option<String>,
    /// `old_limit` (removed by Meta in Feb 2026).
    pub old_limit: Option<String>,
    /// `max_daily_conversations_per_business`, as text.
    pub max_daily_conversations_per_business: Option<String>,
    /// See [`MetaEvent::dedupe_key`].
    pub fingerprint: String,
}

wire_enum! {
    /// `account_update` events.
    AccountEvent, other = Other {
        /// A policy violation (`violation_info`).
        AccountViolation = "ACCOUNT_VIOLATION",
        /// Capabilities restricted (`restriction_info`).
        AccountRestriction = "ACCOUNT_RESTRICTION",
        /// The WABA was disabled, reinstated or scheduled for disabling (`ban_info`).
        DisabledUpdate = "DISABLED_UPDATE",
        /// The WABA was deleted.
        AccountDeleted = "ACCOUNT_DELETED",
        /// The WABA was offboarded.
        AccountOffboarded = "ACCOUNT_OFFBOARDED",
        /// The WABA was reconnected.
        AccountReconnected = "ACCOUNT_RECONNECTED",
        /// A volume-based pricing tier changed (`volume_tier_info`).
        VolumeBasedPricingTierUpdate = "VOLUME_BASED_PRICING_TIER_UPDATE",
        /// A partner was added.
        PartnerAdded = "PARTNER_ADDED",
        /// A partner was removed.
        PartnerRemoved = "PARTNER_REMOVED",
        /// Our app was installed on a WABA (`waba_info`).
        PartnerAppInstalled = "PARTNER_APP_INSTALLED",
        /// Our app was uninstalled from a WABA (`waba_info`).
        PartnerAppUninstalled = "PARTNER_APP_UNINSTALLED",
    }
}

/// Something happened to a WhatsApp Business Account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountUpdate {
    /// `entry[].id`. For partner events this can be another id than the WABA concerned;
    /// use [`AccountUpdate::routing_waba_id`] to route.
    pub waba_id: String,
    /// `entry[].time`.
    pub entry_time: Option<Timestamp>,
    /// What happened.
    pub event: AccountEvent,
    /// The event's details.
    pub details: AccountDetails,
    /// See [`MetaEvent::dedupe_key`].
    pub fingerprint: String,
}

impl AccountUpdate {
    /// The WABA this update is about: `waba_info.waba_id` when present (partner app
    /// events, where `entry[].id` is not the WABA), else `entry[].id`.
    pub fn routing_waba_id(&self) -> &str {
        self.details
            .waba_info
            .as_ref()
            .and_then(|w| w.waba_id.as_deref())
            .unwrap_or(&self.waba_id)
    }
}

/// The details of an [`AccountUpdate`]; each field is present only for some events.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountDetails {
    /// `violation_info.violation_type` (`ADULT`, `SCAM` …).
    pub violation_type: Option<String>,
    /// `restriction_info[]`.
    pub restrictions: Vec<Restriction>,
    /// `ban_info`.
    pub ban: Option<BanInfo>,
    /// `waba_info` (partner app events).
    pub waba_info: Option<WabaInfo>,
    /// `volume_tier_info`.
    pub volume_tier: Option<VolumeTier>,
}

/// One `restriction_info[]` item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restriction {
    /// `RESTRICTED_BIZ_INITIATED_MESSAGING`, `RESTRICTED_ADD_PHONE_NUMBER_ACTION` …
    pub restriction_type: String,
    /// When it ends.
    pub expiration: Option<Timestamp>,
}

/// `ban_info`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanInfo {
    /// `waba_ban_state` (`DISABLE`, `REINSTATE`, `SCHEDULE_FOR_DISABLE`); Meta shows it
    /// both as a string and as a list, so it is kept as a list.
    pub states: Vec<String>,
    /// `waba_ban_date` verbatim (a human date such as `April 17, 2025`).
    pub date: Option<String>,
}

/// `waba_info` of partner events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WabaInfo {
    /// The WABA concerned.
    pub waba_id: Option<String>,
    /// Its owner business id.
    pub owner_business_id: Option<String>,
    /// The partner app id.
    pub partner_app_id: Option<String>,
}

/// `volume_tier_info`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeTier {
    /// The tier (`25000001:50000000`).
    pub tier: Option<String>,
    /// `UTILITY`, `AUTHENTICATION` …
    pub pricing_category: Option<String>,
    /// `YYYY-MM`.
    pub effective_month: Option<String>,
    /// The market.
    pub region: Option<String>,
    /// When the tier changed.
    pub tier_update_time: Option<Timestamp>,
}
