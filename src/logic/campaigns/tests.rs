//! Unit tests of the campaign rules.

use super::*;
use crate::domain::phone::PhoneE164;
use crate::domain::whatsapp::{SendAvailability, TemplateStatus};
use crate::domain::Timestamp;

fn contact(phone: bool, state: MarketingState, excluded: bool) -> Contact {
    let mut c = Contact::new(1, Timestamp(0));
    c.phone = phone.then(|| PhoneE164::parse("+447700900123").expect("phone"));
    c.marketing_state = state;
    c.exclude_from_galantis = excluded;
    c
}

fn rules(marketing: bool) -> Rules {
    Rules {
        marketing,
        smart_sending_ms: Some(3_600_000),
        cap: 2,
        cap_window_ms: 86_400_000,
        now_ms: 100_000_000,
    }
}

#[test]
fn reasons_come_in_the_product_s_order() {
    use MarketingState::*;
    let r = rules(true);
    let c = |p, s, e| classify(&contact(p, s, e), &[], &r);
    assert_eq!(
        c(false, NotSubscribed, true),
        Err(Exclusion::ExcludedFromGalantis)
    );
    assert_eq!(c(false, NotSubscribed, false), Err(Exclusion::NoPhone));
    assert_eq!(c(true, NotSubscribed, false), Err(Exclusion::NoConsent));
    assert_eq!(c(true, Unsubscribed, false), Err(Exclusion::NoConsent));
    assert_eq!(c(true, Subscribed, false), Ok(()));
}

#[test]
fn utility_templates_skip_consent_smart_sending_and_caps() {
    let c = contact(true, MarketingState::NotSubscribed, false);
    let recent = [99_999_000, 99_999_500, 99_999_900];
    assert_eq!(classify(&c, &recent, &rules(false)), Ok(()));
}

#[test]
fn smart_sending_skips_a_contact_messaged_inside_its_window_only() {
    let c = contact(true, MarketingState::Subscribed, false);
    let r = rules(true);
    let inside = r.now_ms - 3_599_999;
    let outside = r.now_ms - 3_600_000;
    assert_eq!(classify(&c, &[inside], &r), Err(Exclusion::SmartSending));
    assert_eq!(classify(&c, &[outside], &r), Ok(()));
    let off = Rules {
        smart_sending_ms: None,
        ..r
    };
    assert_eq!(classify(&c, &[inside], &off), Ok(()));
}

#[test]
fn the_global_cap_counts_sends_inside_its_window() {
    let c = contact(true, MarketingState::Subscribed, false);
    let r = Rules {
        smart_sending_ms: None,
        ..rules(true)
    };
    let day = r.cap_window_ms;
    assert_eq!(
        classify(&c, &[r.now_ms - 10, r.now_ms - 20], &r),
        Err(Exclusion::MarketingCap)
    );
    assert_eq!(classify(&c, &[r.now_ms - 10, r.now_ms - day], &r), Ok(()));
    let none = Rules { cap: 0, ..r };
    assert_eq!(classify(&c, &[r.now_ms - 10, r.now_ms - 20], &none), Ok(()));
}

#[test]
fn final_status_by_sent_and_failed() {
    assert_eq!(final_status(10, 0), CampaignStatus::Sent);
    assert_eq!(final_status(0, 0), CampaignStatus::Sent);
    assert_eq!(final_status(0, 3), CampaignStatus::Failed);
    assert_eq!(final_status(7, 3), CampaignStatus::PartiallySent);
}

#[test]
fn local_time_is_read_in_the_recipient_s_zone() {
    let l = parse_local("2026-12-24T10:00").expect("local");
    let utc = local_due_ms(l, "UTC");
    let madrid = local_due_ms(l, "Europe/Madrid");
    let new_york = local_due_ms(l, "America/New_York");
    assert_eq!(utc - madrid, 3_600_000);
    assert_eq!(new_york - utc, 5 * 3_600_000);
    assert_eq!(local_due_ms(l, "Not/AZone"), utc);
    assert!(parse_local("tomorrow").is_none());
}

fn template(status: TemplateStatus, category: &str) -> Template {
    Template {
        name: "promo".into(),
        language: "en".into(),
        category: category.into(),
        status,
        meta_id: None,
        components: "[]".into(),
        reason: None,
        updated_at: Timestamp(0),
    }
}

fn facts(t: Option<&Template>) -> LaunchFacts<'_> {
    LaunchFacts {
        template: t,
        template_ref: ("promo", "en"),
        eligible: 10,
        usage: Some((0, 100)),
        number_known: true,
        number: NumberFacts::Answered {
            availability: SendAvailability::Available,
            quality: Some("GREEN".into()),
        },
        large_send: 5,
        confirmed_low_quality: false,
    }
}

fn codes(f: &LaunchFacts<'_>) -> Vec<&'static str> {
    launch_checks(f).into_iter().map(|p| p.code).collect()
}

#[test]
fn each_launch_check_names_its_reason() {
    let ok = template(TemplateStatus::Approved, "MARKETING");
    assert!(codes(&facts(Some(&ok))).is_empty());
    assert_eq!(codes(&facts(None)), ["template_not_found"]);
    let pending = template(TemplateStatus::PendingApproval, "MARKETING");
    assert_eq!(codes(&facts(Some(&pending))), ["template_not_approved"]);
    let auth = template(TemplateStatus::Approved, "AUTHENTICATION");
    assert_eq!(codes(&facts(Some(&auth))), ["template_category"]);
    let f = LaunchFacts {
        eligible: 0,
        ..facts(Some(&ok))
    };
    assert_eq!(codes(&f), ["no_recipients"]);
    let f = LaunchFacts {
        usage: Some((95, 100)),
        ..facts(Some(&ok))
    };
    assert_eq!(codes(&f), ["usage_exceeded"]);
    let f = LaunchFacts {
        usage: None,
        eligible: 1_000_000,
        ..facts(Some(&ok))
    };
    assert!(codes(&f).is_empty(), "billing off: no usage check");
    let f = LaunchFacts {
        number_known: false,
        ..facts(Some(&ok))
    };
    assert_eq!(codes(&f), ["unknown_number"]);
    let f = LaunchFacts {
        number: NumberFacts::TokenRejected("expired".into()),
        ..facts(Some(&ok))
    };
    assert_eq!(codes(&f), ["token_invalid"]);
    let f = LaunchFacts {
        number: NumberFacts::Unknown("timeout".into()),
        ..facts(Some(&ok))
    };
    assert_eq!(codes(&f), ["number_unchecked"]);
    let blocked = NumberFacts::Answered {
        availability: SendAvailability::Blocked,
        quality: None,
    };
    let f = LaunchFacts {
        number: blocked,
        ..facts(Some(&ok))
    };
    assert_eq!(codes(&f), ["number_blocked"]);
}

#[test]
fn a_low_quality_number_refuses_only_a_large_unconfirmed_send() {
    let ok = template(TemplateStatus::Approved, "MARKETING");
    let low = NumberFacts::Answered {
        availability: SendAvailability::Available,
        quality: Some("RED".into()),
    };
    let f = LaunchFacts {
        number: low.clone(),
        ..facts(Some(&ok))
    };
    assert_eq!(codes(&f), ["quality_low"]);
    let small = LaunchFacts {
        eligible: 4,
        ..f.clone()
    };
    assert!(codes(&small).is_empty());
    let confirmed = LaunchFacts {
        confirmed_low_quality: true,
        ..f
    };
    assert!(codes(&confirmed).is_empty());
}
