//! Contact search: a case-insensitive substring of the first, last or full name or the
//! email, or the digits of the query within the phone's digits. Matching allocates
//! nothing per contact for ASCII text (the common case at a million contacts).

use crate::domain::contact::Contact;

/// A prepared query.
pub struct Query {
    /// Lower-cased, trimmed text; empty matches everything.
    text: String,
    /// The query's digits when it looks like a phone number (phone search).
    digits: String,
}

impl Query {
    /// Prepares `q`.
    pub fn new(q: &str) -> Self {
        let text = q.trim().to_lowercase();
        let phone_like = text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '(' | ')' | '.' | ' '));
        let digits = if phone_like {
            text.chars().filter(char::is_ascii_digit).collect()
        } else {
            String::new()
        };
        Self { text, digits }
    }

    /// True when the contact matches.
    pub fn matches(&self, c: &Contact) -> bool {
        if self.text.is_empty() {
            return true;
        }
        let t = self.text.as_str();
        let field = |f: &Option<Box<str>>| f.as_deref().is_some_and(|h| contains_ci(h, t));
        if field(&c.first_name) || field(&c.last_name) || field(&c.email) {
            return true;
        }
        if t.contains(' ') {
            if let Some(full) = c.full_name() {
                if contains_ci(&full, t) {
                    return true;
                }
            }
        }
        if !self.digits.is_empty() {
            if let Some(p) = c.phone {
                if p.digits().to_string().contains(&self.digits) {
                    return true;
                }
            }
            if let Some(raw) = c.phone_raw.as_deref() {
                let d: String = raw.chars().filter(char::is_ascii_digit).collect();
                if d.contains(&self.digits) {
                    return true;
                }
            }
        }
        false
    }
}

/// `needle` (already lower-case) occurs in `hay`, ignoring case.
fn contains_ci(hay: &str, needle: &str) -> bool {
    if hay.is_ascii() && needle.is_ascii() {
        let (h, n) = (hay.as_bytes(), needle.as_bytes());
        n.len() <= h.len() && h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
    } else {
        hay.to_lowercase().contains(needle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::phone::PhoneE164;
    use crate::domain::Timestamp;

    fn contact() -> Contact {
        let mut c = Contact::new(1, Timestamp(0));
        c.first_name = Some("Bob".into());
        c.last_name = Some("Biller".into());
        c.email = Some("bob@Biller.com".into());
        c.phone = PhoneE164::parse("+16135550199").ok();
        c
    }

    #[test]
    fn matches_names_email_and_phone_digits() {
        let c = contact();
        for q in [
            "",
            "bob",
            "BILL",
            "bob biller",
            "biller.com",
            "613 555",
            "+1613",
        ] {
            assert!(Query::new(q).matches(&c), "{q}");
        }
        for q in ["alice", "bob smith", "999"] {
            assert!(!Query::new(q).matches(&c), "{q}");
        }
    }

    #[test]
    fn matches_non_ascii_names() {
        let mut c = contact();
        c.first_name = Some("Ünal".into());
        assert!(Query::new("üNAL").matches(&c));
    }
}
