//! What a template send must carry to match its approved template, pure: the parameter
//! count of each part (132000), the parameter format (132012), button and product
//! parameters. Imports only `faults`, `model` and the variable rules of `template_rules`.

use super::faults::ApiError;
use super::model::EmulatedTemplate;
use super::template_rules::{distinct, str_of, upper, variables};
use serde_json::Value;

fn component<'a>(comps: &'a Value, kind: &str) -> Option<&'a Value> {
    comps.as_array()?.iter().find(|c| upper(c, "type") == kind)
}

fn params<'a>(sent: &'a [Value], kind: &str) -> Vec<&'a Value> {
    sent.iter()
        .filter(|c| str_of(c, "type").is_some_and(|t| t.eq_ignore_ascii_case(kind)))
        .flat_map(|c| {
            c.get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .collect()
}

fn mismatch(part: &str, got: usize, want: usize) -> ApiError {
    ApiError::with_details(
        132000,
        Some(&format!("{part}: number of localizable_params ({got}) does not match the expected number of params ({want})")),
    )
}

fn format_mismatch(part: &str, want: &str, got: &str) -> ApiError {
    ApiError::with_details(
        132012,
        Some(&format!(
            "{part}: Format mismatch, expected {want}, received {got}"
        )),
    )
}

/// Checks the components of a send against the approved template.
pub(crate) fn check_send(t: &EmulatedTemplate, sent: &[Value]) -> Result<(), ApiError> {
    let body_vars = component(&t.components, "BODY")
        .and_then(|b| str_of(b, "text"))
        .map(variables)
        .unwrap_or_default();
    let body = params(sent, "body");
    if body.len() != distinct(&body_vars) {
        return Err(mismatch("body", body.len(), distinct(&body_vars)));
    }
    for p in &body {
        let kind = str_of(p, "type").unwrap_or("UNKNOWN");
        if !matches!(kind, "text" | "currency" | "date_time") {
            return Err(format_mismatch("body", "TEXT", &kind.to_ascii_uppercase()));
        }
        if t.parameter_format == "named" {
            let name = str_of(p, "parameter_name").unwrap_or("");
            if !body_vars.iter().any(|v| v == name) {
                return Err(ApiError::with_details(
                    132000,
                    Some(&format!(
                        "body: parameter_name \"{name}\" is not a variable of the template"
                    )),
                ));
            }
        }
    }
    let header = params(sent, "header");
    match component(&t.components, "HEADER") {
        None => {
            if !header.is_empty() {
                return Err(mismatch("header", header.len(), 0));
            }
        }
        Some(h) => {
            let format = upper(h, "format");
            let want = match format.as_str() {
                "TEXT" => str_of(h, "text")
                    .map(variables)
                    .map(|v| v.len())
                    .unwrap_or(0),
                _ => 1,
            };
            if header.len() != want {
                return Err(mismatch("header", header.len(), want));
            }
            if let Some(p) = header.first() {
                let got = str_of(p, "type").unwrap_or("unknown").to_ascii_uppercase();
                let expected = if format == "GIF" {
                    "VIDEO".to_owned()
                } else {
                    format.clone()
                };
                if got != expected {
                    return Err(format_mismatch("header", &format, &got));
                }
                let named = |k: &str| {
                    p.pointer(&format!("/product/{k}"))
                        .and_then(Value::as_str)
                        .is_some_and(|v| !v.is_empty())
                };
                if format == "PRODUCT" && !(named("product_retailer_id") && named("catalog_id")) {
                    return Err(ApiError::with_details(
                        131008,
                        Some("header: a product needs product_retailer_id and catalog_id"),
                    ));
                }
            }
        }
    }
    check_button_params(t, sent)
}

fn check_button_params(t: &EmulatedTemplate, sent: &[Value]) -> Result<(), ApiError> {
    let buttons: Vec<Value> = component(&t.components, "BUTTONS")
        .and_then(|b| b.get("buttons"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let sent_buttons: Vec<&Value> = sent
        .iter()
        .filter(|c| str_of(c, "type").is_some_and(|k| k.eq_ignore_ascii_case("button")))
        .collect();
    for b in &sent_buttons {
        let index = b
            .get("index")
            .and_then(|i| {
                i.as_u64()
                    .or_else(|| i.as_str().and_then(|s| s.parse().ok()))
            })
            .and_then(|i| usize::try_from(i).ok());
        let Some(def) = index.and_then(|i| buttons.get(i)) else {
            return Err(ApiError::with_details(
                131009,
                Some("button: index does not match a button of the template"),
            ));
        };
        let sub = str_of(b, "sub_type").unwrap_or("").to_ascii_uppercase();
        if sub != upper(def, "type") {
            return Err(format_mismatch("button", &upper(def, "type"), &sub));
        }
    }
    for (i, def) in buttons.iter().enumerate() {
        let has_var =
            upper(def, "type") == "URL" && str_of(def, "url").is_some_and(|u| u.contains("{{"));
        let given = sent_buttons.iter().any(|b| {
            b.get("index").and_then(|x| {
                x.as_u64()
                    .or_else(|| x.as_str().and_then(|s| s.parse().ok()))
            }) == u64::try_from(i).ok()
        });
        if has_var && !given {
            return Err(mismatch("button", 0, 1));
        }
        let kind = upper(def, "type");
        if kind == "MPM" || kind == "CATALOG" {
            let sent = sent_buttons.iter().find(|b| {
                b.get("index").and_then(|x| {
                    x.as_u64()
                        .or_else(|| x.as_str().and_then(|s| s.parse().ok()))
                }) == u64::try_from(i).ok()
            });
            check_product_action(&kind, sent.copied())?;
        }
    }
    Ok(())
}

/// A product button's `action` parameter: a thumbnail, and for MPM 1–10 sections of
/// 1–30 products in all (Meta answers 131008 when it is missing, 131009 when wrong).
fn check_product_action(kind: &str, sent: Option<&Value>) -> Result<(), ApiError> {
    let action = sent
        .and_then(|b| b.get("parameters"))
        .and_then(Value::as_array)
        .and_then(|p| p.first())
        .filter(|p| str_of(p, "type") == Some("action"))
        .and_then(|p| p.get("action"));
    let Some(action) = action else {
        return Err(ApiError::with_details(
            131008,
            Some("button: a product button needs an `action` parameter"),
        ));
    };
    if str_of(action, "thumbnail_product_retailer_id").is_none_or(str::is_empty) {
        return Err(ApiError::with_details(
            131008,
            Some("button: action.thumbnail_product_retailer_id is required"),
        ));
    }
    if kind != "MPM" {
        return Ok(());
    }
    let sections = action
        .get("sections")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let items: usize = sections
        .iter()
        .map(|s| {
            s.get("product_items")
                .and_then(Value::as_array)
                .map_or(0, Vec::len)
        })
        .sum();
    let empty = sections.iter().any(|s| {
        s.get("product_items")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty)
    });
    if sections.is_empty() || sections.len() > 10 || empty || items > 30 {
        return Err(ApiError::with_details(
            131009,
            Some("button: action.sections must hold 1 to 10 sections of 1 to 30 products in all"),
        ));
    }
    Ok(())
}
