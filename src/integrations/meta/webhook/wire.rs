//! The webhook payload as Meta sends it (private serde structs) and its conversion into
//! [`MetaEvent`]s. Strict where the engine depends on a value (ids, timestamps, the
//! payload of a known message type), lenient where Meta adds or drops optional fields;
//! unknown `field`s, message types and interactive types are kept, never rejected.

use super::events::*;
use super::{ParseError, FIELD_ACCOUNT_UPDATE, FIELD_MESSAGES, FIELD_PHONE_QUALITY};
use super::{FIELD_TEMPLATE_STATUS, OBJECT};
use crate::domain::money::Money;
use crate::domain::timestamp::Timestamp;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Where a change sits in the delivery, and what every event from it carries.
struct Ctx<'a> {
    waba_id: &'a str,
    entry_time: Option<Timestamp>,
    field: &'a str,
    value: &'a Value,
}

impl Ctx<'_> {
    /// See [`MetaEvent::dedupe_key`]: 128 bits of SHA-256 over the WABA id, entry time,
    /// field and canonical value, in hex.
    fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.waba_id.as_bytes());
        h.update(b"\n");
        if let Some(t) = self.entry_time {
            h.update(t.millis().to_string().as_bytes());
        }
        h.update(b"\n");
        h.update(self.field.as_bytes());
        h.update(b"\n");
        h.update(canonical_json(self.value).as_bytes());
        hex::encode(&h.finalize()[..16])
    }
}

/// Parses a whole delivery; see [`super::parse`].
pub(super) fn parse_body(body: &[u8]) -> Result<Vec<MetaEvent>, ParseError> {
    let root: Value = serde_json::from_slice(body).map_err(|e| ParseError::Json(e.to_string()))?;
    let Value::Object(root) = &root else {
        return Err(ParseError::Envelope("the body is not a JSON object".into()));
    };
    match root.get("object") {
        Some(Value::String(s)) if s == OBJECT => {}
        Some(Value::String(s)) => return Err(ParseError::WrongObject(s.clone())),
        Some(_) => return Err(ParseError::Envelope("`object` is not a string".into())),
        None => return Err(ParseError::Envelope("`object` is missing".into())),
    }
    let entries = match root.get("entry") {
        Some(Value::Array(a)) => a,
        Some(_) => return Err(ParseError::Envelope("`entry` is not an array".into())),
        None => return Err(ParseError::Envelope("`entry` is missing".into())),
    };
    let mut out = Vec::new();
    for (ei, entry) in entries.iter().enumerate() {
        let envelope = |what: &str| ParseError::Envelope(format!("entry[{ei}]: {what}"));
        let Value::Object(entry) = entry else {
            return Err(envelope("not an object"));
        };
        let waba_id = entry
            .get("id")
            .and_then(id_text)
            .ok_or_else(|| envelope("`id` is missing or not an id"))?;
        let entry_time = match entry.get("time") {
            None | Some(Value::Null) => None,
            Some(v) => Some(unix_time(v).ok_or_else(|| envelope("`time` is not unix seconds"))?),
        };
        let changes = match entry.get("changes") {
            Some(Value::Array(a)) => a,
            Some(_) => return Err(envelope("`changes` is not an array")),
            None => return Err(envelope("`changes` is missing")),
        };
        for (ci, change) in changes.iter().enumerate() {
            let envelope =
                |what: &str| ParseError::Envelope(format!("entry[{ei}].changes[{ci}]: {what}"));
            let Value::Object(change) = change else {
                return Err(envelope("not an object"));
            };
            let field = match change.get("field") {
                Some(Value::String(s)) => s.as_str(),
                _ => return Err(envelope("`field` is missing or not a string")),
            };
            let ctx = Ctx {
                waba_id: &waba_id,
                entry_time,
                field,
                value: change.get("value").unwrap_or(&Value::Null),
            };
            change_events(&ctx, &mut out).map_err(|problem| ParseError::Change {
                entry: ei,
                change: ci,
                field: field.to_owned(),
                problem,
            })?;
        }
    }
    Ok(out)
}

