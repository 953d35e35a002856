//! Template definitions (shape and rules) and the template client methods against the
//! local fake (create, list across pages, delete).

use super::*;
use crate::domain::phone::PhoneE164;
use crate::integrations::meta::client::test_support::FakeMeta;
use crate::integrations::meta::error::MetaError;
use serde_json::json;

const TOKEN: &str = "EAAtenant";
const WABA: &str = "102290129340398";

fn pos(v: &[&str]) -> Examples {
    Examples::Positional(v.iter().map(|s| (*s).to_owned()).collect())
}

fn named(v: &[(&str, &str)]) -> Examples {
    Examples::Named(
        v.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect(),
    )
}

fn field_of<T: std::fmt::Debug>(r: Result<T, TemplateError>) -> String {
    r.unwrap_err().field().to_owned()
}

fn full_definition() -> TemplateDefinition {
    TemplateDefinition::new("seasonal_promotion", "en_US", TemplateCategory::Marketing)
        .unwrap()
        .header_text("Our {{1}} is on!", pos(&["Summer Sale"]))
        .unwrap()
        .body(
            "Shop now through {{1}} and use code {{2}}.",
            pos(&["August", "25OFF"]),
        )
        .unwrap()
        .footer("Reply STOP to opt out")
        .unwrap()
        .button(TemplateButtonDef::QuickReply {
            text: "Stop promos".into(),
        })
        .unwrap()
        .button(TemplateButtonDef::Url {
            text: "Shop".into(),
            url: "https://shop.test/p?promo={{1}}".into(),
            example: Some("summer2023".into()),
        })
        .unwrap()
        .button(TemplateButtonDef::PhoneNumber {
            text: "Call".into(),
            phone: PhoneE164::parse("+16467043595").unwrap(),
        })
        .unwrap()
}

#[test]
fn a_full_definition_has_meta_s_shape() {
    assert_eq!(
        full_definition().to_json().unwrap(),
        json!({
            "name": "seasonal_promotion", "language": "en_US", "category": "MARKETING",
            "components": [
                {"type": "HEADER", "format": "TEXT", "text": "Our {{1}} is on!",
                 "example": {"header_text": ["Summer Sale"]}},
                {"type": "BODY", "text": "Shop now through {{1}} and use code {{2}}.",
                 "example": {"body_text": [["August", "25OFF"]]}},
                {"type": "FOOTER", "text": "Reply STOP to opt out"},
                {"type": "BUTTONS", "buttons": [
                    {"type": "QUICK_REPLY", "text": "Stop promos"},
                    {"type": "URL", "text": "Shop", "url": "https://shop.test/p?promo={{1}}",
                     "example": ["summer2023"]},
                    {"type": "PHONE_NUMBER", "text": "Call", "phone_number": "16467043595"}]}]
        })
    );
}

