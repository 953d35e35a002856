//! Shopify's requested query cost, the way its docs describe it: scalars and enums 0,
//! objects 1, a connection 2 plus `first` (or `last`) times the cost of one node, a
//! mutation 10. What the emulator charges the shop's bucket before answering.

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
