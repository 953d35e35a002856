//! Tests: every Meta webhook fixture parses into the expected events; signature and
//! challenge checks; dedupe keys; status ordering; bincode round trips; and proptests
//! that parsing never panics on arbitrary or mutated input.

use super::*;
use crate::domain::money::Money;
use crate::domain::timestamp::Timestamp;
use proptest::prelude::*;
use serde_json::Value;
use std::path::PathBuf;

/// `$GALANTIS_FIXTURES/meta/webhooks` or `../shared/fixtures/meta/webhooks`. Missing =
/// failure, never a skip.
fn fixtures_dir() -> PathBuf {
    let base = std::env::var_os("GALANTIS_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures"));
    let dir = base.join("meta/webhooks");
    assert!(
        dir.is_dir(),
        "Meta webhook fixtures folder {} is missing",
        dir.display()
    );
    dir
}

/// Every fixture, sorted by name: (file name, bytes).
fn all_fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = fixtures_dir();
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            let bytes =
                std::fs::read(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()));
            (name, bytes)
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no fixtures in {}", dir.display());
    out
}

fn fixture(name: &str) -> Vec<u8> {
    let p = fixtures_dir().join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

/// The single event of a fixture.
fn one(name: &str, bytes: &[u8]) -> MetaEvent {
    let mut events = parse(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(events.len(), 1, "{name}: {events:?}");
    events.remove(0)
}

const PNID: &str = "106540352242922";
const DISPLAY: &str = "15550783881";

fn inbound(name: &str, bytes: &[u8]) -> InboundMessage {
    match one(name, bytes) {
        MetaEvent::InboundMessage(m) => {
            assert_eq!(m.phone_number_id, PNID, "{name}");
            assert_eq!(m.display_phone_number, DISPLAY, "{name}");
            assert_eq!(m.from, "16505551234", "{name}");
            assert!(m.wamid.starts_with("wamid."), "{name}");
            m
        }
        other => panic!("{name}: expected an inbound message, got {other:?}"),
    }
}

fn status(name: &str, bytes: &[u8]) -> StatusUpdate {
    match one(name, bytes) {
        MetaEvent::Status(s) => s,
        other => panic!("{name}: expected a status, got {other:?}"),
    }
}

fn account(name: &str, bytes: &[u8]) -> AccountUpdate {
    match one(name, bytes) {
        MetaEvent::AccountUpdate(a) => a,
        other => panic!("{name}: expected an account update, got {other:?}"),
    }
}

fn template(name: &str, bytes: &[u8]) -> TemplateStatusUpdate {
    match one(name, bytes) {
        MetaEvent::TemplateStatus(t) => t,
        other => panic!("{name}: expected a template status, got {other:?}"),
    }
}

fn secs(s: i64) -> Timestamp {
    Timestamp(s * 1000)
}

/// One assertion block per fixture; a fixture without a block fails the test, so new
/// fixtures must be covered.
#[test]
fn every_fixture_parses_into_the_expected_event() {
    for (name, bytes) in all_fixtures() {
        let n = name.as_str();
        match n {
            "account_update_account_restriction.json" => {
                let a = account(n, &bytes);
                assert_eq!(a.waba_id, "102290129340398");
                assert_eq!(a.event, AccountEvent::AccountRestriction);
                assert_eq!(a.entry_time, Some(secs(1641330498)));
                let r = &a.details.restrictions;
                assert_eq!(r.len(), 2);
                assert_eq!(r[0].restriction_type, "RESTRICTED_BIZ_INITIATED_MESSAGING");
                assert_eq!(r[0].expiration, Some(secs(1641330498)));
                assert_eq!(r[1].restriction_type, "RESTRICTED_ADD_PHONE_NUMBER_ACTION");
            }
            "account_update_account_violation.json" => {
                let a = account(n, &bytes);
                assert_eq!(a.event, AccountEvent::AccountViolation);
                assert_eq!(a.details.violation_type.as_deref(), Some("ADULT"));
                assert_eq!(a.routing_waba_id(), "102290129340398");
            }
            "account_update_disabled_update.json" => {
                let a = account(n, &bytes);
                assert_eq!(a.event, AccountEvent::DisabledUpdate);
                let ban = a.details.ban.expect("ban_info");
                assert_eq!(ban.states, vec!["REINSTATE".to_owned()]);
                assert_eq!(ban.date.as_deref(), Some("April 17, 2025"));
            }
            "account_update_partner_app_uninstalled.json" => {
                let a = account(n, &bytes);
                assert_eq!(a.event, AccountEvent::PartnerAppUninstalled);
                assert_eq!(a.waba_id, "2949482758682047");
                assert_eq!(a.routing_waba_id(), "184943124712545");
                let w = a.details.waba_info.expect("waba_info");
                assert_eq!(w.owner_business_id.as_deref(), Some("1284923862322270"));
                assert_eq!(w.partner_app_id.as_deref(), Some("869361281603019"));
            }
            "account_update_volume_tier.json" => {
                let a = account(n, &bytes);
                assert_eq!(a.event, AccountEvent::VolumeBasedPricingTierUpdate);
                let t = a.details.volume_tier.expect("volume_tier_info");
                assert_eq!(t.tier.as_deref(), Some("25000001:50000000"));
                assert_eq!(t.pricing_category.as_deref(), Some("UTILITY"));
                assert_eq!(t.effective_month.as_deref(), Some("2025-11"));
                assert_eq!(t.region.as_deref(), Some("India"));
                assert_eq!(t.tier_update_time, Some(secs(1743451903)));
            }
            "inbound_button_template_quick_reply.json" => {
                let m = inbound(n, &bytes);
                assert_eq!(m.waba_id, "419561257915477");
                assert_eq!(
                    m.wamid,
                    "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUU0M0MxQzQzMUJCMTMwNUZFOQA="
                );
                assert_eq!(m.timestamp, secs(1750091045));
                let c = m.context.expect("context");
                assert_eq!(c.from.as_deref(), Some(DISPLAY));
                assert_eq!(
                    c.id.as_deref(),
                    Some("wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJFNjk2OTMwNEZCQjhGMzUyQUYA")
                );
                assert_eq!(
                    m.content,
                    InboundContent::Button {
                        text: "Unsubscribe".into(),
                        payload: Some("Unsubscribe".into())
                    }
                );
            }
            "inbound_contacts.json" => {
                let m = inbound(n, &bytes);
                let InboundContent::Contacts { contacts } = &m.content else {
                    panic!("{n}: {:?}", m.content)
                };
                assert_eq!(contacts.len(), 1);
                assert_eq!(contacts[0].formatted_name.as_deref(), Some("Lucía Gómez"));
                assert_eq!(contacts[0].first_name.as_deref(), Some("Lucía"));
                assert_eq!(contacts[0].last_name.as_deref(), Some("Gómez"));
                assert_eq!(
                    contacts[0].phones,
                    vec![SharedPhone {
                        phone: Some("+1 (983) 555-2319".into()),
                        wa_id: Some("19835552319".into()),
                        kind: Some("MOBILE".into()),
                    }]
                );
            }
            "inbound_image.json" => {
                let m = inbound(n, &bytes);
                assert_eq!(m.profile_name.as_deref(), Some("Sheena Nelson"));
                assert_eq!(
                    m.content,
                    InboundContent::Media(Media {
                        kind: MediaKind::Image,
                        media_id: "1003383421387256".into(),
                        mime_type: Some("image/jpeg".into()),
                        sha256: Some("SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=".into()),
                        caption: Some("Taj Mahal".into()),
                        filename: None,
                    })
                );
                assert_eq!(m.content.type_name(), "image");
            }
            "inbound_interactive_button_reply.json" => {
                let m = inbound(n, &bytes);
                assert!(m.context.is_some());
                assert_eq!(
                    m.content,
                    InboundContent::Interactive(InteractiveReply::ButtonReply {
                        id: "cancel-button".into(),
                        title: "Cancel".into()
                    })
                );
            }
            "inbound_interactive_list_reply.json" => {
                let m = inbound(n, &bytes);
                assert_eq!(
                    m.content,
                    InboundContent::Interactive(InteractiveReply::ListReply {
                        id: "priority_express".into(),
                        title: "Priority Mail Express".into(),
                        description: Some("Next Day to 2 Days".into()),
                    })
                );
            }
            "inbound_location.json" => {
                let m = inbound(n, &bytes);
                let InboundContent::Location {
                    latitude,
                    longitude,
                    name,
                    address,
                    url,
                } = &m.content
                else {
                    panic!("{n}: {:?}", m.content)
                };
                assert!((latitude - 37.44221496582).abs() < 1e-9);
                assert!((longitude + 122.16165924072).abs() < 1e-9);
                assert_eq!(name.as_deref(), Some("Philz Coffee"));
                assert_eq!(
                    address.as_deref(),
                    Some("101 Forest Ave, Palo Alto, CA 94301")
                );
                assert_eq!(url.as_deref(), Some("https://philzcoffee.com/"));
            }
            "inbound_order.json" | "inbound_order_with_text.json" => {
                let m = inbound(n, &bytes);
                let InboundContent::Order(o) = &m.content else {
                    panic!("{n}: {:?}", m.content)
                };
                assert_eq!(o.catalog_id, "194836987003835");
                let text = if n == "inbound_order.json" {
                    ""
                } else {
                    "Love these!"
                };
                assert_eq!(o.text, text);
                assert_eq!(
                    o.items,
                    vec![
                        OrderItem {
                            product_retailer_id: "di9ozbzfi4".into(),
                            quantity: 2,
                            item_price: Money(30_000),
                            currency: "USD".into(),
                        },
                        OrderItem {
                            product_retailer_id: "nqryix03ez".into(),
                            quantity: 1,
                            item_price: Money(25_000),
                            currency: "USD".into(),
                        },
                    ]
                );
            }
            "inbound_reaction.json" => {
                let m = inbound(n, &bytes);
                assert_eq!(
                    m.content,
                    InboundContent::Reaction {
                        message_id: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0RTJEOTc2ODVERUY5RDlGNkYA"
                            .into(),
                        emoji: "👍".into(),
                    }
                );
            }
            "inbound_system.json" => {
                let m = inbound(n, &bytes);
                assert_eq!(m.waba_id, "102290129340398");
                assert_eq!(m.profile_name, None, "no contacts in a system message");
                assert_eq!(
                    m.content,
                    InboundContent::System {
                        body: "User Sheena Nelson changed from 16505551234 to 12195555358".into(),
                        kind: "user_changed_number".into(),
                        new_wa_id: Some("12195555358".into()),
                    }
                );
            }
            "inbound_text.json" => {
                let m = inbound(n, &bytes);
                assert_eq!(
                    m.wamid,
                    "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
                );
                assert_eq!(m.waba_id, "419561257915477");
                assert_eq!(m.profile_name.as_deref(), Some("Sheena Nelson"));
                assert_eq!(m.timestamp, secs(1749416383));
                assert_eq!(m.context, None);
                assert_eq!(m.referral, None);
                assert_eq!(
                    m.content,
                    InboundContent::Text {
                        body: "Does it come in another color?".into()
                    }
                );
                assert_eq!(
                    m.from_phone().map(|p| p.digits()),
                    Some(16505551234),
                    "from as E.164"
                );
            }
            "inbound_text_ctwa_referral.json" => {
                let m = inbound(n, &bytes);
                let r = m.referral.expect("referral");
                assert_eq!(r.source_url.as_deref(), Some("https://fb.me/3cr4Wqqkv"));
                assert_eq!(r.source_id.as_deref(), Some("120226305854810726"));
                assert_eq!(r.source_type.as_deref(), Some("ad"));
                assert_eq!(r.headline.as_deref(), Some("Chat with us"));
                assert_eq!(r.body.as_deref(), Some("Summer Succulents are here!"));
                assert_eq!(r.media_type.as_deref(), Some("image"));
                assert!(r
                    .ctwa_clid
                    .as_deref()
                    .is_some_and(|c| c.starts_with("Aff-n8ZT")));
                assert_eq!(
                    r.welcome_message.as_deref(),
                    Some("Hi there! Let us know how we can help!")
                );
                assert_eq!(
                    m.content,
                    InboundContent::Text {
                        body: "Hello! Can I get more info on this?".into()
                    }
                );
            }
            "inbound_text_product_inquiry.json" => {
                let m = inbound(n, &bytes);
                let c = m.context.expect("context");
                assert_eq!(
                    c.referred_product,
                    Some(ReferredProduct {
                        catalog_id: "194836987003835".into(),
                        product_retailer_id: "di9ozbzfi4".into(),
                    })
                );
                assert_eq!(
                    c.id.as_deref(),
                    Some("wamid.HBgLMTY1MDM4Nzk0MzkVAgARGA9wcm9kdWN0X2lucXVpcnkA")
                );
                assert!(!c.forwarded);
                assert_eq!(
                    m.content,
                    InboundContent::Text {
                        body: "Is this still available?".into()
                    }
                );
            }
            "inbound_unsupported_131051.json" => {
                let m = inbound(n, &bytes);
                assert_eq!(
                    m.content,
                    InboundContent::Unsupported {
                        kind: "unsupported".into(),
                        errors: vec![MetaError {
                            code: 131051,
                            title: Some("Message type unknown".into()),
                            message: Some("Message type unknown".into()),
                            details: Some("Message type is currently not supported.".into()),
                        }],
                    }
                );
            }
            "phone_number_quality_update_throughput_upgrade.json" => match one(n, &bytes) {
                MetaEvent::PhoneNumberQuality(q) => {
                    assert_eq!(q.waba_id, "102290129340398");
                    assert_eq!(q.display_phone_number, DISPLAY);
                    assert_eq!(q.event, QualityEvent::ThroughputUpgrade);
                    assert_eq!(q.current_limit.as_deref(), Some("TIER_UNLIMITED"));
                    assert_eq!(q.old_limit, None);
                    assert_eq!(q.max_daily_conversations_per_business, None);
                    assert_eq!(q.entry_time, Some(secs(1748454394)));
                }
                other => panic!("{n}: {other:?}"),
            },
            "status_delivered_cbp_pywa.json" | "status_read_cbp_pywa.json" => {
                let s = status(n, &bytes);
                assert_eq!(s.phone_number_id, "1122334455667");
                assert_eq!(s.display_phone_number, "972123456789");
                assert_eq!(s.waba_id, "5467539754836534");
                assert_eq!(s.wamid, "wamid.xyzxyz");
                assert_eq!(s.recipient_id, "972987654321");
                let (want, at) = if n.starts_with("status_read") {
                    (MessageStatus::Read, 1689380458)
                } else {
                    (MessageStatus::Delivered, 1698266945)
                };
                assert_eq!(s.status, want);
                assert_eq!(s.timestamp, secs(at));
                assert_eq!(
                    s.conversation,
                    Some(Conversation {
                        id: "7270432eae37498234f4444b35ffc5".into(),
                        origin_type: Some("service".into()),
                        expiration_timestamp: None,
                    })
                );
                assert_eq!(
                    s.pricing,
                    Some(Pricing {
                        billable: Some(true),
                        pricing_model: Some("CBP".into()),
                        kind: None,
                        category: Some("service".into()),
                    })
                );
                assert!(s.errors.is_empty());
            }
            "status_failed_131049.json" => {
                let s = status(n, &bytes);
                assert_eq!(s.phone_number_id, PNID);
                assert_eq!(
                    s.wamid,
                    "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0QUQ2MjA4NEYyRkExNjMyREUA"
                );
                assert_eq!(s.status, MessageStatus::Failed);
                assert_eq!(s.recipient_id, "16505551234");
                assert_eq!(s.errors.len(), 1);
                assert_eq!(s.errors[0].code, 131049);
                assert!(s.errors[0]
                    .details
                    .as_deref()
                    .is_some_and(|d| d.contains("healthy ecosystem")));
                assert_eq!(s.pricing, None);
                assert_eq!(s.conversation, None);
            }
            "status_sent_pmp_marketing.json" => {
                let s = status(n, &bytes);
                assert_eq!(s.phone_number_id, PNID);
                assert_eq!(s.status, MessageStatus::Sent);
                assert_eq!(s.timestamp, secs(1750030073));
                assert_eq!(
                    s.pricing,
                    Some(Pricing {
                        billable: Some(true),
                        pricing_model: Some("PMP".into()),
                        kind: Some("regular".into()),
                        category: Some("marketing".into()),
                    })
                );
                assert_eq!(
                    s.conversation,
                    Some(Conversation {
                        id: "72b14d6bd5407799e66f64d1b338e567".into(),
                        origin_type: Some("marketing".into()),
                        expiration_timestamp: Some(secs(1750116480)),
                    })
                );
            }
            "status_sent_v24_minimal.json" => {
                let s = status(n, &bytes);
                assert_eq!(s.phone_number_id, PNID);
                assert_eq!(
                    s.wamid,
                    "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA="
                );
                assert_eq!(s.status, MessageStatus::Sent);
                assert_eq!(s.pricing, None);
                assert_eq!(s.conversation, None);
                assert_eq!(s.biz_opaque_callback_data, None);
            }
            "template_status_approved.json" => {
                let t = template(n, &bytes);
                assert_eq!(t.waba_id, "102290129340398");
                assert_eq!(t.event, TemplateEvent::Approved);
                assert_eq!(t.message_template_id, "1689556908129832");
                assert_eq!(t.message_template_name, "order_confirmation");
                assert_eq!(t.message_template_language, "en-US");
                assert_eq!(t.reason.as_deref(), Some("NONE"));
                assert_eq!(t.category.as_deref(), Some("UTILITY"));
                assert_eq!(t.rejection_info, None);
            }
            "template_status_rejected_invalid_format.json" => {
                let t = template(n, &bytes);
                assert_eq!(t.event, TemplateEvent::Rejected);
                assert_eq!(t.message_template_id, "1689556908129835");
                assert_eq!(t.message_template_name, "abandoned_cart");
                assert_eq!(t.message_template_language, "en");
                assert_eq!(t.reason.as_deref(), Some("INVALID_FORMAT"));
                let r = t.rejection_info.expect("rejection_info");
                assert!(r.title.as_deref().is_some_and(|s| s.contains("{{1}}{{2}}")));
                assert!(r
                    .detail
                    .as_deref()
                    .is_some_and(|s| s.starts_with("Separate")));
            }
            other => panic!("fixture {other} has no assertion block in this test"),
        }
    }
}

#[test]
fn events_round_trip_through_bincode_and_json() {
    let cfg = bincode::config::standard();
    for (name, bytes) in all_fixtures() {
        for ev in parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}")) {
            let enc = bincode::serde::encode_to_vec(&ev, cfg).expect("encode");
            let (back, used): (MetaEvent, usize) =
                bincode::serde::decode_from_slice(&enc, cfg).expect("decode");
            assert_eq!(used, enc.len(), "{name}");
            assert_eq!(back, ev, "{name}: bincode");
            let json = serde_json::to_string(&ev).expect("json");
            let back: MetaEvent = serde_json::from_str(&json).expect("json back");
            assert_eq!(back, ev, "{name}: json");
        }
    }
}

