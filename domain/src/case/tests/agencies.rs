//! The agency holding a referral: feedback notes and handing it on.

use proptest::prelude::*;

use super::fixtures::*;
use crate::case::{AddReferralFeedback, Case, CaseCommand, CaseEvent, HandOnReferral};
use crate::error::DomainError;
use crate::values::{Agency, ReferralStatus};

const FEEDBACK1: uuid::Uuid = uuid::Uuid::from_u128(0xFEED1);

fn hand_on(by: Agency, to: Agency, at: &str) -> CaseCommand {
    CaseCommand::HandOnReferral(HandOnReferral {
        case_id: CASE,
        referral_id: R1,
        by,
        to,
        at: t(at),
        reason: None,
    })
}

fn handed_on(from: Agency, to: Agency, at: &str) -> CaseEvent {
    CaseEvent::ReferralHandedOn {
        referral_id: R1,
        from,
        to,
        reports_as: None,
        at: t(at),
        reason: None,
    }
}

fn feedback(agency: Agency) -> CaseCommand {
    CaseCommand::AddReferralFeedback(AddReferralFeedback {
        case_id: CASE,
        referral_id: R1,
        feedback_id: FEEDBACK1,
        agency,
        added_at: t("2025-09-04T00:00:00Z"),
        note: sealed("note"),
    })
}

#[test]
fn the_holder_hands_a_referral_on_and_the_new_holder_receives_it_as_sent() {
    let mut events = referral_in(ReferralStatus::Acknowledged);
    given(events.clone())
        .when(hand_on(
            Agency::CriminalPolice,
            Agency::BorderGuard,
            "2025-09-04T00:00:00Z",
        ))
        .then_expect_events(vec![handed_on(
            Agency::CriminalPolice,
            Agency::BorderGuard,
            "2025-09-04T00:00:00Z",
        )]);
    events.push(handed_on(
        Agency::CriminalPolice,
        Agency::BorderGuard,
        "2025-09-04T00:00:00Z",
    ));
    let mut case = Case::default();
    for event in events.clone() {
        cqrs_es::Aggregate::apply(&mut case, event);
    }
    let referral = case.referral(R1).expect("the referral is kept");
    assert_eq!(referral.agency, Agency::BorderGuard);
    assert_eq!(referral.status, ReferralStatus::Sent);
    assert_eq!(referral.chain.len(), 1);
    assert_eq!(case.referrals.len(), 1, "one referral, counted once");
    // The old holder no longer acts on it.
    given(events.clone())
        .when(hand_on(
            Agency::CriminalPolice,
            Agency::CoastGuard,
            "2025-09-05T00:00:00Z",
        ))
        .then_expect_error(DomainError::ReferralHeldElsewhere(R1));
    given(events)
        .when(feedback(Agency::CriminalPolice))
        .then_expect_error(DomainError::ReferralHeldElsewhere(R1));
}

#[test]
fn a_referral_is_not_handed_to_its_holder_nor_once_it_ended() {
    given(referral_in(ReferralStatus::Sent))
        .when(hand_on(
            Agency::CriminalPolice,
            Agency::CriminalPolice,
            "2025-09-04T00:00:00Z",
        ))
        .then_expect_error(DomainError::HandOnToHolder(R1));
    for ended in [
        ReferralStatus::Completed,
        ReferralStatus::Declined,
        ReferralStatus::Cancelled,
    ] {
        given(referral_in(ended))
            .when(hand_on(
                Agency::CriminalPolice,
                Agency::BorderGuard,
                MOVE_AT,
            ))
            .then_expect_error(DomainError::ReferralNotOpen {
                referral: R1,
                status: ended.as_str(),
            });
    }
}

#[test]
fn a_hand_on_is_not_before_the_last_status_change() {
    let refused = given(referral_in(ReferralStatus::InProgress))
        .when(hand_on(
            Agency::CriminalPolice,
            Agency::BorderGuard,
            "2025-09-03T12:00:00Z",
        ))
        .inspect_result();
    assert!(
        matches!(refused, Err(DomainError::BeforePrevious { .. })),
        "{refused:?}"
    );
}

#[test]
fn the_holder_adds_feedback_once_per_id() {
    let added = CaseEvent::ReferralFeedbackAdded {
        feedback_id: FEEDBACK1,
        referral_id: R1,
        agency: Agency::CriminalPolice,
        added_at: t("2025-09-04T00:00:00Z"),
        note: sealed("note"),
    };
    given(referral_in(ReferralStatus::Sent))
        .when(feedback(Agency::CriminalPolice))
        .then_expect_events(vec![added.clone()]);
    let mut events = referral_in(ReferralStatus::Sent);
    events.push(added);
    given(events)
        .when(feedback(Agency::CriminalPolice))
        .then_expect_error(DomainError::FeedbackExists(FEEDBACK1));
    given(referral_in(ReferralStatus::Sent))
        .when(feedback(Agency::BorderGuard))
        .then_expect_error(DomainError::ReferralHeldElsewhere(R1));
}

proptest! {
    /// Whatever chain of hand-ons the agencies attempt, the case keeps one
    /// referral, its holder is the last agency that received it, and its
    /// chain lists every accepted step in order.
    #[test]
    fn a_chain_of_hand_ons_keeps_one_referral_and_its_holders(
        targets in prop::collection::vec(0..Agency::ALL.len(), 0..12)
    ) {
        let mut case = Case::default();
        for event in referral_in(ReferralStatus::Sent) {
            cqrs_es::Aggregate::apply(&mut case, event);
        }
        let mut holders = vec![Agency::CriminalPolice];
        for (day, target) in targets.into_iter().enumerate() {
            let to = Agency::ALL[target];
            let holder = *holders.last().expect("a holder");
            let at = t("2025-09-03T00:00:00Z") + chrono::Duration::hours(day as i64);
            let command = CaseCommand::HandOnReferral(HandOnReferral {
                case_id: CASE, referral_id: R1, by: holder, to, at, reason: None,
            });
            match case.decide(command, &clock()) {
                Ok(events) => {
                    prop_assert_ne!(to, holder);
                    for event in events {
                        cqrs_es::Aggregate::apply(&mut case, event);
                    }
                    holders.push(to);
                }
                Err(refusal) => {
                    prop_assert_eq!(to, holder);
                    prop_assert_eq!(refusal, DomainError::HandOnToHolder(R1));
                }
            }
        }
        let referral = case.referral(R1).expect("the referral is kept");
        prop_assert_eq!(case.referrals.len(), 1);
        prop_assert_eq!(Some(&referral.agency), holders.last());
        prop_assert_eq!(referral.chain.len(), holders.len() - 1);
        let chain_holders: Vec<Agency> = referral.chain.iter().map(|h| h.to).collect();
        prop_assert_eq!(chain_holders, holders[1..].to_vec());
    }
}
