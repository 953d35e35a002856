//! CSV import of a static list, the pure part: parse the text into rows that name a
//! contact (by phone, Shopify customer id or email) and per-line errors. Resolving rows to
//! contacts and adding them to the list is the caller's (it knows the contacts).
//!
//! Choices where the issue is silent:
//! - The header (line 1) names the columns, in any order and case: `phone`,
//!   `customer_id` (or `id`), `email`, and an optional `country` (ISO alpha-2) that
//!   gives a phone without `+` its calling code; other columns are ignored. The
//!   delimiter is `,`, or `;` when the header has `;` and no `,` (spreadsheet exports in
//!   many locales).
//! - Quoted fields (`"a, b"`, `""` for a quote) are read; a quoted field may not span
//!   lines (a contact key never holds a newline), so an open quote ends as a line error.
//! - A row with any present but invalid key is an error, not a partial import: the
//!   merchant fixes the line rather than finding half of it applied. Blank lines are
//!   skipped. Duplicates are kept; adding to a list is idempotent.
//! - More than [`MAX_ROWS`] data rows refuses the whole file ([`CsvError::TooManyRows`])
//!   before any row is returned.

use crate::domain::phone::PhoneE164;
use crate::domain::ShopifyId;

/// At most this many data rows in one import.
pub const MAX_ROWS: usize = 100_000;

/// Why a whole file is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    /// No header line.
    #[error("the file is empty")]
    Empty,
    /// The header names none of `phone`, `customer_id`, `email`.
    #[error("the header has no `phone`, `customer_id` or `email` column")]
    NoKeyColumn,
    /// More data rows than [`MAX_ROWS`].
    #[error("the file has more than {max} rows")]
    TooManyRows {
        /// The limit ([`MAX_ROWS`]).
        max: usize,
    },
}

/// One imported row: at least one key is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportRow {
    /// 1-based line number in the file (the header is line 1).
    pub line: usize,
    /// From the `phone` cell, normalised to E.164.
    pub phone: Option<PhoneE164>,
    /// From the `customer_id` cell (a number or a `gid://shopify/Customer/…`).
    pub customer_id: Option<ShopifyId>,
    /// Trimmed, lower-cased.
    pub email: Option<Box<str>>,
}

/// A line that could not be imported, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong, starting with the column (`phone: …`).
    pub reason: String,
}

/// The outcome of parsing a file: good rows and bad lines, both in line order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CsvImport {
    /// Rows to import.
    pub rows: Vec<ImportRow>,
    /// Lines not imported.
    pub errors: Vec<LineError>,
}

#[derive(Default)]
struct Columns {
    phone: Option<usize>,
    customer_id: Option<usize>,
    email: Option<usize>,
    country: Option<usize>,
}

/// Parses a list import. `default_country` (the shop's) gives phones without `+` and
/// without a `country` cell their calling code.
///
/// # Errors
/// [`CsvError`] when the whole file is refused; problems of single lines are in
/// [`CsvImport::errors`].
pub fn parse_list_csv(text: &str, default_country: Option<&str>) -> Result<CsvImport, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().enumerate();
    let (_, header) = lines.next().ok_or(CsvError::Empty)?;
    if header.trim().is_empty() {
        return Err(CsvError::Empty);
    }
    let delim = if header.contains(';') && !header.contains(',') {
        ';'
    } else {
        ','
    };
    let cols = columns(header, delim)?;
    let data: Vec<(usize, &str)> = lines.filter(|(_, l)| !l.trim().is_empty()).collect();
    if data.len() > MAX_ROWS {
        return Err(CsvError::TooManyRows { max: MAX_ROWS });
    }
    let mut out = CsvImport::default();
    for (i, line) in data {
        match row(line, delim, &cols, default_country) {
            Ok((phone, customer_id, email)) => out.rows.push(ImportRow {
                line: i + 1,
                phone,
                customer_id,
                email,
            }),
            Err(reason) => out.errors.push(LineError {
                line: i + 1,
                reason,
            }),
        }
    }
    Ok(out)
}

fn columns(header: &str, delim: char) -> Result<Columns, CsvError> {
    let names = split(header, delim).map_err(|_| CsvError::NoKeyColumn)?;
    let mut c = Columns::default();
    for (i, name) in names.iter().enumerate() {
        let name = name.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        let slot = match name.as_str() {
            "phone" | "phone_number" => &mut c.phone,
            "customer_id" | "id" => &mut c.customer_id,
            "email" => &mut c.email,
            "country" | "country_code" => &mut c.country,
            _ => continue,
        };
        slot.get_or_insert(i);
    }
    if c.phone.is_none() && c.customer_id.is_none() && c.email.is_none() {
        return Err(CsvError::NoKeyColumn);
    }
    Ok(c)
}

type Keys = (Option<PhoneE164>, Option<ShopifyId>, Option<Box<str>>);

