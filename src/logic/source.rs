//! Where a journaled webhook came from — a Shopify topic or a kind of Meta event — parsed
//! once at the edge (the HTTP handler, or the store when it reads an entry back), and the
//! one routing rule that sends it to the part of a tenant that applies it. Owns no I/O.

use super::topic::{Route, Topic};
use crate::domain::meta_events::MetaEvent;
use std::fmt;

/// Journal names of Meta sources start with this (`meta/inbound_message` …).
pub const META_PREFIX: &str = "meta/";

/// The kind of a journaled Meta event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MetaKind {
    /// A customer's message.
    InboundMessage,
    /// A delivery status of one of our messages.
    Status,
    /// A template review result.
    TemplateStatus,
    /// A number's quality or messaging-limit change.
    PhoneNumberQuality,
    /// An account (WABA) update.
    AccountUpdate,
    /// A change this version does not act on.
    Unhandled,
    /// A whole authentic delivery that did not parse when it came in: kept raw, dead-lettered
    /// with the parser's reason, parsed and applied event by event when replayed.
    Delivery,
}

const META_KINDS: &[(&str, MetaKind)] = &[
    ("inbound_message", MetaKind::InboundMessage),
    ("status", MetaKind::Status),
    ("template_status", MetaKind::TemplateStatus),
    ("phone_number_quality", MetaKind::PhoneNumberQuality),
    ("account_update", MetaKind::AccountUpdate),
    ("unhandled", MetaKind::Unhandled),
    ("delivery", MetaKind::Delivery),
];

impl MetaKind {
    /// The journal kind of a parsed Meta event.
    pub fn of(e: &MetaEvent) -> MetaKind {
        match e {
            MetaEvent::InboundMessage(_) => MetaKind::InboundMessage,
            MetaEvent::Status(_) => MetaKind::Status,
            MetaEvent::TemplateStatus(_) => MetaKind::TemplateStatus,
            MetaEvent::PhoneNumberQuality(_) => MetaKind::PhoneNumberQuality,
            MetaEvent::AccountUpdate(_) => MetaKind::AccountUpdate,
            MetaEvent::Unhandled(_) => MetaKind::Unhandled,
        }
    }

    /// Parses the name after `meta/`; an unknown name is [`MetaKind::Unhandled`].
    pub fn parse(s: &str) -> MetaKind {
        META_KINDS
            .iter()
            .find(|(n, _)| *n == s)
            .map_or(MetaKind::Unhandled, |(_, k)| *k)
    }

    /// The name after `meta/` (the same as `MetaEvent::kind`).
    pub fn as_str(self) -> &'static str {
        META_KINDS
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("unhandled", |(n, _)| n)
    }
}

/// Where a journaled webhook came from. Stored and shown as its journal name
/// (`customers/create`, `meta/status` …): the same bytes as the `String` it replaced, so
/// entries written by earlier versions read back unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(into = "String", from = "String")]
pub enum Source {
    /// A Shopify webhook topic.
    Shopify(Topic),
    /// A Meta (WhatsApp) webhook event.
    Meta(MetaKind),
}

impl Source {
    /// Parses a journal name: `meta/<kind>` or a Shopify topic.
    pub fn parse(s: &str) -> Source {
        match s.strip_prefix(META_PREFIX) {
            Some(kind) => Source::Meta(MetaKind::parse(kind)),
            None => Source::Shopify(Topic::parse(s)),
        }
    }

    /// The journal name, for logs and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Shopify(t) => t.as_str(),
            Source::Meta(k) => match k {
                MetaKind::InboundMessage => "meta/inbound_message",
                MetaKind::Status => "meta/status",
                MetaKind::TemplateStatus => "meta/template_status",
                MetaKind::PhoneNumberQuality => "meta/phone_number_quality",
                MetaKind::AccountUpdate => "meta/account_update",
                MetaKind::Unhandled => "meta/unhandled",
                MetaKind::Delivery => "meta/delivery",
            },
        }
    }

    /// The one routing rule: which part of a tenant applies it. Every Meta event goes to
    /// the conversation actor; Shopify topics by [`Topic::route`].
    pub fn route(self) -> Route {
        match self {
            Source::Shopify(t) => t.route(),
            Source::Meta(_) => Route::Conversations,
        }
    }

    /// The Shopify topic, when it is one.
    pub fn topic(self) -> Option<Topic> {
        match self {
            Source::Shopify(t) => Some(t),
            Source::Meta(_) => None,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<Source> for String {
    fn from(s: Source) -> String {
        s.as_str().to_string()
    }
}

impl From<String> for Source {
    fn from(s: String) -> Source {
        Source::parse(&s)
    }
}

impl From<Topic> for Source {
    fn from(t: Topic) -> Source {
        Source::Shopify(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_route() {
        for (name, kind) in META_KINDS {
            let s = Source::parse(&format!("meta/{name}"));
            assert_eq!(s, Source::Meta(*kind));
            assert_eq!(Source::parse(s.as_str()), s);
            assert_eq!(s.route(), Route::Conversations);
        }
        let s = Source::parse("orders/create");
        assert_eq!(s, Source::Shopify(Topic::OrdersCreate));
        assert_eq!(s.as_str(), "orders/create");
        assert_eq!(s.route(), Route::Customers);
        assert_eq!(Source::parse("shop/redact").route(), Route::Tenant);
        assert_eq!(
            Source::parse("meta/whatever"),
            Source::Meta(MetaKind::Unhandled)
        );
    }

    #[test]
    fn stored_as_the_string_it_replaced() {
        let s = Source::Meta(MetaKind::Status);
        let bytes = bincode::serde::encode_to_vec(s, bincode::config::standard()).expect("enc");
        let old =
            bincode::serde::encode_to_vec("meta/status", bincode::config::standard()).expect("enc");
        assert_eq!(bytes, old);
        let (back, _): (Source, _) =
            bincode::serde::decode_from_slice(&old, bincode::config::standard()).expect("dec");
        assert_eq!(back, s);
    }
}
