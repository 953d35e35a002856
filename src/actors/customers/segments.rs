//! Segments and static lists, live in the customer actor (it sees every contact change):
//! the definitions and list memberships stored (`Kind::Segment`, `Kind::List`,
//! `Kind::ListMember`), a `SegmentIndex` rebuilt at start (contacts first, then lists, then
//! segments) and kept current on every contact change, and the `UserAddedToSegment`
//! events a change causes, recorded in the same batch as the change.
//!
//! Choices: defining or editing a segment sets its members without firing (no flood of
//! triggers for people who already matched); purchase facts (vendors, collections) and
//! engagement times are not fed yet, so those rules match nobody until they are.
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

/// A stored segment: its draft as JSON (the draft's value rules are free-form JSON).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct StoredSegment {
    id: u64,
    draft: String,
}

/// A stored list.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct StoredList {
    id: u64,
    name: String,
    created_ms: i64,
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

/// A list as the API shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ListView {
    /// List id.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Members.
    pub members: u64,
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

/// Contacts added to a list, ids that are no contact, and the `UserAddedToSegment`
/// events the additions cause.
pub type ListAdd = (Vec<u64>, Vec<u64>, Vec<EventKind>);

/// The tenant's segments and lists.
pub struct Segments {
    index: SegmentIndex,
    lists: std::collections::BTreeMap<u64, StaticList>,
}

fn facts(c: &Contact) -> crate::logic::segments::ContactFacts {
    facts_of(c, &Engagement::default(), &Purchases::default())
}

impl Segments {
    /// Rebuilds the index from the contacts, the stored lists and segments.
    ///
    /// # Errors
    /// When the store fails.
    pub fn load(store: &Store, shop: &str, book: &CustomerBook) -> Result<Self, StoreError> {
        let now = Timestamp::now();
        let mut index = SegmentIndex::new();
        for c in book.contacts() {
            let _ = index.upsert(c.id, &facts(c), now);
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
        Ok(Self { index, lists })
    }

    /// Re-evaluates changed and removed contacts; the events of segments entered.
    pub fn on_contacts<'a>(
        &mut self,
        changed: impl Iterator<Item = &'a Contact>,
        removed: &[u64],
    ) -> Vec<EventKind> {
        let now = Timestamp::now();
        let mut out = Vec::new();
        for c in changed {
            if let Ok(m) = self.index.upsert(c.id, &facts(c), now) {
                out.extend(
                    m.entered
                        .into_iter()
                        .map(|s| EventKind::UserAddedToSegment {
                            segment_id: s.0,
                            contact_id: c.id,
                        }),
                );
            }
        }
        for id in removed {
            self.index.remove(*id);
        }
        out
    }

    /// The daily re-evaluation of time-relative segments (days since an order, "in the
    /// last N days"): the events of contacts who entered one.
    pub fn refresh(&mut self) -> Vec<EventKind> {
        self.index
            .refresh(Timestamp::now())
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

    /// Creates a list.
    ///
    /// # Errors
    /// [`SegmentsError`].
    pub fn create_list(
        &mut self,
        store: &Store,
        shop: &str,
        name: &str,
    ) -> Result<ListView, SegmentsError> {
        let name = Name::parse(name).map_err(|e| SegmentsError::Invalid(vec![e]))?;
        let id = store.next_id()?;
        let now = Timestamp::now();
        let mut b = Batch::new();
        b.put(
            shop,
            Kind::List,
            id,
            &StoredList {
                id,
                name: name.as_str().to_string(),
                created_ms: now.millis(),
            },
        )?;
        store.commit(b)?;
        self.lists.insert(
            id,
            StaticList {
                id: ListId(id),
                name,
                created_at: now,
            },
        );
        self.list_view(id)
            .ok_or(SegmentsError::NotFound("list", id))
    }

    /// A list.
    pub fn list_view(&self, id: u64) -> Option<ListView> {
        let l = self.lists.get(&id)?;
        Some(ListView {
            id,
            name: l.name.as_str().to_string(),
            members: self.index.list_len(ListId(id)),
        })
    }

    /// Lists by id.
    pub fn lists(&self, after: Option<u64>, limit: usize) -> Vec<ListView> {
        let from = after.map_or(0, |a| a.saturating_add(1));
        self.lists
            .range(from..)
            .take(limit)
            .filter_map(|(id, _)| self.list_view(*id))
            .collect()
    }

    /// Stages adding known contacts to a list; returns those added, those unknown, and the
    /// segments they entered (as events for the same batch).
    ///
    /// # Errors
    /// [`SegmentsError::NotFound`] for an unknown list.
    pub fn add_members(
        &mut self,
        batch: &mut Batch,
        shop: &str,
        list: u64,
        contacts: &[u64],
    ) -> Result<ListAdd, SegmentsError> {
        if !self.lists.contains_key(&list) {
            return Err(SegmentsError::NotFound("list", list));
        }
        let now = Timestamp::now();
        let (mut added, mut unknown, mut events) = (Vec::new(), Vec::new(), Vec::new());
        for c in contacts {
            match self.index.add_to_list(ListId(list), *c, now) {
                Ok(m) => {
                    batch.put_pair(shop, Kind::ListMember, list, *c);
                    added.push(*c);
                    events.extend(
                        m.entered
                            .into_iter()
                            .map(|s| EventKind::UserAddedToSegment {
                                segment_id: s.0,
                                contact_id: *c,
                            }),
                    );
                }
                Err(_) => unknown.push(*c),
            }
        }
        Ok((added, unknown, events))
    }

    /// Members of a list, by contact id.
    ///
    /// # Errors
    /// When the store fails.
    pub fn list_members(
        store: &Store,
        shop: &str,
        list: u64,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<u64>, StoreError> {
        let mut ids = store.pairs_of(shop, Kind::ListMember, list)?;
        ids.retain(|i| after.is_none_or(|a| *i > a));
        ids.truncate(limit);
        Ok(ids)
    }
}