#[test]
fn named_parameters_and_media_headers() {
    let def = TemplateDefinition::new("order_update", "en", TemplateCategory::Utility)
        .unwrap()
        .header_media(HeaderFormat::Image, "4::aW1hZ2U=:ARa")
        .unwrap()
        .body(
            "Hi {{first_name}}, order {{order_no}} shipped.",
            named(&[("order_no", "1001"), ("first_name", "Ana")]),
        )
        .unwrap();
    let v = def.to_json().unwrap();
    assert_eq!(v["parameter_format"], "named");
    assert_eq!(
        v["components"][0],
        json!({"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["4::aW1hZ2U=:ARa"]}})
    );
    assert_eq!(
        v["components"][1]["example"],
        json!({"body_text_named_params": [{"param_name": "order_no", "example": "1001"},
                                          {"param_name": "first_name", "example": "Ana"}]})
    );
    let loc = TemplateDefinition::new("where", "en", TemplateCategory::Utility)
        .unwrap()
        .header_location()
        .body("Your order is on its way.", Examples::None)
        .unwrap();
    assert_eq!(
        loc.to_json().unwrap()["components"][0],
        json!({"type": "HEADER", "format": "LOCATION"})
    );
}

#[test]
fn definition_rules_name_the_field() {
    let new = |n: &str| TemplateDefinition::new(n, "en", TemplateCategory::Marketing);
    assert_eq!(field_of(new("Has Caps")), "name");
    assert_eq!(field_of(new("")), "name");
    assert_eq!(
        field_of(TemplateDefinition::new(
            "ok",
            "EN",
            TemplateCategory::Utility
        )),
        "language"
    );
    assert_eq!(
        field_of(TemplateDefinition::new(
            "ok",
            "en",
            TemplateCategory::Authentication
        )),
        "category"
    );
    let d = new("ok").unwrap();
    assert_eq!(field_of(d.to_json()), "components.BODY");
    assert_eq!(
        field_of(d.clone().body(&"x".repeat(1025), Examples::None)),
        "components.BODY.text"
    );
    assert_eq!(
        field_of(d.clone().body("Hi {{1}}!", Examples::None)),
        "components.BODY.example"
    );
    assert_eq!(
        field_of(d.clone().body("Hi {{1}} {{3}}!", pos(&["a", "b"]))),
        "components.BODY.text"
    );
    assert_eq!(
        field_of(d.clone().body("Hi {{1}} {{x}}!", pos(&["a", "b"]))),
        "components.BODY.text"
    );
    assert_eq!(
        field_of(d.clone().body("{{1}} is here", pos(&["a"]))),
        "components.BODY.text"
    );
    assert_eq!(
        field_of(d.clone().body("Here is {{1}}", pos(&["a"]))),
        "components.BODY.text"
    );
    assert_eq!(
        field_of(d.clone().body("No params", pos(&["a"]))),
        "components.BODY.example"
    );
    assert_eq!(
        field_of(d.clone().body("Hi {{Name}}!", named(&[("Name", "a")]))),
        "components.BODY.text"
    );
    assert_eq!(
        field_of(d.clone().body("Hi {{1!", Examples::None)),
        "components.BODY.text"
    );
    assert_eq!(
        field_of(d.clone().header_text("{{1}} and {{2}}", pos(&["a", "b"]))),
        "components.HEADER.text"
    );
    assert_eq!(
        field_of(d.clone().header_text(&"h".repeat(61), Examples::None)),
        "components.HEADER.text"
    );
    assert_eq!(
        field_of(d.clone().footer("Bye {{1}}")),
        "components.FOOTER.text"
    );
    assert_eq!(
        field_of(d.clone().footer(&"f".repeat(61))),
        "components.FOOTER.text"
    );
    let mixed = d
        .clone()
        .header_text("Hi {{1}}", pos(&["a"]))
        .unwrap()
        .body("Code {{code}} inside", named(&[("code", "X")]))
        .unwrap();
    assert_eq!(field_of(mixed.to_json()), "parameter_format");
}

#[test]
fn button_rules_name_the_field() {
    let d = TemplateDefinition::new("ok", "en", TemplateCategory::Marketing).unwrap();
    let qr = || TemplateButtonDef::QuickReply { text: "Yes".into() };
    let url = |u: &str, ex: Option<&str>| TemplateButtonDef::Url {
        text: "Go".into(),
        url: u.into(),
        example: ex.map(str::to_owned),
    };
    let b0 = "components.BUTTONS.buttons[0]";
    assert_eq!(
        field_of(d.clone().button(TemplateButtonDef::QuickReply {
            text: "x".repeat(26)
        })),
        format!("{b0}.text")
    );
    assert_eq!(
        field_of(d.clone().button(url("ftp://x", None))),
        format!("{b0}.url")
    );
    assert_eq!(
        field_of(d.clone().button(url("https://x/{{1}}", None))),
        format!("{b0}.example")
    );
    assert_eq!(
        field_of(d.clone().button(url("https://x/", Some("a")))),
        format!("{b0}.example")
    );
    assert_eq!(
        field_of(d.clone().button(url("https://x/{{1}}/y", Some("a")))),
        format!("{b0}.url")
    );
    let grouped = d
        .clone()
        .button(qr())
        .unwrap()
        .button(url("https://x", None))
        .unwrap();
    assert_eq!(
        field_of(grouped.button(qr())),
        "components.BUTTONS.buttons[2]"
    );
    let two_urls = d
        .clone()
        .button(url("https://a", None))
        .unwrap()
        .button(url("https://b", None))
        .unwrap();
    assert_eq!(
        field_of(two_urls.button(url("https://c", None))),
        "components.BUTTONS.buttons[2]"
    );
    let mut ten = d;
    for _ in 0..10 {
        ten = ten.button(qr()).unwrap();
    }
    assert_eq!(field_of(ten.button(qr())), "components.BUTTONS.buttons[10]");
}

#[test]
fn statuses_parse_and_keep_unknown_values() {
    for s in [
        "APPROVED",
        "PENDING",
        "REJECTED",
        "PAUSED",
        "DISABLED",
        "IN_APPEAL",
        "PENDING_DELETION",
        "DELETED",
        "LIMIT_EXCEEDED",
        "ARCHIVED",
    ] {
        let st = TemplateStatus::parse(s);
        assert!(!matches!(st, TemplateStatus::Other(_)), "{s}");
        assert_eq!(st.as_str(), s);
    }
    assert_eq!(
        TemplateStatus::parse("LOCKED"),
        TemplateStatus::Other("LOCKED".into())
    );
    assert!(TemplateStatus::Approved.is_sendable());
    assert!(!TemplateStatus::Paused.is_sendable());
    let st: TemplateStatus = serde_json::from_str("\"FLAGGED\"").unwrap();
    assert_eq!(st.to_string(), "FLAGGED");
}

#[tokio::test]
async fn create_template_posts_the_definition() {
    let fake = FakeMeta::start().await;
    let path = format!("/v23.0/{WABA}/message_templates");
    fake.on(
        "POST",
        &path,
        None,
        200,
        r#"{"id":"1689556908129832","status":"PENDING","category":"MARKETING"}"#,
    );

    let created = fake
        .client()
        .create_template(TOKEN, WABA, &full_definition())
        .await
        .unwrap();

    assert_eq!(created.id, "1689556908129832");
    assert_eq!(created.status, TemplateStatus::Pending);
    assert_eq!(created.category.as_deref(), Some("MARKETING"));
    assert_eq!(
        fake.requests()[0].json(),
        full_definition().to_json().unwrap()
    );
}

#[tokio::test]
async fn create_template_refuses_an_incomplete_definition_without_calling() {
    let fake = FakeMeta::start().await;
    let def = TemplateDefinition::new("no_body", "en", TemplateCategory::Utility).unwrap();
    let err = fake
        .client()
        .create_template(TOKEN, WABA, &def)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, MetaError::InvalidArgument { field, .. } if field == "components.BODY"),
        "{err:?}"
    );
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn list_templates_follows_the_cursor() {
    let fake = FakeMeta::start().await;
    let path = format!("/v23.0/{WABA}/message_templates");
    let page2 = json!({"data": [
        {"id": "2", "name": "b", "language": "en", "status": "LOCKED", "category": "UTILITY",
         "components": []}],
        "paging": {"cursors": {"before": "B2", "after": "A2"}}});
    let page1 = json!({"data": [
        {"id": "1", "name": "a", "language": "en_US", "status": "REJECTED", "category": "MARKETING",
         "components": [{"type": "BODY", "text": "Hi"}], "rejected_reason": "PROMOTIONAL"}],
        "paging": {"cursors": {"before": "B1", "after": "A1"},
                   "next": format!("{}{path}?after=A1", fake.base_url)}});
    fake.on("GET", &path, Some("after=A1"), 200, &page2.to_string());
    fake.on("GET", &path, None, 200, &page1.to_string());

    let all = fake.client().list_templates(TOKEN, WABA).await.unwrap();

    assert_eq!(all.len(), 2);
    assert_eq!(all[0].status, TemplateStatus::Rejected);
    assert_eq!(all[0].rejected_reason.as_deref(), Some("PROMOTIONAL"));
    assert_eq!(all[0].components[0]["text"], "Hi");
    assert_eq!(all[1].status, TemplateStatus::Other("LOCKED".into()));
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2);
    assert!(
        reqs[0].query.contains("fields=id%2Cname"),
        "{}",
        reqs[0].query
    );
    assert!(reqs[1].query.ends_with("after=A1"), "{}", reqs[1].query);
}

