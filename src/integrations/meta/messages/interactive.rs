//! Commerce interactive messages: single product (`product`, SPM), multi product
//! (`product_list`, MPM) and `catalog_message`, with the limits of `reference/meta-api.md`
//! §1.3–1.5: SPM has no header; MPM needs a text header (≤60), a body (≤1024), 1–10
//! sections, a section title (≤24) whenever there is more than one section, ≥1 product per
//! section and ≤30 products in all; footers ≤60; bodies ≤1024.

use super::{check_count, check_id, check_text, BuildError};
use serde_json::{json, Map, Value};

/// Longest interactive body.
pub const BODY_MAX: usize = 1024;
/// Longest interactive header text and footer.
pub const HEADER_FOOTER_MAX: usize = 60;
/// Longest section title.
pub const SECTION_TITLE_MAX: usize = 24;
/// Most sections in an MPM.
pub const MAX_SECTIONS: usize = 10;
/// Most products across all sections of an MPM.
pub const MAX_PRODUCTS: usize = 30;

/// A titled group of products (catalog SKUs, i.e. `product_retailer_id`s).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductSection {
    title: Option<String>,
    skus: Vec<String>,
}

impl ProductSection {
    /// A section; checked when it goes into a message.
    pub fn new(title: Option<&str>, skus: Vec<String>) -> Self {
        Self {
            title: title.map(str::to_owned),
            skus,
        }
    }
}

/// Checks MPM sections (`field` is the path of the `sections` array).
pub(crate) fn check_sections(field: &str, sections: &[ProductSection]) -> Result<(), BuildError> {
    check_count(field, sections.len(), 1, MAX_SECTIONS)?;
    let total: usize = sections.iter().map(|s| s.skus.len()).sum();
    check_count(&format!("{field}[*].product_items"), total, 1, MAX_PRODUCTS)?;
    for (i, s) in sections.iter().enumerate() {
        let title_field = format!("{field}[{i}].title");
        match &s.title {
            Some(t) => check_text(&title_field, t, SECTION_TITLE_MAX)?,
            None if sections.len() > 1 => {
                return Err(BuildError::Missing { field: title_field });
            }
            None => {}
        }
        check_count(
            &format!("{field}[{i}].product_items"),
            s.skus.len(),
            1,
            MAX_PRODUCTS,
        )?;
        for (j, sku) in s.skus.iter().enumerate() {
            check_id(
                &format!("{field}[{i}].product_items[{j}].product_retailer_id"),
                sku,
            )?;
        }
    }
    Ok(())
}

/// The `sections` array.
pub(crate) fn sections_json(sections: &[ProductSection]) -> Value {
    sections
        .iter()
        .map(|s| {
            let items: Vec<Value> = s
                .skus
                .iter()
                .map(|sku| json!({ "product_retailer_id": sku }))
                .collect();
            let mut m = Map::new();
            if let Some(t) = &s.title {
                m.insert("title".into(), Value::from(t.as_str()));
            }
            m.insert("product_items".into(), Value::Array(items));
            Value::Object(m)
        })
        .collect()
}

fn text_obj(text: &str) -> Value {
    json!({ "text": text })
}

/// A single-product message: one catalog item, optional body and footer, no header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductMessage {
    catalog_id: String,
    sku: String,
    body: Option<String>,
    footer: Option<String>,
}

impl ProductMessage {
    /// The product `sku` of catalog `catalog_id`.
    ///
    /// # Errors
    /// [`BuildError`] naming `interactive.action.catalog_id` or `…product_retailer_id`.
    pub fn new(catalog_id: &str, sku: &str) -> Result<Self, BuildError> {
        check_id("interactive.action.catalog_id", catalog_id)?;
        check_id("interactive.action.product_retailer_id", sku)?;
        Ok(Self {
            catalog_id: catalog_id.to_owned(),
            sku: sku.to_owned(),
            body: None,
            footer: None,
        })
    }

    /// Adds a body (≤1024 characters).
    ///
    /// # Errors
    /// [`BuildError`] naming `interactive.body.text`.
    pub fn body(mut self, text: &str) -> Result<Self, BuildError> {
        check_text("interactive.body.text", text, BODY_MAX)?;
        self.body = Some(text.to_owned());
        Ok(self)
    }

