//! Shopify's requested query cost, the way its docs describe it: scalars and enums 0,
//! objects 1, a connection 2 plus `first` (or `last`) times the cost of one node, a
//! mutation 10. What the emulator charges the shop's bucket before answering; the
//! actual cost counts the nodes a connection really returned, and the difference is
//! refunded to the bucket after the answer, as Shopify does.

use apollo_compiler::executable::{Operation, Selection, SelectionSet};
use apollo_compiler::ExecutableDocument;
use serde_json::Value;

/// The requested cost of `op`.
pub fn requested(op: &Operation, doc: &ExecutableDocument, variables: &Value) -> u64 {
    if op.operation_type.is_mutation() {
        return 10;
    }
    set_cost(&op.selection_set, doc, variables)
}

fn set_cost(set: &SelectionSet, doc: &ExecutableDocument, variables: &Value) -> u64 {
    set.selections
        .iter()
        .map(|s| match s {
            Selection::Field(f) => {
                if f.selection_set.selections.is_empty() {
                    return 0;
                }
                let size = ["first", "last"]
                    .iter()
                    .find_map(|a| super::project::argument(f, a, variables))
                    .and_then(|v| v.as_u64());
                match size {
                    Some(n) => 2 + n * node_cost(&f.selection_set, doc, variables),
                    None => 1 + set_cost(&f.selection_set, doc, variables),
                }
            }
            Selection::FragmentSpread(spread) => doc
                .fragments
                .get(&spread.fragment_name)
                .map_or(0, |f| set_cost(&f.selection_set, doc, variables)),
            Selection::InlineFragment(i) => set_cost(&i.selection_set, doc, variables),
        })
        .sum()
}

/// The actual cost of `op` given its answer `data`: connections cost 2 plus the cost of
/// the nodes they returned.
pub fn actual(op: &Operation, doc: &ExecutableDocument, variables: &Value, data: &Value) -> u64 {
    if op.operation_type.is_mutation() {
        return 10;
    }
    actual_set(&op.selection_set, doc, variables, data)
}

fn actual_set(
    set: &SelectionSet,
    doc: &ExecutableDocument,
    variables: &Value,
    data: &Value,
) -> u64 {
    set.selections
        .iter()
        .map(|s| match s {
            Selection::Field(f) => {
                if f.selection_set.selections.is_empty() {
                    return 0;
                }
                let value = data.get(f.response_key().as_str()).unwrap_or(&Value::Null);
                let paged = ["first", "last"]
                    .iter()
                    .any(|a| super::project::argument(f, a, variables).is_some());
                if paged {
                    let nodes: Vec<&Value> = match (value.get("nodes"), value.get("edges")) {
                        (Some(Value::Array(n)), _) => n.iter().collect(),
                        (_, Some(Value::Array(e))) => {
                            e.iter().filter_map(|e| e.get("node")).collect()
                        }
                        _ => Vec::new(),
                    };
                    let node_set = node_selection(&f.selection_set);
                    2 + nodes
                        .iter()
                        .map(|n| 1 + node_set.map_or(0, |ns| actual_set(ns, doc, variables, n)))
                        .sum::<u64>()
                } else if value.is_null() {
                    0
                } else {
                    1 + actual_set(&f.selection_set, doc, variables, value)
                }
            }
            Selection::FragmentSpread(spread) => doc
                .fragments
                .get(&spread.fragment_name)
                .map_or(0, |fr| actual_set(&fr.selection_set, doc, variables, data)),
            Selection::InlineFragment(i) => actual_set(&i.selection_set, doc, variables, data),
        })
        .sum()
}

/// The selection of one node of a connection (`nodes { … }` or `edges { node { … } }`).
fn node_selection(set: &SelectionSet) -> Option<&SelectionSet> {
    set.selections.iter().find_map(|s| match s {
        Selection::Field(f) if f.name == "nodes" => Some(&f.selection_set),
        Selection::Field(f) if f.name == "edges" => {
            f.selection_set.selections.iter().find_map(|e| match e {
                Selection::Field(n) if n.name == "node" => Some(&n.selection_set),
                _ => None,
            })
        }
        _ => None,
    })
}

/// The cost of one node of a connection (`edges { node { … } }` or `nodes { … }`).
fn node_cost(set: &SelectionSet, doc: &ExecutableDocument, variables: &Value) -> u64 {
    let mut cost = 0;
    for s in &set.selections {
        if let Selection::Field(f) = s {
            match f.name.as_str() {
                "nodes" => cost = cost.max(1 + set_cost(&f.selection_set, doc, variables)),
                "edges" => {
                    for e in &f.selection_set.selections {
                        if let Selection::Field(n) = e {
                            if n.name == "node" {
                                cost = cost.max(1 + set_cost(&n.selection_set, doc, variables));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    cost.max(1)
}
