//! Rules compiled against one table and one day: interned ids instead of text, inclusive
//! ranges on columns instead of operators. The same [`Cond`] answers for one row
//! (incremental membership) and for all rows (counts), so the two cannot disagree.

use super::table::{consent_code, country_code, BitKey, NumCol, Table, NO_DAY};
use crate::domain::segments::{days_since_bounds, ListId, Rule, Segment};
use roaring::RoaringBitmap;

/// One compiled rule.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Cond {
    /// The column's value is within `lo..=hi`.
    Range { col: NumCol, lo: i64, hi: i64 },
    /// The phone's digits are exactly this.
    Phone(u64),
    /// The country code is (not) one of these.
    Country { codes: Vec<u16>, negate: bool },
    /// The language id is (not) one of these; unknown languages are left out.
    Language { ids: Vec<u16>, negate: bool },
    /// The consent code is (not) this.
    Consent { code: u8, negate: bool },
    /// The row is (not) in any of these facts bitmaps; unknown keys are left out.
    Bits { keys: Vec<u32>, negate: bool },
    /// The row is (not) in any of these lists.
    Lists { lists: Vec<ListId>, negate: bool },
}

/// A segment compiled for one day: groups of conditions.
pub(super) type Compiled = Vec<Vec<Cond>>;

impl Table {
    /// Interns every text and id `segment` names, so its compiled form stays valid while
    /// contacts come and go (a defined segment's tag gets its bitmap before anyone has it).
    pub(super) fn intern_segment(&mut self, segment: &Segment) {
        for rule in segment.groups().iter().flat_map(|g| g.rules()) {
            for key in keys_of(rule) {
                self.intern(key);
            }
            if let Rule::Language { codes, .. } = rule {
                for c in codes {
                    self.intern_language(c);
                }
            }
        }
    }

    /// Compiles `segment` for UTC day `today`.
    pub(super) fn compile(&self, segment: &Segment, today: i32) -> Compiled {
        (segment.groups().iter())
            .map(|g| {
                g.rules()
                    .iter()
                    .map(|r| self.compile_rule(r, today))
                    .collect()
            })
            .collect()
    }

    fn compile_rule(&self, rule: &Rule, today: i32) -> Cond {
        let range = |col: NumCol, (lo, hi): (i64, i64)| {
            let floor = if col.is_day() {
                i64::from(NO_DAY) + 1
            } else {
                i64::MIN
            };
            Cond::Range {
                col,
                lo: lo.max(floor),
                hi,
            }
        };
        match rule {
            Rule::Phone(p) => Cond::Phone(p.digits()),
            Rule::List { lists, negate } => Cond::Lists {
                lists: lists.clone(),
                negate: *negate,
            },
            Rule::LastMessageReceived(d) => range(NumCol::LastMessageDay, d.bounds(today)),
            Rule::LastEngaged(d) => range(NumCol::LastEngagedDay, d.bounds(today)),
            Rule::OrdersCount(c) => range(NumCol::OrdersCount, c.bounds()),
            Rule::TotalSpent(c) => range(NumCol::TotalSpent, c.bounds()),
            Rule::AverageOrderValue(c) => range(NumCol::AverageOrderValue, c.bounds()),
            Rule::DaysSinceLastOrder(c) => {
                range(NumCol::LastOrderDay, days_since_bounds(*c, today))
            }
            Rule::DaysSinceFirstOrder(c) => {
                range(NumCol::FirstOrderDay, days_since_bounds(*c, today))
            }
            Rule::Country { codes, negate } => Cond::Country {
                codes: codes.iter().map(|c| country_code(*c)).collect(),
                negate: *negate,
            },
            Rule::Language { codes, negate } => Cond::Language {
                ids: codes
                    .iter()
                    .filter_map(|c| self.languages.get(c).copied())
                    .collect(),
                negate: *negate,
            },
            Rule::Consent { state, negate } => Cond::Consent {
                code: consent_code(*state),
                negate: *negate,
            },
            Rule::Tag { negate, .. }
            | Rule::PurchasedCollection { negate, .. }
            | Rule::PurchasedVendor { negate, .. } => Cond::Bits {
                keys: keys_of(rule)
                    .filter_map(|k| self.keys.get(&k).copied())
                    .collect(),
                negate: *negate,
            },
        }
    }