    /// Adds a footer (≤60 characters).
    ///
    /// # Errors
    /// [`BuildError`] naming `interactive.footer.text`.
    pub fn footer(mut self, text: &str) -> Result<Self, BuildError> {
        check_text("interactive.footer.text", text, HEADER_FOOTER_MAX)?;
        self.footer = Some(text.to_owned());
        Ok(self)
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("type".into(), "product".into());
        if let Some(b) = &self.body {
            m.insert("body".into(), text_obj(b));
        }
        if let Some(f) = &self.footer {
            m.insert("footer".into(), text_obj(f));
        }
        m.insert(
            "action".into(),
            json!({ "catalog_id": self.catalog_id, "product_retailer_id": self.sku }),
        );
        Value::Object(m)
    }
}

/// A multi-product message: text header, body, optional footer, 1–10 sections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductListMessage {
    catalog_id: String,
    header: String,
    body: String,
    footer: Option<String>,
    sections: Vec<ProductSection>,
}

impl ProductListMessage {
    /// An MPM. `header` is required (Meta rejects an MPM without a text header).
    ///
    /// # Errors
    /// [`BuildError`] naming the field: `interactive.header.text` (missing or over 60),
    /// `interactive.body.text`, `interactive.action.sections…`.
    pub fn new(
        catalog_id: &str,
        header: &str,
        body: &str,
        sections: Vec<ProductSection>,
    ) -> Result<Self, BuildError> {
        check_id("interactive.action.catalog_id", catalog_id)?;
        if header.trim().is_empty() {
            return Err(BuildError::Missing {
                field: "interactive.header.text".into(),
            });
        }
        check_text("interactive.header.text", header, HEADER_FOOTER_MAX)?;
        check_text("interactive.body.text", body, BODY_MAX)?;
        check_sections("interactive.action.sections", &sections)?;
        Ok(Self {
            catalog_id: catalog_id.to_owned(),
            header: header.to_owned(),
            body: body.to_owned(),
            footer: None,
            sections,
        })
    }

    /// Adds a footer (≤60 characters).
    ///
    /// # Errors
    /// [`BuildError`] naming `interactive.footer.text`.
    pub fn footer(mut self, text: &str) -> Result<Self, BuildError> {
        check_text("interactive.footer.text", text, HEADER_FOOTER_MAX)?;
        self.footer = Some(text.to_owned());
        Ok(self)
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("type".into(), "product_list".into());
        m.insert(
            "header".into(),
            json!({ "type": "text", "text": self.header }),
        );
        m.insert("body".into(), text_obj(&self.body));
        if let Some(f) = &self.footer {
            m.insert("footer".into(), text_obj(f));
        }
        m.insert(
            "action".into(),
            json!({ "catalog_id": self.catalog_id, "sections": sections_json(&self.sections) }),
        );
        Value::Object(m)
    }
}

/// A catalog message: body, optional footer, and the SKU shown as thumbnail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogMessage {
    body: String,
    footer: Option<String>,
    thumbnail: String,
}

impl CatalogMessage {
    /// A catalog message.
    ///
    /// # Errors
    /// [`BuildError`] naming `interactive.body.text` or
    /// `interactive.action.parameters.thumbnail_product_retailer_id`.
    pub fn new(body: &str, thumbnail_sku: &str) -> Result<Self, BuildError> {
        check_text("interactive.body.text", body, BODY_MAX)?;
        check_id(
            "interactive.action.parameters.thumbnail_product_retailer_id",
            thumbnail_sku,
        )?;
        Ok(Self {
            body: body.to_owned(),
            footer: None,
            thumbnail: thumbnail_sku.to_owned(),
        })
    }

    /// Adds a footer (≤60 characters).
    ///
    /// # Errors
    /// [`BuildError`] naming `interactive.footer.text`.
    pub fn footer(mut self, text: &str) -> Result<Self, BuildError> {
        check_text("interactive.footer.text", text, HEADER_FOOTER_MAX)?;
        self.footer = Some(text.to_owned());
        Ok(self)
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("type".into(), "catalog_message".into());
        m.insert("body".into(), text_obj(&self.body));
        if let Some(f) = &self.footer {
            m.insert("footer".into(), text_obj(f));
        }
        m.insert(
            "action".into(),
            json!({
                "name": "catalog_message",
                "parameters": { "thumbnail_product_retailer_id": self.thumbnail },
            }),
        );
        Value::Object(m)
    }
}
