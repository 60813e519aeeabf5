//! Casework: taking, assigning and transferring a case, its notes, its
//! follow-ups. One given/when/then test per rule.

use uuid::Uuid;

use super::fixtures::*;
use crate::case::{
    AssignCase, CaseCommand, CaseEvent, CompleteFollowUp, CreateFollowUp, TakeCase, WriteNote,
    MAX_DUE_DAYS,
};
use crate::error::DomainError;
use crate::values::Role;

const LAN: &str = "lan";
const HOA: &str = "hoa";
const MINH: &str = "minh";
const NOTE1: Uuid = Uuid::from_u128(0x0701);
const TASK1: Uuid = Uuid::from_u128(0x7A51);
const LATER: &str = "2025-09-03T00:00:00Z";

fn take(by: &str, at: &str) -> CaseCommand {
    CaseCommand::Take(TakeCase {
        case_id: CASE,
        by: by.into(),
        at: t(at),
    })
}

fn taken(by: &str, at: &str) -> CaseEvent {
    CaseEvent::CaseTaken {
        owner: by.into(),
        taken_at: t(at),
    }
}

fn assign(by: &str, role: Role, to: &str) -> CaseCommand {
    CaseCommand::Assign(AssignCase {
        case_id: CASE,
        to: to.into(),
        at: t(LATER),
        reason: sealed("handover"),
        by: by.into(),
        by_role: role,
    })
}

fn assigned(to: &str, from: Option<&str>) -> CaseEvent {
    CaseEvent::CaseAssigned {
        owner: to.into(),
        previous_owner: from.map(str::to_string),
        assigned_at: t(LATER),
        reason: sealed("handover"),
    }
}

pub(super) fn write(note: Uuid, at: &str) -> CaseCommand {
    CaseCommand::WriteNote(WriteNote {
        case_id: CASE,
        note_id: note,
        author: LAN.into(),
        written_at: t(at),
        text: sealed("note"),
    })
}

fn written(note: Uuid, at: &str) -> CaseEvent {
    CaseEvent::CaseNoteWritten {
        note_id: note,
        author: LAN.into(),
        written_at: t(at),
        text: sealed("note"),
    }
}

fn create(by: &str, role: Role, assignee: &str, due: &str) -> CaseCommand {
    CaseCommand::CreateFollowUp(CreateFollowUp {
        case_id: CASE,
        follow_up_id: TASK1,
        assignee: assignee.into(),
        created_at: t(LATER),
        due_at: t(due),
        description: sealed("call back"),
        by: by.into(),
        by_role: role,
    })
}

fn created(assignee: &str, due: &str) -> CaseEvent {
    CaseEvent::FollowUpCreated {
        follow_up_id: TASK1,
        assignee: assignee.into(),
        created_at: t(LATER),
        due_at: t(due),
        description: sealed("call back"),
    }
}

fn complete(by: &str, role: Role, at: &str) -> CaseCommand {
    CaseCommand::CompleteFollowUp(CompleteFollowUp {
        case_id: CASE,
        follow_up_id: TASK1,
        completed_at: t(at),
        by: by.into(),
        by_role: role,
    })
}

const DUE: &str = "2025-09-05T00:00:00Z";

// ---- ownership ----------------------------------------------------------------

#[test]
fn a_counsellor_takes_an_unassigned_case() {
    given(vec![opened()])
        .when(take(LAN, LATER))
        .then_expect_events(vec![taken(LAN, LATER)]);
}

#[test]
fn a_case_with_an_owner_cannot_be_taken_by_another() {
    given(vec![opened(), taken(LAN, LATER)])
        .when(take(HOA, LATER))
        .then_expect_error(DomainError::CaseAlreadyOwned(CASE));
}

#[test]
fn taking_ones_own_case_again_records_nothing() {
    given(vec![opened(), taken(LAN, LATER)])
        .when(take(LAN, LATER))
        .then_expect_events(vec![]);
}