#[test]
fn dedupe_keys_follow_the_documented_shapes() {
    let key = |n: &str| one(n, &fixture(n)).dedupe_key();
    assert_eq!(
        key("inbound_text.json"),
        "m:wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
    );
    assert_eq!(
        key("status_delivered_cbp_pywa.json"),
        "s:wamid.xyzxyz:delivered"
    );
    assert_eq!(key("status_read_cbp_pywa.json"), "s:wamid.xyzxyz:read");
    assert_eq!(
        key("template_status_approved.json"),
        "t:1689556908129832:APPROVED:1751247548"
    );
    let q = key("phone_number_quality_update_throughput_upgrade.json");
    assert!(q.starts_with("phone_number_quality_update:"), "{q}");
    assert_eq!(q.len(), "phone_number_quality_update:".len() + 32);
    let a = key("account_update_account_violation.json");
    assert!(a.starts_with("account_update:"), "{a}");
    // Stable across runs and across key order / whitespace in a redelivery.
    assert_eq!(a, key("account_update_account_violation.json"));
    let reordered = br#"{"entry":[{"changes":[{"field":"account_update","value":
        {"violation_info":{"violation_type":"ADULT"},"event":"ACCOUNT_VIOLATION"}}],
        "time":1743451903,"id":"102290129340398"}],"object":"whatsapp_business_account"}"#;
    assert_eq!(one("reordered", reordered).dedupe_key(), a);
    // The same value for another WABA or at another time is another notification.
    let other_waba = String::from_utf8(fixture("account_update_account_violation.json"))
        .expect("utf8")
        .replace("102290129340398", "999");
    assert_ne!(one("other waba", other_waba.as_bytes()).dedupe_key(), a);
    let other_time = String::from_utf8(fixture("account_update_account_violation.json"))
        .expect("utf8")
        .replace("1743451903", "1743451904");
    assert_ne!(one("other time", other_time.as_bytes()).dedupe_key(), a);
    // All account fixtures differ from each other.
    let mut all: Vec<String> = all_fixtures()
        .iter()
        .flat_map(|(n, b)| parse(b).unwrap_or_else(|e| panic!("{n}: {e}")))
        .filter(|e| !matches!(e, MetaEvent::InboundMessage(_) | MetaEvent::Status(_)))
        .map(|e| e.dedupe_key())
        .collect();
    let count = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), count, "management dedupe keys collide");
}

