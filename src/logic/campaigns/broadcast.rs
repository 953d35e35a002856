//! A campaign's message checked like a flow's action (`validate::check_action`), plus
//! what a broadcast cannot have: values from an order, checkout or product, and product
//! buttons.

use crate::domain::automations::ActionNode;
use crate::domain::whatsapp::Template;
use crate::logic::automations::validate::{check_action, problem, FlowProblem};
use crate::logic::automations::vars;

/// The problems of a campaign's message: the template and its variables as in a flow's
/// action, but a broadcast has no trigger, so only `customer.*` and `store.name` sources
/// (or static text) have values, and product buttons (whose products come from a run's
/// order, checkout or restock) are refused. Problems name the node `message`.
pub fn validate_broadcast(mapped: &ActionNode, templates: &[Template]) -> Vec<FlowProblem> {
    let mut out = Vec::new();
    check_action("message", mapped, None, templates, &mut out);
    let at = Some("message");
    let named = mapped
        .body
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("body[{i}]"), v))
        .chain(mapped.header.iter().map(|v| ("header".to_string(), v)))
        .chain(
            mapped
                .url_suffix
                .iter()
                .map(|v| ("url_suffix".to_string(), v)),
        );
    for (field, v) in named {
        if let Some(source) = &v.source {
            if vars::kind_of(source).is_some()
                && !(source.starts_with("customer.") || source == "store.name")
            {
                out.push(problem(at, "variable_not_available", format!("{field}: `{source}` has no value in a campaign (it has no order, checkout or product); use customer.* or store.name")));
            }
        }
    }
    if mapped.products.is_some() {
        out.push(problem(
            at,
            "bad_products",
            "a campaign cannot fill a product button (its products come from a flow's order, checkout or restock)".into(),
        ));
    }
    out
}
