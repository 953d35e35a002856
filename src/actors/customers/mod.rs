//! The customer actor of one tenant: owns the in-memory `CustomerBook` (contacts with
//! consent, tags and order aggregates), applies customer, order, checkout and compliance
//! webhooks through `logic::customers`, and persists each change atomically with its
//! events and the removal of the journal entry that caused it.
//! The rules are `logic::customers`'s; it must not touch catalog or WhatsApp records
//! (the conversation actor asks it through typed messages).

pub mod attribution;
pub mod audience;
mod persist;
pub mod segment_cmds;
pub mod segments;
mod store;

use super::automations::AutomationsMsg;
use super::{Delivered, Sibling};
use crate::domain::contact::{Checkout, Contact, MarketingSource, MarketingState, Order};
use crate::domain::phone::PhoneE164;
use crate::domain::ShopDomain;
use crate::domain::{ShopifyId, Timestamp};
use crate::logic::customers::{CustomerBook, Lookup};
use crate::logic::LookupError;
use crate::store::{Batch, Kind, Store, StoreError};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use store::{load_book, stage, StoreLookup};

/// Reference to a customer actor.
pub type CustomersRef = ActorRef<CustomersMsg>;

/// A contact with everything stored about them (the profile the API shows).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ContactProfile {
    /// The contact.
    #[serde(flatten)]
    pub contact: Contact,
    /// Their orders, oldest id first.
    pub orders: Vec<Order>,
    /// Their checkouts.
    pub checkouts: Vec<Checkout>,
}

/// Messages of the customer actor.
pub enum CustomersMsg {
    /// Apply a journaled webhook.
    Deliver(Delivered),
    /// Search contacts.
    Search {
        q: String,
        after: Option<ShopifyId>,
        limit: usize,
        reply_to: RpcReplyPort<Vec<Contact>>,
    },
    /// One contact's profile.
    Profile {
        id: ShopifyId,
        reply_to: RpcReplyPort<Result<Option<ContactProfile>, LookupError>>,
    },
    /// Set `exclude_from_galantis`.
    SetExcluded {
        id: ShopifyId,
        excluded: bool,
        reply_to: RpcReplyPort<Result<Option<Contact>, StoreError>>,
    },
    /// List checkouts.
    Checkouts {
        after: Option<ShopifyId>,
        limit: usize,
        reply_to: RpcReplyPort<Result<Vec<Checkout>, StoreError>>,
    },
    /// The contact of a WhatsApp number; created when `create` and nobody has it.
    ContactForPhone {
        phone: PhoneE164,
        profile_name: Option<String>,
        at: Timestamp,
        reply_to: RpcReplyPort<Option<ShopifyId>>,
    },
    /// Marketing consent decided on WhatsApp (STOP / START) for every contact with this
    /// number; answers how many contacts changed.
    SetMarketingByPhone {
        phone: PhoneE164,
        state: MarketingState,
        source: MarketingSource,
        at: Timestamp,
        reply_to: RpcReplyPort<usize>,
    },
    /// Number of contacts.
    Count { reply_to: RpcReplyPort<usize> },
    /// A message of the shop reached the contact, or the contact wrote or clicked (from
    /// the conversation actor): segment engagement signals.
    Engaged {
        contact: ShopifyId,
        what: crate::logic::segments::Engaged,
        at: Timestamp,
    },
    /// Segments and lists (boxed: drafts are large).
    Segments(Box<segment_cmds::SegmentCmd>),
    /// The daily re-evaluation of time-relative segments (its own timer).
    RefreshSegments,
    /// Forget everything in memory (after the store was erased by `shop/redact`).
    Reset { reply_to: RpcReplyPort<()> },
    /// Test hook: panic inside the handler.
    #[cfg(test)]
    Panic,
    /// Test hook: panic while "applying" journal entry `seq` (a poison payload).
    #[cfg(test)]
    PanicApplying(u64),
}

/// Arguments of the customer actor.
pub struct CustomersArgs {
    /// The tenant's shop domain.
    pub shop: ShopDomain,
    /// The store.
    pub store: Store,
    /// Journal seq being applied right now (0 when idle): the supervisor dead-letters it
    /// if applying it panicked, so a poison webhook cannot crash-loop the actor.
    pub in_flight: Arc<AtomicU64>,
    /// Where recorded events go.
    pub automations: Sibling<AutomationsMsg>,
    /// Revenue attribution windows.
    pub windows: crate::logic::attribution::Windows,
}

