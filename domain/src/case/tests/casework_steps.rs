//! Casework steps for the case's property test (`random_steps` draws them):
//! taking, assigning or transferring, notes and follow-ups, by a small pool
//! of counsellors and supervisors, so that owners, non-owners and repeated
//! ids all happen often.

use chrono::Duration;
use proptest::prelude::*;
use proptest::sample::select;
use uuid::Uuid;

use super::fixtures::{now, sealed, CASE};
use proptest::test_runner::TestCaseError;

use crate::case::{
    AssignCase, Case, CaseCommand, CaseEvent, CompleteFollowUp, CreateFollowUp, TakeCase, WriteNote,
};
use crate::values::Role;

const STAFF: [&str; 3] = ["lan", "hoa", "minh"];

#[derive(Clone, Debug)]
pub(super) enum CaseworkStep {
    Take {
        who: usize,
        minutes: i64,
    },
    Assign {
        by: usize,
        role: Role,
        to: usize,
        minutes: i64,
    },
    Note {
        note: u8,
        minutes: i64,
    },
    Create {
        task: u8,
        by: usize,
        role: Role,
        assignee: usize,
        minutes: i64,
        due_in_hours: i64,
    },
    Complete {
        task: u8,
        by: usize,
        role: Role,
        minutes: i64,
    },
}

fn role() -> impl Strategy<Value = Role> {
    select(vec![Role::Counsellor, Role::Counsellor, Role::Supervisor])
}

pub(super) fn casework_step() -> impl Strategy<Value = CaseworkStep> {
    let who = 0..STAFF.len();
    let minutes = -60_i64..=300;
    prop_oneof![
        2 => (who.clone(), minutes.clone())
            .prop_map(|(who, minutes)| CaseworkStep::Take { who, minutes }),
        1 => (who.clone(), role(), who.clone(), minutes.clone()).prop_map(|(by, role, to, minutes)| {
            CaseworkStep::Assign {
                by,
                role,
                to,
                minutes,
            }
        }),
        1 => (0_u8..3, minutes.clone()).prop_map(|(note, minutes)| CaseworkStep::Note { note, minutes }),
        2 => (
            0_u8..2,
            who.clone(),
            role(),
            who.clone(),
            minutes.clone(),
            -2_i64..=24 * 400
        )
            .prop_map(|(task, by, role, assignee, minutes, due_in_hours)| {
                CaseworkStep::Create {
                    task,
                    by,
                    role,
                    assignee,
                    minutes,
                    due_in_hours,
                }
            }),
        3 => (0_u8..2, who, select(vec![Role::Counsellor, Role::Supervisor]), 0_i64..=300).prop_map(|(task, by, role, minutes)| {
            CaseworkStep::Complete {
                task,
                by,
                role,
                minutes,
            }
        }),
    ]
}

fn id(kind: u128, n: u8) -> Uuid {
    Uuid::from_u128((kind << 64) | u128::from(n))
}

/// The concrete command a casework step stands for, given the case as it is now.
pub(super) fn casework_command(step: &CaseworkStep, case: &Case) -> CaseCommand {
    let base = if case.id.is_some() {
        case.latest_at
    } else {
        now() - Duration::days(7)
    };
    let at = |minutes: i64| base + Duration::minutes(minutes);
    let staff = |n: usize| STAFF[n % STAFF.len()].to_string();
    match step {
        CaseworkStep::Take { who, minutes } => CaseCommand::Take(TakeCase {
            case_id: CASE,
            by: staff(*who),
            at: at(*minutes),
        }),
        CaseworkStep::Assign {
            by,
            role,
            to,
            minutes,
        } => CaseCommand::Assign(AssignCase {
            case_id: CASE,
            to: staff(*to),
            at: at(*minutes),
            reason: sealed("handover"),
            by: staff(*by),
            by_role: *role,
        }),
        CaseworkStep::Note { note, minutes } => CaseCommand::WriteNote(WriteNote {
            case_id: CASE,
            note_id: id(10, *note),
            author: staff(0),
            written_at: at(*minutes),
            text: sealed("note"),
        }),
        CaseworkStep::Create {
            task,
            by,
            role,
            assignee,
            minutes,
            due_in_hours,
        } => CaseCommand::CreateFollowUp(CreateFollowUp {
            case_id: CASE,
            follow_up_id: id(11, *task),
            assignee: staff(*assignee),
            created_at: at(*minutes),
            due_at: at(*minutes) + Duration::hours(*due_in_hours),
            description: sealed("task"),
            by: staff(*by),
            by_role: *role,
        }),
        CaseworkStep::Complete {
            task,
            by,
            role,
            minutes,
        } => CaseCommand::CompleteFollowUp(CompleteFollowUp {
            case_id: CASE,
            follow_up_id: id(11, *task),
            completed_at: at(*minutes),
            by: staff(*by),
            by_role: *role,
        }),
    }
}

/// What an accepted command may record of casework, judged against the case before it.
pub(super) fn check_casework(
    before: &Case,
    command: &CaseCommand,
    event: &CaseEvent,
) -> Result<(), TestCaseError> {
    match event {
        CaseEvent::CaseTaken { owner, .. } => {
            prop_assert!(before.owner.is_none(), "a taken case had no owner");
            prop_assert!(!owner.is_empty(), "an owner is named");
        }
        CaseEvent::CaseAssigned {
            owner,
            previous_owner,
            ..
        } => {
            let CaseCommand::Assign(cmd) = command else {
                return Err(TestCaseError::fail("CaseAssigned from another command"));
            };
            prop_assert!(
                cmd.by_role == Role::Supervisor || before.owner.as_deref() == Some(cmd.by.as_str()),
                "only a supervisor or the owner hands a case on"
            );
            prop_assert_eq!(previous_owner, &before.owner);
            prop_assert!(previous_owner.as_deref() != Some(owner.as_str()));
        }
        CaseEvent::CaseNoteWritten { note_id, .. } => {
            prop_assert!(before.note(*note_id).is_none());
        }
        CaseEvent::FollowUpCreated {
            follow_up_id,
            created_at,
            due_at,
            ..
        } => {
            prop_assert!(before.follow_up(*follow_up_id).is_none());
            prop_assert!(due_at >= created_at);
        }
        CaseEvent::FollowUpCompleted { follow_up_id, .. } => {
            let open = before
                .follow_up(*follow_up_id)
                .is_some_and(|f| f.completed.is_none());
            prop_assert!(open, "only an open follow-up is completed");
        }
        _ => {}
    }
    Ok(())
}
