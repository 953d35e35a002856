//! Template *send* builders: the `template` object of a message (name, language and the
//! parameters filling an approved template's header, body and buttons). Creating a
//! template is `templates.rs`. Shapes follow the OpenAPI `TemplateObject` /
//! `TemplateComponent`; buttons carry `index` as a string and a lower-case `sub_type`
//! (the schema's form), even where Meta's examples write `0` and `CATALOG`.

mod render;

use super::interactive::{check_sections, ProductSection};
use super::{check_id, check_text, BuildError, MediaSource};
use crate::domain::money::Money;
use crate::integrations::meta::templates::{check_language, check_template_name, TemplateCategory};
use render::{body_param_json, button_json, header_json};
use serde_json::{json, Map, Value};

/// Longest text parameter in a header.
pub const HEADER_PARAM_MAX: usize = 60;
/// Longest text parameter in a body (Meta: 1024, or 32768 for a body-only template;
/// the builder cannot know which, so it enforces the hard limit).
pub const BODY_PARAM_MAX: usize = 32_768;
/// Most buttons a template has (so button indexes are 0–9).
pub const MAX_BUTTONS: usize = 10;

/// The parameter of a template header.
#[derive(Clone, Debug, PartialEq)]
pub enum HeaderParam {
    /// Text (≤60 characters); `name` for templates with named parameters.
    Text {
        /// `parameter_name` of a named-parameter template.
        name: Option<String>,
        /// The value.
        text: String,
    },
    /// Image header.
    Image(MediaSource),
    /// Video header.
    Video(MediaSource),
    /// Document header (PDF), with an optional file name.
    Document {
        /// The file.
        source: MediaSource,
        /// Name shown to the recipient.
        filename: Option<String>,
    },
    /// Location header (the template was created with `format: LOCATION`).
    Location {
        /// Latitude in degrees.
        latitude: f64,
        /// Longitude in degrees.
        longitude: f64,
        /// Place name.
        name: Option<String>,
        /// Address.
        address: Option<String>,
    },
    /// The product of a single-product (SPM) template (`format: PRODUCT`): an item of the
    /// catalog connected to the WABA.
    Product {
        /// The catalog.
        catalog_id: String,
        /// The item's retailer id.
        retailer_id: String,
    },
}

/// A value for a body (or header) placeholder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamValue {
    /// Plain text.
    Text(String),
    /// An amount Meta localises; `fallback` is shown when it cannot.
    Currency {
        /// Text shown if localisation fails (`"$100.99"`).
        fallback: String,
        /// ISO 4217 code (`"USD"`).
        code: String,
        /// Amount × 1000 (`100990` for 100.99): exactly [`Money`]'s unit.
        amount_1000: i64,
    },
    /// A date/time; Cloud API always shows the fallback text.
    DateTime {
        /// The text shown.
        fallback: String,
    },
}

/// One body parameter: a value, named (`parameter_name`) or positional.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BodyParam {
    name: Option<String>,
    value: ParamValue,
}

impl BodyParam {
    /// A positional text parameter.
    pub fn text(text: impl Into<String>) -> Self {
        Self::from(ParamValue::Text(text.into()))
    }

    /// A positional currency parameter from a [`Money`] amount.
    pub fn currency(fallback: impl Into<String>, code: impl Into<String>, amount: Money) -> Self {
        Self::from(ParamValue::Currency {
            fallback: fallback.into(),
            code: code.into(),
            amount_1000: amount.0,
        })
    }

    /// A positional date/time parameter.
    pub fn date_time(fallback: impl Into<String>) -> Self {
        Self::from(ParamValue::DateTime {
            fallback: fallback.into(),
        })
    }

    /// Names the parameter (`parameter_name`), for named-parameter templates.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
}

impl From<ParamValue> for BodyParam {
    fn from(value: ParamValue) -> Self {
        Self { name: None, value }
    }
}

/// A button parameter; `index` is the button's position in the template (0–9).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateButton {
    /// Quick reply: the payload comes back in the `button` webhook.
    QuickReply {
        /// Button position.
        index: u8,
        /// Developer payload.
        payload: String,
    },
    /// Dynamic URL button: `text` is appended to the template's URL.
    Url {
        /// Button position.
        index: u8,
        /// URL suffix.
        text: String,
    },
    /// "View catalog" button.
    Catalog {
        /// Button position.
        index: u8,
        /// SKU whose image is the thumbnail.
        thumbnail: String,
    },
    /// Multi-product button: up to 30 products in up to 10 sections.
    Mpm {
        /// Button position.
        index: u8,
        /// SKU whose image is the thumbnail.
        thumbnail: String,
        /// The products.
        sections: Vec<ProductSection>,
    },
}

