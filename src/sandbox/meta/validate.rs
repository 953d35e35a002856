//! Validation of a `POST /{phone-number-id}/messages` body the way the Cloud API does it
//! (`reference/meta-api.md` §1, the OpenAPI `Message` schema): `messaging_product`
//! `whatsapp`, a plausible `to`, a known `type` with its object and nothing unexpected
//! beside it, and each type's required fields and length limits. Violations are Graph
//! error 100 naming the parameter. Pure: no state, no I/O; imports only `faults` and
//! `model`.

use super::faults::ApiError;
use super::model::digits;
use serde_json::Value;

/// What a valid body asks for.
pub(crate) enum Request {
    /// A read receipt (with or without typing indicator).
    Read { message_id: String },
    /// A message to deliver.
    Message(Outgoing),
}

/// A message to deliver.
pub(crate) struct Outgoing {
    /// `to` as given (echoed in `contacts[].input`).
    pub input: String,
    /// The recipient's digits.
    pub wa_id: String,
    /// For templates: the name, language code and components sent.
    pub template: Option<TemplateRef>,
}

/// The `template` object of a template message.
pub(crate) struct TemplateRef {
    pub name: String,
    pub language: String,
    pub components: Vec<Value>,
}

const TYPES: &[&str] = &[
    "text",
    "template",
    "image",
    "audio",
    "video",
    "document",
    "sticker",
    "location",
    "contacts",
    "interactive",
    "reaction",
];
const COMMON_KEYS: &[&str] = &[
    "messaging_product",
    "recipient_type",
    "to",
    "type",
    "context",
    "biz_opaque_callback_data",
];

type Check = Result<(), ApiError>;

fn invalid(details: impl AsRef<str>) -> ApiError {
    ApiError::invalid(details.as_ref())
}

/// Validates a body.
pub(crate) fn parse(body: &Value) -> Result<Request, ApiError> {
    let obj = body
        .as_object()
        .ok_or_else(|| invalid("The request body must be a JSON object."))?;
    match obj.get("messaging_product").and_then(Value::as_str) {
        Some("whatsapp") => {}
        None => return Err(invalid("The parameter messaging_product is required.")),
        Some(other) => {
            return Err(invalid(format!(
                "Param messaging_product must be one of {{WHATSAPP}} - got \"{other}\"."
            )))
        }
    }
    if let Some(status) = obj.get("status") {
        if status.as_str() != Some("read") {
            return Err(invalid("Param status must be one of {READ}."));
        }
        unexpected(
            body,
            &[
                "messaging_product",
                "status",
                "message_id",
                "typing_indicator",
            ],
            "",
        )?;
        let message_id = text(body, "message_id", "message_id", 512)?;
        if let Some(t) = obj.get("typing_indicator") {
            if t.get("type").and_then(Value::as_str) != Some("text") {
                return Err(invalid(
                    "Param typing_indicator['type'] must be one of {TEXT}.",
                ));
            }
        }
        return Ok(Request::Read {
            message_id: message_id.to_owned(),
        });
    }
    let to = obj
        .get("to")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("The parameter to is required."))?;
    let wa_id = digits(to);
    let allowed = to
        .chars()
        .all(|c| c.is_ascii_digit() || "+-() ".contains(c));
    if !allowed || !(7..=15).contains(&wa_id.len()) {
        return Err(invalid(
            "Param to must be a phone number in international format.",
        ));
    }
    match obj.get("recipient_type").map(|v| v.as_str()) {
        None | Some(Some("individual")) => {}
        Some(_) => return Err(invalid("Param recipient_type must be one of {INDIVIDUAL}.")),
    }
    let kind = match obj.get("type") {
        None => "text",
        Some(t) => t.as_str().unwrap_or(""),
    };
    if !TYPES.contains(&kind) {
        return Err(invalid(format!(
            "Param type must be one of {{AUDIO, CONTACTS, DOCUMENT, IMAGE, INTERACTIVE, LOCATION, REACTION, STICKER, TEMPLATE, TEXT, VIDEO}} - got \"{kind}\"."
        )));
    }
    let mut keys = COMMON_KEYS.to_vec();
    keys.push(kind);
    unexpected(body, &keys, "")?;
    if let Some(ctx) = obj.get("context") {
        text(ctx, "message_id", "context['message_id']", 512)?;
    }
    if let Some(cb) = obj.get("biz_opaque_callback_data") {
        if cb.as_str().is_none_or(|s| s.chars().count() > 512) {
            return Err(invalid(
                "Param biz_opaque_callback_data must be a string of at most 512 characters.",
            ));
        }
    }
    let payload = obj
        .get(kind)
        .ok_or_else(|| invalid(format!("The parameter {kind} is required.")))?;
    let mut template = None;
    match kind {
        "text" => {
            unexpected(payload, &["body", "preview_url"], "text")?;
            text(payload, "body", "text['body']", 4096)?;
        }
        "image" | "audio" | "video" | "document" | "sticker" => media(payload, kind)?,
        "location" => location(payload)?,
        "contacts" => contacts(payload)?,
        "reaction" => {
            text(payload, "message_id", "reaction['message_id']", 512)?;
            if payload.get("emoji").and_then(Value::as_str).is_none() {
                return Err(invalid("The parameter reaction['emoji'] is required."));
            }
        }
        "interactive" => interactive(payload)?,
        _ => template = Some(template_ref(payload)?),
    }
    Ok(Request::Message(Outgoing {
        input: to.to_owned(),
        wa_id,
        template,
    }))
}

