//! Static lists of the segments room: create, read, add and remove members, delete.

use super::{entered, entered_all, Segments, SegmentsError};
use crate::domain::segments::{ListId, Name, StaticList};
use crate::domain::{EventKind, Timestamp};
use crate::store::{Batch, Kind, Store, StoreError};
use serde::{Deserialize, Serialize};

/// A stored list.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct StoredList {
    pub(super) id: u64,
    pub(super) name: String,
    pub(super) created_ms: i64,
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

/// Contacts added to a list, ids that are no contact, and the `UserAddedToSegment`
/// events the additions cause.
pub type ListAdd = (Vec<u64>, Vec<u64>, Vec<EventKind>);

impl Segments {
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
                    events.extend(entered(m, *c));
                }
                Err(_) => unknown.push(*c),
            }
        }
        Ok((added, unknown, events))
    }

    /// Stages removing `contact` from a list; whether it was a member, and the segments
    /// the removal made it enter (a `NOT_IN` list rule).
    ///
    /// # Errors
    /// [`SegmentsError::NotFound`] for an unknown list.
    pub fn remove_member(
        &mut self,
        batch: &mut Batch,
        shop: &str,
        list: u64,
        contact: u64,
    ) -> Result<(bool, Vec<EventKind>), SegmentsError> {
        if !self.lists.contains_key(&list) {
            return Err(SegmentsError::NotFound("list", list));
        }
        if !self.index.in_list(ListId(list), contact) {
            return Ok((false, Vec::new()));
        }
        batch.remove_pair(shop, Kind::ListMember, list, contact);
        let events = match self
            .index
            .remove_from_list(ListId(list), contact, Timestamp::now())
        {
            Ok(m) => entered(m, contact),
            Err(_) => Vec::new(),
        };
        Ok((true, events))
    }

    /// Stages deleting a list and its memberships; the segments contacts entered because
    /// of it (segments naming the list see it as empty from now on). Flows that exclude
    /// the list exclude nobody through it afterwards.
    ///
    /// # Errors
    /// [`SegmentsError`].
    pub fn delete_list(
        &mut self,
        store: &Store,
        batch: &mut Batch,
        shop: &str,
        list: u64,
    ) -> Result<Vec<EventKind>, SegmentsError> {
        if self.lists.remove(&list).is_none() {
            return Err(SegmentsError::NotFound("list", list));
        }
        batch.remove(shop, Kind::List, list);
        for contact in store.pairs_of(shop, Kind::ListMember, list)? {
            batch.remove_pair(shop, Kind::ListMember, list, contact);
        }
        Ok(entered_all(
            self.index.drop_list(ListId(list), Timestamp::now()),
        ))
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