impl TemplateButton {
    fn index(&self) -> u8 {
        match self {
            Self::QuickReply { index, .. }
            | Self::Url { index, .. }
            | Self::Catalog { index, .. }
            | Self::Mpm { index, .. } => *index,
        }
    }
}

/// The `template` object of a template message.
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateSend {
    name: String,
    language: String,
    category: Option<TemplateCategory>,
    header: Option<HeaderParam>,
    body: Vec<BodyParam>,
    buttons: Vec<TemplateButton>,
}

impl TemplateSend {
    /// A template by name (lower case, digits, `_`) and language code (`en`, `en_US`).
    ///
    /// # Errors
    /// [`BuildError`] naming `template.name` or `template.language.code`.
    pub fn new(name: &str, language: &str) -> Result<Self, BuildError> {
        check_template_name(name).map_err(|r| BuildError::invalid("template.name", r))?;
        check_language(language).map_err(|r| BuildError::invalid("template.language.code", r))?;
        Ok(Self {
            name: name.to_owned(),
            language: language.to_owned(),
            category: None,
            header: None,
            body: Vec::new(),
            buttons: Vec::new(),
        })
    }

    /// Records the template's category for policy (not sent; Meta knows it).
    pub fn with_category(mut self, category: TemplateCategory) -> Self {
        self.category = Some(category);
        self
    }

    /// The template name.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn category_hint(&self) -> Option<TemplateCategory> {
        self.category
    }

    /// Sets the header parameter.
    ///
    /// # Errors
    /// [`BuildError`] naming the header field.
    pub fn header(mut self, header: HeaderParam) -> Result<Self, BuildError> {
        check_header(&header)?;
        self.header = Some(header);
        Ok(self)
    }

    /// Appends a body parameter (in placeholder order for positional templates).
    ///
    /// # Errors
    /// [`BuildError`] naming `template.body.parameters[i]…`; also when named and
    /// positional parameters are mixed, or a name repeats.
    pub fn body_param(mut self, param: BodyParam) -> Result<Self, BuildError> {
        let field = format!("template.body.parameters[{}]", self.body.len());
        check_value(&field, &param.value, BODY_PARAM_MAX)?;
        if let Some(first) = self.body.first() {
            if first.name.is_some() != param.name.is_some() {
                return Err(BuildError::invalid(
                    format!("{field}.parameter_name"),
                    "named and positional parameters cannot be mixed",
                ));
            }
        }
        if let Some(name) = &param.name {
            check_param_name(&format!("{field}.parameter_name"), name)?;
            if self.body.iter().any(|p| p.name.as_ref() == Some(name)) {
                return Err(BuildError::invalid(
                    format!("{field}.parameter_name"),
                    "repeats an earlier parameter name",
                ));
            }
        }
        self.body.push(param);
        Ok(self)
    }

    /// Adds a button parameter.
    ///
    /// # Errors
    /// [`BuildError`] naming `template.buttons[i]…` (index over 9 or repeated, blank
    /// payload or text, MPM section limits).
    pub fn button(mut self, button: TemplateButton) -> Result<Self, BuildError> {
        let index = button.index();
        let field = format!("template.buttons[{index}]");
        if usize::from(index) >= MAX_BUTTONS {
            return Err(BuildError::invalid(
                format!("{field}.index"),
                "must be 0 to 9",
            ));
        }
        if self.buttons.iter().any(|b| b.index() == index) {
            return Err(BuildError::invalid(format!("{field}.index"), "used twice"));
        }
        match &button {
            TemplateButton::QuickReply { payload, .. } => {
                check_text(&format!("{field}.payload"), payload, 1000)?;
            }
            TemplateButton::Url { text, .. } => check_text(&format!("{field}.text"), text, 2000)?,
            TemplateButton::Catalog { thumbnail, .. } => {
                check_id(&format!("{field}.thumbnail_product_retailer_id"), thumbnail)?;
            }
            TemplateButton::Mpm {
                thumbnail,
                sections,
                ..
            } => {
                check_id(&format!("{field}.thumbnail_product_retailer_id"), thumbnail)?;
                check_sections(&format!("{field}.sections"), sections)?;
            }
        }
        self.buttons.push(button);
        self.buttons.sort_by_key(TemplateButton::index);
        Ok(self)
    }

    /// The `template` object.
    pub(crate) fn to_json(&self) -> Value {
        let mut components = Vec::new();
        if let Some(h) = &self.header {
            components.push(json!({ "type": "header", "parameters": [header_json(h)] }));
        }
        if !self.body.is_empty() {
            let params: Vec<Value> = self.body.iter().map(body_param_json).collect();
            components.push(json!({ "type": "body", "parameters": params }));
        }
        components.extend(self.buttons.iter().map(button_json));
        let mut t = Map::new();
        t.insert("name".into(), Value::from(self.name.as_str()));
        t.insert("language".into(), json!({ "code": self.language }));
        if !components.is_empty() {
            t.insert("components".into(), Value::Array(components));
        }
        Value::Object(t)
    }
}

