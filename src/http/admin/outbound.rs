//! The JSON body of an outbound message in the admin API (`{"type": "text", …}`) and its
//! translation into a Meta request through the typed builders, which check Meta's limits
//! (lengths, sections, products) before anything is stored.

use crate::actors::conversations::{SendRequest, Target};
use crate::domain::phone::PhoneE164;
use crate::domain::whatsapp::Purpose;
use crate::domain::Money;
use crate::http::error::ApiError;
use crate::http::extract::strict;
use crate::integrations::meta::messages::{
    BodyParam, BuildError, CatalogMessage, HeaderParam, MediaKind, MediaMessage, MediaSource,
    OutboundMessage, ProductListMessage, ProductMessage, ProductSection, TemplateButton,
    TemplateSend,
};
use serde::Deserialize;

/// A template body parameter: text, currency or date/time; `name` for named templates.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateParam {
    /// `parameter_name` (named templates only).
    pub name: Option<String>,
    /// Text value.
    pub text: Option<String>,
    /// Currency: amount as a decimal string, ISO code, fallback text.
    pub currency: Option<CurrencyParam>,
    /// Date/time fallback text.
    pub date_time: Option<String>,
}

/// A currency parameter.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CurrencyParam {
    /// `"100.99"`.
    pub amount: String,
    /// `"USD"`.
    pub code: String,
    /// Shown when Meta cannot localise (`"$100.99"`).
    pub fallback: String,
}

/// A section of a product list.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SectionBody {
    /// Section title (required when there is more than one section).
    pub title: Option<String>,
    /// Product retailer ids (SKUs).
    pub skus: Vec<String>,
}

/// An outbound message as the admin API takes it.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum MessageBody {
    /// Free-form text (inside the 24-hour window only).
    Text {
        text: String,
        #[serde(default)]
        preview_url: bool,
    },
    /// An approved template.
    Template {
        name: String,
        language: String,
        #[serde(default, deserialize_with = "strict::nested")]
        body: Vec<TemplateParam>,
        /// Image header by link.
        header_image: Option<String>,
        /// Quick-reply button payloads, by button index.
        #[serde(default)]
        quick_replies: Vec<String>,
        /// Text of a dynamic URL button (index after the quick replies).
        url_suffix: Option<String>,
    },
    /// An image by link or uploaded media id.
    Image {
        link: Option<String>,
        media_id: Option<String>,
        caption: Option<String>,
    },
    /// A document by link or media id.
    Document {
        link: Option<String>,
        media_id: Option<String>,
        caption: Option<String>,
        filename: Option<String>,
    },
    /// A video by link or media id.
    Video {
        link: Option<String>,
        media_id: Option<String>,
        caption: Option<String>,
    },
    /// One product of the catalog (SPM).
    Product {
        catalog_id: String,
        sku: String,
        body: Option<String>,
        footer: Option<String>,
    },
    /// Several products in sections (MPM): header required, ≤10 sections, ≤30 products.
    ProductList {
        catalog_id: String,
        header: String,
        body: String,
        footer: Option<String>,
        #[serde(deserialize_with = "strict::nested")]
        sections: Vec<SectionBody>,
    },
    /// The whole catalog.
    Catalog {
        body: String,
        thumbnail_sku: String,
        footer: Option<String>,
    },
}

/// A built message: the Meta body plus what the inbox records about it.
pub struct Built {
    /// The Meta request body.
    pub body: serde_json::Value,
    /// Kind for the inbox (`text`, `template` …).
    pub kind: String,
    /// Readable form.
    pub text: Option<String>,
    /// `(name, language)` for templates.
    pub template: Option<(String, String)>,
}

impl Built {
    /// The send request for `target`, written by `author` (an agent, or `None` for the
    /// API). Without an explicit `purpose`, a template is `utility` and anything else is a
    /// `service` message (a reply inside the customer's window).
    pub fn into_request(
        self,
        target: Target,
        author: Option<String>,
        purpose: Option<Purpose>,
    ) -> SendRequest {
        let purpose = purpose.unwrap_or(if self.template.is_some() {
            Purpose::Utility
        } else {
            Purpose::Service
        });
        SendRequest {
            target,
            author,
            body: self.body,
            kind: self.kind,
            text: self.text,
            template: self.template,
            purpose,
            once_key: None,
            bulk: false,
            source: None,
        }
    }
}

fn bad(e: BuildError) -> ApiError {
    ApiError::bad_request("invalid_message", e.to_string())
}

fn media(link: Option<String>, id: Option<String>) -> Result<MediaSource, ApiError> {
    match (link, id) {
        (Some(l), None) => MediaSource::link(&l).map_err(bad),
        (None, Some(i)) => MediaSource::id(&i).map_err(bad),
        _ => Err(ApiError::bad_request(
            "invalid_message",
            "give exactly one of `link` and `media_id`",
        )),
    }
}

fn param(p: TemplateParam) -> Result<BodyParam, ApiError> {
    let v = match (p.text, p.currency, p.date_time) {
        (Some(t), None, None) => BodyParam::text(t),
        (None, Some(c), None) => {
            let amount = Money::parse(&c.amount).ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_message",
                    format!("currency amount `{}` is not a decimal", c.amount),
                )
            })?;
            BodyParam::currency(c.fallback, c.code, amount)
        }
        (None, None, Some(d)) => BodyParam::date_time(d),
        _ => {
            return Err(ApiError::bad_request(
                "invalid_message",
                "each template parameter needs exactly one of `text`, `currency`, `date_time`",
            ))
        }
    };
    Ok(match p.name {
        Some(n) => v.named(n),
        None => v,
    })
}

