//! Template rules, pure: what `POST /{waba-id}/message_templates` accepts
//! (`reference/meta-api.md` §6: name, supported language, category, one BODY ≤1024 with
//! examples for its variables and none at its start or end, HEADER ≤60 with at most one
//! variable or a media handle, FOOTER ≤60, ≤10 buttons with Meta's per-type limits).
//! What a send must carry to match its template is `template_send`. A
//! leaf: imports only `faults`.

use super::faults::ApiError;
use serde_json::Value;

/// Languages Meta accepts for templates.
const LANGUAGES: &[&str] = &[
    "af", "sq", "ar", "ar_EG", "ar_AE", "ar_LB", "ar_MA", "ar_QA", "az", "be_BY", "bn", "bn_IN",
    "bg", "ca", "zh_CN", "zh_HK", "zh_TW", "hr", "cs", "da", "prs_AF", "nl", "nl_BE", "en",
    "en_GB", "en_US", "en_AE", "en_AU", "en_CA", "en_GH", "en_IE", "en_IN", "en_JM", "en_MY",
    "en_NZ", "en_QA", "en_SG", "en_UG", "en_ZA", "et", "fil", "fi", "fr", "fr_BE", "fr_CA",
    "fr_CH", "fr_CI", "fr_MA", "ka", "de", "de_AT", "de_CH", "el", "gu", "ha", "he", "hi", "hu",
    "id", "ga", "it", "ja", "kn", "kk", "rw_RW", "ko", "ky_KG", "lo", "lv", "lt", "mk", "ms", "ml",
    "mr", "nb", "ps_AF", "fa", "pl", "pt_BR", "pt_PT", "pa", "ro", "ru", "sr", "si_LK", "sk", "sl",
    "es", "es_AR", "es_CL", "es_CO", "es_CR", "es_DO", "es_EC", "es_HN", "es_MX", "es_PA", "es_PE",
    "es_ES", "es_UY", "sw", "sv", "ta", "te", "th", "tr", "uk", "ur", "uz", "vi", "zu",
];

/// A create body that passed the rules.
pub(crate) struct Definition {
    pub name: String,
    pub language: String,
    pub category: String,
    pub parameter_format: String,
    pub components: Value,
}

fn invalid(details: impl AsRef<str>) -> ApiError {
    ApiError::invalid(details.as_ref())
}

/// The variables of a text (`{{1}}`, `{{first_name}}`), in order of appearance.
pub(crate) fn variables(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        out.push(after[..end].trim().to_owned());
        rest = &after[end + 2..];
    }
    out
}

pub(super) fn distinct(vars: &[String]) -> usize {
    let mut v: Vec<&String> = vars.iter().collect();
    v.sort();
    v.dedup();
    v.len()
}

pub(super) fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

pub(super) fn upper(v: &Value, key: &str) -> String {
    str_of(v, key).unwrap_or("").to_ascii_uppercase()
}

fn bounded(v: &Value, key: &str, field: &str, max: usize) -> Result<String, ApiError> {
    let s = str_of(v, key)
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| invalid(format!("{field} is required.")))?;
    if s.chars().count() > max {
        return Err(invalid(format!(
            "{field} must be at most {max} characters."
        )));
    }
    Ok(s.to_owned())
}

/// Checks a create body.
pub(crate) fn check_definition(body: &Value) -> Result<Definition, ApiError> {
    let name = str_of(body, "name").unwrap_or("");
    if name.is_empty()
        || name.len() > 512
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(invalid(
            "name must be 1 to 512 lowercase letters, digits or underscores.",
        ));
    }
    let language = str_of(body, "language").unwrap_or("");
    if !LANGUAGES.contains(&language) {
        return Err(invalid(format!(
            "language \"{language}\" is not a supported template language."
        )));
    }
    let category = upper(body, "category");
    if !matches!(
        category.as_str(),
        "MARKETING" | "UTILITY" | "AUTHENTICATION"
    ) {
        return Err(invalid(
            "category must be one of MARKETING, UTILITY, AUTHENTICATION.",
        ));
    }
    let format = match str_of(body, "parameter_format")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("positional") => "positional",
        Some("named") => "named",
        Some(_) => {
            return Err(invalid(
                "parameter_format must be one of named, positional.",
            ))
        }
    };
    let comps = body
        .get("components")
        .and_then(Value::as_array)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| invalid("components is required."))?;
    let mut seen: Vec<String> = Vec::new();
    for c in comps {
        let t = upper(c, "type");
        if !matches!(t.as_str(), "HEADER" | "BODY" | "FOOTER" | "BUTTONS") {
            return Err(invalid(
                "components[].type must be one of HEADER, BODY, FOOTER, BUTTONS.",
            ));
        }
        if seen.contains(&t) {
            return Err(invalid(format!("components has more than one {t}.")));
        }
        seen.push(t.clone());
        match t.as_str() {
            "BODY" if category != "AUTHENTICATION" => check_body(c, format)?,
            "HEADER" => check_header(c, format)?,
            "FOOTER" => {
                let text = bounded(c, "text", "components[FOOTER].text", 60)?;
                if text.contains("{{") {
                    return Err(invalid("components[FOOTER].text cannot have variables."));
                }
            }
            "BUTTONS" => check_buttons(c)?,
            _ => {}
        }
    }
    if !seen.iter().any(|t| t == "BODY") {
        return Err(invalid("components must include a BODY."));
    }
    Ok(Definition {
        name: name.to_owned(),
        language: language.to_owned(),
        category,
        parameter_format: format.to_owned(),
        components: Value::Array(comps.clone()),
    })
}

