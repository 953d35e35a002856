//! Meta: the WhatsApp Cloud API (Graph API) client, request builders, error
//! classification, templates, and webhook authentication and parsing.
//! Docs: <https://developers.facebook.com/docs/whatsapp/cloud-api>.

pub mod action;
pub mod client;
pub mod error;
pub mod messages;
pub mod templates;
pub mod webhook;