#[test]
fn statuses_of_one_wamid_have_distinct_keys() {
    let base = String::from_utf8(fixture("status_sent_v24_minimal.json")).expect("utf8");
    let mut keys: Vec<String> = ["sent", "delivered", "read", "failed", "played"]
        .iter()
        .map(|s| {
            let body = base.replace("\"status\": \"sent\"", &format!("\"status\": \"{s}\""));
            let ev = one(s, body.as_bytes());
            let MetaEvent::Status(st) = &ev else {
                panic!("{ev:?}")
            };
            assert_eq!(st.status.as_str(), *s);
            ev.dedupe_key()
        })
        .collect();
    assert_eq!(
        keys[0],
        "s:wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=:sent"
    );
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 5);
}

#[test]
fn status_rank_never_downgrades() {
    use MessageStatus::*;
    let unknown = Unknown("played".into());
    assert!(Delivered.supersedes(&Sent));
    assert!(Read.supersedes(&Delivered));
    assert!(Read.supersedes(&Sent));
    assert!(!Delivered.supersedes(&Read), "late delivered after read");
    assert!(!Sent.supersedes(&Delivered));
    assert!(Failed.supersedes(&Sent));
    assert!(Failed.supersedes(&Delivered));
    assert!(!Sent.supersedes(&Failed) && !Delivered.supersedes(&Failed));
    assert!(Read.supersedes(&Failed), "a read receipt proves delivery");
    assert!(!Failed.supersedes(&Read));
    assert!(!unknown.supersedes(&Sent) && Sent.supersedes(&unknown));
    assert!(!Sent.supersedes(&Sent), "same status is not an advance");
    assert_eq!(MessageStatus::from_wire("read"), Read);
    assert_eq!(MessageStatus::from_wire("played"), unknown);
    assert_eq!(unknown.to_string(), "played");
}

