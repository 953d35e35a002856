//! Builder shapes and limits. Conformance with Meta's OpenAPI schema is checked in
//! `tests/meta_conformance.rs`; these tests pin the exact JSON and every rejection.

use super::*;
use crate::domain::money::Money;
use serde_json::json;

fn to() -> PhoneE164 {
    PhoneE164::parse("+16505551234").unwrap()
}

fn field_of<T: std::fmt::Debug>(r: Result<T, BuildError>) -> String {
    r.unwrap_err().field().to_owned()
}

fn skus(n: usize, prefix: &str) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

#[test]
fn text_message_has_the_documented_shape() {
    let m = OutboundMessage::text(to(), "Hello", true).unwrap();
    assert_eq!(
        m.body(),
        json!({"messaging_product": "whatsapp", "recipient_type": "individual",
               "to": "+16505551234", "type": "text",
               "text": {"body": "Hello", "preview_url": true}})
    );
    assert_eq!(m.kind(), MessageKind::Text);
    assert!(!m.is_template());
    assert_eq!(MessageKind::of_body(&m.body()), Some(MessageKind::Text));
}

#[test]
fn text_limits_count_characters() {
    let max = "é".repeat(TEXT_BODY_MAX);
    assert!(OutboundMessage::text(to(), &max, false).is_ok());
    let over = format!("{max}a");
    let err = OutboundMessage::text(to(), &over, false).unwrap_err();
    assert_eq!(
        err,
        BuildError::TooLong {
            field: "text.body".into(),
            max: 4096,
            len: 4097
        }
    );
    assert_eq!(
        field_of(OutboundMessage::text(to(), "  ", false)),
        "text.body"
    );
}

#[test]
fn reply_context_and_read_receipt() {
    let m = OutboundMessage::text(to(), "hi", false)
        .unwrap()
        .in_reply_to("wamid.X")
        .unwrap();
    assert_eq!(m.body()["context"], json!({"message_id": "wamid.X"}));
    assert_eq!(field_of(m.in_reply_to("")), "context.message_id");

    let r = OutboundMessage::mark_read("wamid.Y", false).unwrap();
    assert_eq!(
        r.body(),
        json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.Y"})
    );
    assert_eq!(r.kind(), MessageKind::Read);
    assert_eq!(r.recipient(), None);
    assert_eq!(MessageKind::of_body(&r.body()), Some(MessageKind::Read));
    let typing = OutboundMessage::mark_read("wamid.Y", true).unwrap().body();
    assert_eq!(typing["typing_indicator"], json!({"type": "text"}));
    assert!(r.in_reply_to("wamid.Z").is_err());
}

#[test]
fn media_messages_by_id_and_link() {
    let img = MediaMessage::new(MediaKind::Image, MediaSource::id("123").unwrap())
        .caption("Look")
        .unwrap();
    let m = OutboundMessage::media(to(), img);
    assert_eq!(m.body()["type"], "image");
    assert_eq!(m.body()["image"], json!({"id": "123", "caption": "Look"}));
    assert_eq!(m.kind(), MessageKind::Media);

    let doc = MediaMessage::new(
        MediaKind::Document,
        MediaSource::link("https://x.test/a.pdf").unwrap(),
    )
    .filename("a.pdf")
    .unwrap();
    let body = OutboundMessage::media(to(), doc).body();
    assert_eq!(
        body["document"],
        json!({"link": "https://x.test/a.pdf", "filename": "a.pdf"})
    );
}

#[test]
fn media_rejections_name_the_field() {
    assert_eq!(field_of(MediaSource::link("ftp://x/a.png")), "media.link");
    assert_eq!(
        field_of(MediaSource::link("https://x/a b.png")),
        "media.link"
    );
    assert_eq!(field_of(MediaSource::id("")), "media.id");
    let audio = MediaMessage::new(MediaKind::Audio, MediaSource::id("1").unwrap());
    assert_eq!(field_of(audio.clone().caption("x")), "audio.caption");
    assert_eq!(field_of(audio.filename("a.ogg")), "audio.filename");
    let img = MediaMessage::new(MediaKind::Image, MediaSource::id("1").unwrap());
    assert_eq!(field_of(img.caption(&"x".repeat(1025))), "image.caption");
}

