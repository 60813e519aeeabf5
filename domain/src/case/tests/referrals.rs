//! Sending a referral to an agency, and the person's consent to it.

use chrono::Duration;

use super::fixtures::*;
use crate::case::{CaseCommand, CaseEvent, Consent};
use crate::clock::MAX_CLOCK_SKEW_SECONDS;
use crate::error::DomainError;
use crate::values::{Agency, Role};

#[test]
fn referral_with_consent_is_sent() {
    given(vec![opened()])
        .when(CaseCommand::SendReferral(referral(R1, SENT_AT)))
        .then_expect_events(vec![sent(R1, SENT_AT)]);
}

#[test]
fn referral_without_consent_or_override_is_refused() {
    for role in Role::ALL.iter().copied() {
        let mut cmd = referral(R1, SENT_AT);
        cmd.consent = Consent::Missing;
        cmd.requested_by = role;
        let refused = given(vec![opened()])
            .when(CaseCommand::SendReferral(cmd))
            .inspect_result();
        assert_eq!(refused, Err(DomainError::ConsentRequired), "{role}");
    }
}

#[test]
fn consent_override_by_anyone_but_a_supervisor_is_refused() {
    for role in Role::ALL.iter().copied().filter(|r| *r != Role::Supervisor) {
        let mut cmd = referral(R1, SENT_AT);
        cmd.consent = Consent::Overridden {
            reason: sealed("override"),
        };
        cmd.requested_by = role;
        let refused = given(vec![opened()])
            .when(CaseCommand::SendReferral(cmd))
            .inspect_result();
        assert_eq!(refused, Err(DomainError::OverrideNeedsSupervisor), "{role}");
    }
}

#[test]
fn consent_override_by_a_supervisor_records_the_reason() {
    let mut cmd = referral(R1, SENT_AT);
    cmd.consent = Consent::Overridden {
        reason: sealed("override"),
    };
    cmd.requested_by = Role::Supervisor;
    cmd.reason = Some(sealed("why-refer"));
    given(vec![opened()])
        .when(CaseCommand::SendReferral(cmd))
        .then_expect_events(vec![CaseEvent::ReferralSent {
            referral_id: R1,
            agency: Agency::CriminalPolice,
            reports_as: None,
            referred_at: t(SENT_AT),
            persons_at_risk: 2,
            consent_given: false,
            override_reason: Some(sealed("override")),
            reason: Some(sealed("why-refer")),
        }]);
}

#[test]
fn referral_with_an_existing_id_is_refused() {
    given(vec![opened(), sent(R1, SENT_AT)])
        .when(CaseCommand::SendReferral(referral(
            R1,
            "2025-09-03T00:00:00Z",
        )))
        .then_expect_error(DomainError::ReferralExists(R1));
}

#[test]
fn referral_beyond_the_allowed_clock_skew_is_refused() {
    let at = (now() + Duration::seconds(MAX_CLOCK_SKEW_SECONDS + 1)).to_rfc3339();
    given(vec![opened()])
        .when(CaseCommand::SendReferral(referral(R1, &at)))
        .then_expect_error(DomainError::InFuture {
            field: "referredAt",
        });
}

#[test]
fn referral_before_the_case_was_opened_is_refused() {
    given(vec![opened()])
        .when(CaseCommand::SendReferral(referral(
            R1,
            "2025-09-01T01:59:59Z",
        )))
        .then_expect_error(DomainError::BeforePrevious {
            field: "referredAt",
            at: t("2025-09-01T01:59:59Z"),
            follows: "the case's opening (or latest reopening)",
            earlier: t(OPENED),
        });
}

#[test]
fn referral_before_the_latest_reopening_is_refused() {
    given(vec![
        opened(),
        closed("2025-09-05T00:00:00Z"),
        reopened("2025-09-06T00:00:00Z"),
    ])
    .when(CaseCommand::SendReferral(referral(
        R1,
        "2025-09-05T12:00:00Z",
    )))
    .then_expect_error(DomainError::BeforePrevious {
        field: "referredAt",
        at: t("2025-09-05T12:00:00Z"),
        follows: "the case's opening (or latest reopening)",
        earlier: t("2025-09-06T00:00:00Z"),
    });
}
