//! A flow's graph: nodes by id and the edges out of each, for the walk and validation.

use crate::domain::automations::{FlowDraft, Node, NodeKind};
use std::collections::HashMap;

/// Nodes by id and their outgoing edges `(branch, to)`.
#[derive(Debug)]
pub struct Graph<'a> {
    nodes: HashMap<&'a str, &'a Node>,
    out: HashMap<&'a str, Vec<(Option<&'a str>, &'a str)>>,
}

impl<'a> Graph<'a> {
    /// The graph of `flow` (unknown ids and duplicates are validation's to report).
    pub fn of(flow: &'a FlowDraft) -> Self {
        let nodes = flow.nodes.iter().map(|n| (n.id.as_str(), n)).collect();
        let mut out: HashMap<&str, Vec<(Option<&str>, &str)>> = HashMap::new();
        for e in &flow.edges {
            out.entry(e.from.as_str())
                .or_default()
                .push((e.branch.as_deref(), e.to.as_str()));
        }
        Self { nodes, out }
    }

    /// A node by id.
    pub fn node(&self, id: &str) -> Option<&'a Node> {
        self.nodes.get(id).copied()
    }

    /// The trigger node (the first, when validation let two through).
    pub fn trigger(&self) -> Option<&'a Node> {
        self.nodes
            .values()
            .copied()
            .find(|n| matches!(n.kind, NodeKind::Trigger { .. }))
    }

    /// Edges out of `id`.
    pub fn out(&self, id: &str) -> &[(Option<&'a str>, &'a str)] {
        self.out.get(id).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Where `id` leads on `branch` (`None`: the plain edge). `None` when nothing follows:
    /// the run ends there.
    pub fn next(&self, id: &str, branch: Option<&str>) -> Option<&'a str> {
        self.out(id)
            .iter()
            .find(|(b, _)| match (b, branch) {
                (Some(b), Some(want)) => b.eq_ignore_ascii_case(want),
                (None, None) => true,
                _ => false,
            })
            .map(|(_, to)| *to)
    }
}
