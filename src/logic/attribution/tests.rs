use super::*;
use proptest::prelude::*;

const H: i64 = 60 * 60 * 1000;
const D: i64 = 24 * H;
const T0: i64 = 1_700_000_000_000;

fn camp(id: u64) -> Source {
    Source::Campaign { id, variant: 0 }
}

fn touch(message_id: u64, source: Source, sent_at: i64) -> MessageTouch {
    MessageTouch {
        message_id,
        source,
        sent_at,
        delivered_at: None,
        read_at: None,
        clicked_at: None,
    }
}

fn order(placed_at: i64) -> OrderFacts {
    OrderFacts {
        order_id: 7,
        placed_at,
        total_minor: 4_999,
        currency: "EUR".into(),
        utm_campaign: None,
        discount_codes: vec![],
    }
}

fn no_codes(_: &str) -> Option<Source> {
    None
}

fn run(o: &OrderFacts, touches: &[MessageTouch]) -> Option<Credit> {
    attribute(o, touches, &Windows::default(), &no_codes)
}

fn rule_at(t: i64, m: &MessageTouch) -> Option<Rule> {
    run(&order(t), std::slice::from_ref(m)).map(|c| c.rule)
}

#[test]
fn default_windows() {
    let w = Windows::default();
    assert_eq!(
        (w.click_ms, w.read_ms, w.delivered_ms),
        (5 * D, 12 * H, 24 * H)
    );
}

#[test]
fn click_window_before_inside_boundary_after() {
    let mut m = touch(1, camp(1), T0);
    m.clicked_at = Some(T0 + H);
    let c = T0 + H;
    assert_eq!(rule_at(c - 1, &m), None, "order before the click");
    assert_eq!(rule_at(c, &m), Some(Rule::Click), "order at the click");
    assert_eq!(rule_at(c + 2 * D, &m), Some(Rule::Click));
    assert_eq!(rule_at(c + 5 * D, &m), Some(Rule::Click), "inclusive end");
    assert_eq!(rule_at(c + 5 * D + 1, &m), None);
}

#[test]
fn read_window_before_inside_boundary_after() {
    let mut m = touch(1, camp(1), T0);
    let r = T0 + 10;
    m.read_at = Some(r);
    assert_eq!(rule_at(r - 1, &m), None);
    assert_eq!(rule_at(r, &m), Some(Rule::Read));
    assert_eq!(rule_at(r + 6 * H, &m), Some(Rule::Read));
    assert_eq!(rule_at(r + 12 * H, &m), Some(Rule::Read));
    assert_eq!(rule_at(r + 12 * H + 1, &m), None);
}

#[test]
fn delivered_window_before_inside_boundary_after() {
    let mut m = touch(1, camp(1), T0);
    let d = T0 + 5;
    m.delivered_at = Some(d);
    assert_eq!(rule_at(d - 1, &m), None);
    assert_eq!(rule_at(d, &m), Some(Rule::Delivered));
    assert_eq!(rule_at(d + 12 * H, &m), Some(Rule::Delivered));
    assert_eq!(rule_at(d + 24 * H, &m), Some(Rule::Delivered));
    assert_eq!(rule_at(d + 24 * H + 1, &m), None);
}

#[test]
fn strongest_qualifying_signal_is_the_rule() {
    let mut m = touch(1, camp(1), T0);
    m.delivered_at = Some(T0 + 1);
    m.read_at = Some(T0 + 2);
    m.clicked_at = Some(T0 + 3);
    assert_eq!(rule_at(T0 + 3, &m), Some(Rule::Click));
    assert_eq!(
        rule_at(T0 + 2, &m),
        Some(Rule::Read),
        "click not yet happened"
    );
    // Read window expired, delivered still open.
    m.clicked_at = None;
    assert_eq!(rule_at(T0 + 2 + 13 * H, &m), Some(Rule::Delivered));
}

#[test]
fn custom_windows_are_used() {
    let mut m = touch(1, camp(1), T0);
    m.read_at = Some(T0);
    let w = Windows {
        click_ms: 0,
        read_ms: H,
        delivered_ms: 0,
    };
    let got = |t| attribute(&order(t), std::slice::from_ref(&m), &w, &no_codes);
    assert!(got(T0 + H).is_some());
    assert!(got(T0 + H + 1).is_none());
}

#[test]
fn later_of_two_messages_is_credited() {
    let mut a = touch(1, camp(1), T0);
    a.clicked_at = Some(T0 + 3 * H); // clicked late, but sent first
    let mut b = touch(2, camp(2), T0 + H);
    b.delivered_at = Some(T0 + H + 1);
    let o = order(T0 + 4 * H);
    for touches in [vec![a.clone(), b.clone()], vec![b, a]] {
        let c = run(&o, &touches).expect("credited");
        assert_eq!((c.message_id, c.rule), (2, Rule::Delivered));
        assert_eq!(c.source, camp(2));
        assert_eq!((c.order_id, c.revenue_minor), (7, 4_999));
        assert_eq!(c.currency, "EUR");
    }
}

