//! `TemplateDefinition`: a template to submit for review, checked against Meta's
//! component rules before it is sent (header TEXT ≤60 with at most one parameter or a
//! media header with an upload handle; BODY required, ≤1024, with examples for every
//! placeholder and no placeholder at its start or end; FOOTER ≤60 without placeholders;
//! ≤10 buttons: QUICK_REPLY grouped together, ≤2 URL, ≤1 PHONE_NUMBER, labels ≤25).

mod rules;

use super::{check_language, check_template_name, TemplateCategory};
use crate::domain::phone::PhoneE164;
use rules::{check_len, check_params, check_url, format_of, placeholder_count, Format};
use serde_json::{json, Map, Value};

/// Why a template definition is not acceptable; names the field (`components.BODY.text` …).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// A rule was broken.
    #[error("{field}: {reason}")]
    Invalid {
        /// Path of the field.
        field: String,
        /// The rule.
        reason: String,
    },
}

impl TemplateError {
    fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Path of the offending field.
    pub fn field(&self) -> &str {
        match self {
            Self::Invalid { field, .. } => field,
        }
    }
}

/// Sample values for a text's placeholders, which Meta's reviewers read.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Examples {
    /// The text has no placeholders.
    #[default]
    None,
    /// One value per `{{1}}`, `{{2}}` … in order.
    Positional(Vec<String>),
    /// `(name, value)` per `{{name}}` placeholder.
    Named(Vec<(String, String)>),
}

/// The media type of a media header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HeaderFormat {
    /// Image header.
    Image,
    /// Video header.
    Video,
    /// Document header.
    Document,
}

impl HeaderFormat {
    fn as_str(self) -> &'static str {
        match self {
            Self::Image => "IMAGE",
            Self::Video => "VIDEO",
            Self::Document => "DOCUMENT",
        }
    }
}

/// A button of a template definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateButtonDef {
    /// A quick reply; the tap comes back as a `button` webhook.
    QuickReply {
        /// Label (≤25).
        text: String,
    },
    /// Opens a URL; a `{{1}}` at its end is filled at send time.
    Url {
        /// Label (≤25).
        text: String,
        /// `https://…`, optionally ending with `{{1}}`.
        url: String,
        /// Sample of the variable part, required when the URL has `{{1}}`.
        example: Option<String>,
    },
    /// Calls a number.
    PhoneNumber {
        /// Label (≤25).
        text: String,
        /// Number to call.
        phone: PhoneE164,
    },
    /// "View items": the products are chosen per send (≤ 30); the template needs a
    /// text header. At most one product button (MPM or CATALOG) per template.
    Mpm {
        /// Label (≤25).
        text: String,
    },
    /// "View catalog": a product as thumbnail, chosen per send.
    Catalog {
        /// Label (≤25).
        text: String,
    },
    /// "View": a single-product (SPM) template; its header is the product (`format:
    /// PRODUCT`), chosen per send. Marketing only.
    Spm {
        /// Label (≤25).
        text: String,
    },
}