/// A required string of 1..=max characters.
fn text<'a>(v: &'a Value, key: &str, field: &str, max: usize) -> Result<&'a str, ApiError> {
    let s = v
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| invalid(format!("The parameter {field} is required.")))?;
    if s.chars().count() > max {
        return Err(invalid(format!(
            "Param {field} must be at most {max} characters long."
        )));
    }
    Ok(s)
}

/// An optional string of at most `max` characters.
fn opt_text(v: &Value, key: &str, field: &str, max: usize) -> Check {
    match v.get(key) {
        None => Ok(()),
        Some(_) => text(v, key, field, max).map(|_| ()),
    }
}

/// Refuses keys of `v` outside `allowed` (Meta's schemas forbid additional properties).
fn unexpected(v: &Value, allowed: &[&str], parent: &str) -> Check {
    let Some(obj) = v.as_object() else {
        return Err(invalid(format!("Param {parent} must be an object.")));
    };
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        None => Ok(()),
        Some(k) if parent.is_empty() => Err(invalid(format!("Unexpected key \"{k}\" on param."))),
        Some(k) => Err(invalid(format!(
            "Unexpected key \"{k}\" on param {parent}."
        ))),
    }
}

fn media(v: &Value, kind: &str) -> Check {
    let mut keys = vec!["id", "link"];
    if matches!(kind, "image" | "video" | "document") {
        keys.push("caption");
    }
    if kind == "document" {
        keys.push("filename");
    }
    unexpected(v, &keys, kind)?;
    match (v.get("id"), v.get("link")) {
        (Some(_), Some(_)) => Err(invalid(format!(
            "Param {kind} must have either id or link, not both."
        ))),
        (Some(_), None) => text(v, "id", &format!("{kind}['id']"), 256).map(|_| ()),
        (None, Some(_)) => {
            let link = text(v, "link", &format!("{kind}['link']"), 2048)?;
            if link.starts_with("https://") || link.starts_with("http://") {
                Ok(())
            } else {
                Err(invalid(format!(
                    "Param {kind}['link'] must be an http(s) URL."
                )))
            }
        }
        (None, None) => Err(invalid(format!(
            "The parameter {kind}['id'] or {kind}['link'] is required."
        ))),
    }?;
    opt_text(v, "caption", &format!("{kind}['caption']"), 1024)?;
    opt_text(v, "filename", &format!("{kind}['filename']"), 240)
}

fn location(v: &Value) -> Check {
    for (key, limit) in [("latitude", 90.0), ("longitude", 180.0)] {
        let n = v
            .get(key)
            .and_then(|x| {
                x.as_f64()
                    .or_else(|| x.as_str().and_then(|s| s.parse().ok()))
            })
            .ok_or_else(|| invalid(format!("The parameter location['{key}'] is required.")))?;
        if !(-limit..=limit).contains(&n) {
            return Err(invalid(format!("Param location['{key}'] is out of range.")));
        }
    }
    Ok(())
}

fn contacts(v: &Value) -> Check {
    let list = v
        .as_array()
        .filter(|l| !l.is_empty())
        .ok_or_else(|| invalid("Param contacts must be a non-empty array."))?;
    for (i, c) in list.iter().enumerate() {
        let name = c.get("name").unwrap_or(&Value::Null);
        text(
            name,
            "formatted_name",
            &format!("contacts[{i}]['name']['formatted_name']"),
            1024,
        )?;
    }
    Ok(())
}

