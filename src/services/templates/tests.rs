//! Reconciliation with Meta's list, and the definition of a new template.

use super::*;
use crate::integrations::meta::templates::TemplateStatus as MetaStatus;

fn local(name: &str, status: TemplateStatus, meta_id: Option<&str>) -> Template {
    Template {
        name: name.into(),
        language: "en_US".into(),
        category: "UTILITY".into(),
        status,
        meta_id: meta_id.map(Into::into),
        components: "[{\"type\":\"BODY\",\"text\":\"local\"}]".into(),
        reason: Some("kept".into()),
        updated_at: Timestamp(1),
    }
}

fn remote(name: &str, id: &str, status: &str) -> RemoteTemplate {
    RemoteTemplate {
        id: id.into(),
        name: name.into(),
        language: "en_US".into(),
        status: MetaStatus::parse(status),
        category: "MARKETING".into(),
        components: serde_json::json!([{"type": "BODY", "text": "remote"}]),
        rejected_reason: None,
    }
}

#[test]
fn an_unchanged_template_is_not_written() {
    let l = [local("order_update", TemplateStatus::Approved, Some("1"))];
    let r = [remote("order_update", "1", "APPROVED")];
    assert!(reconciled(&l, &r, Timestamp(9)).is_empty());
}

#[test]
fn a_new_status_is_taken_and_the_record_kept() {
    let l = [local(
        "order_update",
        TemplateStatus::PendingApproval,
        Some("1"),
    )];
    let r = [remote("order_update", "1", "REJECTED")];
    let out = reconciled(&l, &r, Timestamp(9));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].status, TemplateStatus::Rejected);
    assert_eq!(out[0].category, "UTILITY");
    assert!(out[0].components.contains("local"));
    assert_eq!(out[0].reason.as_deref(), Some("kept"));
    assert_eq!(out[0].updated_at, Timestamp(9));
}

#[test]
fn a_draft_submitted_elsewhere_takes_meta_s_id() {
    let l = [local("promo", TemplateStatus::Draft, None)];
    let out = reconciled(&l, &[remote("promo", "77", "PENDING")], Timestamp(9));
    assert_eq!(out[0].meta_id.as_deref(), Some("77"));
    assert_eq!(out[0].status, TemplateStatus::PendingApproval);
}

#[test]
fn a_template_made_elsewhere_is_added_as_meta_lists_it() {
    let out = reconciled(&[], &[remote("welcome", "5", "APPROVED")], Timestamp(9));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].name, "welcome");
    assert_eq!(out[0].category, "MARKETING");
    assert_eq!(out[0].status, TemplateStatus::Approved);
    assert!(out[0].components.contains("remote"));
}

#[test]
fn a_local_template_meta_does_not_list_is_left_alone() {
    let l = [local("draft_only", TemplateStatus::Draft, None)];
    assert!(reconciled(&l, &[], Timestamp(9)).is_empty());
}

fn new_template(category: &str, buttons: Vec<ButtonBody>) -> NewTemplate {
    NewTemplate {
        name: "order_update".into(),
        language: "en_US".into(),
        category: category.into(),
        header_text: None,
        header_example: None,
        body: "Hello {{1}}, your order is on its way.".into(),
        body_examples: vec!["Ana".into()],
        footer: None,
        buttons,
        submit: false,
    }
}

#[test]
fn an_unknown_category_is_refused() {
    let e = definition(&new_template("PROMO", vec![])).expect_err("refused");
    assert_eq!(
        e.to_string(),
        "category `PROMO` is not MARKETING or UTILITY"
    );
}

#[test]
fn a_call_button_needs_an_e164_number() {
    let b = ButtonBody::PhoneNumber {
        text: "Call us".into(),
        phone: "5511999".into(),
    };
    let e = definition(&new_template("UTILITY", vec![b])).expect_err("refused");
    assert!(
        matches!(e, TemplatesError::InvalidButtonPhone { .. }),
        "{e}"
    );
    assert!(e.to_string().starts_with("button phone `5511999`"));
}

#[test]
fn a_valid_template_has_a_definition() {
    assert!(definition(&new_template("utility", vec![])).is_ok());
}
