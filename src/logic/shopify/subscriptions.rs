//! Webhook registration as a diff: the shop should have exactly one JSON subscription
//! per topic the engine handles, pointing at our callback. Anything else the app has
//! subscribed there — another address (an old deployment), a topic we no longer handle,
//! a duplicate — is deleted; what is missing is created. Running it twice changes nothing
//! the second time.

use crate::logic::topic::Topic;

/// A subscription as the shop has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Existing {
    /// Its id (gid).
    pub id: String,
    /// `ORDERS_CREATE` …
    pub topic: String,
    /// Where it delivers.
    pub uri: Option<String>,
}

/// What to change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Topics to subscribe.
    pub create: Vec<&'static str>,
    /// Subscription ids to delete.
    pub delete: Vec<String>,
    /// Subscriptions already right.
    pub kept: usize,
}

/// The `WebhookSubscriptionTopic` names of every topic the engine handles. Compliance
/// topics are subscribed in the app's configuration, not through the API; the WhatsApp
/// consent topic is not in the 2026-04 enum.
pub fn wanted_topics() -> Vec<&'static str> {
    Topic::all().filter_map(Topic::subscription_name).collect()
}

/// The changes that give the shop exactly `topics` at `uri`.
pub fn plan(existing: &[Existing], topics: &[&'static str], uri: &str) -> Plan {
    let mut plan = Plan::default();
    let mut covered: Vec<&str> = Vec::new();
    for e in existing {
        let ours = e.uri.as_deref() == Some(uri) && topics.contains(&e.topic.as_str());
        if ours && !covered.contains(&e.topic.as_str()) {
            covered.push(&e.topic);
            plan.kept += 1;
        } else {
            plan.delete.push(e.id.clone());
        }
    }
    plan.create = topics
        .iter()
        .filter(|t| !covered.contains(*t))
        .copied()
        .collect();
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(id: &str, topic: &str, uri: &str) -> Existing {
        Existing {
            id: id.into(),
            topic: topic.into(),
            uri: Some(uri.into()),
        }
    }

    #[test]
    fn creates_what_is_missing_and_deletes_what_is_extra_or_elsewhere() {
        let ours = "https://e.example/webhooks/shopify";
        let existing = vec![
            sub("1", "ORDERS_CREATE", ours),
            sub("2", "ORDERS_CREATE", ours),
            sub("3", "PRODUCTS_UPDATE", "https://old.example/hooks"),
            sub("4", "CARTS_CREATE", ours),
        ];
        let p = plan(&existing, &["ORDERS_CREATE", "PRODUCTS_UPDATE"], ours);
        assert_eq!(p.create, vec!["PRODUCTS_UPDATE"]);
        assert_eq!(p.delete, vec!["2", "3", "4"]);
        assert_eq!(p.kept, 1);
        let after = vec![
            sub("1", "ORDERS_CREATE", ours),
            sub("5", "PRODUCTS_UPDATE", ours),
        ];
        assert_eq!(
            plan(&after, &["ORDERS_CREATE", "PRODUCTS_UPDATE"], ours),
            Plan {
                create: vec![],
                delete: vec![],
                kept: 2
            }
        );
    }

    #[test]
    fn the_wanted_topics_leave_out_compliance_and_name_the_2026_04_enum() {
        let t = wanted_topics();
        assert!(t.contains(&"ORDERS_CREATE") && t.contains(&"CUSTOMER_TAGS_ADDED"));
        assert!(t.contains(&"APP_UNINSTALLED") && t.contains(&"CHECKOUTS_UPDATE"));
        assert!(!t
            .iter()
            .any(|x| x.contains("REDACT") || x.contains("DATA_REQUEST")));
    }
}