impl TemplateButtonDef {
    fn is_product(&self) -> bool {
        matches!(
            self,
            Self::Mpm { .. } | Self::Catalog { .. } | Self::Spm { .. }
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum HeaderDef {
    Text {
        text: String,
        examples: Examples,
    },
    Media {
        format: HeaderFormat,
        handle: String,
    },
    Location,
    /// The product of an SPM template.
    Product,
}

/// A template to create with `create_template`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateDefinition {
    name: String,
    language: String,
    category: TemplateCategory,
    header: Option<HeaderDef>,
    body: Option<(String, Examples)>,
    footer: Option<String>,
    buttons: Vec<TemplateButtonDef>,
}

const HEADER_MAX: usize = 60;
const BODY_MAX: usize = 1024;
const FOOTER_MAX: usize = 60;
const LABEL_MAX: usize = 25;
const MAX_BUTTONS: usize = 10;

impl TemplateDefinition {
    /// A template named `name` (lower case, digits, `_`) in `language`.
    ///
    /// # Errors
    /// [`TemplateError`] naming `name`, `language` or `category` (AUTHENTICATION is not
    /// supported yet).
    pub fn new(
        name: &str,
        language: &str,
        category: TemplateCategory,
    ) -> Result<Self, TemplateError> {
        check_template_name(name).map_err(|r| TemplateError::new("name", r))?;
        check_language(language).map_err(|r| TemplateError::new("language", r))?;
        if category == TemplateCategory::Authentication {
            return Err(TemplateError::new(
                "category",
                "AUTHENTICATION templates are not supported yet",
            ));
        }
        Ok(Self {
            name: name.to_owned(),
            language: language.to_owned(),
            category,
            header: None,
            body: None,
            footer: None,
            buttons: Vec::new(),
        })
    }

    /// The template name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A text header (≤60 characters, at most one placeholder).
    ///
    /// # Errors
    /// [`TemplateError`] naming `components.HEADER…`.
    pub fn header_text(mut self, text: &str, examples: Examples) -> Result<Self, TemplateError> {
        const F: &str = "components.HEADER.text";
        check_len(F, text, HEADER_MAX)?;
        let found = check_params(F, text, &examples)?;
        if placeholder_count(&examples) > 1 || found.is_some_and(|(_, n)| n > 1) {
            return Err(TemplateError::new(F, "a header has at most one parameter"));
        }
        self.header = Some(HeaderDef::Text {
            text: text.to_owned(),
            examples,
        });
        Ok(self)
    }

    /// An image, video or document header; `handle` comes from the Resumable Upload API.
    ///
    /// # Errors
    /// [`TemplateError`] naming `components.HEADER.example.header_handle`.
    pub fn header_media(
        mut self,
        format: HeaderFormat,
        handle: &str,
    ) -> Result<Self, TemplateError> {
        check_len("components.HEADER.example.header_handle", handle, 4096)?;
        self.header = Some(HeaderDef::Media {
            format,
            handle: handle.to_owned(),
        });
        Ok(self)
    }

    /// A location header (the location is given at send time).
    pub fn header_location(mut self) -> Self {
        self.header = Some(HeaderDef::Location);
        self
    }

    /// The body (required; ≤1024 characters; examples for every placeholder).
    ///
    /// # Errors
    /// [`TemplateError`] naming `components.BODY…`.
    pub fn body(mut self, text: &str, examples: Examples) -> Result<Self, TemplateError> {
        const F: &str = "components.BODY.text";
        check_len(F, text, BODY_MAX)?;
        check_params(F, text, &examples)?;
        let t = text.trim();
        if t.starts_with("{{") || t.ends_with("}}") {
            return Err(TemplateError::new(
                F,
                "a parameter cannot start or end the body (Meta error 2388299)",
            ));
        }
        self.body = Some((text.to_owned(), examples));
        Ok(self)
    }

    /// A footer (≤60 characters, no placeholders).
    ///
    /// # Errors
    /// [`TemplateError`] naming `components.FOOTER.text`.
    pub fn footer(mut self, text: &str) -> Result<Self, TemplateError> {
        const F: &str = "components.FOOTER.text";
        check_len(F, text, FOOTER_MAX)?;
        if text.contains("{{") {
            return Err(TemplateError::new(F, "a footer has no parameters"));
        }
        self.footer = Some(text.to_owned());
        Ok(self)
    }

    /// Adds a button.
    ///
    /// # Errors
    /// [`TemplateError`] naming `components.BUTTONS.buttons[i]…`.
    pub fn button(mut self, button: TemplateButtonDef) -> Result<Self, TemplateError> {
        let i = self.buttons.len();
        let field = format!("components.BUTTONS.buttons[{i}]");
        if i >= MAX_BUTTONS {
            return Err(TemplateError::new(field, "at most 10 buttons"));
        }
        let count =
            |pred: fn(&TemplateButtonDef) -> bool| self.buttons.iter().filter(|b| pred(b)).count();
        match &button {
            TemplateButtonDef::QuickReply { text } => {
                check_len(&format!("{field}.text"), text, LABEL_MAX)?;
                let last_is_qr = matches!(
                    self.buttons.last(),
                    None | Some(TemplateButtonDef::QuickReply { .. })
                );
                if count(|b| matches!(b, TemplateButtonDef::QuickReply { .. })) > 0 && !last_is_qr {
                    return Err(TemplateError::new(
                        field,
                        "quick replies must be grouped together",
                    ));
                }
            }
            TemplateButtonDef::Url { text, url, example } => {
                check_len(&format!("{field}.text"), text, LABEL_MAX)?;
                if count(|b| matches!(b, TemplateButtonDef::Url { .. })) >= 2 {
                    return Err(TemplateError::new(field, "at most 2 URL buttons"));
                }
                check_url(&field, url, example.as_deref())?;
            }
            TemplateButtonDef::PhoneNumber { text, .. } => {
                check_len(&format!("{field}.text"), text, LABEL_MAX)?;
                if count(|b| matches!(b, TemplateButtonDef::PhoneNumber { .. })) >= 1 {
                    return Err(TemplateError::new(field, "at most 1 PHONE_NUMBER button"));
                }
            }
            TemplateButtonDef::Mpm { text }
            | TemplateButtonDef::Catalog { text }
            | TemplateButtonDef::Spm { text } => {
                check_len(&format!("{field}.text"), text, LABEL_MAX)?;
                if count(TemplateButtonDef::is_product) >= 1 {
                    return Err(TemplateError::new(
                        field,
                        "at most 1 product button (MPM, CATALOG or SPM)",
                    ));
                }
            }
        }
        self.buttons.push(button);
        Ok(self)
    }

    /// The request body of `POST /{waba-id}/message_templates`.
    ///
    /// # Errors
    /// [`TemplateError`] naming `components.BODY` when the body is missing, or
    /// `parameter_format` when header and body mix named and positional parameters.
    pub fn to_json(&self) -> Result<Value, TemplateError> {
        let Some((body_text, body_ex)) = &self.body else {
            return Err(TemplateError::new("components.BODY", "a body is required"));
        };
        let spm = (self.buttons.iter()).any(|b| matches!(b, TemplateButtonDef::Spm { .. }));
        let mut header = self.header.clone();
        if spm {
            match header {
                None | Some(HeaderDef::Product) => header = Some(HeaderDef::Product),
                Some(_) => {
                    return Err(TemplateError::new(
                        "components.HEADER",
                        "an SPM template's header is its product: give no other header",
                    ))
                }
            }
            if self.category != TemplateCategory::Marketing {
                return Err(TemplateError::new(
                    "category",
                    "an SPM template must be MARKETING",
                ));
            }
        }
        let mpm = (self.buttons.iter()).any(|b| matches!(b, TemplateButtonDef::Mpm { .. }));
        if mpm && !matches!(self.header, Some(HeaderDef::Text { .. })) {
            return Err(TemplateError::new(
                "components.HEADER",
                "a template with an MPM button needs a text header",
            ));
        }
        let mut formats = vec![format_of(body_ex)];
        let mut components = Vec::new();
        if let Some(h) = &header {
            if let HeaderDef::Text { examples, .. } = h {
                formats.push(format_of(examples));
            }
            components.push(header_json(h));
        }
        components.push(text_component("BODY", body_text, body_ex, "body_text"));
        if let Some(f) = &self.footer {
            components.push(json!({ "type": "FOOTER", "text": f }));
        }
        if !self.buttons.is_empty() {
            let buttons: Vec<Value> = self.buttons.iter().map(button_json).collect();
            components.push(json!({ "type": "BUTTONS", "buttons": buttons }));
        }
        let formats: Vec<Format> = formats.into_iter().flatten().collect();
        if formats.windows(2).any(|w| w[0] != w[1]) {
            return Err(TemplateError::new(
                "parameter_format",
                "header and body must both use named or both positional parameters",
            ));
        }
        let mut m = Map::new();
        m.insert("name".into(), Value::from(self.name.as_str()));
        m.insert("language".into(), Value::from(self.language.as_str()));
        m.insert("category".into(), Value::from(self.category.as_str()));
        if formats.first() == Some(&Format::Named) {
            m.insert("parameter_format".into(), "named".into());
        }
        m.insert("components".into(), Value::Array(components));
        Ok(Value::Object(m))
    }
}

fn text_component(kind: &str, text: &str, ex: &Examples, key: &str) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), Value::from(kind));
    if kind == "HEADER" {
        m.insert("format".into(), "TEXT".into());
    }
    m.insert("text".into(), Value::from(text));
    let example = match ex {
        Examples::None => None,
        // Body examples are one row of values (`[[…]]`); header examples a flat list.
        Examples::Positional(v) if key == "body_text" => Some(json!({ key: [v] })),
        Examples::Positional(v) => Some(json!({ key: v })),
        Examples::Named(pairs) => {
            let params: Vec<Value> = pairs
                .iter()
                .map(|(n, e)| json!({ "param_name": n, "example": e }))
                .collect();
            Some(json!({ format!("{key}_named_params"): params }))
        }
    };
    if let Some(e) = example {
        m.insert("example".into(), e);
    }
    Value::Object(m)
}