#[test]
fn taking_is_casework_in_time_on_an_open_case() {
    given(vec![opened()])
        .when(take(LAN, "2025-08-01T00:00:00Z"))
        .then_expect_error_message(
            "at (2025-08-01 00:00:00 UTC) is before the case's opening (or latest reopening) (2025-09-01 02:00:00 UTC)",
        );
    given(vec![opened(), closed(LATER)])
        .when(take(LAN, LATER))
        .then_expect_error(DomainError::CaseClosed(CASE));
    given(vec![])
        .when(take(LAN, LATER))
        .then_expect_error(DomainError::CaseNotFound(CASE));
}

#[test]
fn a_supervisor_assigns_any_case_unassigned_or_owned() {
    given(vec![opened()])
        .when(assign(MINH, Role::Supervisor, LAN))
        .then_expect_events(vec![assigned(LAN, None)]);
    given(vec![opened(), taken(LAN, OPENED)])
        .when(assign(MINH, Role::Supervisor, HOA))
        .then_expect_events(vec![assigned(HOA, Some(LAN))]);
}

#[test]
fn the_owner_transfers_their_case_and_no_other_counsellor_can() {
    given(vec![opened(), taken(LAN, OPENED)])
        .when(assign(LAN, Role::Counsellor, HOA))
        .then_expect_events(vec![assigned(HOA, Some(LAN))]);
    given(vec![opened(), taken(LAN, OPENED)])
        .when(assign(HOA, Role::Counsellor, HOA))
        .then_expect_error(DomainError::NotCaseOwner(CASE));
    given(vec![opened()])
        .when(assign(LAN, Role::Counsellor, LAN))
        .then_expect_error(DomainError::NotCaseOwner(CASE));
}

#[test]
fn assigning_to_the_current_owner_records_nothing() {
    given(vec![opened(), taken(LAN, OPENED)])
        .when(assign(MINH, Role::Supervisor, LAN))
        .then_expect_events(vec![]);
}

#[test]
fn after_a_transfer_the_new_owner_holds_the_case() {
    given(vec![opened(), taken(LAN, OPENED), assigned(HOA, Some(LAN))])
        .when(assign(LAN, Role::Counsellor, LAN))
        .then_expect_error(DomainError::NotCaseOwner(CASE));
}

#[test]
fn a_case_changes_hands_after_its_last_change_of_owner() {
    given(vec![opened(), taken(LAN, "2025-09-04T00:00:00Z")])
        .when(assign(MINH, Role::Supervisor, HOA))
        .then_expect_error_message(
            "at (2025-09-03 00:00:00 UTC) is before the case's last change of owner (2025-09-04 00:00:00 UTC)",
        );
}

// ---- notes ----------------------------------------------------------------------

#[test]
fn a_note_is_appended_to_the_timeline() {
    given(vec![opened()])
        .when(write(NOTE1, LATER))
        .then_expect_events(vec![written(NOTE1, LATER)]);
}

#[test]
fn a_note_id_names_one_note() {
    given(vec![opened(), written(NOTE1, LATER)])
        .when(write(NOTE1, LATER))
        .then_expect_error(DomainError::NoteExists(NOTE1));
}

#[test]
fn no_note_on_a_closed_case_nor_in_the_future() {
    given(vec![opened(), closed(LATER)])
        .when(write(NOTE1, LATER))
        .then_expect_error(DomainError::CaseClosed(CASE));
    given(vec![opened()])
        .when(write(NOTE1, "2025-09-16T00:00:00Z"))
        .then_expect_error(DomainError::InFuture { field: "writtenAt" });
}

// ---- follow-ups ------------------------------------------------------------------

#[test]
fn the_owner_creates_a_follow_up_for_anyone() {
    given(vec![opened(), taken(LAN, OPENED)])
        .when(create(LAN, Role::Counsellor, HOA, DUE))
        .then_expect_events(vec![created(HOA, DUE)]);
}

