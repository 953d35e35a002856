//! The index's storage: one dense row per contact, fixed-width columns for what range
//! rules read, and roaring bitmaps (rows) for tags, vendors, collections and lists.
//!
//! Memory per contact (1 M contacts): columns 49 B (phone 8, orders 4, total spent 8,
//! average order value 8, four days 4 × 4, country 2, language 2, consent 1), the row →
//! contact id 8 B, the contact id → row map about 20 B (a `BTreeMap`, so members page in
//! id order), the row's bitmap keys 16 B + 4 B per tag, vendor and collection, and in the
//! bitmaps about 2 B per membership (array containers; 1 bit per row once dense). About
//! 95 B + 6 B per tag, vendor or collection: a tenth of the 1 KB a contact may cost.

use crate::domain::segments::{LanguageCode, ListId};
use crate::domain::ShopifyId;
use crate::logic::segments::facts::ContactFacts;
use roaring::RoaringBitmap;
use std::collections::{BTreeMap, HashMap};

/// A day column's value for "never".
pub(super) const NO_DAY: i32 = i32::MIN;

/// What a bitmap of the facts-derived kind is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) enum BitKey {
    Tag(Box<str>),
    Vendor(Box<str>),
    Collection(ShopifyId),
}

/// A numeric column a range rule reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum NumCol {
    OrdersCount,
    TotalSpent,
    AverageOrderValue,
    FirstOrderDay,
    LastOrderDay,
    LastMessageDay,
    LastEngagedDay,
}

impl NumCol {
    /// True for day columns, whose [`NO_DAY`] never matches.
    pub(super) fn is_day(self) -> bool {
        !matches!(
            self,
            NumCol::OrdersCount | NumCol::TotalSpent | NumCol::AverageOrderValue
        )
    }
}

/// Rows, columns and bitmaps of one tenant.
#[derive(Debug, Default)]
pub(super) struct Table {
    pub ids: BTreeMap<u64, u32>,
    pub row_ids: Vec<u64>,
    pub live: RoaringBitmap,
    free: Vec<u32>,
    pub phone: Vec<u64>,
    pub orders_count: Vec<u32>,
    pub total_spent: Vec<i64>,
    pub aov: Vec<i64>,
    pub days: [Vec<i32>; 4],
    /// Two ASCII bytes, 0 for none.
    pub country: Vec<u16>,
    /// Interned language + 1, 0 for none.
    pub language: Vec<u16>,
    /// [`consent_code`] of the marketing state.
    pub consent: Vec<u8>,
    /// Per row, the facts-derived bitmaps it is in (to leave them on change).
    row_keys: Vec<Box<[u32]>>,
    pub keys: HashMap<BitKey, u32>,
    pub bits: Vec<RoaringBitmap>,
    pub languages: HashMap<LanguageCode, u16>,
    pub lists: HashMap<ListId, RoaringBitmap>,
}

/// The one-byte code of a marketing state.
pub(super) fn consent_code(s: crate::domain::contact::MarketingState) -> u8 {
    use crate::domain::contact::MarketingState::*;
    match s {
        Subscribed => 0,
        Pending => 1,
        NotSubscribed => 2,
        Unsubscribed => 3,
        Unknown => 4,
        Invalid => 5,
        Redacted => 6,
    }
}

/// The two-byte code of a country.
pub(super) fn country_code(c: crate::domain::contact::CountryCode) -> u16 {
    match c.as_str().as_bytes() {
        [a, b] => u16::from(*a) << 8 | u16::from(*b),
        _ => 0,
    }
}

impl Table {
    /// The value of a numeric column at `row`.
    pub(super) fn num(&self, col: NumCol, row: usize) -> i64 {
        match col {
            NumCol::OrdersCount => i64::from(self.orders_count[row]),
            NumCol::TotalSpent => self.total_spent[row],
            NumCol::AverageOrderValue => self.aov[row],
            NumCol::FirstOrderDay => i64::from(self.days[0][row]),
            NumCol::LastOrderDay => i64::from(self.days[1][row]),
            NumCol::LastMessageDay => i64::from(self.days[2][row]),
            NumCol::LastEngagedDay => i64::from(self.days[3][row]),
        }
    }