#[test]
fn utm_beats_timing() {
    let old = touch(1, camp(1), T0);
    let mut newer = touch(2, camp(2), T0 + H);
    newer.clicked_at = Some(T0 + H);
    let mut o = order(T0 + 30 * D); // far outside every window of `old`
    o.utm_campaign = Some(camp(1).code());
    let c = run(&o, &[old, newer.clone()]).expect("credited");
    assert_eq!((c.message_id, c.rule), (1, Rule::Utm));
    // Foreign UTM value: timing decides.
    o.placed_at = T0 + 2 * H;
    o.utm_campaign = Some("black-friday".into());
    let c = run(&o, &[newer]).expect("credited");
    assert_eq!(c.rule, Rule::Click);
}

#[test]
fn utm_picks_latest_message_of_source_sent_before_order() {
    let a = touch(1, camp(1), T0);
    let b = touch(2, camp(1), T0 + D);
    let after = touch(3, camp(1), T0 + 3 * D);
    let mut o = order(T0 + 2 * D);
    o.utm_campaign = Some("c1v0".into());
    let c = run(&o, &[after, b, a]).expect("credited");
    assert_eq!((c.message_id, c.rule), (2, Rule::Utm));
}

#[test]
fn discount_code_beats_timing_and_utm_beats_discount() {
    let bis = touch(1, Source::BackInStock, T0);
    let flow = Source::Flow {
        id: 45,
        node: "n2".into(),
    };
    let mut newer = touch(2, camp(2), T0 + H);
    newer.clicked_at = Some(T0 + H);
    let flow_msg = touch(3, flow.clone(), T0);
    let codes = |c: &str| match c {
        "BACK10" => Some(Source::BackInStock),
        _ => None,
    };
    let mut o = order(T0 + 2 * H);
    o.discount_codes = vec!["UNKNOWN".into(), "BACK10".into()];
    let touches = [bis, newer, flow_msg];
    let c = attribute(&o, &touches, &Windows::default(), &codes).expect("credited");
    assert_eq!((c.message_id, c.rule), (1, Rule::DiscountCode));

    o.utm_campaign = Some(flow.code());
    let c = attribute(&o, &touches, &Windows::default(), &codes).expect("credited");
    assert_eq!((c.message_id, c.rule), (3, Rule::Utm));
}

#[test]
fn message_sent_after_order_never_credited() {
    let mut m = touch(1, camp(1), T0 + 10);
    m.delivered_at = Some(T0 + 11);
    m.read_at = Some(T0 + 12);
    m.clicked_at = Some(T0 + 13);
    let mut o = order(T0);
    assert_eq!(run(&o, std::slice::from_ref(&m)), None);
    o.utm_campaign = Some("c1v0".into());
    assert_eq!(run(&o, std::slice::from_ref(&m)), None);
    o.discount_codes = vec!["X".into()];
    let codes = |_: &str| Some(camp(1));
    assert_eq!(attribute(&o, &[m], &Windows::default(), &codes), None);
}

#[test]
fn sent_or_failed_messages_never_qualify() {
    let sent_only = touch(1, camp(1), T0);
    let failed = touch(2, camp(2), T0 + 1);
    for t in [T0, T0 + 1, T0 + H, T0 + D] {
        assert_eq!(run(&order(t), &[sent_only.clone(), failed.clone()]), None);
    }
    // A later failed message does not hide an earlier delivered one.
    let mut ok = touch(3, camp(3), T0 - 1);
    ok.delivered_at = Some(T0 - 1);
    let c = run(&order(T0 + H), &[ok, failed]).expect("credited");
    assert_eq!(c.message_id, 3);
}

fn credit(order_id: u64, source: Source, revenue: i64) -> Credit {
    Credit {
        order_id,
        message_id: 100 + order_id,
        source,
        rule: Rule::Click,
        revenue_minor: revenue,
        currency: "EUR".into(),
    }
}

#[test]
fn order_credited_once() {
    let mut l = Ledger::new();
    let first = credit(1, camp(1), 1_000);
    assert_eq!(l.record(first.clone()), Recorded::New(&first));
    let second = credit(1, camp(2), 9_999);
    assert_eq!(l.record(second), Recorded::Already(&first));
    assert_eq!(
        l.totals(&camp(1)),
        SourceTotals {
            orders: 1,
            revenue_minor: 1_000
        }
    );
    assert_eq!(l.totals(&camp(2)), SourceTotals::default());
    l.record(credit(2, camp(1), 500));
    assert_eq!(l.totals(&camp(1)).orders, 2);
    assert_eq!(l.totals(&camp(1)).revenue_minor, 1_500);
}

