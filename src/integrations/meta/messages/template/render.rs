//! JSON rendering of template send parameters: header, body and button components in
//! the OpenAPI `TemplateComponent` form (`index` as a string, lower-case `sub_type`).

use super::super::interactive::sections_json;
use super::{BodyParam, HeaderParam, ParamValue, TemplateButton};
use serde_json::{json, Map, Value};

fn value_json(value: &ParamValue) -> Map<String, Value> {
    let v = match value {
        ParamValue::Text(text) => json!({ "type": "text", "text": text }),
        ParamValue::Currency {
            fallback,
            code,
            amount_1000,
        } => json!({
            "type": "currency",
            "currency": { "fallback_value": fallback, "code": code, "amount_1000": amount_1000 },
        }),
        ParamValue::DateTime { fallback } => {
            json!({ "type": "date_time", "date_time": { "fallback_value": fallback } })
        }
    };
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

pub(super) fn body_param_json(p: &BodyParam) -> Value {
    let mut m = value_json(&p.value);
    if let Some(name) = &p.name {
        m.insert("parameter_name".into(), Value::from(name.as_str()));
    }
    Value::Object(m)
}

pub(super) fn header_json(h: &HeaderParam) -> Value {
    match h {
        HeaderParam::Text { name, text } => {
            let mut m = value_json(&ParamValue::Text(text.clone()));
            if let Some(name) = name {
                m.insert("parameter_name".into(), Value::from(name.as_str()));
            }
            Value::Object(m)
        }
        HeaderParam::Image(src) => json!({ "type": "image", "image": src.to_object() }),
        HeaderParam::Video(src) => json!({ "type": "video", "video": src.to_object() }),
        HeaderParam::Document { source, filename } => {
            let mut doc = source.to_object();
            if let Some(f) = filename {
                doc.insert("filename".into(), Value::from(f.as_str()));
            }
            json!({ "type": "document", "document": doc })
        }
        HeaderParam::Location {
            latitude,
            longitude,
            name,
            address,
        } => {
            let mut loc = Map::new();
            loc.insert("latitude".into(), Value::from(latitude.to_string()));
            loc.insert("longitude".into(), Value::from(longitude.to_string()));
            if let Some(n) = name {
                loc.insert("name".into(), Value::from(n.as_str()));
            }
            if let Some(a) = address {
                loc.insert("address".into(), Value::from(a.as_str()));
            }
            json!({ "type": "location", "location": loc })
        }
        HeaderParam::Product {
            catalog_id,
            retailer_id,
        } => json!({ "type": "product", "product": {
            "product_retailer_id": retailer_id, "catalog_id": catalog_id } }),
    }
}

pub(super) fn button_json(b: &TemplateButton) -> Value {
    let (sub_type, parameter) = match b {
        TemplateButton::QuickReply { payload, .. } => (
            "quick_reply",
            json!({ "type": "payload", "payload": payload }),
        ),
        TemplateButton::Url { text, .. } => ("url", json!({ "type": "text", "text": text })),
        TemplateButton::Catalog { thumbnail, .. } => (
            "catalog",
            json!({ "type": "action", "action": { "thumbnail_product_retailer_id": thumbnail } }),
        ),
        TemplateButton::Mpm {
            thumbnail,
            sections,
            ..
        } => (
            "mpm",
            json!({ "type": "action", "action": {
                "thumbnail_product_retailer_id": thumbnail,
                "sections": sections_json(sections),
            } }),
        ),
    };
    json!({
        "type": "button",
        "sub_type": sub_type,
        "index": b.index().to_string(),
        "parameters": [parameter],
    })
}
