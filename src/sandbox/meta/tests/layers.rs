//! The layer list in `mod.rs`'s module doc is the import graph of `sandbox::meta`: every
//! module's imports of its siblings (`super::…`, `crate::sandbox::meta::…`; `mod.rs`'s
//! own `x::…` paths) are exactly the ones listed, and each goes to a lower layer, so the
//! modules import each other in no circle.

use std::collections::{BTreeMap, BTreeSet};

/// Every file of the emulator but its tests, by module name (`mod` is `mod.rs`).
const SOURCES: &[(&str, &str)] = &[
    ("catalog_rules", include_str!("../catalog_rules.rs")),
    ("catalogs", include_str!("../catalogs.rs")),
    ("config", include_str!("../config.rs")),
    ("control", include_str!("../control.rs")),
    ("faults", include_str!("../faults.rs")),
    ("guard", include_str!("../guard.rs")),
    ("media", include_str!("../media.rs")),
    ("mod", include_str!("../mod.rs")),
    ("model", include_str!("../model.rs")),
    ("review", include_str!("../review.rs")),
    ("send", include_str!("../send.rs")),
    ("server", include_str!("../server.rs")),
    ("state", include_str!("../state.rs")),
    ("template_rules", include_str!("../template_rules.rs")),
    ("template_send", include_str!("../template_send.rs")),
    ("template_store", include_str!("../template_store.rs")),
    ("templates", include_str!("../templates.rs")),
    ("validate", include_str!("../validate.rs")),
    ("webhooks", include_str!("../webhooks.rs")),
];

struct Layer {
    level: u32,
    imports: BTreeSet<String>,
}

fn source(name: &str) -> &'static str {
    SOURCES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| *s)
        .unwrap_or_else(|| panic!("no source for module {name}"))
}

/// The `//! N  module  -> a, b` lines of `mod.rs`.
fn documented() -> BTreeMap<String, Layer> {
    let mut out = BTreeMap::new();
    for line in source("mod").lines() {
        let Some(rest) = line.strip_prefix("//! ") else {
            continue;
        };
        let Some((head, imports)) = rest.split_once("->") else {
            continue;
        };
        let mut head = head.split_whitespace();
        let (Some(level), Some(module), None) = (head.next(), head.next(), head.next()) else {
            continue;
        };
        let Ok(level) = level.parse() else {
            continue;
        };
        let imports = imports
            .split(',')
            .map(str::trim)
            .filter(|i| *i != "-")
            .map(str::to_owned)
            .collect();
        out.insert(module.to_owned(), Layer { level, imports });
    }
    out
}

/// The code of a file without its comment lines (doc links are not imports).
fn code(src: &str) -> String {
    src.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first segment of each top-level item of `{a::X, b, c::{Y, Z}}` (after the `{`).
fn group_heads(after_brace: &str) -> Vec<String> {
    let (mut depth, mut item, mut heads) = (0u32, String::new(), Vec::new());
    for c in after_brace.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => heads.push(std::mem::take(&mut item)),
            _ => {}
        }
        if depth == 0 && c != ',' {
            item.push(c);
        }
    }
    heads.push(item);
    heads
        .iter()
        .filter_map(|i| i.trim().split("::").next().map(str::to_owned))
        .collect()
}

fn ident(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// The sibling modules a file refers to.
fn actual(name: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let code = code(source(name));
    let mut found = BTreeSet::new();
    let prefixes: &[&str] = if name == "mod" {
        &[""]
    } else {
        &["super::", "crate::sandbox::meta::"]
    };
    for prefix in prefixes {
        let mut rest = code.as_str();
        while let Some(at) = rest.find(if prefix.is_empty() { "::" } else { prefix }) {
            let (before, after) = rest.split_at(at);
            if prefix.is_empty() {
                // `mod.rs` names its children directly: `state::Shared`.
                let word: String = before
                    .chars()
                    .rev()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                found.insert(word);
                rest = &after[2..];
                continue;
            }
            let after = &after[prefix.len()..];
            match after.strip_prefix('{') {
                Some(group) => found.extend(group_heads(group)),
                None => {
                    found.insert(ident(after));
                }
            }
            rest = after;
        }
    }
    found.retain(|m| modules.contains(m) && m != name);
    found
}

/// The `mod x;` lines of `mod.rs`, tests left out.
fn declared() -> BTreeSet<String> {
    code(source("mod"))
        .lines()
        .filter_map(|l| l.trim().strip_prefix("mod "))
        .filter_map(|l| l.strip_suffix(';'))
        .filter(|m| *m != "tests")
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_module_is_listed_in_the_layers_of_mod_rs() {
    let listed: BTreeSet<String> = documented().into_keys().filter(|m| m != "mod").collect();
    let sources: BTreeSet<String> = SOURCES
        .iter()
        .map(|(n, _)| (*n).to_owned())
        .filter(|n| n != "mod")
        .collect();
    assert_eq!(listed, declared(), "layer list versus `mod` declarations");
    assert_eq!(sources, declared(), "SOURCES versus `mod` declarations");
}

#[test]
fn each_module_imports_exactly_what_its_layer_line_says() {
    let layers = documented();
    let modules: BTreeSet<String> = declared();
    for (name, layer) in &layers {
        assert_eq!(
            actual(name, &modules),
            layer.imports,
            "imports of {name} versus its line in mod.rs"
        );
    }
}

#[test]
fn imports_only_go_down_so_there_is_no_circle() {
    let layers = documented();
    for (name, layer) in &layers {
        for import in &layer.imports {
            let below = layers.get(import).map(|l| l.level);
            assert!(
                below.is_some_and(|b| b < layer.level),
                "{name} (layer {}) imports {import} (layer {below:?})",
                layer.level
            );
        }
    }
}
