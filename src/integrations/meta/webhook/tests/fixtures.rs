//! Every fixture in `fixtures/meta/webhooks` parses into the events it describes.

use super::*;

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
