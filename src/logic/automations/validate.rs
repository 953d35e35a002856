//! Validation before activation: every problem of a flow, each named with its node id and
//! a stable code, so a builder can point at the node. A flow with problems can be saved as
//! a draft but not activated.

use super::graph::Graph;
use super::vars::{self, VarKind};
use crate::domain::automations::{
    ActionNode, FlowDraft, Node, NodeKind, ProductsMapping, Trigger, VarSource,
};
use crate::domain::whatsapp::{Template, TemplateStatus};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// One problem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FlowProblem {
    /// The node (absent for flow-wide problems such as a missing frequency cap).
    pub node: Option<String>,
    /// Stable code: `no_trigger`, `two_triggers`, `duplicate_node`, `bad_node_id`,
    /// `unknown_node`, `edge_into_trigger`, `dangling_branch`, `bad_branch`,
    /// `two_next`, `unreachable_node`, `cycle_without_delay`, `bad_delay`, `bad_split`,
    /// `bad_trigger`, `unknown_template`, `template_not_approved`, `missing_variable`,
    /// `too_many_variables`, `unknown_variable`, `variable_not_available`,
    /// `wrong_variable_type`, `missing_products`, `products_not_used`, `bad_products`,
    /// `missing_frequency_cap`, `bad_name`.
    pub code: &'static str,
    /// For a human.
    pub message: String,
}

pub(crate) fn problem(node: Option<&str>, code: &'static str, message: String) -> FlowProblem {
    FlowProblem {
        node: node.map(str::to_string),
        code,
        message,
    }
}

/// Every problem of `flow` against the shop's `templates` (empty: it can be activated).
pub fn validate(flow: &FlowDraft, templates: &[Template]) -> Vec<FlowProblem> {
    let mut out = Vec::new();
    let name = flow.name.trim();
    if name.is_empty() || flow.name.chars().count() > 255 {
        out.push(problem(
            None,
            "bad_name",
            "the name must be 1 to 255 characters".into(),
        ));
    }
    if flow.settings.frequency_cap.is_none() {
        out.push(problem(
            None,
            "missing_frequency_cap",
            "choose a frequency cap (EVER, HOURS_24, DAYS_7, DAYS_14 or DAYS_30) before activating"
                .into(),
        ));
    }
    check_ids(flow, &mut out);
    let triggers: Vec<&Node> = flow
        .nodes
        .iter()
        .filter(|n| matches!(n.kind, NodeKind::Trigger { .. }))
        .collect();
    match triggers.len() {
        0 => out.push(problem(
            None,
            "no_trigger",
            "a flow needs exactly one trigger node".into(),
        )),
        1 => {}
        _ => {
            for t in &triggers[1..] {
                out.push(problem(
                    Some(&t.id),
                    "two_triggers",
                    "a flow has exactly one trigger node; this is a second one".into(),
                ));
            }
        }
    }
    let graph = Graph::of(flow);
    check_edges(flow, &graph, &mut out);
    if let Some(t) = triggers.first() {
        check_reachable(flow, &graph, &t.id, &mut out);
    }
    check_cycles(flow, &graph, &mut out);
    let trigger = triggers.first().and_then(|t| match &t.kind {
        NodeKind::Trigger { trigger, .. } => Some(trigger),
        _ => None,
    });
    for n in &flow.nodes {
        check_node(n, trigger, templates, &mut out);
    }
    out
}

fn check_ids(flow: &FlowDraft, out: &mut Vec<FlowProblem>) {
    let mut seen = HashSet::new();
    for n in &flow.nodes {
        let ok = !n.id.is_empty()
            && n.id.len() <= 64
            && n.id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !ok {
            out.push(problem(
                Some(&n.id),
                "bad_node_id",
                "node ids are 1 to 64 of A-Z, a-z, 0-9, _ and -".into(),
            ));
        }
        if !seen.insert(n.id.as_str()) {
            out.push(problem(
                Some(&n.id),
                "duplicate_node",
                format!("two nodes have the id `{}`", n.id),
            ));
        }
    }
}

