//! Segment and list commands of the customer actor (the API's and the automation
//! engine's): define, edit, delete, count a draft, members, memberships of one contact,
//! lists and their members. Adding contacts to a list can make them enter segments: those
//! `UserAddedToSegment` events are recorded in the batch that adds them.

use super::segments::{ListView, SegmentView, Segments, SegmentsError};
use super::CustomersState;
use crate::domain::segments::SegmentDraft;
use crate::domain::Timestamp;
use crate::store::{Batch, StoreError};
use ractor::RpcReplyPort;

/// What the caller gets back from adding list members.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Added {
    /// Contacts added (or already in the list).
    #[schema(value_type = Vec<String>)]
    #[serde(with = "crate::domain::ids::as_string::vec")]
    pub added: Vec<u64>,
    /// Ids that are no contact of this shop (nothing is created).
    #[schema(value_type = Vec<String>)]
    #[serde(with = "crate::domain::ids::as_string::vec")]
    pub unknown: Vec<u64>,
    /// CSV lines whose customer id, phone or email is no contact of this shop.
    pub unknown_lines: Vec<u64>,
}

/// Segment and list commands.
pub enum SegmentCmd {
    /// Define (`id` None) or replace a segment.
    Put {
        id: Option<u64>,
        draft: SegmentDraft,
        reply_to: RpcReplyPort<Result<SegmentView, SegmentsError>>,
    },
    /// Delete a segment.
    Delete {
        id: u64,
        reply_to: RpcReplyPort<Result<(), SegmentsError>>,
    },
    /// One segment.
    Get {
        id: u64,
        reply_to: RpcReplyPort<Option<SegmentView>>,
    },
    /// Segments by id.
    List {
        after: Option<u64>,
        limit: usize,
        reply_to: RpcReplyPort<Result<Vec<SegmentView>, StoreError>>,
    },
    /// Members of a segment.
    Members {
        id: u64,
        after: Option<u64>,
        limit: usize,
        reply_to: RpcReplyPort<Result<Vec<u64>, SegmentsError>>,
    },
    /// The reach of a draft.
    Count {
        draft: SegmentDraft,
        reply_to: RpcReplyPort<Result<u64, SegmentsError>>,
    },
    /// Whether a contact is in these segments and lists.
    Membership {
        contact: u64,
        segments: Vec<u64>,
        lists: Vec<u64>,
        reply_to: RpcReplyPort<(Vec<bool>, Vec<bool>)>,
    },
    /// Create a list.
    CreateList {
        name: String,
        reply_to: RpcReplyPort<Result<ListView, SegmentsError>>,
    },
    /// Lists by id.
    Lists {
        after: Option<u64>,
        limit: usize,
        reply_to: RpcReplyPort<Vec<ListView>>,
    },
    /// One list.
    GetList {
        id: u64,
        reply_to: RpcReplyPort<Option<ListView>>,
    },
    /// Add contacts to a list.
    AddMembers {
        list: u64,
        contacts: Vec<u64>,
        reply_to: RpcReplyPort<Result<Added, SegmentsError>>,
    },
    /// Remove a contact from a list; whether it was a member.
    RemoveMember {
        list: u64,
        contact: u64,
        reply_to: RpcReplyPort<Result<bool, SegmentsError>>,
    },
    /// Delete a list and its memberships.
    DeleteList {
        id: u64,
        reply_to: RpcReplyPort<Result<(), SegmentsError>>,
    },
    /// Add the contacts of parsed CSV rows (by customer id, else phone, else email).
    Import {
        list: u64,
        rows: Vec<crate::logic::segments::csv::ImportRow>,
        reply_to: RpcReplyPort<Result<Added, SegmentsError>>,
    },
    /// A campaign audience: counted (estimate) or resolved (launch).
    Audience {
        req: Box<super::audience::AudienceRequest>,
        reply_to: RpcReplyPort<Result<super::audience::Resolved, SegmentsError>>,
    },
    /// Members of a list.
    ListMembers {
        list: u64,
        after: Option<u64>,
        limit: usize,
        reply_to: RpcReplyPort<Result<Vec<u64>, StoreError>>,
    },
}

