//! Typed requests to a tenant's actors: one [`Engine`] method per query or command, so the
//! layers above (services, HTTP, CLI) never build `TenantMsg` values by hand. Each method
//! is a thin `call`/`cast`; the behaviour is in the actors.

use super::{Engine, EngineError};
use crate::actors::catalog::CatalogMsg;
use crate::actors::conversations::{
    CommandError, ConversationsMsg, SendRequest, ThreadWithMessages,
};
use crate::actors::customers::{ContactProfile, CustomersMsg};
use crate::actors::tenant::TenantMsg;
use crate::domain::catalog::{Collection, Product};
use crate::domain::contact::{Checkout, Contact};
use crate::domain::whatsapp::{ChatMessage, IntegrationHealth, Template, Thread, ThreadStatus};
use crate::domain::ShopifyId;
use crate::logic::inbox::ThreadFilter;

fn actor_failed(e: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> EngineError {
    EngineError::Actor(e.into())
}

/// Conversations: threads, messages, templates, the Meta integration health.
impl Engine {
    /// Queues an outbound message (stored before any call; see the outbox).
    ///
    /// # Errors
    /// [`CommandError`]: unreachable, or refused (window closed, unknown template …).
    pub async fn send(&self, shop: &str, req: SendRequest) -> Result<ChatMessage, CommandError> {
        let msg = |reply_to| {
            TenantMsg::Conversations(ConversationsMsg::Send {
                req: Box::new(req),
                reply_to,
            })
        };
        Ok(self.call(shop, msg).await??)
    }

    /// Adds an internal note to a thread (never sent).
    ///
    /// # Errors
    /// [`CommandError`].
    pub async fn add_note(
        &self,
        shop: &str,
        thread_id: u64,
        author: String,
        text: String,
    ) -> Result<ChatMessage, CommandError> {
        let msg = |reply_to| {
            TenantMsg::Conversations(ConversationsMsg::Note {
                thread_id,
                author,
                text,
                reply_to,
            })
        };
        Ok(self.call(shop, msg).await??)
    }

    /// Assigns a thread to an agent (`None` unassigns).
    ///
    /// # Errors
    /// [`CommandError`].
    pub async fn assign_thread(
        &self,
        shop: &str,
        thread_id: u64,
        agent: Option<String>,
    ) -> Result<Thread, CommandError> {
        let msg = |reply_to| {
            TenantMsg::Conversations(ConversationsMsg::Assign {
                thread_id,
                agent,
                reply_to,
            })
        };
        Ok(self.call(shop, msg).await??)
    }

    /// Sets a thread's status.
    ///
    /// # Errors
    /// [`CommandError`].
    pub async fn set_thread_status(
        &self,
        shop: &str,
        thread_id: u64,
        status: ThreadStatus,
    ) -> Result<Thread, CommandError> {
        let msg = |reply_to| {
            TenantMsg::Conversations(ConversationsMsg::SetStatus {
                thread_id,
                status,
                reply_to,
            })
        };
        Ok(self.call(shop, msg).await??)
    }

    /// Marks a thread read.
    ///
    /// # Errors
    /// [`CommandError`].
    pub async fn mark_thread_read(
        &self,
        shop: &str,
        thread_id: u64,
    ) -> Result<Thread, CommandError> {
        let msg = |reply_to| {
            TenantMsg::Conversations(ConversationsMsg::MarkRead {
                thread_id,
                reply_to,
            })
        };
        Ok(self.call(shop, msg).await??)
    }

    /// Threads matching a filter, most recent first.
    ///
    /// # Errors
    /// [`EngineError`] when the actor cannot be reached.
    pub async fn threads(
        &self,
        shop: &str,
        filter: ThreadFilter,
    ) -> Result<Vec<Thread>, EngineError> {
        self.call(shop, |reply_to| {
            TenantMsg::Conversations(ConversationsMsg::Threads { filter, reply_to })
        })
        .await
    }

    /// One thread with its messages, oldest first.
    ///
    /// # Errors
    /// [`EngineError`]: unreachable, or the store failed.
    pub async fn thread(
        &self,
        shop: &str,
        id: u64,
    ) -> Result<Option<ThreadWithMessages>, EngineError> {
        let msg = |reply_to| TenantMsg::Conversations(ConversationsMsg::Thread { id, reply_to });
        Ok(self.call(shop, msg).await??)
    }

    /// One message.
    ///
    /// # Errors
    /// [`EngineError`]: unreachable, or the store failed.
    pub async fn message(&self, shop: &str, id: u64) -> Result<Option<ChatMessage>, EngineError> {
        let msg = |reply_to| TenantMsg::Conversations(ConversationsMsg::Message { id, reply_to });
        Ok(self.call(shop, msg).await??)
    }

    /// Saves or replaces a template record.
    ///
    /// # Errors
    /// [`CommandError`].
    pub async fn put_template(&self, shop: &str, template: Template) -> Result<(), CommandError> {
        let msg = |reply_to| {
            TenantMsg::Conversations(ConversationsMsg::PutTemplate { template, reply_to })
        };
        Ok(self.call(shop, msg).await??)
    }

    /// Removes a template record (every language); how many were removed.
    ///
    /// # Errors
    /// [`CommandError`].
    pub async fn remove_template(&self, shop: &str, name: String) -> Result<usize, CommandError> {
        let msg = |reply_to| {
            TenantMsg::Conversations(ConversationsMsg::RemoveTemplate { name, reply_to })
        };
        Ok(self.call(shop, msg).await??)
    }

    /// The tenant's templates.
    ///
    /// # Errors
    /// [`EngineError`]: unreachable, or the store failed.
    pub async fn templates(&self, shop: &str) -> Result<Vec<Template>, EngineError> {
        let msg = |reply_to| TenantMsg::Conversations(ConversationsMsg::Templates { reply_to });
        Ok(self.call(shop, msg).await??)
    }

    /// The Meta integration health the conversation actor holds.
    ///
    /// # Errors
    /// [`EngineError`] when the actor cannot be reached.
    pub async fn conversation_health(&self, shop: &str) -> Result<IntegrationHealth, EngineError> {
        self.call(shop, |reply_to| {
            TenantMsg::Conversations(ConversationsMsg::Health { reply_to })
        })
        .await
    }

    /// Replaces the Meta integration health (checks made outside the actor). Does not wait.
    ///
    /// # Errors
    /// [`EngineError`] when the tenant is not running.
    pub fn set_conversation_health(
        &self,
        shop: &str,
        health: IntegrationHealth,
    ) -> Result<(), EngineError> {
        self.cast(
            shop,
            TenantMsg::Conversations(ConversationsMsg::SetHealth { health }),
        )
    }
}

/// Customers: contacts and checkouts.
impl Engine {
    /// Contacts matching `q` (name, email, phone digits), after a cursor.
    ///
    /// # Errors
    /// [`EngineError`] when the actor cannot be reached.
    pub async fn search_contacts(
        &self,
        shop: &str,
        q: String,
        after: Option<ShopifyId>,
        limit: usize,
    ) -> Result<Vec<Contact>, EngineError> {
        self.call(shop, |reply_to| {
            TenantMsg::Customers(CustomersMsg::Search {
                q,
                after,
                limit,
                reply_to,
            })
        })
        .await
    }

    /// A contact's profile (consent, tags, orders, checkouts).
    ///
    /// # Errors
    /// [`EngineError`]: unreachable, or the lookup failed.
    pub async fn contact_profile(
        &self,
        shop: &str,
        id: ShopifyId,
    ) -> Result<Option<ContactProfile>, EngineError> {
        let msg = |reply_to| TenantMsg::Customers(CustomersMsg::Profile { id, reply_to });
        self.call(shop, msg).await?.map_err(actor_failed)
    }

    /// Sets a contact's `exclude_from_galantis`; the contact, if it exists.
    ///
    /// # Errors
    /// [`EngineError`]: unreachable, or the write failed.
    pub async fn set_contact_excluded(
        &self,
        shop: &str,
        id: ShopifyId,
        excluded: bool,
    ) -> Result<Option<Contact>, EngineError> {
        let msg = |reply_to| {
            TenantMsg::Customers(CustomersMsg::SetExcluded {
                id,
                excluded,
                reply_to,
            })
        };
        self.call(shop, msg).await?.map_err(actor_failed)
    }

    /// Checkouts by id, after a cursor.
    ///
    /// # Errors
    /// [`EngineError`]: unreachable, or the read failed.
    pub async fn checkouts(
        &self,
        shop: &str,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Checkout>, EngineError> {
        let msg = |reply_to| {
            TenantMsg::Customers(CustomersMsg::Checkouts {
                after,
                limit,
                reply_to,
            })
        };
        self.call(shop, msg).await?.map_err(actor_failed)
    }
}

/// Catalog: products and collections.
impl Engine {
    /// Products by id, after a cursor.
    ///
    /// # Errors
    /// [`EngineError`] when the actor cannot be reached.
    pub async fn products(
        &self,
        shop: &str,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Product>, EngineError> {
        self.call(shop, |reply_to| {
            TenantMsg::Catalog(CatalogMsg::Products {
                after,
                limit,
                reply_to,
            })
        })
        .await
    }

    /// One product with its variants.
    ///
    /// # Errors
    /// [`EngineError`] when the actor cannot be reached.
    pub async fn product(&self, shop: &str, id: u64) -> Result<Option<Product>, EngineError> {
        self.call(shop, |reply_to| {
            TenantMsg::Catalog(CatalogMsg::Product { id, reply_to })
        })
        .await
    }

    /// Collections by id, after a cursor.
    ///
    /// # Errors
    /// [`EngineError`] when the actor cannot be reached.
    pub async fn collections(
        &self,
        shop: &str,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Collection>, EngineError> {
        self.call(shop, |reply_to| {
            TenantMsg::Catalog(CatalogMsg::Collections {
                after,
                limit,
                reply_to,
            })
        })
        .await
    }
}