/// The branches a node must have (`None`: one plain edge at most).
fn branches_of(n: &Node) -> Option<Vec<String>> {
    match &n.kind {
        NodeKind::Condition { .. } => Some(vec!["YES".into(), "NO".into()]),
        NodeKind::Split { branches } => Some(branches.iter().map(|b| b.key.clone()).collect()),
        _ => None,
    }
}

fn check_edges(flow: &FlowDraft, graph: &Graph<'_>, out: &mut Vec<FlowProblem>) {
    for e in &flow.edges {
        for end in [&e.from, &e.to] {
            if graph.node(end).is_none() {
                out.push(problem(
                    Some(&e.from),
                    "unknown_node",
                    format!("an edge names `{end}`, which is not a node of this flow"),
                ));
            }
        }
        if graph
            .node(&e.to)
            .is_some_and(|n| matches!(n.kind, NodeKind::Trigger { .. }))
        {
            out.push(problem(
                Some(&e.from),
                "edge_into_trigger",
                "nothing can lead into the trigger".into(),
            ));
        }
    }
    for n in &flow.nodes {
        let edges = graph.out(&n.id);
        match branches_of(n) {
            Some(want) => {
                for b in &want {
                    let count = edges
                        .iter()
                        .filter(|(eb, _)| eb.is_some_and(|x| x.eq_ignore_ascii_case(b)))
                        .count();
                    if count == 0 {
                        out.push(problem(
                            Some(&n.id),
                            "dangling_branch",
                            format!("the `{b}` branch leads nowhere: give it an edge"),
                        ));
                    } else if count > 1 {
                        out.push(problem(
                            Some(&n.id),
                            "bad_branch",
                            format!("the `{b}` branch has {count} edges; it needs one"),
                        ));
                    }
                }
                for (b, _) in edges {
                    if !b.is_some_and(|b| want.iter().any(|w| w.eq_ignore_ascii_case(b))) {
                        out.push(problem(Some(&n.id), "bad_branch", format!("an edge names branch {b:?}, which this node does not have (it has {want:?})")));
                    }
                }
            }
            None => {
                if edges.iter().any(|(b, _)| b.is_some()) {
                    out.push(problem(
                        Some(&n.id),
                        "bad_branch",
                        "only conditions (YES/NO) and splits have branches".into(),
                    ));
                }
                if edges.len() > 1 {
                    out.push(problem(
                        Some(&n.id),
                        "two_next",
                        format!("{} edges leave this node; it can lead to one", edges.len()),
                    ));
                }
            }
        }
    }
}

fn check_reachable(flow: &FlowDraft, graph: &Graph<'_>, start: &str, out: &mut Vec<FlowProblem>) {
    let mut seen: HashSet<&str> = HashSet::new();
    let mut todo = vec![start];
    while let Some(id) = todo.pop() {
        if seen.insert(id) {
            todo.extend(graph.out(id).iter().map(|(_, to)| *to));
        }
    }
    for n in &flow.nodes {
        if !seen.contains(n.id.as_str()) {
            out.push(problem(
                Some(&n.id),
                "unreachable_node",
                "no path from the trigger reaches this node".into(),
            ));
        }
    }
}

