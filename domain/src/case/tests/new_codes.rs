//! Codes ADMIN added (a new agency, a new province) are checked against the
//! reference book on the day the thing happened: unknown codes and codes not
//! yet in force are refused, naming the code; a referral records the class
//! its agency reported as that day.

use std::sync::Arc;

use cqrs_es::test::{AggregateTestExecutor, TestFramework};

use super::fixtures::*;
use crate::case::{Case, CaseCommand, CaseEvent, HandOnReferral};
use crate::error::DomainError;
use crate::reference::book::ReferenceBook;
use crate::reference::dated::{Change, ReferenceKind};
use crate::values::{Agency, AgencyClass, Region};

/// The day ADMIN's shelter and island province come into force.
const FROM: &str = "2025-09-05";

fn shelter() -> Agency {
    "HA_NOI_SHELTER".parse().expect("a code")
}

/// The book with the shelter (reporting as `class`) and the island province.
fn book(class: &str) -> Arc<ReferenceBook> {
    Arc::new(ReferenceBook::new(vec![
        Change::added(
            ReferenceKind::Agency,
            shelter().as_str(),
            FROM,
            &[("ministry", "NON_GOVERNMENTAL"), ("reportsAs", class)],
        ),
        Change::added(
            ReferenceKind::Province,
            "DAO_MOI",
            FROM,
            &[("region", "SOUTHEAST")],
        ),
    ]))
}

fn given_book(events: Vec<CaseEvent>) -> AggregateTestExecutor<Case> {
    TestFramework::<Case>::with(clock().with_book(book("NGO"))).given(events)
}

fn refer(agency: Agency, at: &str) -> CaseCommand {
    let mut cmd = referral(R1, at);
    cmd.agency = agency;
    CaseCommand::SendReferral(cmd)
}

#[test]
fn a_referral_to_an_agency_no_book_knows_is_refused_naming_it() {
    let nobody: Agency = "NOBODY".parse().expect("a code");
    let refused = given_book(vec![opened()])
        .when(refer(nobody, "2025-09-06T00:00:00Z"))
        .inspect_result();
    assert!(refused.is_err_and(|e| e.to_string().contains("NOBODY")));
}

#[test]
fn a_referral_before_the_new_agency_is_in_force_is_refused() {
    // 4 September 2025, 23:00 in Hanoi: the day before the shelter opens.
    let refused = given_book(vec![opened()])
        .when(refer(shelter(), "2025-09-04T16:00:00Z"))
        .inspect_result();
    assert_eq!(
        refused,
        Err(DomainError::NotInForce {
            kind: "agency",
            code: "HA_NOI_SHELTER".into(),
            day: "2025-09-04".into(),
        })
    );
}

#[test]
fn a_referral_to_the_new_agency_records_its_class_of_the_day() {
    let mut event = sent(R1, "2025-09-05T00:00:00Z");
    if let CaseEvent::ReferralSent {
        agency, reports_as, ..
    } = &mut event
    {
        *agency = shelter();
        *reports_as = Some(AgencyClass::Ngo);
    }
    given_book(vec![opened()])
        .when(refer(shelter(), "2025-09-05T00:00:00Z"))
        .then_expect_events(vec![event.clone()]);
    // The repository's book alone does not know the shelter.
    let refused = given(vec![opened()])
        .when(refer(shelter(), "2025-09-05T00:00:00Z"))
        .inspect_result();
    assert!(matches!(refused, Err(DomainError::UnknownCode { .. })));
    // What was recorded stays: a later re-attribution changes no referral.
    let mut case = Case::default();
    for e in [opened(), event] {
        cqrs_es::Aggregate::apply(&mut case, e);
    }
    let referral = case.referral(R1).expect("sent");
    assert_eq!(referral.class(), AgencyClass::Ngo);
}

#[test]
fn a_referral_is_handed_on_to_the_new_agency_with_its_class() {
    let hand_on = CaseCommand::HandOnReferral(HandOnReferral {
        case_id: CASE,
        referral_id: R1,
        by: Agency::CriminalPolice,
        to: shelter(),
        at: t("2025-09-06T00:00:00Z"),
        reason: None,
    });
    given_book(vec![opened(), sent(R1, SENT_AT)])
        .when(hand_on)
        .then_expect_events(vec![CaseEvent::ReferralHandedOn {
            referral_id: R1,
            from: Agency::CriminalPolice,
            to: shelter(),
            reports_as: Some(AgencyClass::Ngo),
            at: t("2025-09-06T00:00:00Z"),
            reason: None,
        }]);
}

#[test]
fn a_case_in_a_province_of_the_new_map_takes_its_region_from_its_first_day() {
    let mut cmd = open_cmd();
    cmd.from_call = None;
    cmd.province = Some("DAO_MOI".into());
    cmd.opened_at = t("2025-09-05T01:00:00Z");
    given_book(vec![])
        .when(CaseCommand::Open(cmd.clone()))
        .then_expect_events(vec![CaseEvent::CaseOpened {
            case_id: CASE,
            opened_at: t("2025-09-05T01:00:00Z"),
            from_call_id: None,
            region: Region::Southeast,
            province: Some("DAO_MOI".into()),
            exploitation_types: vec![],
        }]);
    cmd.opened_at = t("2025-09-04T01:00:00Z");
    let refused = given_book(vec![])
        .when(CaseCommand::Open(cmd))
        .inspect_result();
    assert!(matches!(
        refused,
        Err(DomainError::ProvinceNotYetValid { ref province, .. }) if province == "DAO_MOI"
    ));
}
