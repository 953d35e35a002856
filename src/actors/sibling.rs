//! The typed route from one child actor of a tenant to a sibling (the customer actor asked
//! by the conversation actor, the automation actor told of recorded events). The tenant
//! supervisor owns each [`Sibling`] and points it at the current actor at every (re)spawn,
//! so a child never scans its supervisor's children and never holds a stale reference.
//! Knows no actor type: it must not import the actors it routes to.

use ractor::{ActorRef, Message};
use std::sync::{Arc, RwLock};

/// A shared, replaceable reference to a sibling actor. Cheap to clone.
pub struct Sibling<M: Message>(Arc<RwLock<Option<ActorRef<M>>>>);

impl<M: Message> Clone for Sibling<M> {
    fn clone(&self) -> Self {
        Sibling(self.0.clone())
    }
}

impl<M: Message> Default for Sibling<M> {
    fn default() -> Self {
        Sibling(Arc::new(RwLock::new(None)))
    }
}

impl<M: Message> Sibling<M> {
    /// Points the route at `actor` (the supervisor, after spawning it).
    pub fn set(&self, actor: ActorRef<M>) {
        let mut slot = self.0.write().unwrap_or_else(|e| e.into_inner());
        *slot = Some(actor);
    }

    /// The current actor, if one was started.
    pub fn get(&self) -> Option<ActorRef<M>> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