#[test]
fn cancelled_order_leaves_revenue() {
    let mut l = Ledger::new();
    let c = credit(1, Source::BackInStock, 2_500);
    l.record(c.clone());
    assert_eq!(l.cancel(1), Some(c.clone()));
    assert_eq!(l.totals(&Source::BackInStock), SourceTotals::default());
    let snapshot = l.clone();
    assert_eq!(l.cancel(1), None, "double cancel");
    assert_eq!(l.cancel(99), None, "uncredited order");
    assert_eq!(l, snapshot);
    // Re-recording a cancelled order does not re-credit it.
    assert_eq!(l.record(c.clone()), Recorded::Already(&c));
    assert_eq!(l.totals(&Source::BackInStock), SourceTotals::default());
    assert!(l.order(1).is_some_and(|o| o.cancelled));
}

#[test]
fn utm_params_and_landing_round_trip() {
    let s = Source::Flow {
        id: 45,
        node: "n2".into(),
    };
    let p = utm_params(&s, 987);
    assert_eq!(
        p,
        vec![
            ("utm_source", "whatsapp".to_string()),
            ("utm_medium", "galantis".to_string()),
            ("utm_campaign", "f45.n2".to_string()),
            ("utm_content", "987".to_string()),
        ]
    );
    let q: Vec<String> = p.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let url = format!("https://shop.example/products/x?{}#top", q.join("&"));
    assert_eq!(source_of_landing(&url), Some(s));
    assert_eq!(
        source_of_landing("/?utm_campaign=bis"),
        Some(Source::BackInStock)
    );
    assert_eq!(
        source_of_landing("a=1&utm_campaign=c3v1"),
        Some(Source::Campaign { id: 3, variant: 1 })
    );
    assert_eq!(source_of_landing("/products/x"), None);
    assert_eq!(source_of_landing("/?utm_campaign=summer"), None);
}

#[test]
fn source_codes_and_bad_codes() {
    assert_eq!(camp(123).code(), "c123v0");
    assert_eq!(Source::BackInStock.code(), "bis");
    let odd = Source::Flow {
        id: 1,
        node: "a&b=ü".into(),
    };
    assert_eq!(odd.code(), "f1.a%26b%3D%C3%BC");
    for bad in [
        "", "c", "c1", "c1v", "cv1", "c+1v0", "c1v256", "f1", "fx.n", "f1.%zz", "f1.%+1", "f1.%4",
        "x",
    ] {
        assert_eq!(Source::parse_code(bad), None, "{bad}");
    }
}

#[test]
fn match_contact_by_customer_phone_email() {
    let by_id = |id: u64| (id == 11).then_some(1_u64);
    let by_phone = |p: &str| (p == "+4915112345678").then_some(2_u64);
    let by_email = |e: &str| (e == "ann@example.com").then_some(3_u64);
    let m = |c, p, e| match_contact(c, p, e, by_id, by_phone, by_email);
    let (phone, email) = (Some("+4915112345678"), Some("Ann@Example.COM"));
    assert_eq!(m(Some(11), phone, email), Some((1, MatchedBy::CustomerId)));
    assert_eq!(m(Some(12), phone, email), Some((2, MatchedBy::Phone)));
    assert_eq!(m(None, phone, email), Some((2, MatchedBy::Phone)));
    assert_eq!(m(None, Some("+1"), email), Some((3, MatchedBy::Email)));
    assert_eq!(
        m(None, None, Some(" ANN@example.com ")),
        Some((3, MatchedBy::Email))
    );
    assert_eq!(m(None, Some(""), Some("bob@example.com")), None);
    assert_eq!(m(None, None, None), None);
}

#[test]
fn types_are_serializable() {
    fn ser<T: Serialize + for<'de> Deserialize<'de> + Clone + std::fmt::Debug + PartialEq>() {}
    ser::<Source>();
    ser::<MessageTouch>();
    ser::<Windows>();
    ser::<OrderFacts>();
    ser::<Rule>();
    ser::<Credit>();
    ser::<SourceTotals>();
    ser::<Ledger>();
    ser::<MatchedBy>();
}

fn arb_source() -> impl Strategy<Value = Source> {
    prop_oneof![
        (any::<u64>(), any::<u8>()).prop_map(|(id, variant)| Source::Campaign { id, variant }),
        (any::<u64>(), ".+").prop_map(|(id, node)| Source::Flow { id, node }),
        Just(Source::BackInStock),
    ]
}

proptest! {
    #[test]
    fn source_code_round_trips(s in arb_source()) {
        let code = s.code();
        prop_assert!(code.bytes().all(|b| b.is_ascii_alphanumeric() || b"._~-%".contains(&b)));
        prop_assert_eq!(Source::parse_code(&code), Some(s.clone()));
        let landing = format!("/p?x=1&utm_campaign={code}&y=2");
        prop_assert_eq!(source_of_landing(&landing), Some(s));
    }

    #[test]
    fn parse_code_never_panics(s in any::<String>()) {
        let _ = Source::parse_code(&s);
        let _ = source_of_landing(&s);
    }
}