fn check_header(header: &HeaderParam) -> Result<(), BuildError> {
    const F: &str = "template.header.parameters[0]";
    match header {
        HeaderParam::Text { name, text } => {
            check_value(F, &ParamValue::Text(text.clone()), HEADER_PARAM_MAX)?;
            if let Some(n) = name {
                check_param_name(&format!("{F}.parameter_name"), n)?;
            }
        }
        HeaderParam::Image(_) | HeaderParam::Video(_) => {}
        HeaderParam::Product {
            catalog_id,
            retailer_id,
        } => {
            check_text(&format!("{F}.product.catalog_id"), catalog_id, 64)?;
            check_text(
                &format!("{F}.product.product_retailer_id"),
                retailer_id,
                100,
            )?;
        }
        HeaderParam::Document { filename, .. } => {
            if let Some(f) = filename {
                check_text(&format!("{F}.document.filename"), f, 240)?;
            }
        }
        HeaderParam::Location {
            latitude,
            longitude,
            name,
            address,
        } => {
            if !(-90.0..=90.0).contains(latitude) {
                return Err(BuildError::invalid(
                    format!("{F}.location.latitude"),
                    "not in -90..90",
                ));
            }
            if !(-180.0..=180.0).contains(longitude) {
                return Err(BuildError::invalid(
                    format!("{F}.location.longitude"),
                    "not in -180..180",
                ));
            }
            if let Some(n) = name {
                check_text(&format!("{F}.location.name"), n, 1000)?;
            }
            if let Some(a) = address {
                check_text(&format!("{F}.location.address"), a, 1000)?;
            }
        }
    }
    Ok(())
}

/// Checks a parameter value; `text_max` bounds text parameters.
fn check_value(field: &str, value: &ParamValue, text_max: usize) -> Result<(), BuildError> {
    match value {
        ParamValue::Text(text) => {
            let field = format!("{field}.text");
            check_text(&field, text, text_max)?;
            // Meta rejects these with #100 ("Param text cannot have new-line/tab
            // characters or more than 4 consecutive spaces").
            if text.contains(['\n', '\r', '\t']) || text.contains("     ") {
                return Err(BuildError::invalid(
                    field,
                    "no new lines, tabs or more than 4 consecutive spaces",
                ));
            }
        }
        ParamValue::Currency {
            fallback,
            code,
            amount_1000,
        } => {
            check_text(&format!("{field}.currency.fallback_value"), fallback, 1000)?;
            if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(BuildError::invalid(
                    format!("{field}.currency.code"),
                    "must be an ISO 4217 code such as USD",
                ));
            }
            // The spec types amount_1000 as int32.
            if i32::try_from(*amount_1000).is_err() {
                return Err(BuildError::invalid(
                    format!("{field}.currency.amount_1000"),
                    "out of the 32-bit range Meta accepts",
                ));
            }
        }
        ParamValue::DateTime { fallback } => {
            check_text(&format!("{field}.date_time.fallback_value"), fallback, 1000)?;
        }
    }
    Ok(())
}

/// Named parameters: lower-case letters, digits and `_`, starting with a letter or `_`.
fn check_param_name(field: &str, name: &str) -> Result<(), BuildError> {
    check_text(field, name, 512)?;
    let ok = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(BuildError::invalid(
            field,
            "lower-case letters, digits and _ only, not starting with a digit",
        ))
    }
}