#[test]
fn signature_checks() {
    let body = fixture("inbound_text.json");
    let secret = b"app-secret";
    let good = sign(secret, &body);
    assert!(good.starts_with("sha256="));
    assert_eq!(good.len(), "sha256=".len() + 64);
    assert_eq!(good, good.to_lowercase(), "Meta's form is lowercase hex");
    assert!(verify_signature(secret, &body, &good));
    assert!(
        verify_signature(secret, &body, &format!(" {good}\n")),
        "whitespace"
    );
    // Uppercase hex is the same MAC.
    let upper = format!("sha256={}", good["sha256=".len()..].to_uppercase());
    assert!(verify_signature(secret, &body, &upper));
    // Wrong secret, changed body, missing / wrong prefix, bad hex, truncated.
    assert!(!verify_signature(b"other", &body, &good));
    let mut changed = body.clone();
    changed.push(b' ');
    assert!(!verify_signature(secret, &changed, &good));
    assert!(!verify_signature(secret, &body, &good["sha256=".len()..]));
    assert!(!verify_signature(
        secret,
        &body,
        &good.replace("sha256=", "sha1=")
    ));
    assert!(!verify_signature(
        secret,
        &body,
        &good.replace("sha256=", "SHA256=")
    ));
    assert!(!verify_signature(secret, &body, "sha256=zz"));
    assert!(!verify_signature(secret, &body, &good[..good.len() - 2]));
    assert!(!verify_signature(secret, &body, ""));
    assert!(!verify_signature(secret, &body, "sha256="));
    // An empty secret never verifies, even against its own signature.
    assert!(!verify_signature(b"", &body, &sign(b"", &body)));
}

