//! Message templates: create (and submit to Meta for review, or keep as a draft), delete
//! (at Meta and here), and reconcile with Meta's list (also run periodically for every
//! tenant). Template records live in the conversation actor; this module makes the Meta
//! calls and hands it the results.

use super::credentials::{self, CredentialsError};
use super::health::{record_failed_call, FailedCall};
use super::Context;
use crate::actors::conversations::CommandError;
use crate::actors::EngineError;
use crate::domain::phone::{PhoneE164, PhoneError};
use crate::domain::whatsapp::{Template, TemplateStatus};
use crate::domain::Timestamp;
use crate::integrations::meta::templates::{
    Examples, RemoteTemplate, TemplateButtonDef, TemplateCategory, TemplateDefinition,
    TemplateError,
};
use crate::store::StoreError;
use serde::Deserialize;

/// Why a template operation failed.
#[derive(Debug, thiserror::Error)]
pub enum TemplatesError {
    /// The template breaks one of Meta's rules (checked before any call).
    #[error(transparent)]
    Invalid(#[from] TemplateError),
    /// The category is not one Meta accepts.
    #[error("category `{0}` is not MARKETING or UTILITY")]
    InvalidCategory(String),
    /// A call button's number is not E.164.
    #[error("button phone `{phone}`: {source}")]
    InvalidButtonPhone {
        /// The number as given.
        phone: String,
        /// Why it does not parse.
        #[source]
        source: PhoneError,
    },
    /// No template of that name.
    #[error("no template `{0}`")]
    NotFound(String),
    /// The tenant or its Meta credentials are not usable.
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    /// Meta refused the call (recorded in the tenant's health).
    #[error(transparent)]
    Meta(#[from] FailedCall),
    /// The tenant's actor could not be reached or failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The conversation actor refused to store the record.
    #[error("the template record could not be stored")]
    Record(#[source] CommandError),
    /// The store failed to make the change durable.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A template button.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ButtonBody {
    /// Quick reply.
    QuickReply { text: String },
    /// URL (with `{{1}}` and an example for a dynamic suffix).
    Url {
        text: String,
        url: String,
        example: Option<String>,
    },
    /// Call a number.
    PhoneNumber { text: String, phone: String },
    /// "View items": a multi-product message of up to 30 catalog items, chosen per send
    /// (flows map them from the order, checkout or restock). Needs a text header.
    Mpm { text: String },
    /// "View catalog": opens the shop's catalog, a product as its thumbnail.
    Catalog { text: String },
    /// "View": a single-product template (MARKETING; no header: the product is the
    /// header, chosen per send from the connected Meta catalog).
    Spm { text: String },
}

/// A template to create (the body of `POST /api/v1/templates`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTemplate {
    /// Lower case letters, digits and `_`.
    #[schema(pattern = "^[a-z0-9_]{1,512}$")]
    pub name: String,
    /// `en_US` …
    #[schema(pattern = "^[a-z]{2,3}(_[A-Za-z0-9]{2,4})?$")]
    pub language: String,
    /// `MARKETING` or `UTILITY`.
    #[schema(
        pattern = "^([Mm][Aa][Rr][Kk][Ee][Tt][Ii][Nn][Gg]|[Uu][Tt][Ii][Ll][Ii][Tt][Yy])$",
        example = "UTILITY"
    )]
    pub category: String,
    /// Header text (optional; `{{1}}` with one example).
    #[schema(max_length = 60)]
    pub header_text: Option<String>,
    /// Example for the header's parameter.
    pub header_example: Option<String>,
    /// Body text with `{{1}}`… placeholders.
    #[schema(max_length = 1024)]
    pub body: String,
    /// One example per body placeholder.
    #[serde(default)]
    pub body_examples: Vec<String>,
    /// Footer.
    #[schema(max_length = 60)]
    pub footer: Option<String>,
    /// Buttons.
    #[serde(default)]
    pub buttons: Vec<ButtonBody>,
    /// Submit to Meta now (default) or keep as a draft.
    #[serde(default = "yes")]
    pub submit: bool,
}

fn yes() -> bool {
    true
}

fn button(b: &ButtonBody) -> Result<TemplateButtonDef, TemplatesError> {
    Ok(match b {
        ButtonBody::QuickReply { text } => TemplateButtonDef::QuickReply { text: text.clone() },
        ButtonBody::Url { text, url, example } => TemplateButtonDef::Url {
            text: text.clone(),
            url: url.clone(),
            example: example.clone(),
        },
        ButtonBody::Mpm { text } => TemplateButtonDef::Mpm { text: text.clone() },
        ButtonBody::Catalog { text } => TemplateButtonDef::Catalog { text: text.clone() },
        ButtonBody::Spm { text } => TemplateButtonDef::Spm { text: text.clone() },
        ButtonBody::PhoneNumber { text, phone } => TemplateButtonDef::PhoneNumber {
            text: text.clone(),
            phone: PhoneE164::parse(phone).map_err(|source| {
                TemplatesError::InvalidButtonPhone {
                    phone: phone.clone(),
                    source,
                }
            })?,
        },
    })
}

/// The typed definition of a new template (Meta's rules checked here).
///
/// # Errors
/// [`TemplatesError::Invalid`], `InvalidCategory` or `InvalidButtonPhone`.
pub fn definition(n: &NewTemplate) -> Result<TemplateDefinition, TemplatesError> {
    let category = TemplateCategory::parse(&n.category)
        .ok_or_else(|| TemplatesError::InvalidCategory(n.category.clone()))?;
    let mut d = TemplateDefinition::new(&n.name, &n.language, category)?;
    if let Some(h) = &n.header_text {
        let ex = n
            .header_example
            .clone()
            .map_or(Examples::None, |e| Examples::Positional(vec![e]));
        d = d.header_text(h, ex)?;
    }
    let ex = if n.body_examples.is_empty() {
        Examples::None
    } else {
        Examples::Positional(n.body_examples.clone())
    };
    d = d.body(&n.body, ex)?;
    if let Some(f) = &n.footer {
        d = d.footer(f)?;
    }
    for b in &n.buttons {
        d = d.button(button(b)?)?;
    }
    Ok(d)
}