/// A cycle is allowed only through a delay: look for cycles among the other nodes.
fn check_cycles(flow: &FlowDraft, graph: &Graph<'_>, out: &mut Vec<FlowProblem>) {
    let is_delay = |id: &str| {
        graph
            .node(id)
            .is_some_and(|n| matches!(n.kind, NodeKind::Delay { .. }))
    };
    // 0 = new, 1 = on the path, 2 = done.
    let mut state: HashMap<&str, u8> = HashMap::new();
    let mut reported = false;
    for n in flow.nodes.iter().filter(|n| !is_delay(&n.id)) {
        let mut stack: Vec<(&str, usize)> = vec![(n.id.as_str(), 0)];
        while let Some((id, i)) = stack.pop() {
            if i == 0 {
                if state.get(id).copied().unwrap_or(0) != 0 {
                    continue;
                }
                state.insert(id, 1);
            }
            let next = graph.out(id).get(i).map(|(_, to)| *to);
            match next {
                None => {
                    state.insert(id, 2);
                }
                Some(to) => {
                    stack.push((id, i + 1));
                    if is_delay(to) || graph.node(to).is_none() {
                        continue;
                    }
                    match state.get(to).copied().unwrap_or(0) {
                        0 => stack.push((to, 0)),
                        1 if !reported => {
                            reported = true;
                            out.push(problem(Some(to), "cycle_without_delay", "this node is on a loop with no delay: a run would spin; put a delay on the loop".into()));
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}

fn check_node(
    n: &Node,
    trigger: Option<&Trigger>,
    templates: &[Template],
    out: &mut Vec<FlowProblem>,
) {
    let id = Some(n.id.as_str());
    match &n.kind {
        NodeKind::Trigger {
            trigger,
            lookback_days,
            ..
        } => {
            if !(1..=90).contains(lookback_days) {
                out.push(problem(
                    id,
                    "bad_trigger",
                    "lookback_days must be 1 to 90".into(),
                ));
            }
            if let Trigger::InboundKeyword { keywords } = trigger {
                if keywords.is_empty()
                    || keywords.iter().any(|k| k.trim().is_empty() || k.len() > 64)
                {
                    out.push(problem(
                        id,
                        "bad_trigger",
                        "give 1 or more keywords of 1 to 64 characters".into(),
                    ));
                }
            }
        }
        NodeKind::Delay { delay } => {
            if let Err(reason) = super::step::delay_ok(delay) {
                out.push(problem(id, "bad_delay", reason));
            }
        }
        NodeKind::Split { branches } => {
            let sum: u32 = branches.iter().map(|b| u32::from(b.percent)).sum();
            let keys: HashSet<&str> = branches.iter().map(|b| b.key.as_str()).collect();
            if branches.len() < 2
                || sum != 100
                || keys.len() != branches.len()
                || branches.iter().any(|b| b.percent == 0 || b.key.is_empty())
            {
                out.push(problem(id, "bad_split", format!("a split needs 2 or more branches with distinct keys and percents above 0 summing to 100 (they sum to {sum})")));
            }
        }
        NodeKind::Condition { rule } => {
            for p in super::conditions::rule_problems(rule) {
                out.push(problem(id, "bad_condition", p));
            }
        }
        NodeKind::Action(a) => check_action(&n.id, a, trigger, templates, out),
    }
}

pub(crate) fn check_action(
    node: &str,
    mapped: &ActionNode,
    trigger: Option<&Trigger>,
    templates: &[Template],
    out: &mut Vec<FlowProblem>,
) {
    let (template, body, url_suffix) = (&mapped.template, &mapped.body, mapped.url_suffix.as_ref());
    let id = Some(node);
    let Some(t) = templates
        .iter()
        .find(|t| t.name == template.name && t.language == template.language)
    else {
        out.push(problem(
            id,
            "unknown_template",
            format!(
                "template `{}` ({}) does not exist for this shop",
                template.name, template.language
            ),
        ));
        return;
    };
    if t.status != TemplateStatus::Approved {
        out.push(problem(
            id,
            "template_not_approved",
            format!(
                "template `{}` ({}) is {}; only APPROVED templates can be sent",
                t.name, t.language, t.status
            ),
        ));
    }
    let shape = vars::TemplateShape::of(t);
    for i in body.len()..shape.body_params {
        out.push(problem(
            id,
            "missing_variable",
            format!(
                "the template's body has {{{{{}}}}} but no value is mapped to it",
                i + 1
            ),
        ));
    }
    if body.len() > shape.body_params {
        out.push(problem(
            id,
            "too_many_variables",
            format!(
                "{} values are mapped but the template's body has {} variables",
                body.len(),
                shape.body_params
            ),
        ));
    }
    if shape.url_param && url_suffix.is_none() {
        out.push(problem(
            id,
            "missing_variable",
            "the template's URL button has a {{1}} suffix but no value is mapped to it".into(),
        ));
    }
    for (i, v) in body.iter().enumerate() {
        check_var(node, &format!("body[{i}]"), v, trigger, None, out);
    }
    if let Some(v) = url_suffix {
        check_var(node, "url_suffix", v, trigger, Some(VarKind::Text), out);
        let text = v.text.as_deref().unwrap_or_default();
        let url = text.starts_with("https://") || text.starts_with("http://");
        if shape.url_tracked && v.text.is_some() && !url {
            out.push(problem(
                id,
                "link_not_url",
                format!("the template's URL button goes through the tracked redirect (…/r/{{{{1}}}}): `url_suffix` is where it leads and must be a full http(s):// URL, not `{text}`"),
            ));
        }
    }
    match (shape.header_param, mapped.header.as_ref()) {
        (true, None) => out.push(problem(
            id,
            "missing_variable",
            "the template's header has {{1}} but no value is mapped to it".into(),
        )),
        (false, Some(_)) => out.push(problem(
            id,
            "too_many_variables",
            "a header value is mapped but the template's header has no variable".into(),
        )),
        (true, Some(v)) => check_var(node, "header", v, trigger, None, out),
        (false, None) => {}
    }
    check_products(node, shape, mapped.products.as_ref(), trigger, out);
}

/// A product template needs its products, from a source the trigger has; a template
/// without a product button takes none.
fn check_products(
    node: &str,
    shape: vars::TemplateShape,
    products: Option<&ProductsMapping>,
    trigger: Option<&Trigger>,
    out: &mut Vec<FlowProblem>,
) {
    let id = Some(node);
    let Some(p) = products else {
        if shape.products != vars::ProductButton::None {
            out.push(problem(id, "missing_products", "the template has a product button (MPM or CATALOG): map `products` (`{\"from\": \"ORDER\"}`, `CHECKOUT` or `RESTOCK`)".into()));
        }
        return;
    };
    if shape.products == vars::ProductButton::None {
        out.push(problem(
            id,
            "products_not_used",
            "`products` is mapped but the template has no MPM or CATALOG button".into(),
        ));
    }
    if let Some(t) = trigger {
        if !vars::products_available(p.from, t) {
            out.push(problem(
                id,
                "variable_not_available",
                format!(
                    "products: a flow started by this trigger has no {} to take products from",
                    p.from.as_str()
                ),
            ));
        }
    }
    if let Some(title) = &p.section_title {
        let n = title.trim().chars().count();
        if n == 0 || n > 24 {
            out.push(problem(
                id,
                "bad_products",
                format!("products.section_title must be 1 to 24 characters (it has {n})"),
            ));
        }
    }
}

fn check_var(
    node: &str,
    at: &str,
    v: &VarSource,
    trigger: Option<&Trigger>,
    want: Option<VarKind>,
    out: &mut Vec<FlowProblem>,
) {
    let id = Some(node);
    match (&v.source, &v.text) {
        (Some(_), Some(_)) | (None, None) => out.push(problem(id, "unknown_variable", format!("{at}: give exactly one of `source` and `text`"))),
        (None, Some(_)) => {}
        (Some(source), None) => match vars::kind_of(source) {
            None => out.push(problem(id, "unknown_variable", format!("{at}: `{source}` is not a variable (customer.first_name|last_name|email|phone, order.order_number|total_price|product_name, checkout.url|total_price, product.title|price|url, store.name)"))),
            Some(kind) => {
                if let Some(t) = trigger {
                    if !vars::available(source, t) {
                        out.push(problem(id, "variable_not_available", format!("{at}: `{source}` has no value in a flow started by this trigger")));
                    }
                }
                if want.is_some_and(|w| w != kind) {
                    out.push(problem(id, "wrong_variable_type", format!("{at}: `{source}` is a full URL; a URL button takes only the suffix after the template's fixed part")));
                }
            }
        },
    }
}
