//! Segments and static lists through the API, live with the contacts: definitions, reach,
//! members, lists; USER_ADDED_TO_SEGMENT fired when a contact starts to match (not when
//! the segment is defined, not again while it still matches); exclusion lists and
//! segment conditions in flows.

use crate::automations::{active_flow, customer, setup, templates_sent};
use crate::helpers::order_body;
use reqwest::Method;
use serde_json::json;

const SHOP: &str = "flows.myshopify.com";

fn utility(
    name: &str,
    trigger: serde_json::Value,
    settings: serde_json::Value,
) -> serde_json::Value {
    json!({"name": name, "nodes": [
        {"id": "t", "type": "TRIGGER", "trigger": trigger},
        {"id": "say", "type": "ACTION", "template": {"name": "order_thanks", "language": "en"},
         "body": [{"text": name}, {"source": "customer.first_name", "fallback": "there"}]}],
        "edges": [{"from": "t", "to": "say"}], "settings": settings})
}

fn sent(emu: &galantis::sandbox::meta::MetaEmulator, marker: &str) -> usize {
    templates_sent(emu)
        .iter()
        .filter(|(_, v)| v.first().map(String::as_str) == Some(marker))
        .count()
}

#[tokio::test]
async fn a_contact_who_starts_to_match_fires_the_segment_trigger_once() {
    let (emu, app, key) = setup(1).await;
    customer(&app, 8101, "Ro", false).await;
    customer(&app, 8102, "Ka", false).await;
    app.webhook_ok(
        SHOP,
        "orders/create",
        "o-8102",
        &order_body(9102, 8102, "2026-01-02T00:00:00Z"),
    )
    .await;
    let buyers = json!({"name": "Buyers", "groups": [{"rules": [{"field": "ORDERS_COUNT", "op": "GTE", "value": 1}]}]});
    let (s, v) = app
        .send(
            Method::POST,
            "/api/v1/segments/count",
            &key,
            Some(buyers.clone()),
        )
        .await;
    assert_eq!((s, v["count"].as_u64()), (200, Some(1)), "{v}");
    let (s, seg) = app
        .send(Method::POST, "/api/v1/segments", &key, Some(buyers))
        .await;
    assert_eq!(
        (s, seg["members"].as_u64()),
        (201, Some(1)),
        "defined with its current members: {seg}"
    );
    let id = seg["id"].as_u64().expect("id");
    active_flow(
        &app,
        &key,
        utility(
            "joined",
            json!({"type": "USER_ADDED_TO_SEGMENT", "segment_id": id}),
            json!({"frequency_cap": "EVER"}),
        ),
    )
    .await;
    // 8102 already matched when the segment was defined: no trigger. 8101 starts to match.
    app.webhook_ok(
        SHOP,
        "orders/create",
        "o-8101",
        &order_body(9101, 8101, "2026-01-03T00:00:00Z"),
    )
    .await;
    app.webhook_ok(
        SHOP,
        "orders/create",
        "o-8101b",
        &order_body(9111, 8101, "2026-01-04T00:00:00Z"),
    )
    .await;
    app.eventually("the segment message", || async {
        (sent(&emu, "joined") == 1).then_some(())
    })
    .await;
    let events = app.events(&key).await;
    let joined: Vec<_> = events
        .iter()
        .filter(|e| e["type"] == "UserAddedToSegment")
        .collect();
    assert_eq!(joined.len(), 1, "{joined:?}");
    assert_eq!(joined[0]["data"]["contact_id"], "8101");
    let (_, members) = app
        .get(&format!("/api/v1/segments/{id}/members"), &key)
        .await;
    let ids: Vec<&str> = members["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["contact_id"].as_str())
        .collect();
    assert_eq!(ids, vec!["8101", "8102"], "{members}");
    // A bad draft names the path.
    let bad = json!({"name": "x", "groups": [{"rules": [{"field": "ORDERS_COUNT", "op": "GTE", "value": "many"}]}]});
    let (s, v) = app
        .send(Method::POST, "/api/v1/segments", &key, Some(bad))
        .await;
    assert_eq!(s, 400, "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap_or_default()
            .contains("groups[0].rules[0]"),
        "{v}"
    );
}

#[tokio::test]
async fn an_exclusion_list_keeps_its_members_out_of_a_flow() {
    let (emu, app, key) = setup(1).await;
    customer(&app, 8201, "Jo", false).await;
    customer(&app, 8202, "Li", false).await;
    let (s, list) = app
        .send(
            Method::POST,
            "/api/v1/lists",
            &key,
            Some(json!({"name": "Do not disturb"})),
        )
        .await;
    assert_eq!(s, 201, "{list}");
    let list_id = list["id"].as_u64().expect("id");
    let (s, v) = app
        .send(
            Method::POST,
            &format!("/api/v1/lists/{list_id}/members"),
            &key,
            Some(json!({"contact_ids": ["8202", 999]})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["added"].clone(), v["unknown"].clone()),
        (json!(["8202"]), json!(["999"])),
        "{v}"
    );
    let settings = json!({"frequency_cap": "EVER", "exclude_lists": [list_id]});
    active_flow(
        &app,
        &key,
        utility("tagged", json!({"type": "CUSTOMER_TAGGED"}), settings),
    )
    .await;
    for id in [8201u64, 8202] {
        let body =
            galantis::sandbox::payloads::tags_added(id, &["x".to_string()], "2026-01-03T00:00:00Z");
        app.webhook_ok(
            SHOP,
            "customer.tags_added",
            &format!("tag-{id}"),
            &serde_json::to_vec(&body).expect("json"),
        )
        .await;
    }
    app.eventually("the message to the contact not excluded", || async {
        (sent(&emu, "tagged") == 1).then_some(())
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sent(&emu, "tagged"), 1, "the listed contact is excluded");
    let (_, members) = app
        .get(&format!("/api/v1/lists/{list_id}/members"), &key)
        .await;
    assert_eq!(members["items"][0]["contact_id"], "8202", "{members}");
}