/// Handles a command.
pub fn handle(state: &mut CustomersState, cmd: SegmentCmd) {
    let (store, shop) = (state.store.clone(), state.shop.clone());
    match cmd {
        SegmentCmd::Put {
            id,
            draft,
            reply_to,
        } => {
            let _ = reply_to.send(state.segments.put(&store, &shop, id, draft));
        }
        SegmentCmd::Delete { id, reply_to } => {
            let _ = reply_to.send(state.segments.delete(&store, &shop, id));
        }
        SegmentCmd::Get { id, reply_to } => {
            let _ = reply_to.send(state.segments.get(id));
        }
        SegmentCmd::List {
            after,
            limit,
            reply_to,
        } => {
            let r = Segments::ids(&store, &shop)
                .map(|ids| state.segments.page(ids.into_iter(), after, limit));
            let _ = reply_to.send(r);
        }
        SegmentCmd::Members {
            id,
            after,
            limit,
            reply_to,
        } => {
            let _ = reply_to.send(state.segments.members(id, after, limit));
        }
        SegmentCmd::Count { draft, reply_to } => {
            let _ = reply_to.send(state.segments.count(&draft));
        }
        SegmentCmd::Membership {
            contact,
            segments,
            lists,
            reply_to,
        } => {
            let _ = reply_to.send(state.segments.membership(contact, &segments, &lists));
        }
        SegmentCmd::CreateList { name, reply_to } => {
            let _ = reply_to.send(state.segments.create_list(&store, &shop, &name));
        }
        SegmentCmd::Lists {
            after,
            limit,
            reply_to,
        } => {
            let _ = reply_to.send(state.segments.lists(after, limit));
        }
        SegmentCmd::GetList { id, reply_to } => {
            let _ = reply_to.send(state.segments.list_view(id));
        }
        SegmentCmd::AddMembers {
            list,
            contacts,
            reply_to,
        } => {
            let _ = reply_to.send(add_members(state, list, &contacts));
        }
        SegmentCmd::RemoveMember {
            list,
            contact,
            reply_to,
        } => {
            let _ = reply_to.send(remove_member(state, list, contact));
        }
        SegmentCmd::DeleteList { id, reply_to } => {
            let _ = reply_to.send(delete_list(state, id));
        }
        SegmentCmd::ListMembers {
            list,
            after,
            limit,
            reply_to,
        } => {
            let _ = reply_to.send(Segments::list_members(&store, &shop, list, after, limit));
        }
        SegmentCmd::Audience { req, reply_to } => {
            let _ = reply_to.send(super::audience::resolve(state, &req));
        }
        SegmentCmd::Import {
            list,
            rows,
            reply_to,
        } => {
            let _ = reply_to.send(import(state, list, rows));
        }
    }
}

/// The daily refresh of time-relative segments: records who entered one, then arms the
/// next one (just after the next UTC midnight).
pub fn refresh(state: &mut CustomersState, myself: &ractor::ActorRef<super::CustomersMsg>) {
    let kinds = state.segments.refresh();
    if !kinds.is_empty() {
        let recorded = state.store.next_id().and_then(|seq| {
            let events = crate::actors::events_of(&kinds, seq, Timestamp::now(), false);
            let mut batch = Batch::new();
            for e in &events {
                batch.put_event(&state.shop, e)?;
            }
            state.store.commit(batch).map(|()| events)
        });
        match recorded {
            Ok(events) => crate::actors::publish(&state.automations, events),
            Err(error) => {
                tracing::error!(message = "Recording segment entries failed.", tenant = %state.shop, error = %crate::telemetry::chain(&error))
            }
        }
    }
    arm_refresh(myself);
}

/// Arms the daily refresh for a minute past the next UTC midnight.
pub fn arm_refresh(myself: &ractor::ActorRef<super::CustomersMsg>) {
    let day = 86_400_000i64;
    let now = Timestamp::now().millis();
    let wait = (day - now.rem_euclid(day) + 60_000).max(1) as u64;
    myself.send_after(std::time::Duration::from_millis(wait), || {
        super::CustomersMsg::RefreshSegments
    });
}

/// Commits a staged batch with the segment entries it caused, then publishes them.
fn commit_with(
    state: &mut CustomersState,
    mut batch: Batch,
    kinds: &[crate::domain::EventKind],
) -> Result<(), SegmentsError> {
    let events = crate::actors::events_of(kinds, state.store.next_id()?, Timestamp::now(), false);
    for e in &events {
        batch.put_event(&state.shop, e)?;
    }
    state.store.commit(batch)?;
    crate::actors::publish(&state.automations, events);
    Ok(())
}

fn remove_member(
    state: &mut CustomersState,
    list: u64,
    contact: u64,
) -> Result<bool, SegmentsError> {
    let mut batch = Batch::new();
    let (was, kinds) = state
        .segments
        .remove_member(&mut batch, &state.shop, list, contact)?;
    commit_with(state, batch, &kinds)?;
    Ok(was)
}

fn delete_list(state: &mut CustomersState, list: u64) -> Result<(), SegmentsError> {
    let mut batch = Batch::new();
    let store = state.store.clone();
    let kinds = state
        .segments
        .delete_list(&store, &mut batch, &state.shop, list)?;
    commit_with(state, batch, &kinds)
}

fn add_members(
    state: &mut CustomersState,
    list: u64,
    contacts: &[u64],
) -> Result<Added, SegmentsError> {
    let mut batch = Batch::new();
    let (added, unknown, kinds) =
        state
            .segments
            .add_members(&mut batch, &state.shop, list, contacts)?;
    commit_with(state, batch, &kinds)?;
    Ok(Added {
        added,
        unknown,
        unknown_lines: Vec::new(),
    })
}

/// Adds the contacts the rows name (customer id, else phone, else email); the lines that
/// name no contact are reported.
fn import(
    state: &mut CustomersState,
    list: u64,
    rows: Vec<crate::logic::segments::csv::ImportRow>,
) -> Result<Added, SegmentsError> {
    let mut ids = Vec::new();
    let mut unknown = Vec::new();
    for r in rows {
        let found = match (r.customer_id, r.phone, r.email.as_deref()) {
            (Some(id), _, _) => state.book.contact(id).map(|c| c.id),
            (None, Some(p), _) => state.book.find_by_phone(p).first().copied(),
            (None, None, Some(e)) => state
                .book
                .contacts()
                .find(|c| {
                    c.email
                        .as_deref()
                        .is_some_and(|m| m.eq_ignore_ascii_case(e))
                })
                .map(|c| c.id),
            _ => None,
        };
        match found {
            Some(id) => ids.push(id),
            None => unknown.push(r.line as u64),
        }
    }
    let mut added = add_members(state, list, &ids)?;
    added.unknown_lines = unknown;
    Ok(added)
}