/// Creates a template and submits it to Meta for review (or keeps it as a draft when
/// `submit` is false); returns the stored record.
///
/// # Errors
/// [`TemplatesError`]: invalid, no credentials, Meta refused, or the record not stored.
pub async fn create(ctx: &Context, shop: &str, n: NewTemplate) -> Result<Template, TemplatesError> {
    let def = definition(&n)?;
    let components = def.to_json()?;
    let mut tpl = Template {
        name: n.name.clone(),
        language: n.language.clone(),
        category: n.category.to_ascii_uppercase(),
        status: TemplateStatus::Draft,
        meta_id: None,
        components: components
            .get("components")
            .map(|c| c.to_string())
            .unwrap_or_else(|| "[]".into()),
        reason: None,
        updated_at: Timestamp::now(),
    };
    if n.submit {
        let (tok, waba) = credentials::token_and_waba(ctx, shop)?;
        match ctx.meta.create_template(&tok, &waba, &def).await {
            Ok(created) => {
                tpl.meta_id = Some(created.id);
                tpl.status = TemplateStatus::from_meta(created.status.as_str());
                if let Some(c) = created.category {
                    tpl.category = c;
                }
            }
            Err(e) => return Err(record_failed_call(ctx, shop, e).await.into()),
        }
    }
    put(ctx, shop, tpl.clone()).await?;
    Ok(tpl)
}

/// Stores a template record durably.
async fn put(ctx: &Context, shop: &str, template: Template) -> Result<(), TemplatesError> {
    ctx.engine
        .put_template(shop, template)
        .await
        .map_err(engine_or_record)?;
    ctx.engine.store().durable().await?;
    Ok(())
}

fn engine_or_record(e: CommandError) -> TemplatesError {
    match e {
        CommandError::Engine(e) => TemplatesError::Engine(e),
        e @ CommandError::Refused(_) => TemplatesError::Record(e),
    }
}

/// The tenant's templates with their review status.
///
/// # Errors
/// [`TemplatesError::Engine`].
pub async fn list(ctx: &Context, shop: &str) -> Result<Vec<Template>, TemplatesError> {
    Ok(ctx.engine.templates(shop).await?)
}

/// Deletes a template (every language) at Meta, when it was submitted, and here.
///
/// # Errors
/// [`TemplatesError::NotFound`], no credentials, or Meta refused.
pub async fn delete(ctx: &Context, shop: &str, name: String) -> Result<(), TemplatesError> {
    let known: Vec<Template> = list(ctx, shop)
        .await?
        .into_iter()
        .filter(|t| t.name == name)
        .collect();
    if known.is_empty() {
        return Err(TemplatesError::NotFound(name));
    }
    if known.iter().any(|t| t.meta_id.is_some()) {
        let (tok, waba) = credentials::token_and_waba(ctx, shop)?;
        if let Err(e) = ctx.meta.delete_template(&tok, &waba, &name).await {
            return Err(record_failed_call(ctx, shop, e).await.into());
        }
    }
    ctx.engine
        .remove_template(shop, name)
        .await
        .map_err(engine_or_record)?;
    ctx.engine.store().durable().await?;
    Ok(())
}

/// Reconciles the tenant's templates with Meta's list (statuses, templates made
/// elsewhere); returns how many records were added or changed.
///
/// # Errors
/// No credentials, Meta refused, or a record not stored.
pub async fn reconcile(ctx: &Context, shop: &str) -> Result<usize, TemplatesError> {
    let (tok, waba) = credentials::token_and_waba(ctx, shop)?;
    let remote = match ctx.meta.list_templates(&tok, &waba).await {
        Ok(r) => r,
        Err(e) => return Err(record_failed_call(ctx, shop, e).await.into()),
    };
    let local = list(ctx, shop).await?;
    let changed = reconciled(&local, &remote, Timestamp::now());
    let n = changed.len();
    for tpl in changed {
        put(ctx, shop, tpl).await?;
    }
    Ok(n)
}

/// The records to write so the local templates match Meta's list: a remote template not
/// known here is added; a known one whose status or Meta id differs takes Meta's (its
/// components and reason are kept). Local templates Meta does not list are left alone.
pub fn reconciled(local: &[Template], remote: &[RemoteTemplate], now: Timestamp) -> Vec<Template> {
    let mut out = Vec::new();
    for r in remote {
        let status = TemplateStatus::from_meta(r.status.as_str());
        let existing = local
            .iter()
            .find(|l| l.name == r.name && l.language == r.language);
        if existing
            .is_some_and(|e| e.status == status && e.meta_id.as_deref() == Some(r.id.as_str()))
        {
            continue;
        }
        let mut tpl = existing.cloned().unwrap_or_else(|| Template {
            name: r.name.clone(),
            language: r.language.clone(),
            category: r.category.clone(),
            status,
            meta_id: Some(r.id.clone()),
            components: r.components.to_string(),
            reason: None,
            updated_at: now,
        });
        tpl.status = status;
        tpl.meta_id = Some(r.id.clone());
        tpl.updated_at = now;
        out.push(tpl);
    }
    out
}

#[cfg(test)]
mod tests;
