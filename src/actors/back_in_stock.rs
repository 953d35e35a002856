//! The back-in-stock actor of one tenant: owns the tenant's subscriptions (in memory as a
//! `logic::back_in_stock::BackInStockBook`, durable as records under `Kind::BackInStock`
//! with indexes by variant and by contact), answers subscribe / get / cancel, and turns
//! each `VariantRestocked` event into NOTIFIED subscriptions plus one
//! `BackInStockNotified` event per subscriber, written in one atomic batch with the
//! restock's "applied" marker (DESIGN §4.2): a crash can neither lose nor repeat them.
//!
//! Event intake (choice): events from different actors can be recorded out of `seq`
//! order, so a single "max seq seen" cursor could skip one. The actor therefore (1) reads
//! the stored stream after its durable cursor, in order, at start and on every
//! `Recorded` message, (2) also applies the restocks carried by the message itself, and
//! (3) at start re-reads [`REPLAY_WINDOW`] positions before the cursor. What makes all
//! three safe is the per-event marker: a restock already applied is skipped.
//! Must not touch other actors' records: it only reads the event stream.

use super::automations::AutomationsMsg;
use super::Sibling;
use crate::domain::back_in_stock::{NewSubscription, Subscription};
use crate::domain::phone::PhoneE164;
use crate::domain::{DomainEvent, EventKind, ShopDomain, Timestamp};
use crate::logic::back_in_stock::{BackInStockBook, Restock, Subscribed};
use crate::store::{Batch, Kind, Store, StoreError};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};

/// Reference to a back-in-stock actor.
pub type BackInStockRef = ActorRef<BackInStockMsg>;

/// How far before its cursor the actor re-reads the event stream at start: 65,536
/// journal positions (× 256 events each). An event recorded that much later than a
/// higher-numbered one would be missed after a restart; in-flight webhooks are far fewer.
pub const REPLAY_WINDOW: u64 = 65_536 * 256;

/// Events read from the store at a time while catching up.
const SCAN_PAGE: usize = 1024;

/// Errors of the back-in-stock actor, answered to callers.
#[derive(Debug, thiserror::Error)]
pub enum BackInStockError {
    /// The store failed; nothing was changed.
    #[error("storing the subscription failed: {0}")]
    Store(#[from] StoreError),
}

/// Messages of the back-in-stock actor.
pub enum BackInStockMsg {
    /// Newly recorded domain events (restocks among them).
    Recorded(Vec<DomainEvent>),
    /// Subscribe a phone to a variant (idempotent per phone and variant).
    Subscribe {
        req: NewSubscription,
        reply_to: RpcReplyPort<Result<Subscribed, BackInStockError>>,
    },
    /// One subscription.
    Get {
        id: u64,
        reply_to: RpcReplyPort<Option<Subscription>>,
    },
    /// Cancel a subscription; `None` when `phone` does not own subscription `id`.
    Cancel {
        id: u64,
        phone: PhoneE164,
        at: Timestamp,
        reply_to: RpcReplyPort<Result<Option<Subscription>, BackInStockError>>,
    },
    /// Forget everything in memory (after `shop/redact` erased the store).
    Reset { reply_to: RpcReplyPort<()> },
}

/// Arguments of the back-in-stock actor.
pub struct BackInStockArgs {
    /// The tenant's shop domain.
    pub shop: ShopDomain,
    /// The store.
    pub store: Store,
    /// Where the `BackInStockNotified` events go (the automation engine's trigger).
    pub automations: Sibling<AutomationsMsg>,
}

/// State of the back-in-stock actor.
pub struct BackInStockState {
    shop: ShopDomain,
    store: Store,
    book: BackInStockBook,
    /// The last stored event position read in order.
    cursor: u64,
    automations: Sibling<AutomationsMsg>,
}

/// The back-in-stock actor.
pub struct BackInStock;

/// Loads the book and the cursor.
fn load(store: &Store, shop: &str) -> Result<(BackInStockBook, u64), StoreError> {
    let subs: Vec<(u64, Subscription)> = store.scan(shop, Kind::BackInStock)?;
    let marks: Vec<(u64, u64)> = store.scan(shop, Kind::BackInStockRestock)?;
    let cursor = marks.iter().find(|(k, _)| *k == 0).map_or(0, |(_, c)| *c);
    let restocks = marks.iter().filter(|(k, _)| *k != 0).map(|(k, _)| k - 1);
    let book = BackInStockBook::restore(subs.into_iter().map(|(_, s)| s), restocks);
    Ok((book, cursor))
}

fn restock_of(e: &DomainEvent) -> Option<Restock> {
    match e.kind {
        EventKind::VariantRestocked { variant_id, .. } => Some(Restock {
            event_seq: e.seq,
            variant_id,
        }),
        _ => None,
    }
}

fn notified_kind(s: &Subscription) -> EventKind {
    EventKind::BackInStockNotified {
        subscription_id: s.id,
        product_id: s.product_id,
        variant_id: s.variant_id,
        contact_id: s.contact_id,
    }
}

impl BackInStock {
    /// Applies one restock event (nothing when already applied): the notified
    /// subscriptions, their events and the marker in one batch, then the events go to the
    /// automation actor. On a failed write the book is reloaded and the error returned.
    fn on_restock(state: &mut BackInStockState, e: &DomainEvent) -> Result<(), StoreError> {
        let Some(r) = restock_of(e) else {
            return Ok(());
        };
        if state.book.restock_applied(r.event_seq) {
            return Ok(());
        }
        let now = Timestamp::now();
        let notified = state.book.restock(r, now);
        let written = Self::write_restock(state, r, &notified, now);
        match written {
            Ok(events) => {
                metrics::counter!("galantis_back_in_stock_notified_total")
                    .increment(notified.len() as u64);
                tracing::info!(message = "Back-in-stock subscribers notified.", tenant = %state.shop, variant_id = r.variant_id, subscribers = notified.len());
                super::publish(&state.automations, events);
                Ok(())
            }
            Err(error) => {
                state.book = load(&state.store, &state.shop)?.0;
                Err(error)
            }
        }
    }

