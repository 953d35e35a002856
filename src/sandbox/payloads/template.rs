//! A text with `@NAME@` holes, split once so that rendering is only concatenation: how
//! the benches render a fresh ~2 KB body per request without spending the load
//! generator's CPU on JSON serialisation.

/// A text with `@NAME@` holes, split once so rendering is only concatenation.
pub struct Template {
    pieces: Vec<Piece>,
    names: Vec<&'static str>,
    approx_len: usize,
}

enum Piece {
    Lit(String),
    Hole(usize),
}

impl Template {
    /// Splits `text` at the holes `@name@` for each of `names` (in that order of values).
    pub fn new(text: &str, names: &[&'static str]) -> Self {
        let mut pieces = Vec::new();
        let mut rest = text;
        let mut lit = String::new();
        while let Some(at) = rest.find('@') {
            let after = &rest[at + 1..];
            let hole = names
                .iter()
                .position(|n| after.starts_with(n) && after[n.len()..].starts_with('@'));
            match hole {
                Some(i) => {
                    lit.push_str(&rest[..at]);
                    if !lit.is_empty() {
                        pieces.push(Piece::Lit(std::mem::take(&mut lit)));
                    }
                    pieces.push(Piece::Hole(i));
                    rest = &after[names[i].len() + 1..];
                }
                None => {
                    lit.push_str(&rest[..=at]);
                    rest = after;
                }
            }
        }
        lit.push_str(rest);
        if !lit.is_empty() {
            pieces.push(Piece::Lit(lit));
        }
        Self {
            pieces,
            names: names.to_vec(),
            approx_len: text.len() + 64,
        }
    }

    /// The text with each hole replaced by `values[i]` (same order as `names`).
    ///
    /// # Panics
    /// When `values` and `names` differ in length: a bug in the caller's fixed table.
    pub fn render(&self, values: &[&str]) -> String {
        assert_eq!(values.len(), self.names.len(), "template values");
        let mut out = String::with_capacity(self.approx_len);
        for p in &self.pieces {
            match p {
                Piece::Lit(s) => out.push_str(s),
                Piece::Hole(i) => out.push_str(values[*i]),
            }
        }
        out
    }
}
