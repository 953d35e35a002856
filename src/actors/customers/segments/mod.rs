//! Segments and static lists, live in the customer actor (it sees every contact change):
//! the definitions and list memberships stored (`Kind::Segment`, `Kind::List`,
//! `Kind::ListMember`), a `SegmentIndex` rebuilt at start (contacts first, then lists, then
//! segments) and kept current on every contact change, and the `UserAddedToSegment`
//! events a change causes, recorded in the same batch as the change.
//!
//! Choices: defining or editing a segment sets its members without firing (no flood of
//! triggers for people who already matched). Beyond the contact record, rules read each
//! contact's signals (`Kind::Signals`, kept in memory only for contacts that have any):
//! the vendors and collections of the products in their counted orders, resolved from the
//! catalog when the order arrives (a product the catalog does not know yet adds nothing;
//! a purchase stays a purchase when the product later changes collection), and the times
//! the shop's last message reached them (delivered) and they last wrote or clicked. Those
//! times are written only when their UTC day changes (rules compare days), so a busy
//! contact costs one write a day, not one per message.
//! Time-relative rules are re-evaluated by a daily timer just after each UTC midnight
//! ([`Segments::refresh`], armed by the actor), and a contact change re-evaluates that
//! contact at once.

use crate::domain::contact::Contact;
use crate::domain::segments::{ListId, Name, SegmentDraft, SegmentError, SegmentId, StaticList};
use crate::domain::{EventKind, Timestamp};
use crate::logic::customers::CustomerBook;
use crate::logic::segments::{facts_of, Engagement, Purchases, SegmentIndex};
use crate::store::{Batch, Kind, Store, StoreError};
use serde::{Deserialize, Serialize};

mod lists;
mod signals;

use lists::StoredList;
pub use lists::{ListAdd, ListView};
use signals::{Signals, StoredSignals};

/// A stored segment: its draft as JSON (the draft's value rules are free-form JSON).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct StoredSegment {
    id: u64,
    draft: String,
}

/// A segment as the API shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SegmentView {
    /// Segment id.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Current members.
    pub members: u64,
    /// The definition (rule groups: any group, all rules in it).
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
}