#[test]
fn a_counsellor_who_does_not_own_the_case_creates_no_follow_up() {
    given(vec![opened(), taken(LAN, OPENED)])
        .when(create(HOA, Role::Counsellor, HOA, DUE))
        .then_expect_error(DomainError::NotCaseOwner(CASE));
    given(vec![opened()])
        .when(create(MINH, Role::Supervisor, LAN, DUE))
        .then_expect_events(vec![created(LAN, DUE)]);
}

#[test]
fn a_follow_up_is_due_after_its_creation_and_within_a_year() {
    given(vec![opened()])
        .when(create(MINH, Role::Supervisor, LAN, "2025-09-02T00:00:00Z"))
        .then_expect_error_message(
            "dueAt (2025-09-02 00:00:00 UTC) is before createdAt (2025-09-03 00:00:00 UTC)",
        );
    given(vec![opened()])
        .when(create(MINH, Role::Supervisor, LAN, "2026-09-05T00:00:00Z"))
        .then_expect_error(DomainError::DueTooLate(MAX_DUE_DAYS));
}

#[test]
fn a_follow_up_id_names_one_follow_up() {
    given(vec![opened(), created(LAN, DUE)])
        .when(create(MINH, Role::Supervisor, LAN, DUE))
        .then_expect_error(DomainError::FollowUpExists(TASK1));
}

#[test]
fn the_assignee_completes_a_follow_up_once() {
    let done = CaseEvent::FollowUpCompleted {
        follow_up_id: TASK1,
        completed_by: HOA.into(),
        completed_at: t("2025-09-04T00:00:00Z"),
    };
    given(vec![opened(), taken(LAN, OPENED), created(HOA, DUE)])
        .when(complete(HOA, Role::Counsellor, "2025-09-04T00:00:00Z"))
        .then_expect_events(vec![done.clone()]);
    given(vec![opened(), taken(LAN, OPENED), created(HOA, DUE), done])
        .when(complete(HOA, Role::Counsellor, "2025-09-05T00:00:00Z"))
        .then_expect_events(vec![]);
}

#[test]
fn the_owner_or_a_supervisor_completes_anyones_follow_up_and_no_one_else() {
    let given_task = || given(vec![opened(), taken(LAN, OPENED), created(HOA, DUE)]);
    for (by, role) in [(LAN, Role::Counsellor), (MINH, Role::Supervisor)] {
        let events = given_task()
            .when(complete(by, role, "2025-09-04T00:00:00Z"))
            .inspect_result();
        assert!(matches!(&events, Ok(e) if e.len() == 1), "{by}: {events:?}");
    }
    given_task()
        .when(complete("thu", Role::Counsellor, "2025-09-04T00:00:00Z"))
        .then_expect_error(DomainError::NotYourFollowUp(TASK1));
}

#[test]
fn a_follow_up_is_completed_after_its_creation_and_must_exist() {
    given(vec![opened(), created(LAN, DUE)])
        .when(complete(LAN, Role::Counsellor, "2025-09-02T00:00:00Z"))
        .then_expect_error_message(
            "completedAt (2025-09-02 00:00:00 UTC) is before the follow-up's createdAt (2025-09-03 00:00:00 UTC)",
        );
    given(vec![opened()])
        .when(complete(LAN, Role::Counsellor, LATER))
        .then_expect_error(DomainError::FollowUpNotFound(TASK1));
}

#[test]
fn casework_moves_the_case_forward_in_time() {
    // Closing must follow the latest casework, as it follows everything else.
    given(vec![opened(), written(NOTE1, LATER)])
        .when(close("2025-09-02T00:00:00Z"))
        .then_expect_error_message(
            "closedAt (2025-09-02 00:00:00 UTC) is before the case's latest recorded time (2025-09-03 00:00:00 UTC)",
        );
}