#[test]
fn template_with_header_body_and_buttons_uses_the_schema_form() {
    let t = TemplateSend::new("order_confirmation", "en_US")
        .unwrap()
        .header(HeaderParam::Image(
            MediaSource::link("https://x.test/i.jpg").unwrap(),
        ))
        .unwrap()
        .body_param(BodyParam::text("Jessica"))
        .unwrap()
        .body_param(BodyParam::currency("$100.99", "USD", Money(100_990)))
        .unwrap()
        .body_param(BodyParam::date_time("February 25, 1977"))
        .unwrap()
        .button(TemplateButton::Url {
            index: 1,
            text: "summer2023".into(),
        })
        .unwrap()
        .button(TemplateButton::QuickReply {
            index: 0,
            payload: "DETAILS".into(),
        })
        .unwrap();
    let m = OutboundMessage::template(to(), t);
    assert!(m.is_template());
    assert_eq!(
        m.kind(),
        MessageKind::Template {
            name: "order_confirmation".into(),
            category: None
        }
    );
    assert_eq!(
        m.body()["template"],
        json!({
            "name": "order_confirmation",
            "language": {"code": "en_US"},
            "components": [
                {"type": "header", "parameters": [
                    {"type": "image", "image": {"link": "https://x.test/i.jpg"}}]},
                {"type": "body", "parameters": [
                    {"type": "text", "text": "Jessica"},
                    {"type": "currency", "currency":
                        {"fallback_value": "$100.99", "code": "USD", "amount_1000": 100990}},
                    {"type": "date_time", "date_time": {"fallback_value": "February 25, 1977"}}]},
                {"type": "button", "sub_type": "quick_reply", "index": "0",
                 "parameters": [{"type": "payload", "payload": "DETAILS"}]},
                {"type": "button", "sub_type": "url", "index": "1",
                 "parameters": [{"type": "text", "text": "summer2023"}]}]
        })
    );
    assert_eq!(
        MessageKind::of_body(&m.body()),
        Some(MessageKind::Template {
            name: "order_confirmation".into(),
            category: None
        })
    );
}

#[test]
fn template_category_is_carried_for_policy_only() {
    let t = TemplateSend::new("promo", "en")
        .unwrap()
        .with_category(TemplateCategory::Marketing);
    let m = OutboundMessage::template(to(), t);
    assert_eq!(
        m.kind(),
        MessageKind::Template {
            name: "promo".into(),
            category: Some(TemplateCategory::Marketing)
        }
    );
    assert_eq!(
        m.body()["template"],
        json!({"name": "promo", "language": {"code": "en"}})
    );
}

#[test]
fn named_parameters_carry_parameter_name() {
    let t = TemplateSend::new("welcome", "en")
        .unwrap()
        .body_param(BodyParam::text("Ana").named("first_name"))
        .unwrap();
    let body = OutboundMessage::template(to(), t.clone()).body();
    assert_eq!(
        body["template"]["components"][0]["parameters"][0],
        json!({"type": "text", "text": "Ana", "parameter_name": "first_name"})
    );
    assert_eq!(
        field_of(t.clone().body_param(BodyParam::text("x"))),
        "template.body.parameters[1].parameter_name"
    );
    assert_eq!(
        field_of(
            t.clone()
                .body_param(BodyParam::text("x").named("first_name"))
        ),
        "template.body.parameters[1].parameter_name"
    );
    assert_eq!(
        field_of(t.body_param(BodyParam::text("x").named("First"))),
        "template.body.parameters[1].parameter_name"
    );
}

#[test]
fn catalog_and_mpm_buttons() {
    let t = TemplateSend::new("intro_catalog_offer", "en_US")
        .unwrap()
        .button(TemplateButton::Catalog {
            index: 0,
            thumbnail: "2lc20305pt".into(),
        })
        .unwrap();
    assert_eq!(
        OutboundMessage::template(to(), t).body()["template"]["components"][0],
        json!({"type": "button", "sub_type": "catalog", "index": "0", "parameters": [
            {"type": "action", "action": {"thumbnail_product_retailer_id": "2lc20305pt"}}]})
    );
    let sections = vec![ProductSection::new(Some("Picks"), skus(2, "SKU"))];
    let t = TemplateSend::new("abandoned_cart", "en_US")
        .unwrap()
        .button(TemplateButton::Mpm {
            index: 0,
            thumbnail: "SKU0".into(),
            sections,
        })
        .unwrap();
    assert_eq!(
        OutboundMessage::template(to(), t).body()["template"]["components"][0]["parameters"][0],
        json!({"type": "action", "action": {"thumbnail_product_retailer_id": "SKU0",
            "sections": [{"title": "Picks", "product_items": [
                {"product_retailer_id": "SKU0"}, {"product_retailer_id": "SKU1"}]}]}})
    );
}