/// Variable names must follow the template's format: `1..n` in order, or lowercase names.
fn check_vars(field: &str, vars: &[String], format: &str) -> Result<(), ApiError> {
    if format == "named" {
        let ok = vars.iter().all(|v| {
            v.starts_with(|c: char| c.is_ascii_lowercase())
                && v.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        });
        if !ok {
            return Err(invalid(format!(
                "{field}: named variables must be lowercase letters, digits and underscores."
            )));
        }
        return Ok(());
    }
    for (i, v) in vars.iter().enumerate() {
        if v.parse::<usize>().ok() != Some(i + 1) {
            return Err(invalid(format!(
                "{field}: positional variables must be {{{{1}}}}, {{{{2}}}} … in order."
            )));
        }
    }
    Ok(())
}

fn check_body(c: &Value, format: &str) -> Result<(), ApiError> {
    let text = bounded(c, "text", "components[BODY].text", 1024)?;
    let vars = variables(&text);
    check_vars("components[BODY].text", &vars, format)?;
    let t = text.trim();
    if t.starts_with("{{") || t.ends_with("}}") {
        return Err(ApiError::invalid_sub(
            2388299,
            "Variables can't be at the start or end of the template.",
        ));
    }
    let squeezed: String = t.chars().filter(|c| !c.is_whitespace()).collect();
    if squeezed.contains("}}{{") {
        return Err(ApiError::invalid_sub(
            2388293,
            "Variables can't be next to each other without text between them.",
        ));
    }
    if vars.is_empty() {
        return Ok(());
    }
    let example = c.get("example").unwrap_or(&Value::Null);
    let given = if format == "named" {
        example
            .get("body_text_named_params")
            .and_then(Value::as_array)
            .map(Vec::len)
    } else {
        example
            .get("body_text")
            .and_then(Value::as_array)
            .and_then(|rows| rows.first())
            .and_then(Value::as_array)
            .map(Vec::len)
    };
    if given != Some(distinct(&vars)) {
        return Err(invalid(
            "components[BODY].example must give one sample value per variable.",
        ));
    }
    Ok(())
}

fn check_header(c: &Value, format: &str) -> Result<(), ApiError> {
    match upper(c, "format").as_str() {
        "TEXT" => {
            let text = bounded(c, "text", "components[HEADER].text", 60)?;
            let vars = variables(&text);
            check_vars("components[HEADER].text", &vars, format)?;
            if vars.len() > 1 {
                return Err(invalid(
                    "components[HEADER].text can have at most one variable.",
                ));
            }
            let example = c.get("example").unwrap_or(&Value::Null);
            if !vars.is_empty()
                && example.get("header_text").is_none()
                && example.get("header_text_named_params").is_none()
            {
                return Err(invalid(
                    "components[HEADER].example is required when the header has a variable.",
                ));
            }
            Ok(())
        }
        "IMAGE" | "VIDEO" | "DOCUMENT" | "GIF" => {
            let handles = c
                .pointer("/example/header_handle")
                .and_then(Value::as_array);
            if handles.is_none_or(|h| h.is_empty()) {
                return Err(invalid(
                    "components[HEADER].example.header_handle is required for a media header.",
                ));
            }
            Ok(())
        }
        "LOCATION" | "PRODUCT" => Ok(()),
        _ => Err(invalid(
            "components[HEADER].format must be one of TEXT, IMAGE, VIDEO, DOCUMENT, LOCATION, PRODUCT.",
        )),
    }
}

fn check_buttons(c: &Value) -> Result<(), ApiError> {
    let buttons = c
        .get("buttons")
        .and_then(Value::as_array)
        .filter(|b| (1..=10).contains(&b.len()))
        .ok_or_else(|| invalid("components[BUTTONS].buttons must have 1 to 10 buttons."))?;
    let kinds: Vec<String> = buttons.iter().map(|b| upper(b, "type")).collect();
    let count = |k: &str| kinds.iter().filter(|t| *t == k).count();
    if count("URL") > 2 || count("PHONE_NUMBER") > 1 || count("COPY_CODE") > 1 {
        return Err(invalid(
            "components[BUTTONS]: at most 2 URL, 1 PHONE_NUMBER and 1 COPY_CODE buttons.",
        ));
    }
    let qr: Vec<usize> = (0..kinds.len())
        .filter(|&i| kinds[i] == "QUICK_REPLY")
        .collect();
    if qr.len() > 1 && qr[qr.len() - 1] - qr[0] + 1 != qr.len() {
        return Err(invalid(
            "components[BUTTONS]: quick reply buttons must be grouped together.",
        ));
    }
    for (i, (b, kind)) in buttons.iter().zip(&kinds).enumerate() {
        let f = format!("components[BUTTONS].buttons[{i}]");
        match kind.as_str() {
            "QUICK_REPLY" => {
                bounded(b, "text", &format!("{f}.text"), 25)?;
            }
            "URL" => {
                bounded(b, "text", &format!("{f}.text"), 25)?;
                let url = bounded(b, "url", &format!("{f}.url"), 2000)?;
                if url.contains("{{") && b.get("example").is_none() {
                    return Err(invalid(format!(
                        "{f}.example is required for a URL with a variable."
                    )));
                }
            }
            "PHONE_NUMBER" => {
                bounded(b, "text", &format!("{f}.text"), 25)?;
                bounded(b, "phone_number", &format!("{f}.phone_number"), 20)?;
            }
            "COPY_CODE" => {
                bounded(b, "example", &format!("{f}.example"), 15)?;
            }
            "OTP" | "CATALOG" | "MPM" | "SPM" | "FLOW" | "VOICE_CALL" => {}
            _ => return Err(invalid(format!("{f}.type is not a known button type."))),
        }
    }
    Ok(())
}