#[test]
fn signature_matches_an_independent_vector() {
    // RFC 4231 test case 2: HMAC-SHA256(key "Jefe", "what do ya want for nothing?").
    let body = b"what do ya want for nothing?";
    let want = "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    assert_eq!(sign(b"Jefe", body), want);
    assert!(verify_signature(b"Jefe", body, want));
}

#[test]
fn challenge_checks() {
    let ok = verify_challenge(Some("subscribe"), Some("tok"), Some("1158201444"), "tok");
    assert_eq!(ok, Ok("1158201444".to_owned()));
    assert_eq!(
        verify_challenge(Some("subscribe"), Some("nope"), Some("1"), "tok"),
        Err(ChallengeError::TokenMismatch)
    );
    assert_eq!(
        verify_challenge(Some("subscribe"), Some("to"), Some("1"), "tok"),
        Err(ChallengeError::TokenMismatch)
    );
    assert_eq!(
        verify_challenge(Some("unsubscribe"), Some("tok"), Some("1"), "tok"),
        Err(ChallengeError::WrongMode("unsubscribe".into()))
    );
    assert_eq!(
        verify_challenge(None, Some("tok"), Some("1"), "tok"),
        Err(ChallengeError::MissingMode)
    );
    assert_eq!(
        verify_challenge(Some("subscribe"), None, Some("1"), "tok"),
        Err(ChallengeError::MissingToken)
    );
    assert_eq!(
        verify_challenge(Some("subscribe"), Some("tok"), None, "tok"),
        Err(ChallengeError::MissingChallenge)
    );
    assert_eq!(
        verify_challenge(Some("subscribe"), Some("tok"), Some(""), "tok"),
        Err(ChallengeError::MissingChallenge)
    );
    assert_eq!(
        verify_challenge(Some("subscribe"), Some("tok"), Some("a\r\nb"), "tok"),
        Err(ChallengeError::BadChallenge)
    );
    assert_eq!(
        verify_challenge(Some("subscribe"), Some(""), Some("1"), ""),
        Err(ChallengeError::NotConfigured)
    );
    let err = verify_challenge(Some("x"), Some("tok"), Some("1"), "tok").expect_err("mode");
    assert!(err.to_string().contains("hub.mode"), "{err}");
}