/// State of the customer actor.
pub struct CustomersState {
    shop: ShopDomain,
    store: Store,
    in_flight: Arc<AtomicU64>,
    book: CustomerBook,
    retries: super::retry::Retries,
    automations: Sibling<AutomationsMsg>,
    segments: segments::Segments,
    windows: crate::logic::attribution::Windows,
}

/// The customer actor.
pub struct Customers;

impl Customers {
    async fn on_deliver(
        &self,
        myself: &ActorRef<CustomersMsg>,
        state: &mut CustomersState,
        d: Delivered,
    ) -> Result<(), ActorProcessingErr> {
        if !state.store.is_pending(d.seq) {
            return Ok(()); // already applied (a replay raced a live delivery)
        }
        let span = tracing::info_span!(
            "apply",
            tenant = %state.shop,
            topic = %d.entry.source,
            webhook_id = %d.entry.webhook_id,
            seq = d.seq
        );
        let _entered = span.enter();
        state.in_flight.store(d.seq, Ordering::SeqCst);
        let delivery = super::shopify_delivery(&d.entry);
        let lookup = StoreLookup {
            store: &state.store,
            shop: &state.shop,
        };
        let applied = state.book.apply(&delivery, &lookup);
        state.in_flight.store(0, Ordering::SeqCst);
        match applied {
            Ok(change) => {
                let at = delivery.fallback_time();
                Self::persist(state, &change, d.seq, at, Some(&d))?;
                super::note_applied(&state.shop, &d, change.ignored.as_deref());
                state.retries.done(d.seq);
            }
            Err(e) if e.is_transient() => {
                // Not the payload's fault: forget what the failed apply changed in memory
                // and try again later; the entry stays pending in the journal meanwhile.
                state.book = load_book(&state.store, &state.shop)?;
                let reason = crate::telemetry::chain(&e);
                state
                    .retries
                    .schedule(myself, d, CustomersMsg::Deliver, &reason);
            }
            Err(e) => {
                super::dead_letter(&state.store, d.seq, &d.entry, crate::telemetry::chain(&e));
                state.retries.done(d.seq);
            }
        }
        Ok(())
    }

    fn profile(
        state: &CustomersState,
        id: ShopifyId,
    ) -> Result<Option<ContactProfile>, LookupError> {
        let Some(contact) = state.book.contact(id).cloned() else {
            return Ok(None);
        };
        let lookup = StoreLookup {
            store: &state.store,
            shop: &state.shop,
        };
        let mut orders = lookup.orders_of(id)?;
        orders.sort_by_key(|o| o.id);
        let mut checkouts = lookup.checkouts_of(id)?;
        checkouts.sort_by_key(|c| c.id);
        Ok(Some(ContactProfile {
            contact,
            orders,
            checkouts,
        }))
    }

    /// A message reached the contact or the contact wrote: their engagement signals.
    fn engaged(
        state: &mut CustomersState,
        contact: ShopifyId,
        what: crate::logic::segments::Engaged,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let Some(c) = state.book.contact(contact).cloned() else {
            return Ok(());
        };
        let mut batch = Batch::new();
        let kinds = state
            .segments
            .engaged(&mut batch, &state.shop, &c, what, at)?;
        if batch.is_empty() {
            return Ok(());
        }
        let seq = state.store.next_id()?;
        let events = super::events_of(&kinds, seq, at, false);
        for e in &events {
            batch.put_event(&state.shop, e)?;
        }
        state.store.commit(batch)?;
        super::publish(&state.automations, events);
        Ok(())
    }

    /// The contact of a WhatsApp number, created (and stored) when nobody has it; `None`
    /// when storing the new contact failed.
    fn contact_for_phone(
        state: &mut CustomersState,
        phone: PhoneE164,
        profile_name: Option<String>,
        at: Timestamp,
    ) -> Option<ShopifyId> {
        let (id, change) = state
            .book
            .ensure_phone_contact(phone, profile_name.as_deref(), at);
        let saved = match change {
            Some(c) => Self::commit_change(state, &c, at),
            None => Ok(()),
        };
        saved.ok().map(|()| id)
    }