#[test]
fn template_rejections_name_the_field() {
    assert_eq!(
        field_of(TemplateSend::new("Bad-Name", "en")),
        "template.name"
    );
    assert_eq!(
        field_of(TemplateSend::new("ok", "english")),
        "template.language.code"
    );
    let t = TemplateSend::new("ok", "en").unwrap();
    let long_header = HeaderParam::Text {
        name: None,
        text: "x".repeat(61),
    };
    assert_eq!(
        field_of(t.clone().header(long_header)),
        "template.header.parameters[0].text"
    );
    assert_eq!(
        field_of(t.clone().body_param(BodyParam::text("a\nb"))),
        "template.body.parameters[0].text"
    );
    assert_eq!(
        field_of(t.clone().body_param(BodyParam::text("a     b"))),
        "template.body.parameters[0].text"
    );
    assert_eq!(
        field_of(
            t.clone()
                .body_param(BodyParam::currency("$1", "usd", Money(1000)))
        ),
        "template.body.parameters[0].currency.code"
    );
    assert_eq!(
        field_of(
            t.clone()
                .body_param(BodyParam::currency("$", "USD", Money(i64::MAX)))
        ),
        "template.body.parameters[0].currency.amount_1000"
    );
    assert_eq!(
        field_of(t.clone().body_param(BodyParam::date_time(""))),
        "template.body.parameters[0].date_time.fallback_value"
    );
    let qr = |index| TemplateButton::QuickReply {
        index,
        payload: "p".into(),
    };
    assert_eq!(
        field_of(t.clone().button(qr(10))),
        "template.buttons[10].index"
    );
    let once = t.clone().button(qr(1)).unwrap();
    assert_eq!(field_of(once.button(qr(1))), "template.buttons[1].index");
    let mpm = TemplateButton::Mpm {
        index: 0,
        thumbnail: "S".into(),
        sections: vec![],
    };
    assert_eq!(field_of(t.button(mpm)), "template.buttons[0].sections");
}

#[test]
fn single_product_message_has_no_header() {
    let p = ProductMessage::new("367025965434465", "SKU-1")
        .unwrap()
        .body("Our best seller")
        .unwrap()
        .footer("Free shipping")
        .unwrap();
    let m = OutboundMessage::product(to(), p);
    assert_eq!(
        m.body()["interactive"],
        json!({"type": "product", "body": {"text": "Our best seller"},
               "footer": {"text": "Free shipping"},
               "action": {"catalog_id": "367025965434465", "product_retailer_id": "SKU-1"}})
    );
    assert_eq!(m.kind(), MessageKind::Product);
    assert_eq!(MessageKind::of_body(&m.body()), Some(MessageKind::Product));
    let bare = OutboundMessage::product(to(), ProductMessage::new("1", "S").unwrap());
    assert_eq!(
        bare.body()["interactive"],
        json!({"type": "product", "action": {"catalog_id": "1", "product_retailer_id": "S"}})
    );
    assert_eq!(
        field_of(ProductMessage::new("", "S")),
        "interactive.action.catalog_id"
    );
    let p = ProductMessage::new("1", "S").unwrap();
    assert_eq!(
        field_of(p.clone().body(&"b".repeat(1025))),
        "interactive.body.text"
    );
    assert_eq!(
        field_of(p.footer(&"f".repeat(61))),
        "interactive.footer.text"
    );
}

