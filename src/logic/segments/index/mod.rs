//! `SegmentIndex`: one tenant's contacts as columns and bitmaps, every defined segment's
//! members kept current on each change, counts by scans and bitmap intersections.
//!
//! Membership and time. Every time rule reads whole UTC days, so a contact's membership
//! is a function of its facts, its lists and the UTC day. [`SegmentIndex::upsert`] and the
//! list operations re-evaluate the changed contact against every segment on the day of
//! their `now`; a contact whose facts do not change can only enter or leave a segment when
//! the day turns, and only a time-relative one ([`Segment::is_time_relative`]). The owner
//! calls [`SegmentIndex::refresh`] once after each UTC midnight (a daily tick); it
//! re-evaluates those segments over all rows and reports who entered and left. Defining
//! or redefining a segment sets its members without reporting entries: it is a baseline,
//! not a crowd of contacts who just started to match.
//!
//! Loading (recovery, first import): upsert every contact before defining the segments,
//! so each segment costs one scan instead of one evaluation per contact per segment.
//! The index is not persisted: it is rebuilt from the contacts, lists and segment drafts
//! the store keeps.
//!
//! Cost: a count allocates per group and per bitmap rule, never per contact, and touches
//! only the columns its rules read. The table's memory per contact is in `table.rs`.

mod cond;
mod table;

use crate::domain::segments::{
    day_of, ListId, Rule, Segment, SegmentDraft, SegmentError, SegmentId,
};
use crate::domain::Timestamp;
use crate::logic::segments::facts::ContactFacts;
use cond::Compiled;
use roaring::RoaringBitmap;
use std::collections::BTreeMap;
use table::Table;

/// Why an index operation could not be done.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    /// The contact is not in the index (lists take indexed contacts only).
    #[error("contact {0} is not in the segment index")]
    UnknownContact(u64),
    /// No segment with this id is defined.
    #[error("segment {0} is not defined")]
    UnknownSegment(SegmentId),
    /// One tenant holds at most `u32::MAX - 1` contacts (rows are `u32`, for the bitmaps).
    #[error("the segment index is full")]
    Full,
}

/// The segments one contact change made the contact enter and leave.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MembershipChange {
    /// Newly matching: each fires USER_ADDED_TO_SEGMENT.
    pub entered: Vec<SegmentId>,
    /// No longer matching.
    pub left: Vec<SegmentId>,
}

/// The contacts a refresh moved in and out of one segment, in contact id order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentDelta {
    /// The segment.
    pub segment: SegmentId,
    /// Contacts that started to match: each fires USER_ADDED_TO_SEGMENT.
    pub entered: Vec<u64>,
    /// Contacts that stopped matching.
    pub left: Vec<u64>,
}

/// Segments and lists of one side of a campaign audience.
#[derive(Clone, Debug, Default)]
pub struct AudienceSets {
    /// Segments.
    pub segments: Vec<SegmentId>,
    /// Lists.
    pub lists: Vec<ListId>,
}

/// A campaign audience resolved by [`SegmentIndex::audience`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AudienceRows {
    /// Contacts in an included set and in no excluded one, in id order.
    pub contacts: Vec<u64>,
    /// Contacts in at least one included set.
    pub matched: u64,
    /// Of those, how many an excluded set removed.
    pub excluded: u64,
    /// Memberships beyond a contact's first included set.
    pub duplicates: u64,
}

#[derive(Debug)]
struct Defined {
    segment: Segment,
    /// `segment` compiled for `day`.
    compiled: Compiled,
    day: i32,
    members: RoaringBitmap,
}

/// One tenant's segment index. See the module docs for how membership stays current.
#[derive(Debug, Default)]
pub struct SegmentIndex {
    table: Table,
    segments: BTreeMap<SegmentId, Defined>,
}