/// Why a segment or list command was refused.
#[derive(Debug, thiserror::Error)]
pub enum SegmentsError {
    /// The draft has problems (each names its path).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<SegmentError>),
    /// No such segment or list.
    #[error("no {0} {1}")]
    NotFound(&'static str, u64),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The tenant's segments and lists.
pub struct Segments {
    index: SegmentIndex,
    lists: std::collections::BTreeMap<u64, StaticList>,
    signals: std::collections::HashMap<u64, Signals>,
}

/// The events of contacts who entered segments in a re-evaluation.
fn entered_all(deltas: Vec<crate::logic::segments::SegmentDelta>) -> Vec<EventKind> {
    deltas
        .into_iter()
        .flat_map(|d| {
            d.entered
                .into_iter()
                .map(move |c| EventKind::UserAddedToSegment {
                    segment_id: d.segment.0,
                    contact_id: c,
                })
        })
        .collect()
}

/// The events of one contact's segment entries.
fn entered(m: crate::logic::segments::MembershipChange, contact: u64) -> Vec<EventKind> {
    m.entered
        .into_iter()
        .map(|s| EventKind::UserAddedToSegment {
            segment_id: s.0,
            contact_id: contact,
        })
        .collect()
}

impl Segments {
    /// Rebuilds the index from the contacts, the stored lists and segments.
    ///
    /// # Errors
    /// When the store fails.
    pub fn load(store: &Store, shop: &str, book: &CustomerBook) -> Result<Self, StoreError> {
        let now = Timestamp::now();
        let mut index = SegmentIndex::new();
        let signals: std::collections::HashMap<u64, Signals> = (store
            .scan::<StoredSignals>(shop, Kind::Signals)?
            .into_iter())
        .map(|(id, s)| (id, Signals::from_stored(s)))
        .collect();
        let none = Signals::default();
        for c in book.contacts() {
            let s = signals.get(&c.id).unwrap_or(&none);
            let _ = index.upsert(c.id, &facts_of(c, &s.engagement, &s.purchases), now);
        }
        let mut lists = std::collections::BTreeMap::new();
        for (id, l) in store.scan::<StoredList>(shop, Kind::List)? {
            if let Ok(name) = Name::parse(&l.name) {
                lists.insert(
                    id,
                    StaticList {
                        id: ListId(id),
                        name,
                        created_at: Timestamp(l.created_ms),
                    },
                );
            }
            for contact in store.pairs_of(shop, Kind::ListMember, id)? {
                let _ = index.add_to_list(ListId(id), contact, now);
            }
        }
        for (id, s) in store.scan::<StoredSegment>(shop, Kind::Segment)? {
            let parsed = serde_json::from_str::<SegmentDraft>(&s.draft)
                .ok()
                .and_then(|d| d.parse(SegmentId(id)).ok());
            if let Some(seg) = parsed {
                index.define_segment(seg, now);
            }
        }
        Ok(Self {
            index,
            lists,
            signals,
        })
    }

    fn facts(&self, c: &Contact) -> crate::logic::segments::ContactFacts {
        match self.signals.get(&c.id) {
            Some(s) => facts_of(c, &s.engagement, &s.purchases),
            None => facts_of(c, &Engagement::default(), &Purchases::default()),
        }
    }

    fn upsert(&mut self, c: &Contact) -> Vec<EventKind> {
        let f = self.facts(c);
        match self.index.upsert(c.id, &f, Timestamp::now()) {
            Ok(m) => entered(m, c.id),
            Err(_) => Vec::new(),
        }
    }

    /// Re-evaluates changed and removed contacts; the events of segments entered.
    pub fn on_contacts<'a>(
        &mut self,
        changed: impl Iterator<Item = &'a Contact>,
        removed: &[u64],
    ) -> Vec<EventKind> {
        let mut out = Vec::new();
        for c in changed {
            out.extend(self.upsert(c));
        }
        for id in removed {
            self.index.remove(*id);
            self.signals.remove(id);
        }
        out
    }

    /// The daily re-evaluation of time-relative segments (days since an order, "in the
    /// last N days"): the events of contacts who entered one.
    pub fn refresh(&mut self) -> Vec<EventKind> {
        entered_all(self.index.refresh(Timestamp::now()))
    }

    fn view(&self, id: u64) -> Option<SegmentView> {
        let seg = self.index.segment(SegmentId(id))?;
        Some(SegmentView {
            id,
            name: seg.name().as_str().to_string(),
            members: self.index.member_count(SegmentId(id)).unwrap_or(0),
            definition: serde_json::to_value(seg.draft()).unwrap_or(serde_json::Value::Null),
        })
    }

    /// Creates (or, with `id`, replaces) a segment; its members are set without firing.
    ///
    /// # Errors
    /// [`SegmentsError`].
    pub fn put(
        &mut self,
        store: &Store,
        shop: &str,
        id: Option<u64>,
        draft: SegmentDraft,
    ) -> Result<SegmentView, SegmentsError> {
        let id = match id {
            Some(id) if self.index.segment(SegmentId(id)).is_none() => {
                return Err(SegmentsError::NotFound("segment", id))
            }
            Some(id) => id,
            None => store.next_id()?,
        };
        let seg = draft.parse(SegmentId(id)).map_err(SegmentsError::Invalid)?;
        let json = serde_json::to_string(&draft).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut b = Batch::new();
        b.put(shop, Kind::Segment, id, &StoredSegment { id, draft: json })?;
        store.commit(b)?;
        self.index.remove_segment(SegmentId(id));
        self.index.define_segment(seg, Timestamp::now());
        self.view(id).ok_or(SegmentsError::NotFound("segment", id))
    }

    /// Deletes a segment.
    ///
    /// # Errors
    /// [`SegmentsError`].
    pub fn delete(&mut self, store: &Store, shop: &str, id: u64) -> Result<(), SegmentsError> {
        if self.index.segment(SegmentId(id)).is_none() {
            return Err(SegmentsError::NotFound("segment", id));
        }
        let mut b = Batch::new();
        b.remove(shop, Kind::Segment, id);
        store.commit(b)?;
        self.index.remove_segment(SegmentId(id));
        Ok(())
    }

    /// One segment.
    pub fn get(&self, id: u64) -> Option<SegmentView> {
        self.view(id)
    }

    /// Segments by id.
    pub fn page(
        &self,
        ids: impl Iterator<Item = u64>,
        after: Option<u64>,
        limit: usize,
    ) -> Vec<SegmentView> {
        let mut ids: Vec<u64> = ids.filter(|i| after.is_none_or(|a| *i > a)).collect();
        ids.sort_unstable();
        ids.into_iter()
            .take(limit)
            .filter_map(|i| self.view(i))
            .collect()
    }

    /// The stored segment ids.
    ///
    /// # Errors
    /// When the store fails.
    pub fn ids(store: &Store, shop: &str) -> Result<Vec<u64>, StoreError> {
        Ok(store
            .scan::<StoredSegment>(shop, Kind::Segment)?
            .into_iter()
            .map(|(id, _)| id)
            .collect())
    }

    /// Members of a segment, by contact id.
    ///
    /// # Errors
    /// [`SegmentsError::NotFound`].
    pub fn members(
        &self,
        id: u64,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<u64>, SegmentsError> {
        self.index
            .members(SegmentId(id), after, limit)
            .map_err(|_| SegmentsError::NotFound("segment", id))
    }

    /// The reach of a draft, without saving it.
    ///
    /// # Errors
    /// [`SegmentsError::Invalid`].
    pub fn count(&self, draft: &SegmentDraft) -> Result<u64, SegmentsError> {
        self.index
            .count_draft(draft, Timestamp::now())
            .map_err(SegmentsError::Invalid)
    }

    /// A campaign audience (see `SegmentIndex::audience`).
    ///
    /// # Errors
    /// [`SegmentsError::NotFound`] for a segment or list that does not exist.
    pub fn audience(
        &self,
        a: &crate::domain::campaigns::Audience,
    ) -> Result<crate::logic::segments::AudienceRows, SegmentsError> {
        use crate::logic::segments::AudienceSets;
        for l in a.include_lists.iter().chain(&a.exclude_lists) {
            if !self.lists.contains_key(l) {
                return Err(SegmentsError::NotFound("list", *l));
            }
        }
        let sets = |segments: &[u64], lists: &[u64]| AudienceSets {
            segments: segments.iter().map(|s| SegmentId(*s)).collect(),
            lists: lists.iter().map(|l| ListId(*l)).collect(),
        };
        self.index
            .audience(
                &sets(&a.include_segments, &a.include_lists),
                &sets(&a.exclude_segments, &a.exclude_lists),
            )
            .map_err(|e| match e {
                crate::logic::segments::IndexError::UnknownSegment(s) => {
                    SegmentsError::NotFound("segment", s.0)
                }
                // `audience` fails only on an unknown segment.
                _ => SegmentsError::NotFound("segment", 0),
            })
    }

    /// Whether `contact` is in each segment and each list.
    pub fn membership(
        &self,
        contact: u64,
        segments: &[u64],
        lists: &[u64],
    ) -> (Vec<bool>, Vec<bool>) {
        (
            segments
                .iter()
                .map(|s| self.index.is_member(SegmentId(*s), contact))
                .collect(),
            lists
                .iter()
                .map(|l| self.index.in_list(ListId(*l), contact))
                .collect(),
        )
    }
}