#[test]
fn envelope_errors_name_the_problem() {
    let err = |b: &[u8]| parse(b).expect_err("must fail").to_string();
    assert!(err(b"{not json").contains("not valid JSON"));
    assert!(err(b"").contains("not valid JSON"));
    assert!(err(b"[]").contains("not a JSON object"));
    assert!(err(br#"{"entry":[]}"#).contains("`object` is missing"));
    assert!(err(br#"{"object":"page","entry":[]}"#).contains("\"page\""));
    assert!(err(br#"{"object":"whatsapp_business_account"}"#).contains("`entry` is missing"));
    assert!(
        err(br#"{"object":"whatsapp_business_account","entry":[{"changes":[]}]}"#)
            .contains("entry[0]: `id`")
    );
    assert!(
        err(br#"{"object":"whatsapp_business_account","entry":[{"id":"1"}]}"#)
            .contains("`changes` is missing")
    );
    assert!(err(
        br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{}}]}]}"#
    )
    .contains("entry[0].changes[0]: `field`"));
    // A known field with a broken value names entry, change, field and path.
    let body = String::from_utf8(fixture("status_sent_v24_minimal.json"))
        .expect("utf8")
        .replace("\"id\": \"wamid.", "\"idx\": \"wamid.");
    let e = err(body.as_bytes());
    assert!(
        e.contains("entry[0].changes[0] (messages): statuses[0]"),
        "{e}"
    );
    assert!(e.contains("missing field `id`"), "{e}");
    let body = String::from_utf8(fixture("inbound_text.json"))
        .expect("utf8")
        .replace("\"timestamp\": \"1749416383\"", "\"timestamp\": \"soon\"");
    let e = err(body.as_bytes());
    assert!(
        e.contains("messages[0]") && e.contains("unix seconds"),
        "{e}"
    );
    assert_eq!(
        parse(br#"{"object":"whatsapp_business_account","entry":[]}"#),
        Ok(vec![])
    );
}

#[test]
fn unknown_things_are_kept_not_rejected() {
    // Unknown field.
    let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"42","time":5,
        "changes":[{"field":"user_preferences","value":{"x":1}},{"field":"security"}]}]}"#;
    let events = parse(body).expect("parse");
    assert_eq!(events.len(), 2);
    let MetaEvent::Unhandled(u) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(
        (u.field.as_str(), u.waba_id.as_str()),
        ("user_preferences", "42")
    );
    assert_eq!(u.entry_time, Some(Timestamp(5000)));
    assert!(events[0].dedupe_key().starts_with("user_preferences:"));
    assert_ne!(events[0].dedupe_key(), events[1].dedupe_key());
    assert_eq!(events[0].phone_number_id(), None);
    assert_eq!(events[0].waba_id(), "42");
    // Unknown message type and interactive type, unknown status, unknown events.
    let text = String::from_utf8(fixture("inbound_text.json")).expect("utf8");
    let body = text.replace("\"type\": \"text\"", "\"type\": \"request_welcome\"");
    let m = match one("welcome", body.as_bytes()) {
        MetaEvent::InboundMessage(m) => m,
        other => panic!("{other:?}"),
    };
    let InboundContent::Other { kind, json } = &m.content else {
        panic!("{:?}", m.content)
    };
    assert_eq!(kind, "request_welcome");
    assert!(json.contains("\"type\":\"request_welcome\""), "{json}");
    let nfm = String::from_utf8(fixture("inbound_interactive_button_reply.json"))
        .expect("utf8")
        .replace("\"type\": \"button_reply\"", "\"type\": \"nfm_reply\"");
    match one("nfm", nfm.as_bytes()) {
        MetaEvent::InboundMessage(InboundMessage {
            content: InboundContent::Interactive(InteractiveReply::Other { kind, .. }),
            ..
        }) => assert_eq!(kind, "nfm_reply"),
        other => panic!("{other:?}"),
    }
    let tpl = String::from_utf8(fixture("template_status_approved.json"))
        .expect("utf8")
        .replace("\"APPROVED\"", "\"SOMETHING_NEW\"");
    match one("tpl", tpl.as_bytes()) {
        MetaEvent::TemplateStatus(t) => {
            assert_eq!(t.event, TemplateEvent::Other("SOMETHING_NEW".into()))
        }
        other => panic!("{other:?}"),
    }
    // A messages change with neither messages nor statuses.
    let empty = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[
        {"field":"messages","value":{"messaging_product":"whatsapp",
         "metadata":{"display_phone_number":"1","phone_number_id":"2"}}}]}]}"#;
    assert!(matches!(
        parse(empty).expect("parse").as_slice(),
        [MetaEvent::Unhandled(u)] if u.field == "messages"
    ));
}