fn with_caption(m: MediaMessage, caption: Option<String>) -> Result<MediaMessage, ApiError> {
    match caption {
        Some(c) => m.caption(&c).map_err(bad),
        None => Ok(m),
    }
}

/// Builds the Meta request for `to`.
///
/// # Errors
/// 400 naming the field that breaks Meta's rules.
/// Refuses, before any call to Meta, a product message naming a product the connected
/// Meta catalog cannot show (`services::catalog_send`): 422 naming the item and why.
///
/// # Errors
/// [`ApiError`].
pub async fn check_products(
    state: &crate::http::AppState,
    shop: &str,
    b: &MessageBody,
) -> Result<(), ApiError> {
    let (catalog, skus): (Option<&str>, Vec<&str>) = match b {
        MessageBody::Product {
            catalog_id, sku, ..
        } => (Some(catalog_id), vec![sku]),
        MessageBody::ProductList {
            catalog_id,
            sections,
            ..
        } => (
            Some(catalog_id),
            sections
                .iter()
                .flat_map(|s| s.skus.iter().map(String::as_str))
                .collect(),
        ),
        MessageBody::Catalog { thumbnail_sku, .. } => (None, vec![thumbnail_sku]),
        _ => return Ok(()),
    };
    use crate::services::catalog_send::{check, SendableError};
    match check(&state.services, shop, catalog, &skus).await {
        Ok(()) => Ok(()),
        Err(e @ SendableError::OtherCatalog { .. }) => Err(ApiError::Unprocessable {
            code: "wrong_catalog",
            message: e.to_string(),
        }),
        Err(e @ SendableError::Item { .. }) => Err(ApiError::Unprocessable {
            code: "product_not_sendable",
            message: e.to_string(),
        }),
        Err(SendableError::Store(e)) => Err(e.into()),
        Err(SendableError::Engine(e)) => Err(e.into()),
    }
}

pub fn build(to: PhoneE164, b: MessageBody) -> Result<Built, ApiError> {
    let (msg, kind, text, template) = match b {
        MessageBody::Text { text, preview_url } => (
            OutboundMessage::text(to, &text, preview_url).map_err(bad)?,
            "text",
            Some(text),
            None,
        ),
        MessageBody::Template {
            name,
            language,
            body,
            header_image,
            quick_replies,
            url_suffix,
        } => {
            let mut t = TemplateSend::new(&name, &language).map_err(bad)?;
            if let Some(link) = header_image {
                t = t
                    .header(HeaderParam::Image(MediaSource::link(&link).map_err(bad)?))
                    .map_err(bad)?;
            }
            for p in body {
                t = t.body_param(param(p)?).map_err(bad)?;
            }
            let mut index = 0u8;
            for payload in quick_replies {
                t = t
                    .button(TemplateButton::QuickReply { index, payload })
                    .map_err(bad)?;
                index = index.saturating_add(1);
            }
            if let Some(text) = url_suffix {
                t = t.button(TemplateButton::Url { index, text }).map_err(bad)?;
            }
            (
                OutboundMessage::template(to, t),
                "template",
                Some(name.clone()),
                Some((name, language)),
            )
        }
        MessageBody::Image {
            link,
            media_id,
            caption,
        } => {
            let m = with_caption(
                MediaMessage::new(MediaKind::Image, media(link, media_id)?),
                caption.clone(),
            )?;
            (OutboundMessage::media(to, m), "image", caption, None)
        }
        MessageBody::Video {
            link,
            media_id,
            caption,
        } => {
            let m = with_caption(
                MediaMessage::new(MediaKind::Video, media(link, media_id)?),
                caption.clone(),
            )?;
            (OutboundMessage::media(to, m), "video", caption, None)
        }
        MessageBody::Document {
            link,
            media_id,
            caption,
            filename,
        } => {
            let mut m = with_caption(
                MediaMessage::new(MediaKind::Document, media(link, media_id)?),
                caption.clone(),
            )?;
            if let Some(f) = filename {
                m = m.filename(&f).map_err(bad)?;
            }
            (OutboundMessage::media(to, m), "document", caption, None)
        }
        MessageBody::Product {
            catalog_id,
            sku,
            body,
            footer,
        } => {
            let mut p = ProductMessage::new(&catalog_id, &sku).map_err(bad)?;
            if let Some(b) = body {
                p = p.body(&b).map_err(bad)?;
            }
            if let Some(f) = footer {
                p = p.footer(&f).map_err(bad)?;
            }
            (OutboundMessage::product(to, p), "product", Some(sku), None)
        }
        MessageBody::ProductList {
            catalog_id,
            header,
            body,
            footer,
            sections,
        } => {
            let sections = sections
                .into_iter()
                .map(|s| ProductSection::new(s.title.as_deref(), s.skus))
                .collect();
            let mut l =
                ProductListMessage::new(&catalog_id, &header, &body, sections).map_err(bad)?;
            if let Some(f) = footer {
                l = l.footer(&f).map_err(bad)?;
            }
            (
                OutboundMessage::product_list(to, l),
                "product_list",
                Some(header),
                None,
            )
        }
        MessageBody::Catalog {
            body,
            thumbnail_sku,
            footer,
        } => {
            let mut c = CatalogMessage::new(&body, &thumbnail_sku).map_err(bad)?;
            if let Some(f) = footer {
                c = c.footer(&f).map_err(bad)?;
            }
            (
                OutboundMessage::catalog(to, c),
                "catalog_message",
                Some(body),
                None,
            )
        }
    };
    Ok(Built {
        body: msg.body(),
        kind: kind.to_string(),
        text,
        template,
    })
}