impl SegmentIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of contacts indexed.
    pub fn len(&self) -> u64 {
        self.table.live.len()
    }

    /// True when no contact is indexed.
    pub fn is_empty(&self) -> bool {
        self.table.live.is_empty()
    }

    /// Inserts or replaces a contact's facts and re-evaluates it against every segment.
    ///
    /// # Errors
    /// [`IndexError::Full`] when a new contact does not fit.
    pub fn upsert(
        &mut self,
        contact: u64,
        facts: &ContactFacts,
        now: Timestamp,
    ) -> Result<MembershipChange, IndexError> {
        let row = self.table.row_for(contact).ok_or(IndexError::Full)?;
        self.table.set(row, facts);
        Ok(self.reevaluate(row, day_of(now)))
    }

    /// Removes a contact (deleted, redacted): it leaves every list and segment. Returns
    /// the segments it was in; `None` when it was not indexed.
    pub fn remove(&mut self, contact: u64) -> Option<Vec<SegmentId>> {
        let row = self.table.free_row(contact)?;
        let left = (self.segments.iter_mut())
            .filter_map(|(id, d)| d.members.remove(row).then_some(*id))
            .collect();
        Some(left)
    }

    /// Adds a contact to a static list, then re-evaluates its segments.
    ///
    /// # Errors
    /// [`IndexError::UnknownContact`] when the contact is not indexed.
    pub fn add_to_list(
        &mut self,
        list: ListId,
        contact: u64,
        now: Timestamp,
    ) -> Result<MembershipChange, IndexError> {
        self.set_list(list, contact, true, now)
    }

    /// Removes a contact from a static list, then re-evaluates its segments.
    ///
    /// # Errors
    /// [`IndexError::UnknownContact`] when the contact is not indexed.
    pub fn remove_from_list(
        &mut self,
        list: ListId,
        contact: u64,
        now: Timestamp,
    ) -> Result<MembershipChange, IndexError> {
        self.set_list(list, contact, false, now)
    }

    /// Drops a whole list (deleted by the merchant): segments that name it see it as
    /// empty from now on and are re-evaluated (one scan each); reports who entered and
    /// left them.
    pub fn drop_list(&mut self, list: ListId, now: Timestamp) -> Vec<SegmentDelta> {
        if self.table.lists.remove(&list).is_none() {
            return Vec::new();
        }
        let names = |s: &Segment| {
            (s.groups().iter().flat_map(|g| g.rules()))
                .any(|r| matches!(r, Rule::List { lists, .. } if lists.contains(&list)))
        };
        self.rescan(day_of(now), |d| names(&d.segment))
    }

    /// Number of contacts in a list.
    pub fn list_len(&self, list: ListId) -> u64 {
        self.table.lists.get(&list).map_or(0, RoaringBitmap::len)
    }

    /// True when the contact is in the list.
    pub fn in_list(&self, list: ListId, contact: u64) -> bool {
        let row = self.table.ids.get(&contact);
        let bits = self.table.lists.get(&list);
        matches!((row, bits), (Some(r), Some(b)) if b.contains(*r))
    }

    fn set_list(
        &mut self,
        list: ListId,
        contact: u64,
        present: bool,
        now: Timestamp,
    ) -> Result<MembershipChange, IndexError> {
        let row = *(self.table.ids.get(&contact)).ok_or(IndexError::UnknownContact(contact))?;
        let bits = self.table.lists.entry(list).or_default();
        let changed = if present {
            bits.insert(row)
        } else {
            bits.remove(row)
        };
        Ok(if changed {
            self.reevaluate(row, day_of(now))
        } else {
            MembershipChange::default()
        })
    }

    /// Defines (or redefines) a segment and evaluates it over every contact. Returns its
    /// member count. Reports no entries (see the module docs).
    pub fn define_segment(&mut self, segment: Segment, now: Timestamp) -> u64 {
        let day = day_of(now);
        self.table.intern_segment(&segment);
        let compiled = self.table.compile(&segment, day);
        let members = self.table.rows(&compiled);
        let count = members.len();
        let defined = Defined {
            segment,
            compiled,
            day,
            members,
        };
        self.segments.insert(defined.segment.id(), defined);
        count
    }

    /// Forgets a segment; false when it was not defined.
    pub fn remove_segment(&mut self, id: SegmentId) -> bool {
        self.segments.remove(&id).is_some()
    }

    /// The defined segment with this id.
    pub fn segment(&self, id: SegmentId) -> Option<&Segment> {
        self.segments.get(&id).map(|d| &d.segment)
    }

    /// The current member count of a defined segment (no scan).
    pub fn member_count(&self, id: SegmentId) -> Option<u64> {
        self.segments.get(&id).map(|d| d.members.len())
    }

    /// True when the contact is a current member of the segment (the SEGMENT_MEMBERSHIP
    /// condition).
    pub fn is_member(&self, id: SegmentId, contact: u64) -> bool {
        let row = self.table.ids.get(&contact);
        let d = self.segments.get(&id);
        matches!((row, d), (Some(r), Some(d)) if d.members.contains(*r))
    }

    /// Counts the contacts matching `segment` at `now` by scans and bitmap operations,
    /// whether or not it is defined ("estimate reach" of an unsaved segment).
    pub fn count(&self, segment: &Segment, now: Timestamp) -> u64 {
        let compiled = self.table.compile(segment, day_of(now));
        self.table.rows(&compiled).len()
    }

    /// Every contact matching `segment` at `now`, in contact id order: an audience to
    /// freeze (campaigns), by the same scan as [`Self::count`].
    pub fn matching(&self, segment: &Segment, now: Timestamp) -> Vec<u64> {
        let compiled = self.table.compile(segment, day_of(now));
        let rows = self.table.rows(&compiled);
        let mut ids: Vec<u64> = rows
            .iter()
            .map(|r| self.table.row_ids[r as usize])
            .collect();
        ids.sort_unstable();
        ids
    }

    /// A campaign audience by bitmaps: the contacts in any `include` set minus those in
    /// any `exclude` set, in contact id order, with how many the exclusions removed and
    /// the sum of the included sets' sizes (minus the union: memberships counted twice).
    /// A list that was never filled is empty.
    ///
    /// # Errors
    /// [`IndexError::UnknownSegment`] for a segment that is not defined.
    pub fn audience(
        &self,
        include: &AudienceSets,
        exclude: &AudienceSets,
    ) -> Result<AudienceRows, IndexError> {
        let mut union = RoaringBitmap::new();
        let mut sum = 0u64;
        for set in self.sets(include)? {
            sum += set.len();
            union |= set;
        }
        let mut out = RoaringBitmap::new();
        for set in self.sets(exclude)? {
            out |= set;
        }
        let matched = union.len();
        union -= &out;
        let mut ids: Vec<u64> = union
            .iter()
            .map(|r| self.table.row_ids[r as usize])
            .collect();
        ids.sort_unstable();
        Ok(AudienceRows {
            excluded: matched - ids.len() as u64,
            duplicates: sum - matched,
            matched,
            contacts: ids,
        })
    }

    fn sets<'a>(&'a self, s: &'a AudienceSets) -> Result<Vec<&'a RoaringBitmap>, IndexError> {
        let mut out = Vec::new();
        for id in &s.segments {
            let d = self
                .segments
                .get(id)
                .ok_or(IndexError::UnknownSegment(*id))?;
            out.push(&d.members);
        }
        out.extend(s.lists.iter().filter_map(|l| self.table.lists.get(l)));
        Ok(out)
    }

    /// [`Self::count`] of a draft.
    ///
    /// # Errors
    /// The draft's problems, as [`SegmentDraft::parse`] reports them.
    pub fn count_draft(
        &self,
        draft: &SegmentDraft,
        now: Timestamp,
    ) -> Result<u64, Vec<SegmentError>> {
        Ok(self.count(&draft.parse(SegmentId(0))?, now))
    }

    /// A page of a segment's members in contact id order: ids above `after`, at most
    /// `limit`. Sparse segments sort their members; dense ones walk the id map.
    ///
    /// # Errors
    /// [`IndexError::UnknownSegment`].
    pub fn members(
        &self,
        id: SegmentId,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<u64>, IndexError> {
        let d = self
            .segments
            .get(&id)
            .ok_or(IndexError::UnknownSegment(id))?;
        let start = match after {
            Some(a) => match a.checked_add(1) {
                Some(s) => s,
                None => return Ok(Vec::new()),
            },
            None => 0,
        };
        if d.members.len().saturating_mul(16) < self.table.live.len() {
            let mut ids: Vec<u64> = (d.members.iter())
                .map(|r| self.table.row_ids[r as usize])
                .filter(|c| *c >= start)
                .collect();
            ids.sort_unstable();
            ids.truncate(limit);
            return Ok(ids);
        }
        Ok((self.table.ids.range(start..))
            .filter(|(_, r)| d.members.contains(**r))
            .map(|(c, _)| *c)
            .take(limit)
            .collect())
    }

    /// Re-evaluates time-relative segments over every contact for the day of `now`, and
    /// reports who entered and left each. Call once after each UTC midnight.
    pub fn refresh(&mut self, now: Timestamp) -> Vec<SegmentDelta> {
        self.rescan(day_of(now), |d| d.segment.is_time_relative())
    }

    /// Re-evaluates the segments `which` selects over every contact on `day`.
    fn rescan(&mut self, day: i32, which: impl Fn(&Defined) -> bool) -> Vec<SegmentDelta> {
        let mut deltas = Vec::new();
        for d in self.segments.values_mut() {
            if !which(d) {
                continue;
            }
            d.compiled = self.table.compile(&d.segment, day);
            d.day = day;
            let rows = self.table.rows(&d.compiled);
            let ids = |b: RoaringBitmap| {
                let mut v: Vec<u64> = b.iter().map(|r| self.table.row_ids[r as usize]).collect();
                v.sort_unstable();
                v
            };
            let delta = SegmentDelta {
                segment: d.segment.id(),
                entered: ids(&rows - &d.members),
                left: ids(&d.members - &rows),
            };
            d.members = rows;
            if !delta.entered.is_empty() || !delta.left.is_empty() {
                deltas.push(delta);
            }
        }
        deltas
    }

    fn reevaluate(&mut self, row: u32, day: i32) -> MembershipChange {
        let mut change = MembershipChange::default();
        for (id, d) in &mut self.segments {
            if d.day != day && d.segment.is_time_relative() {
                d.compiled = self.table.compile(&d.segment, day);
                d.day = day;
            }
            let now_in = self.table.row_matches(&d.compiled, row);
            if now_in && d.members.insert(row) {
                change.entered.push(*id);
            } else if !now_in && d.members.remove(row) {
                change.left.push(*id);
            }
        }
        change
    }
}
