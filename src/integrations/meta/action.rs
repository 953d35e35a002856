//! A template send built from an action's mapping (a flow's action node, a campaign's
//! message): the values resolved for one contact, the header, body parameters, URL suffix
//! and product button, checked by the template builder. Shared by the automation and
//! campaign actors.

use crate::domain::automations::ActionNode;
use crate::integrations::meta::messages::{
    BodyParam, HeaderParam, ProductSection, TemplateButton, TemplateSend,
};
use crate::logic::automations::vars::{resolve, ProductButton, TemplateShape, VarContext};

/// The default title of a multi-product template's one section.
const SECTION_TITLE: &str = "Your selection";

/// Builds a template send from an action's mapping: the values shown (for the inbox)
/// and the template body, or why it cannot be built.
pub fn build(
    name: &str,
    language: &str,
    mapped: &ActionNode,
    shape: TemplateShape,
    cx: &VarContext<'_>,
    skus: Vec<String>,
    catalog: Option<String>,
) -> Result<(Vec<String>, TemplateSend), String> {
    let (body, url_suffix) = (&mapped.body, mapped.url_suffix.as_ref());
    let mut t = TemplateSend::new(name, language).map_err(|e| e.to_string())?;
    let mut values = Vec::new();
    if shape.products == ProductButton::Spm {
        let Some(catalog_id) = catalog else {
            return Err(
                "a single-product (SPM) template needs the shop's Meta catalog connected".into(),
            );
        };
        let Some(first) = skus.first() else {
            return Err("the run has no product to show (none of its products is in the Meta catalog and in stock)".into());
        };
        t = t
            .header(HeaderParam::Product {
                catalog_id,
                retailer_id: first.clone(),
            })
            .map_err(|e| e.to_string())?;
        values.push(format!("[{first}]"));
    }
    if let (true, Some(v)) = (shape.header_param, mapped.header.as_ref()) {
        let text = resolve(v, cx).map_err(|e| format!("header {{{{1}}}}: {e}"))?;
        t = t
            .header(HeaderParam::Text {
                name: None,
                text: text.clone(),
            })
            .map_err(|e| e.to_string())?;
        values.push(text);
    }
    for (i, v) in body.iter().enumerate() {
        let value = resolve(v, cx).map_err(|e| format!("body {{{{{}}}}}: {e}", i + 1))?;
        t = t
            .body_param(BodyParam::text(value.clone()))
            .map_err(|e| e.to_string())?;
        values.push(value);
    }
    if let (true, Some(v)) = (shape.url_param, url_suffix) {
        let text = resolve(v, cx).map_err(|e| format!("url suffix: {e}"))?;
        t = t
            .button(TemplateButton::Url {
                index: shape.url_button_index,
                text,
            })
            .map_err(|e| e.to_string())?;
    }
    if let Some(p) = &mapped.products {
        let Some(thumbnail) = skus.first().cloned() else {
            return Err(format!(
                "the run's {} has no product variants to show (or, with a Meta catalog connected, none that it holds and in stock)",
                p.from.as_str().to_lowercase()
            ));
        };
        let button = match shape.products {
            ProductButton::None | ProductButton::Spm => None,
            ProductButton::Catalog { index } => Some(TemplateButton::Catalog { index, thumbnail }),
            ProductButton::Mpm { index } => {
                let title = p.section_title.as_deref().unwrap_or(SECTION_TITLE);
                values.push(format!("[{}]", skus.join(", ")));
                Some(TemplateButton::Mpm {
                    index,
                    thumbnail,
                    sections: vec![ProductSection::new(Some(title), skus)],
                })
            }
        };
        if let Some(b) = button {
            t = t.button(b).map_err(|e| e.to_string())?;
        }
    }
    Ok((values, t))
}