    /// True when `row` satisfies `cond`.
    pub(super) fn holds(&self, cond: &Cond, row: u32) -> bool {
        let r = row as usize;
        match cond {
            Cond::Range { col, lo, hi } => {
                let v = self.num(*col, r);
                *lo <= v && v <= *hi
            }
            Cond::Phone(p) => self.phone[r] == *p,
            Cond::Country { codes, negate } => codes.contains(&self.country[r]) != *negate,
            Cond::Language { ids, negate } => ids.contains(&self.language[r]) != *negate,
            Cond::Consent { code, negate } => (self.consent[r] == *code) != *negate,
            Cond::Bits { keys, negate } => {
                keys.iter().any(|k| self.bits[*k as usize].contains(row)) != *negate
            }
            Cond::Lists { lists, negate } => {
                let in_list = |l: &ListId| self.lists.get(l).is_some_and(|b| b.contains(row));
                lists.iter().any(in_list) != *negate
            }
        }
    }

    /// True when `row` matches the compiled segment.
    pub(super) fn row_matches(&self, compiled: &Compiled, row: u32) -> bool {
        compiled
            .iter()
            .any(|g| g.iter().all(|c| self.holds(c, row)))
    }

    /// The rows matching the compiled segment: per group, bitmap rules intersect (or
    /// subtract) first, then one pass over the remaining rows checks the column rules.
    /// Allocates per group and per bitmap rule, never per row.
    pub(super) fn rows(&self, compiled: &Compiled) -> RoaringBitmap {
        let mut all = RoaringBitmap::new();
        for group in compiled {
            all |= self.group_rows(group);
        }
        all
    }

    fn group_rows(&self, group: &[Cond]) -> RoaringBitmap {
        let mut base: Option<RoaringBitmap> = None;
        let mut minus = Vec::new();
        let mut scan = Vec::new();
        for cond in group {
            match self.set_of(cond) {
                Some((set, false)) => {
                    base = Some(match base {
                        Some(b) => b & set,
                        None => set,
                    })
                }
                Some((set, true)) => minus.push(set),
                None => scan.push(cond),
            }
        }
        let mut rows = base.unwrap_or_else(|| self.live.clone());
        for m in &minus {
            rows -= m;
        }
        if scan.is_empty() {
            return rows;
        }
        let mut out = RoaringBitmap::new();
        for row in &rows {
            if scan.iter().all(|c| self.holds(c, row)) {
                out.insert(row);
            }
        }
        out
    }

    /// The rows of a bitmap rule (before negation) and its negation; `None` for rules
    /// answered by a column scan.
    fn set_of(&self, cond: &Cond) -> Option<(RoaringBitmap, bool)> {
        match cond {
            Cond::Bits { keys, negate } => {
                let mut set = RoaringBitmap::new();
                for k in keys {
                    set |= &self.bits[*k as usize];
                }
                Some((set, *negate))
            }
            Cond::Lists { lists, negate } => {
                let mut set = RoaringBitmap::new();
                for b in lists.iter().filter_map(|l| self.lists.get(l)) {
                    set |= b;
                }
                Some((set, *negate))
            }
            _ => None,
        }
    }
}

/// The facts bitmaps a tag or purchase rule reads.
fn keys_of(rule: &Rule) -> Box<dyn Iterator<Item = BitKey> + '_> {
    match rule {
        Rule::Tag { tag, .. } => Box::new(std::iter::once(BitKey::Tag(tag.clone()))),
        Rule::PurchasedCollection { ids, .. } => {
            Box::new(ids.iter().map(|i| BitKey::Collection(*i)))
        }
        Rule::PurchasedVendor { vendors, .. } => {
            Box::new(vendors.iter().map(|v| BitKey::Vendor(v.clone())))
        }
        _ => Box::new(std::iter::empty()),
    }
}