#[test]
fn batches_flatten_in_order_and_template_without_time_hashes() {
    // Two entries, one with a messages change holding a message and two statuses.
    let inbound_value: Value = serde_json::from_slice(&fixture("inbound_text.json")).expect("json");
    let mut value = inbound_value["entry"][0]["changes"][0]["value"].clone();
    let status_value: Value =
        serde_json::from_slice(&fixture("status_failed_131049.json")).expect("json");
    let st = status_value["entry"][0]["changes"][0]["value"]["statuses"][0].clone();
    let mut st2 = st.clone();
    st2["status"] = Value::from("sent");
    value["statuses"] = Value::Array(vec![st, st2]);
    let tpl: Value =
        serde_json::from_slice(&fixture("template_status_approved.json")).expect("json");
    let mut tpl_entry = tpl["entry"][0].clone();
    tpl_entry.as_object_mut().expect("obj").remove("time");
    let body = serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [
            {"id": "7", "changes": [{"field": "messages", "value": value}]},
            tpl_entry,
        ]
    });
    let events = parse(body.to_string().as_bytes()).expect("parse");
    let kinds: Vec<&str> = events.iter().map(MetaEvent::kind).collect();
    assert_eq!(
        kinds,
        ["inbound_message", "status", "status", "template_status"]
    );
    assert!(events[..3]
        .iter()
        .all(|e| e.waba_id() == "7" && e.phone_number_id() == Some(PNID)));
    assert_ne!(events[1].dedupe_key(), events[2].dedupe_key());
    let k = events[3].dedupe_key();
    assert!(k.starts_with("t:1689556908129832:APPROVED:h"), "{k}");
}