/// Appends the events of one change; `Err` is the problem, for [`ParseError::Change`].
fn change_events(ctx: &Ctx<'_>, out: &mut Vec<MetaEvent>) -> Result<(), String> {
    let before = out.len();
    match ctx.field {
        FIELD_MESSAGES => messages(ctx, out)?,
        FIELD_TEMPLATE_STATUS => out.push(template_status(ctx)?),
        FIELD_PHONE_QUALITY => out.push(phone_quality(ctx)?),
        FIELD_ACCOUNT_UPDATE => out.push(account_update(ctx)?),
        _ => {}
    }
    if out.len() == before {
        out.push(MetaEvent::Unhandled(Unhandled {
            field: ctx.field.to_owned(),
            waba_id: ctx.waba_id.to_owned(),
            entry_time: ctx.entry_time,
            fingerprint: ctx.fingerprint(),
        }));
    }
    Ok(())
}

/// Deserialises `T` from a borrowed value, naming `what` in the error.
fn from<'a, T: Deserialize<'a>>(v: &'a Value, what: &str) -> Result<T, String> {
    T::deserialize(v).map_err(|e| format!("{what}: {e}"))
}

// ---------------------------------------------------------------------------------------
// `messages`

#[derive(Deserialize)]
struct MessagesValue {
    metadata: Metadata,
    contacts: Option<Vec<WireContact>>,
    messages: Option<Vec<Value>>,
    statuses: Option<Vec<Value>>,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(deserialize_with = "de_id")]
    display_phone_number: String,
    #[serde(deserialize_with = "de_id")]
    phone_number_id: String,
}

#[derive(Deserialize)]
struct WireContact {
    profile: Option<Profile>,
    #[serde(default, deserialize_with = "de_opt_id")]
    wa_id: Option<String>,
}

#[derive(Deserialize)]
struct Profile {
    name: Option<String>,
}

fn messages(ctx: &Ctx<'_>, out: &mut Vec<MetaEvent>) -> Result<(), String> {
    let v: MessagesValue = from(ctx.value, "value")?;
    let contacts = v.contacts.unwrap_or_default();
    for (i, m) in v.messages.iter().flatten().enumerate() {
        let msg =
            inbound(ctx, &v.metadata, &contacts, m).map_err(|e| format!("messages[{i}]: {e}"))?;
        out.push(MetaEvent::InboundMessage(msg));
    }
    for (i, s) in v.statuses.iter().flatten().enumerate() {
        let st = status(ctx, &v.metadata, s).map_err(|e| format!("statuses[{i}]: {e}"))?;
        out.push(MetaEvent::Status(st));
    }
    Ok(())
}

#[derive(Deserialize)]
struct WireMessage {
    #[serde(deserialize_with = "de_id")]
    from: String,
    id: String,
    #[serde(deserialize_with = "de_time")]
    timestamp: Timestamp,
    #[serde(rename = "type")]
    kind: String,
    context: Option<WireContext>,
    referral: Option<WireReferral>,
}

#[derive(Deserialize)]
struct WireContext {
    #[serde(default, deserialize_with = "de_opt_id")]
    from: Option<String>,
    id: Option<String>,
    referred_product: Option<WireReferredProduct>,
    forwarded: Option<bool>,
    frequently_forwarded: Option<bool>,
}

#[derive(Deserialize)]
struct WireReferredProduct {
    #[serde(deserialize_with = "de_id")]
    catalog_id: String,
    #[serde(deserialize_with = "de_id")]
    product_retailer_id: String,
}

#[derive(Deserialize)]
struct WireReferral {
    source_url: Option<String>,
    #[serde(default, deserialize_with = "de_opt_id")]
    source_id: Option<String>,
    source_type: Option<String>,
    headline: Option<String>,
    body: Option<String>,
    media_type: Option<String>,
    image_url: Option<String>,
    video_url: Option<String>,
    thumbnail_url: Option<String>,
    ctwa_clid: Option<String>,
    welcome_message: Option<WireWelcome>,
}

#[derive(Deserialize)]
struct WireWelcome {
    text: Option<String>,
}