fn row(
    line: &str,
    delim: char,
    c: &Columns,
    default_country: Option<&str>,
) -> Result<Keys, String> {
    let f = split(line, delim)?;
    let cell = |i: Option<usize>| {
        i.and_then(|i| f.get(i))
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    };
    let country = cell(c.country).or(default_country);
    let phone = cell(c.phone)
        .map(|p| PhoneE164::from_raw(p, country))
        .transpose()
        .map_err(|e| format!("phone: {e}"))?;
    let customer_id = cell(c.customer_id)
        .map(|s| {
            (s.parse::<u64>().ok())
                .or_else(|| crate::domain::parse_gid(s, Some("Customer")))
                .filter(|n| *n > 0)
                .ok_or_else(|| "customer_id: expected a Shopify customer id".to_string())
        })
        .transpose()?;
    let email = match cell(c.email) {
        Some(e) if e.len() > 254 || !looks_like_email(e) => {
            return Err("email: expected an email address".to_string())
        }
        Some(e) => Some(e.to_ascii_lowercase().into()),
        None => None,
    };
    if phone.is_none() && customer_id.is_none() && email.is_none() {
        return Err("no phone, customer_id or email".to_string());
    }
    Ok((phone, customer_id, email))
}

fn looks_like_email(e: &str) -> bool {
    matches!(e.split_once('@'), Some((a, b)) if !a.is_empty() && b.contains('.') && !b.contains('@'))
        && !e.contains(char::is_whitespace)
}

/// Splits one line into fields, reading quotes.
fn split(line: &str, delim: char) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(ch) = chars.next() {
        match (quoted, ch) {
            (true, '"') if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (false, '"') if cur.trim().is_empty() => {
                cur.clear();
                quoted = true;
            }
            (false, c) if c == delim => fields.push(std::mem::take(&mut cur)),
            (_, c) => cur.push(c),
        }
    }
    if quoted {
        return Err("unterminated quote".to_string());
    }
    fields.push(cur);
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_with_every_key_parses_with_line_numbers() {
        let text = "\u{feff}Email,Phone,Customer ID,Name\n\
                    a@x.io,+34600111222,,Ana\n\
                    \n\
                    ,,123,\"Doe, John\"\n\
                    B@X.IO,,,\n";
        let out = parse_list_csv(text, None).expect("parses");
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        assert_eq!(out.rows.len(), 3);
        assert_eq!(out.rows[0].line, 2);
        assert_eq!(
            out.rows[0].phone.map(|p| p.to_string()).as_deref(),
            Some("+34600111222")
        );
        assert_eq!(out.rows[1].line, 4);
        assert_eq!(out.rows[1].customer_id, Some(123));
        assert_eq!(out.rows[2].email.as_deref(), Some("b@x.io"));
    }

    #[test]
    fn bad_lines_are_reported_and_skipped() {
        let text = "phone;country\n612 34 56 78;ES\n12;ES\n600111222;\n\"+34600;\n;\n";
        let out = parse_list_csv(text, None).expect("parses");
        assert_eq!(out.rows.len(), 1);
        assert_eq!(out.rows[0].phone.map(|p| p.digits()), Some(34_612_345_678));
        let errs: Vec<(usize, &str)> = out
            .errors
            .iter()
            .map(|e| (e.line, e.reason.as_str()))
            .collect();
        assert_eq!(
            errs,
            vec![
                (3, "phone: not a valid phone number"),
                (
                    4,
                    "phone: the phone number has no calling code and none can be inferred"
                ),
                (5, "unterminated quote"),
                (6, "no phone, customer_id or email"),
            ]
        );
    }

    #[test]
    fn the_shop_country_fills_in_a_missing_calling_code() {
        let out = parse_list_csv("phone\n612345678\n", Some("ES")).expect("parses");
        assert_eq!(out.rows[0].phone.map(|p| p.digits()), Some(34_612_345_678));
    }

    #[test]
    fn whole_file_errors_are_named() {
        assert_eq!(parse_list_csv("", None), Err(CsvError::Empty));
        assert_eq!(
            parse_list_csv("name,city\nx,y\n", None),
            Err(CsvError::NoKeyColumn)
        );
        let big = format!("customer_id\n{}", "1\n".repeat(MAX_ROWS + 1));
        assert_eq!(
            parse_list_csv(&big, None),
            Err(CsvError::TooManyRows { max: MAX_ROWS })
        );
        let ok = format!("customer_id\n{}", "1\n".repeat(MAX_ROWS));
        assert_eq!(
            parse_list_csv(&ok, None).map(|o| o.rows.len()),
            Ok(MAX_ROWS)
        );
    }

    #[test]
    fn bad_ids_and_emails_are_line_errors() {
        let out = parse_list_csv("id,email\nabc,\n,not-an-email\n", None).expect("parses");
        assert_eq!(
            out.errors[0].reason,
            "customer_id: expected a Shopify customer id"
        );
        assert_eq!(out.errors[1].reason, "email: expected an email address");
    }
}