#[tokio::test]
async fn list_templates_refuses_a_next_link_to_another_host() {
    let fake = FakeMeta::start().await;
    let path = format!("/v23.0/{WABA}/message_templates");
    let page = json!({"data": [], "paging": {"next": "http://evil.test/steal"}});
    fake.on("GET", &path, None, 200, &page.to_string());
    let err = fake.client().list_templates(TOKEN, WABA).await.unwrap_err();
    assert!(matches!(err, MetaError::Decode(_)), "{err:?}");
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn delete_template_by_name() {
    let fake = FakeMeta::start().await;
    let path = format!("/v23.0/{WABA}/message_templates");
    fake.on(
        "DELETE",
        &path,
        Some("name=old_promo"),
        200,
        r#"{"success":true}"#,
    );
    fake.client()
        .delete_template(TOKEN, WABA, "old_promo")
        .await
        .unwrap();
    let err = fake
        .client()
        .delete_template(TOKEN, WABA, "Bad Name")
        .await
        .unwrap_err();
    assert!(matches!(err, MetaError::InvalidArgument { .. }));
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn an_spm_template_has_a_product_header_and_is_marketing() {
    let spm = |category| {
        TemplateDefinition::new("one_item", "en", category)
            .expect("new")
            .body("Hi {{1}}, look", pos(&["Ana"]))
            .expect("body")
            .button(TemplateButtonDef::Spm {
                text: "View".into(),
            })
            .expect("button")
    };
    let v = spm(TemplateCategory::Marketing).to_json().expect("json");
    assert_eq!(
        v["components"][0],
        json!({"type": "HEADER", "format": "PRODUCT"})
    );
    assert_eq!(v["components"][2]["buttons"][0]["type"], "SPM");
    assert_eq!(
        field_of(spm(TemplateCategory::Utility).to_json()),
        "category"
    );
    let with_text = spm(TemplateCategory::Marketing)
        .header_text("Hello", Examples::None)
        .expect("header");
    assert_eq!(field_of(with_text.to_json()), "components.HEADER");
}