fn inbound(
    ctx: &Ctx<'_>,
    meta: &Metadata,
    contacts: &[WireContact],
    m: &Value,
) -> Result<InboundMessage, String> {
    let w: WireMessage = from(m, "message")?;
    let profile_name = contacts
        .iter()
        .find(|c| c.wa_id.as_deref() == Some(w.from.as_str()))
        .or(match contacts {
            [only] if only.wa_id.is_none() => Some(only),
            _ => None,
        })
        .and_then(|c| c.profile.as_ref())
        .and_then(|p| p.name.clone());
    let content = content(&w.kind, m)?;
    Ok(InboundMessage {
        phone_number_id: meta.phone_number_id.clone(),
        display_phone_number: meta.display_phone_number.clone(),
        waba_id: ctx.waba_id.to_owned(),
        wamid: w.id,
        from: w.from,
        profile_name,
        timestamp: w.timestamp,
        context: w.context.map(|c| MessageContext {
            from: c.from,
            id: c.id,
            referred_product: c.referred_product.map(|p| ReferredProduct {
                catalog_id: p.catalog_id,
                product_retailer_id: p.product_retailer_id,
            }),
            forwarded: c.forwarded.unwrap_or(false),
            frequently_forwarded: c.frequently_forwarded.unwrap_or(false),
        }),
        referral: w.referral.map(|r| {
            Box::new(Referral {
                source_url: r.source_url,
                source_id: r.source_id,
                source_type: r.source_type,
                headline: r.headline,
                body: r.body,
                media_type: r.media_type,
                image_url: r.image_url,
                video_url: r.video_url,
                thumbnail_url: r.thumbnail_url,
                ctwa_clid: r.ctwa_clid,
                welcome_message: r.welcome_message.and_then(|w| w.text),
            })
        }),
        content,
    })
}

#[derive(Deserialize)]
struct WireText {
    body: String,
}

#[derive(Deserialize)]
struct WireMedia {
    #[serde(deserialize_with = "de_id")]
    id: String,
    mime_type: Option<String>,
    sha256: Option<String>,
    caption: Option<String>,
    filename: Option<String>,
}

#[derive(Deserialize)]
struct WireLocation {
    latitude: f64,
    longitude: f64,
    name: Option<String>,
    address: Option<String>,
    url: Option<String>,
}

#[derive(Deserialize)]
struct WireSharedContact {
    name: Option<WireName>,
    phones: Option<Vec<WirePhone>>,
}

#[derive(Deserialize)]
struct WireName {
    formatted_name: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
}

#[derive(Deserialize)]
struct WirePhone {
    phone: Option<String>,
    #[serde(default, deserialize_with = "de_opt_id")]
    wa_id: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Deserialize)]
struct WireReaction {
    message_id: String,
    emoji: Option<String>,
}

#[derive(Deserialize)]
struct WireButton {
    text: String,
    payload: Option<String>,
}

#[derive(Deserialize)]
struct WireInteractive {
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct WireChoice {
    id: String,
    title: String,
    description: Option<String>,
}

#[derive(Deserialize)]
struct WireOrder {
    #[serde(deserialize_with = "de_id")]
    catalog_id: String,
    text: Option<String>,
    product_items: Option<Vec<WireOrderItem>>,
}

#[derive(Deserialize)]
struct WireOrderItem {
    #[serde(deserialize_with = "de_id")]
    product_retailer_id: String,
    quantity: u64,
    item_price: Value,
    currency: String,
}

#[derive(Deserialize)]
struct WireSystem {
    body: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "de_opt_id")]
    wa_id: Option<String>,
    #[serde(default, deserialize_with = "de_opt_id")]
    new_wa_id: Option<String>,
}

#[derive(Deserialize)]
struct WireError {
    code: i64,
    title: Option<String>,
    message: Option<String>,
    error_data: Option<WireErrorData>,
}

#[derive(Deserialize)]
struct WireErrorData {
    details: Option<String>,
}

fn errors(list: Option<Vec<WireError>>) -> Vec<MetaError> {
    list.unwrap_or_default()
        .into_iter()
        .map(|e| MetaError {
            code: e.code,
            title: e.title,
            message: e.message,
            details: e.error_data.and_then(|d| d.details),
        })
        .collect()
}

/// The payload object of a known message type (`m[kind]`), required.
fn payload<'a>(m: &'a Value, kind: &str) -> Result<&'a Value, String> {
    m.get(kind)
        .ok_or_else(|| format!("a `{kind}` message without its `{kind}` object"))
}

