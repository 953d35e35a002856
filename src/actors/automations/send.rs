//! An action node's message: the template checked (it exists and is still APPROVED, as
//! Meta may pause it after activation), consent and exclusions checked again, the global
//! marketing cap, the variables resolved from the records as they are now, and the
//! request to the conversation actor's outbox with the step's once-key.

use super::gather::Gathered;
use crate::actors::conversations::{SendRequest, Target};
use crate::domain::automations::run::Run;
use crate::domain::automations::{FlowDraft, NodeKind};
use crate::domain::whatsapp::{Purpose, TemplateStatus};
use crate::integrations::meta::action::build;
use crate::integrations::meta::messages::OutboundMessage;
use crate::logic::automations::enrol::{self, Refusal};
use crate::logic::automations::vars::{products_of, TemplateShape, VarContext};
use crate::logic::links::track;
use crate::store::conversations as persist;
use crate::store::links::{new_code, records, Link};
use crate::store::{Store, StoreError};
use sha2::{Digest, Sha256};

/// What became of an action.
#[derive(Debug)]
pub enum Prepared {
    /// Send this (marketing or not), after storing the tracked links it carries.
    Send(Box<SendRequest>, bool, Vec<(String, Link)>),
    /// Not sent to this contact (consent, exclusion, cap): the run goes on.
    Skip(Refusal),
    /// A marketing message inside the recipient's quiet hours: held until then (ms).
    Hold(i64),
    /// The action cannot be done (template gone or not approved, a value missing).
    Fail(String),
}

/// The once-key of a run's step: a retried step (after a crash) queues nothing new.
pub fn once_key(run: &Run) -> u64 {
    let mut h = Sha256::new();
    h.update(b"automation-step");
    h.update(run.id.to_be_bytes());
    h.update(run.steps.to_be_bytes());
    let d = h.finalize();
    let mut eight = [0u8; 8];
    eight.copy_from_slice(&d[..8]);
    u64::from_be_bytes(eight)
}