#[test]
fn product_list_has_the_documented_shape() {
    let sections = vec![
        ProductSection::new(Some("Tops"), skus(2, "T")),
        ProductSection::new(Some("Pants"), skus(1, "P")),
    ];
    let l = ProductListMessage::new("146265584024623", "Picked for you", "Take a look", sections)
        .unwrap()
        .footer("Reply to order")
        .unwrap();
    let m = OutboundMessage::product_list(to(), l);
    assert_eq!(
        m.body()["interactive"],
        json!({"type": "product_list",
            "header": {"type": "text", "text": "Picked for you"},
            "body": {"text": "Take a look"}, "footer": {"text": "Reply to order"},
            "action": {"catalog_id": "146265584024623", "sections": [
                {"title": "Tops", "product_items": [
                    {"product_retailer_id": "T0"}, {"product_retailer_id": "T1"}]},
                {"title": "Pants", "product_items": [{"product_retailer_id": "P0"}]}]}})
    );
    assert_eq!(m.kind(), MessageKind::ProductList);
}

#[test]
fn product_list_limits() {
    let one = |n| vec![ProductSection::new(None, skus(n, "S"))];
    let new = |h: &str, b: &str, s| ProductListMessage::new("1", h, b, s);
    assert!(
        new("H", "B", one(30)).is_ok(),
        "one untitled section of 30 is fine"
    );
    assert_eq!(field_of(new("", "B", one(1))), "interactive.header.text");
    assert!(matches!(
        new(" ", "B", one(1)),
        Err(BuildError::Missing { .. })
    ));
    assert_eq!(
        field_of(new(&"h".repeat(61), "B", one(1))),
        "interactive.header.text"
    );
    assert_eq!(field_of(new("H", "", one(1))), "interactive.body.text");
    assert_eq!(
        field_of(new("H", &"b".repeat(1025), one(1))),
        "interactive.body.text"
    );
    assert_eq!(
        field_of(new("H", "B", vec![])),
        "interactive.action.sections"
    );
    assert_eq!(
        field_of(new("H", "B", one(31))),
        "interactive.action.sections[*].product_items"
    );
    let eleven: Vec<_> = (0..11)
        .map(|i| ProductSection::new(Some("t"), skus(1, &format!("S{i}-"))))
        .collect();
    assert_eq!(
        field_of(new("H", "B", eleven)),
        "interactive.action.sections"
    );
    let untitled_two = vec![
        ProductSection::new(None, skus(1, "A")),
        ProductSection::new(None, skus(1, "B")),
    ];
    let err = new("H", "B", untitled_two).unwrap_err();
    assert_eq!(
        err,
        BuildError::Missing {
            field: "interactive.action.sections[0].title".into()
        }
    );
    let long_title = vec![ProductSection::new(Some(&"t".repeat(25)), skus(1, "A"))];
    assert_eq!(
        field_of(new("H", "B", long_title)),
        "interactive.action.sections[0].title"
    );
    let empty_section = vec![
        ProductSection::new(Some("a"), skus(1, "A")),
        ProductSection::new(Some("b"), vec![]),
    ];
    assert_eq!(
        field_of(new("H", "B", empty_section)),
        "interactive.action.sections[1].product_items"
    );
    let blank_sku = vec![ProductSection::new(None, vec![" ".into()])];
    assert_eq!(
        field_of(new("H", "B", blank_sku)),
        "interactive.action.sections[0].product_items[0].product_retailer_id"
    );
}

#[test]
fn catalog_message_shape_and_limits() {
    let c = CatalogMessage::new("Browse our catalog", "2lc20305pt")
        .unwrap()
        .footer("Best deals")
        .unwrap();
    let m = OutboundMessage::catalog(to(), c);
    assert_eq!(
        m.body()["interactive"],
        json!({"type": "catalog_message", "body": {"text": "Browse our catalog"},
               "footer": {"text": "Best deals"},
               "action": {"name": "catalog_message",
                          "parameters": {"thumbnail_product_retailer_id": "2lc20305pt"}}})
    );
    assert_eq!(m.kind(), MessageKind::Catalog);
    assert!(m.kind().needs_open_window());
    assert_eq!(
        field_of(CatalogMessage::new("", "S")),
        "interactive.body.text"
    );
    assert_eq!(
        field_of(CatalogMessage::new("B", "")),
        "interactive.action.parameters.thumbnail_product_retailer_id"
    );
}

#[test]
fn of_body_refuses_unknown_shapes() {
    assert_eq!(MessageKind::of_body(&json!({})), None);
    assert_eq!(MessageKind::of_body(&json!({"type": "sticker"})), None);
    assert_eq!(
        MessageKind::of_body(&json!({"type": "interactive", "interactive": {"type": "list"}})),
        None
    );
}