    /// The row of `contact`, allocated (reusing a freed one) when new; `None` when the
    /// table holds `u32::MAX` rows already.
    pub(super) fn row_for(&mut self, contact: u64) -> Option<u32> {
        if let Some(r) = self.ids.get(&contact) {
            return Some(*r);
        }
        let row = match self.free.pop() {
            Some(r) => r,
            None => {
                let r = u32::try_from(self.row_ids.len())
                    .ok()
                    .filter(|r| *r < u32::MAX)?;
                self.grow();
                r
            }
        };
        self.row_ids[row as usize] = contact;
        self.ids.insert(contact, row);
        self.live.insert(row);
        Some(row)
    }

    fn grow(&mut self) {
        self.row_ids.push(0);
        self.phone.push(0);
        self.orders_count.push(0);
        self.total_spent.push(0);
        self.aov.push(0);
        for d in &mut self.days {
            d.push(NO_DAY);
        }
        self.country.push(0);
        self.language.push(0);
        self.consent.push(consent_code(Default::default()));
        self.row_keys.push(Box::default());
    }

    /// Frees `contact`'s row: out of every bitmap, columns reset. Returns the row.
    pub(super) fn free_row(&mut self, contact: u64) -> Option<u32> {
        let row = self.ids.remove(&contact)?;
        self.set(row, &ContactFacts::default());
        for l in self.lists.values_mut() {
            l.remove(row);
        }
        self.live.remove(row);
        self.free.push(row);
        Some(row)
    }

    /// Writes `f` into `row`'s columns and bitmaps.
    pub(super) fn set(&mut self, row: u32, f: &ContactFacts) {
        let r = row as usize;
        self.phone[r] = f.phone.map_or(0, |p| p.digits());
        self.orders_count[r] = f.orders_count;
        self.total_spent[r] = f.total_spent;
        self.aov[r] = f.average_order_value;
        let days = [
            f.first_order_day,
            f.last_order_day,
            f.last_message_received_day,
            f.last_engaged_day,
        ];
        for (col, d) in self.days.iter_mut().zip(days) {
            col[r] = d.unwrap_or(NO_DAY);
        }
        self.country[r] = f.country.map_or(0, country_code);
        let language = f.language.as_ref().map_or(0, |l| self.intern_language(l));
        self.language[r] = language;
        self.consent[r] = consent_code(f.consent);
        self.set_keys(row, f);
    }

    fn set_keys(&mut self, row: u32, f: &ContactFacts) {
        for k in std::mem::take(&mut self.row_keys[row as usize]).iter() {
            self.bits[*k as usize].remove(row);
        }
        let tags = f.tags.iter().map(|t| BitKey::Tag(t.clone()));
        let vendors = f.vendors.iter().map(|v| BitKey::Vendor(v.clone()));
        let collections = f.collections.iter().map(|c| BitKey::Collection(*c));
        let mut keys: Vec<u32> = (tags.chain(vendors).chain(collections))
            .map(|k| self.intern(k))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        for k in &keys {
            self.bits[*k as usize].insert(row);
        }
        self.row_keys[row as usize] = keys.into_boxed_slice();
    }

    /// The bitmap id of `key`, created empty when new.
    pub(super) fn intern(&mut self, key: BitKey) -> u32 {
        let next = self.bits.len() as u32;
        let id = *self.keys.entry(key).or_insert(next);
        if id == next {
            self.bits.push(RoaringBitmap::new());
        }
        id
    }

    /// The language's id + 1; 0 (no language) once 65 535 languages are known, which
    /// real locales never reach.
    pub(super) fn intern_language(&mut self, l: &LanguageCode) -> u16 {
        if let Some(id) = self.languages.get(l) {
            return *id;
        }
        let Ok(id) = u16::try_from(self.languages.len() + 1) else {
            return 0;
        };
        self.languages.insert(l.clone(), id);
        id
    }
}
