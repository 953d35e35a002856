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
    let flow = active_flow(
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
    crate::automations::handled(&app, &key, |e| {
        crate::automations::count_of(e, "CustomerTagged") == 2
    })
    .await;
    assert_eq!(
        crate::automations::counts(&app, &key, flow).await["enrolled"],
        1,
        "the listed contact is excluded"
    );
    assert_eq!(sent(&emu, "tagged"), 1);
    let (_, members) = app
        .get(&format!("/api/v1/lists/{list_id}/members"), &key)
        .await;
    assert_eq!(members["items"][0]["contact_id"], "8202", "{members}");
}

async fn members_of(app: &crate::helpers::TestApp, key: &str, path: &str) -> Vec<String> {
    let (s, v) = app.get(path, key).await;
    assert_eq!(s, 200, "{v}");
    v["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["contact_id"].as_str().map(str::to_string))
        .collect()
}

async fn define(
    app: &crate::helpers::TestApp,
    key: &str,
    name: &str,
    rule: serde_json::Value,
) -> u64 {
    let (s, v) = app
        .send(
            Method::POST,
            "/api/v1/segments",
            key,
            Some(json!({"name": name, "groups": [{"rules": [rule]}]})),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_u64().expect("id")
}

/// What a contact bought (the vendor of the ordered product, from the catalog) and how
/// they engaged (a message of ours delivered; a message of theirs) put them in segments;
/// list members come and go through the API; all of it survives a restart.
#[tokio::test]
async fn purchases_engagement_and_list_changes_move_contacts_in_and_out_of_segments() {
    use galantis::sandbox::payloads::{LineItem, Order, Product};
    let (emu, app, key) = setup(1).await;
    customer(&app, 8301, "Vi", false).await;
    crate::automations::customer_at(&app, 8302, "Al", "+447700900457", false).await;
    let mut wool = Product::new(8350);
    wool.vendor = "Nordic Wool".into();
    app.webhook_ok(
        SHOP,
        "products/create",
        "p-8350",
        &galantis::sandbox::payloads::to_bytes(&wool.body()),
    )
    .await;
    let vendor = define(
        &app,
        &key,
        "Wool buyers",
        json!({"field": "PURCHASED_VENDOR", "op": "IN", "value": ["Nordic Wool"]}),
    )
    .await;
    let reached = define(
        &app,
        &key,
        "Reached",
        json!({"field": "LAST_MESSAGE_RECEIVED", "op": "IN_LAST_DAYS", "value": 1}),
    )
    .await;
    let engaged = define(
        &app,
        &key,
        "Engaged",
        json!({"field": "LAST_ENGAGED", "op": "IN_LAST_DAYS", "value": 1}),
    )
    .await;
    let (s, list) = app
        .send(
            Method::POST,
            "/api/v1/lists",
            &key,
            Some(json!({"name": "VIP"})),
        )
        .await;
    assert_eq!(s, 201, "{list}");
    let list_id = list["id"].as_u64().expect("id");
    let not_vip = define(
        &app,
        &key,
        "Not VIP",
        json!({"field": "LIST", "op": "NOT_IN", "value": [list_id]}),
    )
    .await;
    active_flow(
        &app,
        &key,
        utility(
            "thanks",
            json!({"type": "ORDER_PLACED"}),
            json!({"frequency_cap": "EVER"}),
        ),
    )
    .await;
    let seg = |id: u64| format!("/api/v1/segments/{id}/members");
    assert!(members_of(&app, &key, &seg(vendor)).await.is_empty());
    // 8301 buys the wool product; 8302 buys something the catalog does not know.
    let mut o = Order::new(9301, 8301);
    o.lines = vec![LineItem {
        product_id: 8350,
        ..LineItem::new(9302, 4_000)
    }];
    app.webhook_ok(
        SHOP,
        "orders/create",
        "o-9301",
        &galantis::sandbox::payloads::to_bytes(&o.body()),
    )
    .await;
    app.webhook_ok(
        SHOP,
        "orders/create",
        "o-9311",
        &crate::helpers::order_body(9311, 8302, "2026-01-02T00:00:00Z"),
    )
    .await;
    app.eventually("the wool buyer in the vendor segment", || async {
        (members_of(&app, &key, &seg(vendor)).await == ["8301"]).then_some(())
    })
    .await;
    // The order confirmations reach both (the emulator reports them delivered).
    app.eventually("both reached", || async {
        (members_of(&app, &key, &seg(reached)).await == ["8301", "8302"]).then_some(())
    })
    .await;
    assert_eq!(sent(&emu, "thanks"), 2);
    assert!(members_of(&app, &key, &seg(engaged)).await.is_empty());
    emu.customer_says(crate::whatsapp_send::NUMBER, "447700900456", "thank you!")
        .await
        .expect("inbound");
    app.eventually("the writer engaged", || async {
        (members_of(&app, &key, &seg(engaged)).await == ["8301"]).then_some(())
    })
    .await;
    // Lists: add, read one, remove a member, the NOT_IN segment follows.
    let (s, v) = app
        .send(
            Method::POST,
            &format!("/api/v1/lists/{list_id}/members"),
            &key,
            Some(json!({"contact_ids": ["8301", "8302"]})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert!(members_of(&app, &key, &seg(not_vip)).await.is_empty());
    let (s, _) = app
        .send(
            Method::DELETE,
            &format!("/api/v1/lists/{list_id}/members/8302"),
            &key,
            None,
        )
        .await;
    assert_eq!(s, 204);
    let (s, v) = app
        .send(
            Method::DELETE,
            &format!("/api/v1/lists/{list_id}/members/8302"),
            &key,
            None,
        )
        .await;
    assert_eq!(s, 404, "removing twice names the problem: {v}");
    assert_eq!(members_of(&app, &key, &seg(not_vip)).await, ["8302"]);
    let (s, v) = app.get(&format!("/api/v1/lists/{list_id}"), &key).await;
    assert_eq!((s, v["members"].as_u64()), (200, Some(1)), "{v}");
    // Removing 8302 from the list made them enter "Not VIP": recorded as an event.
    let events = app.events(&key).await;
    assert!(
        events.iter().any(|e| e["type"] == "UserAddedToSegment"
            && e["data"]["segment_id"].as_str() == Some(not_vip.to_string().as_str())
            && e["data"]["contact_id"] == "8302"),
        "{events:?}"
    );
    // Everything is back after a restart.
    let app = app.restart().await;
    assert_eq!(members_of(&app, &key, &seg(vendor)).await, ["8301"]);
    assert_eq!(
        members_of(&app, &key, &seg(reached)).await,
        ["8301", "8302"]
    );
    assert_eq!(members_of(&app, &key, &seg(engaged)).await, ["8301"]);
    assert_eq!(members_of(&app, &key, &seg(not_vip)).await, ["8302"]);
    assert_eq!(
        members_of(&app, &key, &format!("/api/v1/lists/{list_id}/members")).await,
        ["8301"]
    );
    // Deleting the list empties it for the segment: 8301 enters "Not VIP" too.
    let (s, _) = app
        .send(
            Method::DELETE,
            &format!("/api/v1/lists/{list_id}"),
            &key,
            None,
        )
        .await;
    assert_eq!(s, 204);
    assert_eq!(
        members_of(&app, &key, &seg(not_vip)).await,
        ["8301", "8302"]
    );
    let (s, v) = app.get(&format!("/api/v1/lists/{list_id}"), &key).await;
    assert_eq!(s, 404, "{v}");
}