fn interactive(v: &Value) -> Check {
    let kind = v.get("type").and_then(Value::as_str).unwrap_or("");
    let action = v
        .get("action")
        .filter(|a| a.is_object())
        .ok_or_else(|| invalid("The parameter interactive['action'] is required."))?;
    if let Some(f) = v.get("footer") {
        text(f, "text", "interactive['footer']['text']", 60)?;
    }
    let body = |max| {
        text(
            v.get("body").unwrap_or(&Value::Null),
            "text",
            "interactive['body']['text']",
            max,
        )
    };
    match kind {
        "button" => {
            body(1024)?;
            let buttons = count(action, "buttons", "interactive['action']['buttons']", 1, 3)?;
            for (i, b) in buttons.iter().enumerate() {
                let reply = b.get("reply").unwrap_or(&Value::Null);
                text(reply, "id", &format!("interactive['action']['buttons'][{i}]['reply']['id']"), 256)?;
                text(reply, "title", &format!("interactive['action']['buttons'][{i}]['reply']['title']"), 20)?;
            }
        }
        "list" => {
            body(4096)?;
            text(action, "button", "interactive['action']['button']", 20)?;
            let sections = count(action, "sections", "interactive['action']['sections']", 1, 10)?;
            let mut rows = 0;
            for (i, s) in sections.iter().enumerate() {
                let f = format!("interactive['action']['sections'][{i}]['rows']");
                for (j, r) in count(s, "rows", &f, 1, 10)?.iter().enumerate() {
                    rows += 1;
                    text(r, "id", &format!("{f}[{j}]['id']"), 200)?;
                    text(r, "title", &format!("{f}[{j}]['title']"), 24)?;
                    opt_text(r, "description", &format!("{f}[{j}]['description']"), 72)?;
                }
            }
            if rows > 10 {
                return Err(invalid("Param interactive['action']['sections'] has more than 10 rows in total."));
            }
        }
        "product" => {
            if v.get("header").is_some() {
                return Err(invalid("Param interactive['header'] is not allowed for product messages."));
            }
            if v.get("body").is_some() {
                body(1024)?;
            }
            text(action, "catalog_id", "interactive['action']['catalog_id']", 256)?;
            text(action, "product_retailer_id", "interactive['action']['product_retailer_id']", 100)?;
        }
        "product_list" => product_list(v, action)?,
        "catalog_message" => {
            body(1024)?;
            if action.get("name").and_then(Value::as_str) != Some("catalog_message") {
                return Err(invalid("Param interactive['action']['name'] must be catalog_message."));
            }
        }
        "cta_url" | "flow" | "location_request_message" | "address_message" | "call_permission_request" => {}
        _ => return Err(invalid("Param interactive['type'] must be one of {BUTTON, CATALOG_MESSAGE, CTA_URL, FLOW, LIST, PRODUCT, PRODUCT_LIST, LOCATION_REQUEST_MESSAGE}.")),
    }
    Ok(())
}

fn product_list(v: &Value, action: &Value) -> Check {
    let header = v.get("header").unwrap_or(&Value::Null);
    if header.get("type").and_then(Value::as_str) != Some("text") {
        return Err(invalid(
            "Param interactive['header'] is required and must be of type text.",
        ));
    }
    text(header, "text", "interactive['header']['text']", 60)?;
    text(
        v.get("body").unwrap_or(&Value::Null),
        "text",
        "interactive['body']['text']",
        1024,
    )?;
    text(
        action,
        "catalog_id",
        "interactive['action']['catalog_id']",
        256,
    )?;
    let sections = count(
        action,
        "sections",
        "interactive['action']['sections']",
        1,
        10,
    )?;
    let mut products = 0;
    for (i, s) in sections.iter().enumerate() {
        let f = format!("interactive['action']['sections'][{i}]");
        if sections.len() > 1 {
            text(s, "title", &format!("{f}['title']"), 24)?;
        }
        for (j, p) in count(s, "product_items", &format!("{f}['product_items']"), 1, 30)?
            .iter()
            .enumerate()
        {
            products += 1;
            text(
                p,
                "product_retailer_id",
                &format!("{f}['product_items'][{j}]['product_retailer_id']"),
                100,
            )?;
        }
    }
    if products > 30 {
        return Err(invalid(
            "Param interactive['action']['sections'] has more than 30 products in total.",
        ));
    }
    Ok(())
}

/// A required array of `min..=max` items.
fn count<'a>(
    v: &'a Value,
    key: &str,
    field: &str,
    min: usize,
    max: usize,
) -> Result<&'a Vec<Value>, ApiError> {
    let list = v
        .get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| invalid(format!("The parameter {field} is required.")))?;
    if (min..=max).contains(&list.len()) {
        Ok(list)
    } else {
        Err(invalid(format!(
            "Param {field} must have {min} to {max} items."
        )))
    }
}

fn template_ref(v: &Value) -> Result<TemplateRef, ApiError> {
    unexpected(
        v,
        &["name", "language", "components", "namespace"],
        "template",
    )?;
    let name = text(v, "name", "template['name']", 512)?.to_owned();
    let lang = v.get("language").unwrap_or(&Value::Null);
    let language = text(lang, "code", "template['language']['code']", 16)?.to_owned();
    if let Some(p) = lang.get("policy") {
        if p.as_str() != Some("deterministic") {
            return Err(invalid(
                "Param template['language']['policy'] must be one of {DETERMINISTIC}.",
            ));
        }
    }
    let components = match v.get("components") {
        None => Vec::new(),
        Some(Value::Array(c)) => c.clone(),
        Some(_) => return Err(invalid("Param template['components'] must be an array.")),
    };
    for (i, c) in components.iter().enumerate() {
        let t = c
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase();
        if !matches!(
            t.as_str(),
            "header" | "body" | "button" | "carousel" | "limited_time_offer"
        ) {
            return Err(invalid(format!(
                "Param template['components'][{i}]['type'] must be one of {{HEADER, BODY, BUTTON}}."
            )));
        }
    }
    Ok(TemplateRef {
        name,
        language,
        components,
    })
}
