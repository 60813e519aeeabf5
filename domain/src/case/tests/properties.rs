//! Property: whatever sequence of commands a case receives, `decide` + `apply`
//! keep the case's invariants.
//!
//! Each generated step (`random_steps`) becomes a concrete `CaseCommand`
//! against the current state, is decided, and when accepted its events are
//! applied; what was recorded and the state after it are checked against the
//! invariants below, written out independently of the rules in `rules.rs`.

use chrono::{DateTime, Duration, Utc};
use cqrs_es::Aggregate;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

use super::casework_steps::check_casework;
use super::fixtures::now;
use super::random_steps::{casework_steps, command, steps, Step};
use crate::case::{Case, CaseCommand, CaseEvent, Consent, MAX_PERSONS};
use crate::clock::{earliest_record, Clock, MAX_CLOCK_SKEW_SECONDS};
use crate::values::{CaseStatus, ReferralStatus, Role};

fn latest_allowed() -> DateTime<Utc> {
    now() + Duration::seconds(MAX_CLOCK_SKEW_SECONDS)
}

// ---- invariants -------------------------------------------------------------

/// The referral state machine of DESIGN.md, written out independently of
/// `ReferralStatus::can_move_to` so that a mistake there is caught here.
fn legal_move(from: ReferralStatus, to: ReferralStatus) -> bool {
    use ReferralStatus::*;
    matches!(
        (from, to),
        (Sent, Acknowledged)
            | (Acknowledged, InProgress)
            | (InProgress, Completed)
            | (Sent, Declined)
            | (Sent, Cancelled)
            | (Acknowledged, Declined)
            | (Acknowledged, Cancelled)
            | (InProgress, Declined)
            | (InProgress, Cancelled)
    )
}

/// The business time an event records, if any.
fn event_time(event: &CaseEvent) -> Option<DateTime<Utc>> {
    match event {
        CaseEvent::CaseOpened { opened_at, .. } => Some(*opened_at),
        CaseEvent::ReferralSent { referred_at, .. } => Some(*referred_at),
        CaseEvent::ReferralStatusChanged { at, .. } => Some(*at),
        CaseEvent::RescueRecorded { rescued_at, .. } => Some(*rescued_at),
        CaseEvent::SupportProvided { provided_at, .. } => Some(*provided_at),
        CaseEvent::CaseClosed { closed_at, .. } => Some(*closed_at),
        CaseEvent::CaseReopened { reopened_at, .. } => Some(*reopened_at),
        CaseEvent::VictimStatusDecided { decided_at, .. } => Some(*decided_at),
        CaseEvent::ReferralFeedbackAdded { added_at, .. } => Some(*added_at),
        CaseEvent::ReferralHandedOn { at, .. } => Some(*at),
        CaseEvent::CaseTaken { taken_at: at, .. }
        | CaseEvent::CaseAssigned {
            assigned_at: at, ..
        }
        | CaseEvent::CaseNoteWritten { written_at: at, .. }
        | CaseEvent::FollowUpCreated { created_at: at, .. }
        | CaseEvent::FollowUpCompleted {
            completed_at: at, ..
        } => Some(*at),
        CaseEvent::PersonAttached { .. }
        | CaseEvent::CallAttached { .. }
        | CaseEvent::PersonErased { .. }
        | CaseEvent::PersonCorrected { .. }
        | CaseEvent::PersonDetailsRecorded { .. }
        | CaseEvent::DestinationRecorded { .. } => None,
    }
}

fn all_unique<T: PartialEq>(items: &[T]) -> bool {
    items
        .iter()
        .enumerate()
        .all(|(i, a)| items[i + 1..].iter().all(|b| a != b))
}