#[test]
fn order_prices_keep_cents() {
    let body = String::from_utf8(fixture("inbound_order.json"))
        .expect("utf8")
        .replace("\"item_price\": 30", "\"item_price\": 7.99")
        .replace("\"item_price\": 25", "\"item_price\": \"1234.005\"");
    let MetaEvent::InboundMessage(m) = one("prices", body.as_bytes()) else {
        panic!()
    };
    let InboundContent::Order(o) = m.content else {
        panic!()
    };
    assert_eq!(o.items[0].item_price, Money(7_990));
    assert_eq!(o.items[0].item_price.to_string(), "7.99");
    assert_eq!(o.items[1].item_price, Money(1_234_005));
    for (v, want) in [
        ("0.1", 100),
        ("19.995", 19_995),
        ("0.3", 300),
        ("1e2", 100_000),
    ] {
        let b = String::from_utf8(fixture("inbound_order.json"))
            .expect("utf8")
            .replace("\"item_price\": 30", &format!("\"item_price\": {v}"));
        let MetaEvent::InboundMessage(m) = one(v, b.as_bytes()) else {
            panic!()
        };
        let InboundContent::Order(o) = m.content else {
            panic!()
        };
        assert_eq!(o.items[0].item_price, Money(want), "{v}");
    }
    let bad = String::from_utf8(fixture("inbound_order.json"))
        .expect("utf8")
        .replace("\"item_price\": 30", "\"item_price\": \"thirty\"");
    let e = parse(bad.as_bytes()).expect_err("bad price").to_string();
    assert!(e.contains("item_price"), "{e}");
}

#[test]
fn canonical_json_sorts_keys() {
    let v: Value = serde_json::from_str(r#"{"b":[1,{"z":1,"a":"é\n"}],"a":null}"#).expect("json");
    assert_eq!(
        wire::canonical_json(&v),
        r#"{"a":null,"b":[1,{"a":"é\n","z":1}]}"#
    );
}

/// Preorder-replaces the `n`th node of `v` (mod the node count) with `with`.
fn replace_nth(v: &mut Value, n: &mut usize, with: &Value) -> bool {
    if *n == 0 {
        *v = with.clone();
        return true;
    }
    *n -= 1;
    match v {
        Value::Array(items) => items.iter_mut().any(|i| replace_nth(i, n, with)),
        Value::Object(map) => map.values_mut().any(|i| replace_nth(i, n, with)),
        _ => false,
    }
}

fn node_count(v: &Value) -> usize {
    1 + match v {
        Value::Array(items) => items.iter().map(node_count).sum(),
        Value::Object(map) => map.values().map(node_count).sum(),
        _ => 0,
    }
}

fn arb_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e20f64..1e20).prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
        Just(Value::Array(vec![])),
        Just(serde_json::json!({})),
        Just(serde_json::json!([{"id": 1}])),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parse_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse(&bytes);
    }

    #[test]
    fn parse_never_panics_on_byte_mutated_fixtures(
        which in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let fixtures = all_fixtures();
        let mut bytes = fixtures[which.index(fixtures.len())].1.clone();
        for (at, byte, op) in edits {
            if bytes.is_empty() { break; }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => { bytes.remove(i); }
                _ => bytes.insert(i, byte),
            }
        }
        let _ = parse(&bytes);
    }

    #[test]
    fn parse_never_panics_on_structurally_mutated_fixtures(
        which in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<usize>(), arb_leaf()), 1..4),
    ) {
        let fixtures = all_fixtures();
        let mut v: Value = serde_json::from_slice(&fixtures[which.index(fixtures.len())].1)
            .expect("fixture json");
        for (n, leaf) in edits {
            let mut n = n % node_count(&v);
            replace_nth(&mut v, &mut n, &leaf);
        }
        if let Ok(events) = parse(v.to_string().as_bytes()) {
            for e in events {
                let _ = e.dedupe_key();
            }
        }
    }
}