fn header_json(h: &HeaderDef) -> Value {
    match h {
        HeaderDef::Text { text, examples } => {
            text_component("HEADER", text, examples, "header_text")
        }
        HeaderDef::Media { format, handle } => json!({
            "type": "HEADER", "format": format.as_str(), "example": { "header_handle": [handle] },
        }),
        HeaderDef::Location => json!({ "type": "HEADER", "format": "LOCATION" }),
        HeaderDef::Product => json!({ "type": "HEADER", "format": "PRODUCT" }),
    }
}

fn button_json(b: &TemplateButtonDef) -> Value {
    match b {
        TemplateButtonDef::QuickReply { text } => json!({ "type": "QUICK_REPLY", "text": text }),
        TemplateButtonDef::Url { text, url, example } => {
            let mut v = json!({ "type": "URL", "text": text, "url": url });
            if let (Some(ex), Some(m)) = (example, v.as_object_mut()) {
                m.insert("example".into(), json!([ex]));
            }
            v
        }
        TemplateButtonDef::Mpm { text } => json!({ "type": "MPM", "text": text }),
        TemplateButtonDef::Catalog { text } => json!({ "type": "CATALOG", "text": text }),
        TemplateButtonDef::Spm { text } => json!({ "type": "SPM", "text": text }),
        TemplateButtonDef::PhoneNumber { text, phone } => json!({
            "type": "PHONE_NUMBER", "text": text, "phone_number": phone.digits().to_string(),
        }),
    }
}