    fn write_restock(
        state: &BackInStockState,
        r: Restock,
        notified: &[Subscription],
        now: Timestamp,
    ) -> Result<Vec<DomainEvent>, StoreError> {
        let shop = &state.shop;
        let mut batch = Batch::new();
        let mut events = Vec::with_capacity(notified.len());
        // `events_of` numbers at most 256 events under one position.
        for chunk in notified.chunks(256) {
            let kinds: Vec<EventKind> = chunk.iter().map(notified_kind).collect();
            events.extend(super::events_of(&kinds, state.store.next_id()?, now, false));
        }
        for s in notified {
            batch.put(shop, Kind::BackInStock, s.id, s)?;
        }
        for e in &events {
            batch.put_event(shop, e)?;
        }
        let mark = r.event_seq.saturating_add(1);
        batch.put(shop, Kind::BackInStockRestock, mark, &r.variant_id)?;
        state.store.commit(batch)?;
        Ok(events)
    }

    /// Reads the stored events after `from` in order and applies their restocks; the
    /// cursor follows and is stored when it moved.
    fn catch_up(state: &mut BackInStockState, from: u64) -> Result<(), StoreError> {
        let mut after = from;
        loop {
            let page: Vec<(u64, DomainEvent)> =
                state
                    .store
                    .scan_from(&state.shop, Kind::Event, Some(after), SCAN_PAGE)?;
            for (_, e) in &page {
                Self::on_restock(state, e)?;
                after = after.max(e.seq);
            }
            if page.len() < SCAN_PAGE {
                break;
            }
        }
        if after > state.cursor {
            state.cursor = after;
            let mut batch = Batch::new();
            batch.put(&state.shop, Kind::BackInStockRestock, 0, &state.cursor)?;
            state.store.commit(batch)?;
        }
        Ok(())
    }

    fn on_recorded(state: &mut BackInStockState, events: &[DomainEvent]) -> Result<(), StoreError> {
        Self::catch_up(state, state.cursor)?;
        // Events recorded below the cursor (out of order) are applied from the message.
        for e in events {
            Self::on_restock(state, e)?;
        }
        Ok(())
    }

    fn on_subscribe(
        state: &mut BackInStockState,
        req: &NewSubscription,
    ) -> Result<Subscribed, BackInStockError> {
        let id = match state.book.find(req.phone, req.variant_id) {
            Some(s) => s.id,
            None => state.store.next_id()?,
        };
        let before_contact = state.book.get(id).and_then(|s| s.contact_id);
        let out = state.book.subscribe(req, id);
        if !out.changed {
            return Ok(out);
        }
        let s = &out.subscription;
        let mut batch = Batch::new();
        batch.put(&state.shop, Kind::BackInStock, s.id, s)?;
        batch.put_pair(&state.shop, Kind::BackInStockByVariant, s.variant_id, s.id);
        if let Some(c) = s
            .contact_id
            .filter(|c| Some(*c) != before_contact || out.created)
        {
            batch.put_pair(&state.shop, Kind::BackInStockByContact, c, s.id);
        }
        if let Err(e) = state.store.commit(batch) {
            state.book = load(&state.store, &state.shop)?.0;
            return Err(e.into());
        }
        metrics::counter!("galantis_back_in_stock_subscribed_total").increment(1);
        Ok(out)
    }

    fn on_cancel(
        state: &mut BackInStockState,
        id: u64,
        phone: PhoneE164,
        at: Timestamp,
    ) -> Result<Option<Subscription>, BackInStockError> {
        let Some((s, changed)) = state.book.cancel(id, phone, at) else {
            return Ok(None);
        };
        if changed {
            let mut batch = Batch::new();
            batch.put(&state.shop, Kind::BackInStock, s.id, &s)?;
            if let Err(e) = state.store.commit(batch) {
                state.book = load(&state.store, &state.shop)?.0;
                return Err(e.into());
            }
        }
        Ok(Some(s))
    }
}

impl Actor for BackInStock {
    type Msg = BackInStockMsg;
    type State = BackInStockState;
    type Arguments = BackInStockArgs;

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        args: BackInStockArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        let (book, cursor) = load(&args.store, &args.shop)?;
        let mut state = BackInStockState {
            shop: args.shop,
            store: args.store,
            book,
            cursor,
            automations: args.automations,
        };
        Self::catch_up(&mut state, cursor.saturating_sub(REPLAY_WINDOW))?;
        tracing::debug!(message = "Back-in-stock subscriptions loaded.", tenant = %state.shop, subscriptions = state.book.len());
        Ok(state)
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        msg: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            // A failed write of a restock stops the actor: its supervisor restarts it from
            // the durable state, and the catch-up at start applies the restock then.
            BackInStockMsg::Recorded(events) => Self::on_recorded(state, &events)?,
            BackInStockMsg::Subscribe { req, reply_to } => {
                let _ = reply_to.send(Self::on_subscribe(state, &req));
            }
            BackInStockMsg::Get { id, reply_to } => {
                let _ = reply_to.send(state.book.get(id).cloned());
            }
            BackInStockMsg::Cancel {
                id,
                phone,
                at,
                reply_to,
            } => {
                let _ = reply_to.send(Self::on_cancel(state, id, phone, at));
            }
            BackInStockMsg::Reset { reply_to } => {
                state.book = BackInStockBook::new();
                state.cursor = 0;
                let _ = reply_to.send(());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "back_in_stock_tests.rs"]
mod tests;