/// What an accepted command may record, judged against the case before it.
fn check_decision(
    before: &Case,
    command: &CaseCommand,
    events: &[CaseEvent],
) -> Result<(), TestCaseError> {
    if events.is_empty() {
        return Ok(());
    }
    if before.id.is_none() {
        prop_assert!(
            matches!(command, CaseCommand::Open(_)),
            "only opening records on an unopened case"
        );
    } else if before.status == CaseStatus::Closed {
        prop_assert!(
            matches!(command, CaseCommand::Reopen(_) | CaseCommand::ErasePerson(_))
                || matches!(
                    command,
                    CaseCommand::CorrectPerson(c) if c.requested_by == Role::Supervisor
                ),
            "nothing but a reopening, an erasure or a supervisor's correction is recorded on a closed case"
        );
    }
    for event in events {
        if let Some(at) = event_time(event) {
            prop_assert!(at <= latest_allowed(), "{at} is in the future");
            prop_assert!(at >= earliest_record(), "{at} is before 2000");
        }
        match event {
            CaseEvent::ReferralSent {
                referral_id,
                referred_at,
                consent_given,
                override_reason,
                ..
            } => {
                let CaseCommand::SendReferral(cmd) = command else {
                    return Err(TestCaseError::fail("ReferralSent from another command"));
                };
                prop_assert!(before.referral(*referral_id).is_none());
                prop_assert!(*referred_at >= before.open_since);
                if *consent_given {
                    prop_assert_eq!(&cmd.consent, &Consent::Given);
                    prop_assert_eq!(override_reason, &None);
                } else {
                    prop_assert_eq!(cmd.requested_by, Role::Supervisor);
                    let Consent::Overridden { reason } = &cmd.consent else {
                        return Err(TestCaseError::fail("consent neither given nor overridden"));
                    };
                    prop_assert_eq!(override_reason.as_ref(), Some(reason));
                }
            }
            CaseEvent::ReferralStatusChanged {
                referral_id,
                from,
                to,
                at,
                outcome,
            } => {
                let referral = before.referral(*referral_id);
                prop_assert!(referral.is_some(), "status change of an unknown referral");
                let referral = referral.expect("checked above");
                prop_assert_eq!(referral.status, *from);
                prop_assert!(
                    legal_move(*from, *to),
                    "{} → {} is not a legal move",
                    from,
                    to
                );
                prop_assert_eq!(*to == ReferralStatus::Completed, outcome.is_some());
                prop_assert!(*at >= referral.status_at);
                prop_assert!(*at >= before.open_since);
            }
            CaseEvent::RescueRecorded {
                rescue_id,
                referral_id,
                rescued_at,
                ..
            } => {
                prop_assert!(before.rescue(*rescue_id).is_none());
                let referral = before.referral(*referral_id);
                prop_assert!(referral.is_some(), "rescue on an unknown referral");
                let referral = referral.expect("checked above");
                prop_assert!(
                    !matches!(
                        referral.status,
                        ReferralStatus::Declined | ReferralStatus::Cancelled
                    ),
                    "rescue recorded on a {} referral",
                    referral.status
                );
                prop_assert!(*rescued_at >= referral.referred_at);
                prop_assert!(*rescued_at >= before.open_since);
            }
            CaseEvent::SupportProvided {
                person_id,
                provided_at,
                ..
            } => {
                if let Some(person_id) = person_id {
                    prop_assert!(before.person(*person_id).is_some());
                }
                prop_assert!(*provided_at >= before.open_since);
            }
            CaseEvent::CaseClosed { closed_at, .. } => {
                prop_assert!(*closed_at >= before.latest_at);
            }
            CaseEvent::CaseReopened { reopened_at, .. } => {
                prop_assert!(before
                    .closed_at
                    .is_some_and(|closed| *reopened_at >= closed));
            }
            CaseEvent::PersonAttached {
                person_id,
                birth_year,
                ..
            } => {
                prop_assert!(before.person(*person_id).is_none());
                prop_assert!(birth_year.is_none_or(|y| y <= 2025));
            }
            CaseEvent::PersonErased { person_id, .. } => {
                prop_assert!(before.person(*person_id).is_some_and(|p| !p.erased));
            }
            CaseEvent::PersonCorrected { person_id, .. }
            | CaseEvent::PersonDetailsRecorded { person_id, .. }
            | CaseEvent::VictimStatusDecided { person_id, .. } => {
                prop_assert!(before.person(*person_id).is_some());
            }
            CaseEvent::ReferralFeedbackAdded { referral_id, .. }
            | CaseEvent::ReferralHandedOn { referral_id, .. } => {
                prop_assert!(before.referral(*referral_id).is_some());
            }
            CaseEvent::CaseOpened { .. }
            | CaseEvent::CallAttached { .. }
            | CaseEvent::DestinationRecorded { .. } => {}
            CaseEvent::CaseTaken { .. }
            | CaseEvent::CaseAssigned { .. }
            | CaseEvent::CaseNoteWritten { .. }
            | CaseEvent::FollowUpCreated { .. }
            | CaseEvent::FollowUpCompleted { .. } => check_casework(before, command, event)?,
        }
    }
    Ok(())
}

