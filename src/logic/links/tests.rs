use super::*;
use crate::domain::automations::TemplateRef;
use crate::domain::contact::Contact;
use crate::domain::Timestamp;

fn cx(c: &Contact) -> VarContext<'_> {
    VarContext {
        contact: c,
        order: None,
        checkout: None,
        product: None,
        store_name: "Demo",
        shop_domain: "demo.myshopify.com",
    }
}

fn text(t: &str) -> VarSource {
    VarSource {
        text: Some(t.into()),
        ..VarSource::default()
    }
}

fn action(body: Vec<VarSource>, url_suffix: Option<VarSource>) -> ActionNode {
    ActionNode {
        template: TemplateRef {
            name: "t".into(),
            language: "en".into(),
        },
        body,
        url_suffix,
        header: None,
        products: None,
    }
}

fn codes() -> impl FnMut() -> String {
    let mut n = 0;
    move || {
        n += 1;
        format!("c{n}")
    }
}

fn button(tracked: bool) -> TemplateShape {
    TemplateShape {
        url_param: true,
        url_tracked: tracked,
        ..TemplateShape::default()
    }
}

#[test]
fn static_urls_in_the_body_become_redirects_and_other_values_stay() {
    let c = Contact::new(1, Timestamp(0));
    let a = action(
        vec![
            text("Ana"),
            text("https://shop.example/sale"),
            text("ftp://x"),
        ],
        None,
    );
    let (m, links) = track(
        &a,
        &TemplateShape::default(),
        &cx(&c),
        "https://l.example/",
        &mut codes(),
    )
    .expect("tracked");
    assert_eq!(m.body[0].text.as_deref(), Some("Ana"));
    assert_eq!(m.body[1].text.as_deref(), Some("https://l.example/r/c1"));
    assert_eq!(m.body[2].text.as_deref(), Some("ftp://x"));
    assert_eq!(
        links,
        vec![NewLink {
            code: "c1".into(),
            target: "https://shop.example/sale".into()
        }]
    );
}

#[test]
fn a_tracked_button_sends_a_code_and_forwards_to_the_suffix() {
    let c = Contact::new(1, Timestamp(0));
    let a = action(vec![], Some(text("https://shop.example/boots")));
    let (m, links) = track(
        &a,
        &button(true),
        &cx(&c),
        "https://l.example",
        &mut codes(),
    )
    .expect("tracked");
    assert_eq!(m.url_suffix.and_then(|v| v.text).as_deref(), Some("c1"));
    assert_eq!(links[0].target, "https://shop.example/boots");
}

#[test]
fn an_untracked_button_keeps_its_suffix() {
    let c = Contact::new(1, Timestamp(0));
    let a = action(vec![], Some(text("products/boots")));
    let (m, links) = track(
        &a,
        &button(false),
        &cx(&c),
        "https://l.example",
        &mut codes(),
    )
    .expect("untouched");
    assert_eq!(m, a);
    assert!(links.is_empty());
}

#[test]
fn a_tracked_button_without_a_full_url_is_refused_by_name() {
    let c = Contact::new(1, Timestamp(0));
    for suffix in [None, Some(text("products/boots"))] {
        let a = action(vec![], suffix);
        let e = track(
            &a,
            &button(true),
            &cx(&c),
            "https://l.example",
            &mut codes(),
        )
        .expect_err("refused");
        assert!(e.contains("url_suffix"), "{e}");
    }
}
