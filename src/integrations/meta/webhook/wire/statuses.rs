//! The `statuses` of the `messages` field: what happened to a message we sent (sent,
//! delivered, read, failed), with pricing and conversation when Meta gives them.

use super::messages::{errors, Metadata, WireError};
use super::*;

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

pub(super) fn status(ctx: &Ctx<'_>, meta: &Metadata, s: &Value) -> Result<StatusUpdate, String> {
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
