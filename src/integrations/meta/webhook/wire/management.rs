//! The management fields: template status, phone number quality and account updates.

use super::*;

#[derive(Deserialize)]
struct WireTemplateStatus {
    event: String,
    #[serde(deserialize_with = "de_id")]
    message_template_id: String,
    message_template_name: String,
    message_template_language: String,
    reason: Option<String>,
    message_template_category: Option<String>,
    rejection_info: Option<WireRejectionInfo>,
    other_info: Option<WireOtherInfo>,
}

#[derive(Deserialize)]
struct WireRejectionInfo {
    reason: Option<String>,
    recommendation: Option<String>,
}

#[derive(Deserialize)]
struct WireOtherInfo {
    title: Option<String>,
    description: Option<String>,
}

pub(super) fn template_status(ctx: &Ctx<'_>) -> Result<MetaEvent, String> {
    let w: WireTemplateStatus = from(ctx.value, "value")?;
    Ok(MetaEvent::TemplateStatus(TemplateStatusUpdate {
        waba_id: ctx.waba_id.to_owned(),
        entry_time: ctx.entry_time,
        event: TemplateEvent::from_wire(&w.event),
        message_template_id: w.message_template_id,
        message_template_name: w.message_template_name,
        message_template_language: w.message_template_language,
        reason: w.reason,
        category: w.message_template_category,
        rejection_info: w.rejection_info.map(|r| TemplateInfo {
            title: r.reason,
            detail: r.recommendation,
        }),
        other_info: w.other_info.map(|o| TemplateInfo {
            title: o.title,
            detail: o.description,
        }),
        fingerprint: ctx.fingerprint(),
    }))
}

#[derive(Deserialize)]
struct WireQuality {
    #[serde(deserialize_with = "de_id")]
    display_phone_number: String,
    event: String,
    #[serde(default, deserialize_with = "de_opt_text")]
    current_limit: Option<String>,
    #[serde(default, deserialize_with = "de_opt_text")]
    old_limit: Option<String>,
    #[serde(default, deserialize_with = "de_opt_text")]
    max_daily_conversations_per_business: Option<String>,
}

pub(super) fn phone_quality(ctx: &Ctx<'_>) -> Result<MetaEvent, String> {
    let w: WireQuality = from(ctx.value, "value")?;
    Ok(MetaEvent::PhoneNumberQuality(PhoneNumberQualityUpdate {
        waba_id: ctx.waba_id.to_owned(),
        entry_time: ctx.entry_time,
        display_phone_number: w.display_phone_number,
        event: QualityEvent::from_wire(&w.event),
        current_limit: w.current_limit,
        old_limit: w.old_limit,
        max_daily_conversations_per_business: w.max_daily_conversations_per_business,
        fingerprint: ctx.fingerprint(),
    }))
}

#[derive(Deserialize)]
struct WireAccount {
    event: String,
    violation_info: Option<WireViolation>,
    restriction_info: Option<Vec<WireRestriction>>,
    ban_info: Option<WireBan>,
    waba_info: Option<WireWabaInfo>,
    volume_tier_info: Option<WireVolumeTier>,
}

#[derive(Deserialize)]
struct WireViolation {
    violation_type: Option<String>,
}

#[derive(Deserialize)]
struct WireRestriction {
    restriction_type: String,
    #[serde(default, deserialize_with = "de_opt_time")]
    expiration: Option<Timestamp>,
}

#[derive(Deserialize)]
struct WireBan {
    #[serde(default, deserialize_with = "de_text_list")]
    waba_ban_state: Vec<String>,
    #[serde(default, deserialize_with = "de_opt_text")]
    waba_ban_date: Option<String>,
}

#[derive(Deserialize)]
struct WireWabaInfo {
    #[serde(default, deserialize_with = "de_opt_id")]
    waba_id: Option<String>,
    #[serde(default, deserialize_with = "de_opt_id")]
    owner_business_id: Option<String>,
    #[serde(default, deserialize_with = "de_opt_id")]
    partner_app_id: Option<String>,
}

#[derive(Deserialize)]
struct WireVolumeTier {
    #[serde(default, deserialize_with = "de_opt_text")]
    tier: Option<String>,
    pricing_category: Option<String>,
    effective_month: Option<String>,
    region: Option<String>,
    #[serde(default, deserialize_with = "de_opt_time")]
    tier_update_time: Option<Timestamp>,
}

pub(super) fn account_update(ctx: &Ctx<'_>) -> Result<MetaEvent, String> {
    let w: WireAccount = from(ctx.value, "value")?;
    Ok(MetaEvent::AccountUpdate(AccountUpdate {
        waba_id: ctx.waba_id.to_owned(),
        entry_time: ctx.entry_time,
        event: AccountEvent::from_wire(&w.event),
        details: AccountDetails {
            violation_type: w.violation_info.and_then(|v| v.violation_type),
            restrictions: w
                .restriction_info
                .unwrap_or_default()
                .into_iter()
                .map(|r| Restriction {
                    restriction_type: r.restriction_type,
                    expiration: r.expiration,
                })
                .collect(),
            ban: w.ban_info.map(|b| BanInfo {
                states: b.waba_ban_state,
                date: b.waba_ban_date,
            }),
            waba_info: w.waba_info.map(|i| WabaInfo {
                waba_id: i.waba_id,
                owner_business_id: i.owner_business_id,
                partner_app_id: i.partner_app_id,
            }),
            volume_tier: w.volume_tier_info.map(|t| VolumeTier {
                tier: t.tier,
                pricing_category: t.pricing_category,
                effective_month: t.effective_month,
                region: t.region,
                tier_update_time: t.tier_update_time,
            }),
        },
        fingerprint: ctx.fingerprint(),
    }))
}
