//! Placeholder and URL rules of template definitions: `{{1}}`-style positional or
//! `{{name}}` named parameters (never mixed), numbered in sequence, each with an example;
//! URL buttons with at most one `{{1}}`, at the end.

use super::{Examples, TemplateError};

/// Positional or named parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Format {
    Positional,
    Named,
}

pub(super) fn check_len(field: &str, text: &str, max: usize) -> Result<(), TemplateError> {
    if text.trim().is_empty() {
        return Err(TemplateError::new(field, "must not be empty"));
    }
    let len = text.chars().count();
    if len > max {
        return Err(TemplateError::new(
            field,
            format!("{len} characters; at most {max}"),
        ));
    }
    Ok(())
}

pub(super) fn format_of(ex: &Examples) -> Option<Format> {
    match ex {
        Examples::None => None,
        Examples::Positional(_) => Some(Format::Positional),
        Examples::Named(_) => Some(Format::Named),
    }
}

pub(super) fn placeholder_count(ex: &Examples) -> usize {
    match ex {
        Examples::None => 0,
        Examples::Positional(v) => v.len(),
        Examples::Named(v) => v.len(),
    }
}

/// The `{{…}}` placeholders of `text`, in order.
pub(super) fn placeholders(field: &str, text: &str) -> Result<Vec<String>, TemplateError> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| TemplateError::new(field, "unclosed {{"))?;
        out.push(after[..end].to_owned());
        rest = &after[end + 2..];
    }
    Ok(out)
}

/// Checks placeholders against examples; returns the format and the number of distinct
/// parameters, or `None` for a text without placeholders.
pub(super) fn check_params(
    field: &str,
    text: &str,
    examples: &Examples,
) -> Result<Option<(Format, usize)>, TemplateError> {
    let found = placeholders(field, text)?;
    let example_field = field.replace(".text", ".example");
    if found.is_empty() {
        return match examples {
            Examples::None => Ok(None),
            _ => Err(TemplateError::new(
                example_field,
                "examples given but the text has no parameters",
            )),
        };
    }
    let is_number = |p: &String| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let positional = found.iter().all(is_number);
    if !positional && found.iter().any(is_number) {
        return Err(TemplateError::new(
            field,
            "mixes positional {{1}} and named parameters",
        ));
    }
    if positional {
        let mut nums: Vec<usize> = found.iter().filter_map(|p| p.parse().ok()).collect();
        nums.sort_unstable();
        nums.dedup();
        if nums.iter().enumerate().any(|(i, &n)| n != i + 1) {
            return Err(TemplateError::new(
                field,
                "positional parameters must be {{1}}, {{2}} … in sequence",
            ));
        }
        match examples {
            Examples::Positional(v)
                if v.len() == nums.len() && v.iter().all(|e| !e.trim().is_empty()) =>
            {
                Ok(Some((Format::Positional, nums.len())))
            }
            _ => Err(TemplateError::new(
                example_field,
                format!("{} positional examples required", nums.len()),
            )),
        }
    } else {
        let valid = |p: &str| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                && !p.starts_with(|c: char| c.is_ascii_digit())
        };
        if let Some(bad) = found.iter().find(|p| !valid(p)) {
            return Err(TemplateError::new(
                field,
                format!("{{{{{bad}}}}} is neither {{{{1}}}} nor a lower-case name"),
            ));
        }
        let mut names: Vec<&str> = found.iter().map(String::as_str).collect();
        names.sort_unstable();
        names.dedup();
        let Examples::Named(pairs) = examples else {
            return Err(TemplateError::new(example_field, "named examples required"));
        };
        let mut given: Vec<&str> = pairs.iter().map(|(n, _)| n.as_str()).collect();
        given.sort_unstable();
        if given != names || pairs.iter().any(|(_, e)| e.trim().is_empty()) {
            return Err(TemplateError::new(
                example_field,
                format!("one non-empty example per parameter: {}", names.join(", ")),
            ));
        }
        Ok(Some((Format::Named, names.len())))
    }
}

pub(super) fn check_url(
    field: &str,
    url: &str,
    example: Option<&str>,
) -> Result<(), TemplateError> {
    let f = format!("{field}.url");
    check_len(&f, url, 2000)?;
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) || url.contains(' ') {
        return Err(TemplateError::new(f, "must be an http(s) URL"));
    }
    let vars = placeholders(&f, url)?;
    match (vars.as_slice(), example) {
        ([], None) => Ok(()),
        ([], Some(_)) => Err(TemplateError::new(
            format!("{field}.example"),
            "the URL has no {{1}}",
        )),
        ([v], Some(ex)) if v == "1" && url.ends_with("{{1}}") && !ex.trim().is_empty() => Ok(()),
        ([v], None) if v == "1" && url.ends_with("{{1}}") => Err(TemplateError::new(
            format!("{field}.example"),
            "required when the URL has {{1}}",
        )),
        _ => Err(TemplateError::new(
            f,
            "at most one parameter, {{1}}, at the end",
        )),
    }
}