fn content(kind: &str, m: &Value) -> Result<InboundContent, String> {
    if let Some(media) = MediaKind::from_wire(kind) {
        let w: WireMedia = from(payload(m, kind)?, kind)?;
        return Ok(InboundContent::Media(Media {
            kind: media,
            media_id: w.id,
            mime_type: w.mime_type,
            sha256: w.sha256,
            caption: w.caption,
            filename: w.filename,
        }));
    }
    Ok(match kind {
        "text" => {
            let w: WireText = from(payload(m, kind)?, kind)?;
            InboundContent::Text { body: w.body }
        }
        "location" => {
            let w: WireLocation = from(payload(m, kind)?, kind)?;
            InboundContent::Location {
                latitude: w.latitude,
                longitude: w.longitude,
                name: w.name,
                address: w.address,
                url: w.url,
            }
        }
        "contacts" => {
            let w: Vec<WireSharedContact> = from(payload(m, kind)?, kind)?;
            InboundContent::Contacts {
                contacts: w
                    .into_iter()
                    .map(|c| {
                        let name = c.name;
                        SharedContact {
                            formatted_name: name.as_ref().and_then(|n| n.formatted_name.clone()),
                            first_name: name.as_ref().and_then(|n| n.first_name.clone()),
                            last_name: name.and_then(|n| n.last_name),
                            phones: c
                                .phones
                                .unwrap_or_default()
                                .into_iter()
                                .map(|p| SharedPhone {
                                    phone: p.phone,
                                    wa_id: p.wa_id,
                                    kind: p.kind,
                                })
                                .collect(),
                        }
                    })
                    .collect(),
            }
        }
        "reaction" => {
            let w: WireReaction = from(payload(m, kind)?, kind)?;
            InboundContent::Reaction {
                message_id: w.message_id,
                emoji: w.emoji.unwrap_or_default(),
            }
        }
        "button" => {
            let w: WireButton = from(payload(m, kind)?, kind)?;
            InboundContent::Button {
                text: w.text,
                payload: w.payload,
            }
        }
        "interactive" => {
            let v = payload(m, kind)?;
            let w: WireInteractive = from(v, kind)?;
            InboundContent::Interactive(match w.kind.as_str() {
                "button_reply" => {
                    let c: WireChoice = from(payload(v, "button_reply")?, "button_reply")?;
                    InteractiveReply::ButtonReply {
                        id: c.id,
                        title: c.title,
                    }
                }
                "list_reply" => {
                    let c: WireChoice = from(payload(v, "list_reply")?, "list_reply")?;
                    InteractiveReply::ListReply {
                        id: c.id,
                        title: c.title,
                        description: c.description,
                    }
                }
                _ => InteractiveReply::Other {
                    kind: w.kind,
                    json: canonical_json(v),
                },
            })
        }
        "order" => {
            let w: WireOrder = from(payload(m, kind)?, kind)?;
            let items = w
                .product_items
                .unwrap_or_default()
                .into_iter()
                .enumerate()
                .map(|(i, it)| {
                    Ok(OrderItem {
                        item_price: money(&it.item_price).ok_or_else(|| {
                            format!("order.product_items[{i}].item_price is not an amount")
                        })?,
                        product_retailer_id: it.product_retailer_id,
                        quantity: it.quantity,
                        currency: it.currency,
                    })
                })
                .collect::<Result<Vec<_>, String>>()?;
            InboundContent::Order(Order {
                catalog_id: w.catalog_id,
                text: w.text.unwrap_or_default(),
                items,
            })
        }
        "system" => {
            let w: WireSystem = from(payload(m, kind)?, kind)?;
            InboundContent::System {
                body: w.body.unwrap_or_default(),
                kind: w.kind.unwrap_or_default(),
                new_wa_id: w.wa_id.or(w.new_wa_id),
            }
        }
        "unsupported" | "unknown" => {
            #[derive(Deserialize)]
            struct WithErrors {
                errors: Option<Vec<WireError>>,
            }
            let w: WithErrors = from(m, "message")?;
            InboundContent::Unsupported {
                kind: kind.to_owned(),
                errors: errors(w.errors),
            }
        }
        _ => InboundContent::Other {
            kind: kind.to_owned(),
            json: canonical_json(m),
        },
    })
}

/// An item price: integers exactly, strings through [`Money::parse`], fractions as `f64`
/// rounded to three decimals (serde_json here has no arbitrary precision; prices are far
/// below 2^53 / 1000, where three decimals of an `f64` are exact).
fn money(v: &Value) -> Option<Money> {
    match v {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.checked_mul(1000).map(Money)
            } else if n.is_u64() {
                None // above i64::MAX: no price
            } else {
                let f = n.as_f64().filter(|f| f.is_finite() && f.abs() < 1e15)?;
                Money::parse(&format!("{f:.3}"))
            }
        }
        Value::String(s) => Money::parse(s),
        _ => None,
    }
}

