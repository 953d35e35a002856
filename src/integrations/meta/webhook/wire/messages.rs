//! The `messages` field: inbound messages of every type and the statuses of ours, from
//! Meta's wire shapes into [`InboundMessage`] and [`StatusUpdate`].

use super::*;

#[derive(Deserialize)]
struct MessagesValue {
    metadata: Metadata,
    contacts: Option<Vec<WireContact>>,
    messages: Option<Vec<Value>>,
    statuses: Option<Vec<Value>>,
}

#[derive(Deserialize)]
pub(super) struct Metadata {
    #[serde(deserialize_with = "de_id")]
    pub(super) display_phone_number: String,
    #[serde(deserialize_with = "de_id")]
    pub(super) phone_number_id: String,
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

pub(super) fn messages(ctx: &Ctx<'_>, out: &mut Vec<MetaEvent>) -> Result<(), String> {
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
pub(super) struct WireError {
    code: i64,
    title: Option<String>,
    message: Option<String>,
    error_data: Option<WireErrorData>,
}

#[derive(Deserialize)]
struct WireErrorData {
    details: Option<String>,
}

pub(super) fn errors(list: Option<Vec<WireError>>) -> Vec<MetaError> {
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
