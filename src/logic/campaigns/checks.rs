//! The launch checks of a campaign, pure: every check that fails is named with a stable
//! code and a sentence, and a campaign launches only when none fails. The facts (the
//! template record, the reach, the billing period's usage, what Meta said of the number)
//! are gathered by the service that launches.

use crate::domain::whatsapp::{SendAvailability, Template, TemplateStatus};
use serde::Serialize;

/// What Meta said about the sending number at launch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NumberFacts {
    /// `health_status` and `quality_rating` answered.
    Answered {
        /// `can_send_message`.
        availability: SendAvailability,
        /// `quality_rating` (`GREEN`, `YELLOW`, `RED`; Meta's UI calls RED "Low").
        quality: Option<String>,
    },
    /// Meta rejected the token.
    TokenRejected(String),
    /// The call failed otherwise (the number's health is unknown).
    Unknown(String),
}

/// Everything the launch checks look at.
#[derive(Clone, Debug)]
pub struct LaunchFacts<'a> {
    /// The campaign's template, when it exists.
    pub template: Option<&'a Template>,
    /// The template's name and language as the campaign names it.
    pub template_ref: (&'a str, &'a str),
    /// Recipients the message would go to now.
    pub eligible: u64,
    /// The billing period's conversations used and included (`None`: billing is off).
    pub usage: Option<(u64, u64)>,
    /// The sending number is one of the shop's.
    pub number_known: bool,
    /// What Meta said about the number.
    pub number: NumberFacts,
    /// From this many recipients a send is "large".
    pub large_send: u64,
    /// The merchant confirmed a large send on a low-quality number.
    pub confirmed_low_quality: bool,
}

/// One failed launch check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LaunchProblem {
    /// `template_not_found`, `template_not_approved`, `template_category`,
    /// `no_recipients`, `usage_exceeded`, `unknown_number`, `token_invalid`,
    /// `number_blocked`, `number_unchecked`, `quality_low`.
    pub code: &'static str,
    /// For a human.
    pub message: String,
}

fn problem(code: &'static str, message: String) -> LaunchProblem {
    LaunchProblem { code, message }
}

/// Every launch check that fails (empty: launch).
pub fn launch_checks(f: &LaunchFacts<'_>) -> Vec<LaunchProblem> {
    let mut out = Vec::new();
    template(f, &mut out);
    if f.eligible == 0 {
        out.push(problem(
            "no_recipients",
            "no contact of the audience can receive this message (see the estimate's exclusions)"
                .into(),
        ));
    }
    if let Some((used, included)) = f.usage {
        let left = included.saturating_sub(used);
        if f.eligible > left {
            out.push(problem(
                "usage_exceeded",
                format!("the plan has {left} of its {included} conversations left this billing period; this campaign would use up to {}", f.eligible),
            ));
        }
    }
    if !f.number_known {
        out.push(problem(
            "unknown_number",
            "the sending number is not one of this shop's WhatsApp numbers".into(),
        ));
        return out;
    }
    number(f, &mut out);
    out
}

fn template(f: &LaunchFacts<'_>, out: &mut Vec<LaunchProblem>) {
    let (name, language) = f.template_ref;
    let Some(t) = f.template else {
        out.push(problem(
            "template_not_found",
            format!("template `{name}` ({language}) does not exist for this shop"),
        ));
        return;
    };
    if t.status != TemplateStatus::Approved {
        out.push(problem(
            "template_not_approved",
            format!(
                "template `{name}` ({language}) is {}; only APPROVED templates can be sent",
                t.status
            ),
        ));
    }
    if !matches!(t.category.as_str(), "MARKETING" | "UTILITY") {
        out.push(problem(
            "template_category",
            format!(
                "template `{name}` is {}: a campaign sends MARKETING (or UTILITY) templates; authentication codes are never broadcast",
                t.category
            ),
        ));
    }
}

fn number(f: &LaunchFacts<'_>, out: &mut Vec<LaunchProblem>) {
    match &f.number {
        NumberFacts::TokenRejected(why) => out.push(problem(
            "token_invalid",
            format!("Meta rejected the shop's WhatsApp access token: {why}"),
        )),
        NumberFacts::Unknown(why) => out.push(problem(
            "number_unchecked",
            format!("the sending number's health could not be checked ({why}); try again"),
        )),
        NumberFacts::Answered {
            availability,
            quality,
        } => {
            if *availability == SendAvailability::Blocked {
                out.push(problem(
                    "number_blocked",
                    "Meta reports the sending number cannot send messages (can_send_message BLOCKED)".into(),
                ));
            }
            let low = quality
                .as_deref()
                .is_some_and(|q| q.eq_ignore_ascii_case("RED") || q.eq_ignore_ascii_case("LOW"));
            if low && f.eligible >= f.large_send && !f.confirmed_low_quality {
                out.push(problem(
                    "quality_low",
                    format!("the sending number's quality rating is LOW and this send reaches {} recipients (large from {}): launch again with `confirm_low_quality: true` to send anyway", f.eligible, f.large_send),
                ));
            }
        }
    }
}