/// What must hold of the case after every step.
fn check_state(case: &Case) -> Result<(), TestCaseError> {
    if case.id.is_none() {
        prop_assert_eq!(case, &Case::default(), "an unopened case holds nothing");
        return Ok(());
    }
    prop_assert_eq!(case.status == CaseStatus::Closed, case.closed_at.is_some());
    if case.status == CaseStatus::Closed {
        prop_assert_eq!(
            case.closed_at,
            Some(case.latest_at),
            "nothing after the closing"
        );
    }

    let referral_ids: Vec<_> = case.referrals.iter().map(|r| r.referral_id).collect();
    let rescue_ids: Vec<_> = case.rescues.iter().map(|r| r.rescue_id).collect();
    let person_ids: Vec<_> = case.persons.iter().map(|p| p.person_id).collect();
    let provision_ids: Vec<_> = case.support.iter().map(|s| s.provision_id).collect();
    prop_assert!(
        all_unique(&referral_ids),
        "referral ids: {:?}",
        referral_ids
    );
    prop_assert!(all_unique(&rescue_ids), "rescue ids: {:?}", rescue_ids);
    prop_assert!(all_unique(&person_ids), "person ids: {:?}", person_ids);
    prop_assert!(
        all_unique(&provision_ids),
        "provision ids: {:?}",
        provision_ids
    );
    prop_assert!(all_unique(&case.call_ids), "call ids: {:?}", case.call_ids);
    let note_ids: Vec<_> = case.notes.iter().map(|n| n.note_id).collect();
    let task_ids: Vec<_> = case.follow_ups.iter().map(|f| f.follow_up_id).collect();
    prop_assert!(all_unique(&note_ids), "note ids: {:?}", note_ids);
    prop_assert!(all_unique(&task_ids), "follow-up ids: {:?}", task_ids);
    prop_assert!(case.persons.len() <= MAX_PERSONS);

    for referral in &case.referrals {
        let rescued: u32 = case
            .rescues
            .iter()
            .filter(|r| r.referral_id == referral.referral_id)
            .map(|r| u32::from(r.persons_rescued))
            .sum();
        prop_assert_eq!(referral.persons_rescued, rescued);
        prop_assert!(referral.status_at >= referral.referred_at);
        prop_assert!(referral.referred_at >= case.opened_at);
        prop_assert_eq!(
            referral.status == ReferralStatus::Completed,
            referral.outcome.is_some()
        );
    }
    for rescue in &case.rescues {
        let referral = case.referral(rescue.referral_id);
        prop_assert!(
            referral.is_some(),
            "rescue {} has no referral",
            rescue.rescue_id
        );
        let referral = referral.expect("checked above");
        prop_assert!(rescue.rescued_at >= referral.referred_at);
    }
    for support in &case.support {
        if let Some(person_id) = support.person_id {
            prop_assert!(case.person(person_id).is_some());
        }
    }

    // Every business time is within the records and not in the future, and
    // `latest_at` is the latest of them.
    let times: Vec<DateTime<Utc>> = [case.opened_at, case.open_since]
        .into_iter()
        .chain(case.closed_at)
        .chain(
            case.referrals
                .iter()
                .flat_map(|r| [r.referred_at, r.status_at]),
        )
        .chain(case.rescues.iter().map(|r| r.rescued_at))
        .chain(case.support.iter().map(|s| s.provided_at))
        .chain(case.owned_since)
        .chain(case.notes.iter().map(|n| n.written_at))
        .chain(
            case.follow_ups
                .iter()
                .flat_map(|f| [Some(f.created_at), f.completed.as_ref().map(|c| c.1)])
                .flatten(),
        )
        .collect();
    for at in &times {
        prop_assert!(*at <= latest_allowed(), "{at} is in the future");
        prop_assert!(*at >= earliest_record(), "{at} is before 2000");
    }
    prop_assert_eq!(times.iter().max().copied(), Some(case.latest_at));
    prop_assert!(case.open_since >= case.opened_at);
    Ok(())
}