#[derive(Deserialize)]
struct WireStatus {
    id: String,
    status: String,
    #[serde(deserialize_with = "de_time")]
    timestamp: Timestamp,
    #[serde(deserialize_with = "de_id")]
    recipient_id: String,
    errors: Option<Vec<WireError>>,
    pricing: Option<WirePricing>,
    conversation: Option<WireConversation>,
    biz_opaque_callback_data: Option<String>,
}

#[derive(Deserialize)]
struct WirePricing {
    billable: Option<bool>,
    pricing_model: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    category: Option<String>,
}

#[derive(Deserialize)]
struct WireConversation {
    #[serde(deserialize_with = "de_id")]
    id: String,
    origin: Option<WireOrigin>,
    #[serde(default, deserialize_with = "de_opt_time")]
    expiration_timestamp: Option<Timestamp>,
}

#[derive(Deserialize)]
struct WireOrigin {
    #[serde(rename = "type")]
    kind: Option<String>,
}

fn status(ctx: &Ctx<'_>, meta: &Metadata, s: &Value) -> Result<StatusUpdate, String> {
    let w: WireStatus = from(s, "status")?;
    Ok(StatusUpdate {
        phone_number_id: meta.phone_number_id.clone(),
        display_phone_number: meta.display_phone_number.clone(),
        waba_id: ctx.waba_id.to_owned(),
        wamid: w.id,
        status: MessageStatus::from_wire(&w.status),
        timestamp: w.timestamp,
        recipient_id: w.recipient_id,
        errors: errors(w.errors),
        pricing: w.pricing.map(|p| Pricing {
            billable: p.billable,
            pricing_model: p.pricing_model,
            kind: p.kind,
            category: p.category,
        }),
        conversation: w.conversation.map(|c| Conversation {
            id: c.id,
            origin_type: c.origin.and_then(|o| o.kind),
            expiration_timestamp: c.expiration_timestamp,
        }),
        biz_opaque_callback_data: w.biz_opaque_callback_data,
    })
}

// ---------------------------------------------------------------------------------------
// Management fields

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

fn template_status(ctx: &Ctx<'_>) -> Result<MetaEvent, String> {
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

fn phone_quality(ctx: &Ctx<'_>) -> Result<MetaEvent, String> {
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

fn account_update(ctx: &Ctx<'_>) -> Result<MetaEvent, String> {
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

// ---------------------------------------------------------------------------------------
// Value helpers

/// An id as text: Meta sends ids as strings, a few (template ids, some numbers) as JSON
/// integers; integers are kept exactly (serde_json reads them as `u64`/`i64`).
fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) if n.is_u64() || n.is_i64() => Some(n.to_string()),
        _ => None,
    }
}

/// Unix seconds, as a JSON integer or a string of digits, into a [`Timestamp`].
fn unix_time(v: &Value) -> Option<Timestamp> {
    let secs = match v {
        Value::String(s) => s.trim().parse::<i64>().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    secs.checked_mul(1000).map(Timestamp)
}

fn de_id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = Value::deserialize(d)?;
    id_text(&v).ok_or_else(|| serde::de::Error::custom(format!("expected an id, got {v}")))
}

fn de_opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        v => id_text(&v)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("expected an id, got {v}"))),
    }
}

fn de_time<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
    let v = Value::deserialize(d)?;
    unix_time(&v).ok_or_else(|| serde::de::Error::custom(format!("expected unix seconds, got {v}")))
}

fn de_opt_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        v => unix_time(&v)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("expected unix seconds, got {v}"))),
    }
}

/// A scalar as text (strings verbatim, numbers and booleans printed); null is `None`.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn de_opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        v => scalar_text(&v)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("expected text, got {v}"))),
    }
}

/// A string or a list of strings (Meta documents `waba_ban_state` both ways).
fn de_text_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .map(|v| {
                scalar_text(v)
                    .ok_or_else(|| serde::de::Error::custom(format!("expected text, got {v}")))
            })
            .collect(),
        v => scalar_text(&v)
            .map(|s| vec![s])
            .ok_or_else(|| serde::de::Error::custom(format!("expected text, got {v}"))),
    }
}

/// Canonical JSON text: object keys sorted, no whitespace, serde_json's escaping and
/// number printing. Independent of serde_json's `preserve_order` feature.
pub(super) fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                if let Some(item) = map.get(k) {
                    write_canonical(item, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}