    /// STOP / START on WhatsApp for every contact with this number; how many changed.
    fn marketing_by_phone(
        state: &mut CustomersState,
        phone: PhoneE164,
        consent: MarketingState,
        source: MarketingSource,
        at: Timestamp,
    ) -> usize {
        let mut n = 0;
        for id in state.book.find_by_phone(phone) {
            if let Some(c) = state.book.set_marketing(id, consent, source, at) {
                if c.ignored.is_none() && Self::commit_change(state, &c, at).is_ok() {
                    n += 1;
                }
            }
        }
        n
    }

    /// The read-only queries: a store error is the caller's answer, never the actor's death.
    fn answer(state: &CustomersState, msg: CustomersMsg) {
        match msg {
            CustomersMsg::Search {
                q,
                after,
                limit,
                reply_to,
            } => {
                let found = state
                    .book
                    .search(&q, after, limit)
                    .into_iter()
                    .cloned()
                    .collect();
                let _ = reply_to.send(found);
            }
            CustomersMsg::Profile { id, reply_to } => {
                let _ = reply_to.send(Self::profile(state, id));
            }
            CustomersMsg::Checkouts {
                after,
                limit,
                reply_to,
            } => {
                let r =
                    state
                        .store
                        .scan_from::<Checkout>(&state.shop, Kind::Checkout, after, limit);
                let _ = reply_to.send(r.map(|v| v.into_iter().map(|(_, c)| c).collect()));
            }
            CustomersMsg::Count { reply_to } => {
                let _ = reply_to.send(state.book.len());
            }
            _ => {}
        }
    }

    fn set_excluded(
        state: &mut CustomersState,
        id: ShopifyId,
        excluded: bool,
    ) -> Result<Option<Contact>, StoreError> {
        let Some(change) = state.book.set_excluded(id, excluded) else {
            return Ok(None);
        };
        let mut batch = Batch::new();
        stage(&state.store, &state.shop, &change, &mut batch)?;
        state.store.commit(batch)?;
        Ok(state.book.contact(id).cloned())
    }
}

impl Actor for Customers {
    type Msg = CustomersMsg;
    type State = CustomersState;
    type Arguments = CustomersArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        args: CustomersArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        segment_cmds::arm_refresh(&myself);
        let book = load_book(&args.store, &args.shop)?;
        let segments = segments::Segments::load(&args.store, &args.shop, &book)?;
        tracing::debug!(message = "Customers loaded.", tenant = %args.shop, contacts = book.len());
        Ok(CustomersState {
            shop: args.shop,
            store: args.store,
            in_flight: args.in_flight,
            book,
            retries: Default::default(),
            automations: args.automations,
            segments,
            windows: args.windows,
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        msg: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            CustomersMsg::Deliver(d) => self.on_deliver(&myself, state, d).await?,
            m @ (CustomersMsg::Search { .. }
            | CustomersMsg::Profile { .. }
            | CustomersMsg::Checkouts { .. }
            | CustomersMsg::Count { .. }) => Self::answer(state, m),
            CustomersMsg::SetExcluded {
                id,
                excluded,
                reply_to,
            } => {
                let _ = reply_to.send(Self::set_excluded(state, id, excluded));
            }
            CustomersMsg::Engaged { contact, what, at } => {
                if let Err(e) = Self::engaged(state, contact, what, at) {
                    tracing::warn!(message = "Engagement signal not stored.", tenant = %state.shop, contact, error = %e);
                }
            }
            CustomersMsg::ContactForPhone {
                phone,
                profile_name,
                at,
                reply_to,
            } => {
                let _ = reply_to.send(Self::contact_for_phone(state, phone, profile_name, at));
            }
            CustomersMsg::SetMarketingByPhone {
                phone,
                state: consent,
                source,
                at,
                reply_to,
            } => {
                let _ = reply_to.send(Self::marketing_by_phone(state, phone, consent, source, at));
            }
            CustomersMsg::Segments(cmd) => segment_cmds::handle(state, *cmd),
            CustomersMsg::RefreshSegments => segment_cmds::refresh(state, &myself),
            CustomersMsg::Reset { reply_to } => {
                state.book = CustomerBook::new();
                state.segments = segments::Segments::load(&state.store, &state.shop, &state.book)?;
                let _ = reply_to.send(());
            }
            #[cfg(test)]
            CustomersMsg::Panic => panic!("injected panic in the customer actor"),
            #[cfg(test)]
            CustomersMsg::PanicApplying(seq) => {
                state.in_flight.store(seq, Ordering::SeqCst);
                panic!("injected panic while applying {seq}");
            }
        }
        Ok(())
    }
}