/// Runs the steps, checking every invariant; returns the kinds of the events recorded.
fn run(steps: &[Step]) -> Result<Vec<String>, TestCaseError> {
    let clock = Clock::fixed(now());
    let mut case = Case::default();
    let mut history = Vec::new();
    for step in steps {
        let command = command(step, &case);
        let before = case.clone();
        let decided = case.decide(command.clone(), &clock);
        prop_assert_eq!(&case, &before, "deciding never changes the case");
        prop_assert_eq!(
            &decided,
            &case.decide(command.clone(), &clock),
            "deciding is deterministic"
        );
        if let Ok(events) = decided {
            check_decision(&before, &command, &events)?;
            for event in events {
                case.apply(event.clone());
                history.push(event);
            }
        }
        check_state(&case)?;
    }
    let mut replayed = Case::default();
    for event in &history {
        replayed.apply(event.clone());
    }
    prop_assert_eq!(&replayed, &case, "the case is the fold of its events");
    Ok(history
        .iter()
        .map(|e| match e {
            CaseEvent::ReferralStatusChanged { to, .. } => format!("ReferralStatusChanged:{to}"),
            other => cqrs_es::DomainEvent::event_type(other),
        })
        .collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_sequence_of_commands_keeps_the_case_invariants(steps in steps()) {
        run(&steps)?;
    }

    #[test]
    fn every_sequence_of_casework_keeps_the_case_invariants(steps in casework_steps()) {
        run(&steps)?;
    }
}

/// Guards the property against being vacuous: the generator must reach every
/// kind of event, every referral status and a reopening.
#[test]
fn the_generator_reaches_every_kind_of_event() {
    const RUNS: usize = 256;
    let mut runner = TestRunner::deterministic();
    let strategy = steps();
    let mut seen: Vec<String> = Vec::new();
    for _ in 0..RUNS {
        let steps = strategy
            .new_tree(&mut runner)
            .expect("the strategy generates")
            .current();
        seen.extend(run(&steps).expect("the invariants hold"));
    }
    let kinds = [
        "CaseOpened",
        "PersonAttached",
        "CallAttached",
        "ReferralSent",
        "ReferralStatusChanged:ACKNOWLEDGED",
        "ReferralStatusChanged:IN_PROGRESS",
        "ReferralStatusChanged:COMPLETED",
        "ReferralStatusChanged:DECLINED",
        "ReferralStatusChanged:CANCELLED",
        "RescueRecorded",
        "SupportProvided",
        "CaseClosed",
        "CaseReopened",
    ];
    assert_reached(&seen, &kinds, RUNS);
}

fn assert_reached(seen: &[String], kinds: &[&str], runs: usize) {
    for kind in kinds {
        let n = seen.iter().filter(|k| k == kind).count();
        assert!(n >= 5, "{kind} recorded only {n} times in {runs} runs");
    }
}

/// The same guard for the casework generator.
#[test]
fn the_casework_generator_reaches_every_kind_of_casework_event() {
    const RUNS: usize = 256;
    let mut runner = TestRunner::deterministic();
    let strategy = casework_steps();
    let mut seen = Vec::new();
    for _ in 0..RUNS {
        let steps = strategy
            .new_tree(&mut runner)
            .expect("the strategy generates")
            .current();
        seen.extend(run(&steps).expect("the invariants hold"));
    }
    let kinds = [
        "CaseTaken",
        "CaseAssigned",
        "CaseNoteWritten",
        "FollowUpCreated",
        "FollowUpCompleted",
    ];
    assert_reached(&seen, &kinds, RUNS);
}