/// Where the message goes and what it says, or why not.
///
/// # Errors
/// When the store fails.
#[allow(clippy::too_many_arguments)]
pub fn prepare(
    store: &Store,
    shop: &str,
    flow: &FlowDraft,
    node: &str,
    run: &Run,
    g: &Gathered,
    recent_marketing: &[i64],
    cap: (usize, i64),
    policy: &super::policy::AutomationPolicy,
    member: &super::enrol::Membership,
    (now_ms, link_base): (i64, Option<&str>),
) -> Result<Prepared, StoreError> {
    let Some(NodeKind::Action(action)) = flow.nodes.iter().find(|n| n.id == node).map(|n| &n.kind)
    else {
        return Ok(Prepared::Fail(format!("`{node}` is not an action")));
    };
    let template = &action.template;
    let Some(contact) = g.contact.as_ref() else {
        return Ok(Prepared::Fail("the contact no longer exists".into()));
    };
    let Some(t) = persist::template(store, shop, &template.name, &template.language)? else {
        return Ok(Prepared::Fail(format!(
            "template `{}` ({}) no longer exists",
            template.name, template.language
        )));
    };
    if t.status != TemplateStatus::Approved {
        return Ok(Prepared::Fail(format!(
            "template `{}` is {}, not APPROVED",
            t.name, t.status
        )));
    }
    let shape = TemplateShape::of(&t);
    let in_segment = |s: u64| member.segments.contains(&s);
    let in_list = |l: u64| member.lists.contains(&l);
    if let Err(r) = enrol::at_send(
        contact,
        shape.marketing,
        &flow.settings,
        &in_segment,
        &in_list,
    ) {
        return Ok(Prepared::Skip(r));
    }
    if shape.marketing {
        if let Some(q) = &policy.quiet_hours {
            let country = contact.country.map(|c| c.to_string());
            let province = store.contact_region(shop, contact.id)?;
            let zone = crate::logic::automations::quiet::zone_for(
                country.as_deref(),
                province.as_deref(),
                &policy.time_zone,
            );
            if let Some(until) = crate::logic::automations::quiet::hold_until(q, zone, now_ms) {
                return Ok(Prepared::Hold(until));
            }
        }
        if let Err(r) = enrol::within_global_cap(recent_marketing, cap.0, cap.1, now_ms) {
            return Ok(Prepared::Skip(r));
        }
    }
    let Some(phone) = contact.phone else {
        return Ok(Prepared::Skip(Refusal::NoPhone));
    };
    let Some(number) = store
        .tenant(shop)?
        .and_then(|t| t.meta_phone_number_ids.first().cloned())
    else {
        return Ok(Prepared::Fail(
            "the shop has no WhatsApp number to send from".into(),
        ));
    };
    let cx = VarContext {
        contact,
        order: g.order.as_ref(),
        checkout: g.checkout.as_ref(),
        product: g
            .product
            .as_ref()
            .map(|p| (p, run.context.variant_id.and_then(|v| p.variant(v)))),
        store_name: shop.trim_end_matches(".myshopify.com"),
        shop_domain: shop,
    };
    let catalog = store
        .get::<crate::domain::catalog_sync::CatalogLink>(shop, crate::store::Kind::CatalogLink, 0)?
        .map(|l| l.catalog_id);
    let skus = match &action.products {
        Some(p) if catalog.is_some() => {
            sellable(store, shop, p.from, &cx, products_of(p.from, &cx))?
        }
        Some(p) => products_of(p.from, &cx),
        None => Vec::new(),
    };
    let source = crate::domain::analytics::Source::Flow {
        id: run.flow_id,
        node: node.to_string(),
    };
    let (action, links) = match link_base {
        Some(base) => match track(action, &shape, &cx, base, &mut new_code) {
            Ok(t) => t,
            Err(reason) => return Ok(Prepared::Fail(reason)),
        },
        None => (
            crate::domain::automations::ActionNode::clone(action),
            Vec::new(),
        ),
    };
    let links = records(shop, once_key(run), &source.code(), links);
    let message = match build(&t.name, &t.language, &action, shape, &cx, skus, catalog) {
        Ok(m) => m,
        Err(reason) => return Ok(Prepared::Fail(reason)),
    };
    let (values, body) = message;
    let req = SendRequest {
        target: Target::Customer {
            phone,
            phone_number_id: number,
            contact_id: Some(run.contact_id),
        },
        author: None,
        body: OutboundMessage::template(phone, body).body(),
        kind: "template".into(),
        text: Some(
            format!("{} {}", t.name, values.join(" | "))
                .trim()
                .to_string(),
        ),
        template: Some((t.name.clone(), t.language.clone())),
        purpose: if shape.marketing {
            Purpose::Marketing
        } else {
            Purpose::Utility
        },
        once_key: Some(once_key(run)),
        bulk: false,
        source: Some(crate::actors::conversations::Tagged {
            source,
            contact: run.contact_id,
            position: 0,
        }),
    };
    Ok(Prepared::Send(Box::new(req), shape.marketing, links))
}

/// The products a product template may show while a Meta catalog is connected: only
/// variants Meta holds and that are in stock now (`Store::unsendable`), the others left
/// out (logged). Without a connected catalog every product goes (it is run elsewhere).
fn sellable(
    store: &Store,
    shop: &str,
    from: crate::domain::automations::ProductsFrom,
    cx: &VarContext<'_>,
    skus: Vec<String>,
) -> Result<Vec<String>, StoreError> {
    use crate::domain::automations::ProductsFrom;
    let mut out = Vec::with_capacity(skus.len());
    for sku in skus {
        let Ok(variant) = sku.parse::<u64>() else {
            continue;
        };
        let lines = match from {
            ProductsFrom::Order => cx.order.map(|o| o.line_items.as_slice()),
            ProductsFrom::Checkout => cx.checkout.map(|c| c.line_items.as_slice()),
            ProductsFrom::Restock => None,
        };
        let product = match from {
            ProductsFrom::Restock => cx.product.map(|(p, _)| p.id),
            _ => lines
                .unwrap_or_default()
                .iter()
                .find(|l| l.variant_id == Some(variant))
                .and_then(|l| l.product_id),
        };
        let Some(product) = product else { continue };
        match store.unsendable(shop, product, variant)? {
            None => out.push(sku),
            Some(why) => {
                tracing::info!(message = "A product is left out of a product template.", shop, sku = %sku, why = %why)
            }
        }
    }
    Ok(out)
}
