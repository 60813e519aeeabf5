//! The rules of casework on a case (who owns it, its notes timeline, its
//! follow-up tasks) and how its events change the case.
//!
//! Ownership: a case starts unassigned, whoever opened it. The unassigned
//! queue is the hotline's intake: a counsellor takes a case from it (or the
//! case they just opened), a supervisor assigns any case to anyone, and the
//! owner may hand their own case to another counsellor. Owners are token
//! subjects (staff, never the persons of the case), recorded in clear.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::aggregate::Case;
use super::casework_values::*;
use super::events::CaseEvent;
use crate::clock::{check_follows, Clock};
use crate::error::DomainError;
use crate::values::Role;

impl Case {
    pub fn note(&self, note_id: Uuid) -> Option<&Note> {
        self.notes.iter().find(|n| n.note_id == note_id)
    }

    pub fn follow_up(&self, follow_up_id: Uuid) -> Option<&FollowUp> {
        self.follow_ups
            .iter()
            .find(|f| f.follow_up_id == follow_up_id)
    }

    /// Whether `subject` may act as the case's owner: they own it, or they supervise.
    fn owned_by(&self, subject: &str, role: Role) -> bool {
        role == Role::Supervisor || self.owner.as_deref() == Some(subject)
    }

    pub(super) fn take(&self, cmd: TakeCase, clock: &Clock) -> Result<Vec<CaseEvent>, DomainError> {
        match self.owner.as_deref() {
            // Taking one's own case again is a retry, not a change.
            Some(owner) if owner == cmd.by => return Ok(vec![]),
            Some(_) => return Err(DomainError::CaseAlreadyOwned(cmd.case_id)),
            None => {}
        }
        self.check_casework_time("at", cmd.at, clock)?;
        Ok(vec![CaseEvent::CaseTaken {
            owner: cmd.by,
            taken_at: cmd.at,
        }])
    }

    pub(super) fn assign(
        &self,
        cmd: AssignCase,
        clock: &Clock,
    ) -> Result<Vec<CaseEvent>, DomainError> {
        if !self.owned_by(&cmd.by, cmd.by_role) {
            return Err(DomainError::NotCaseOwner(cmd.case_id));
        }
        if self.owner.as_deref() == Some(cmd.to.as_str()) {
            return Ok(vec![]);
        }
        self.check_casework_time("at", cmd.at, clock)?;
        if let Some(since) = self.owned_since {
            check_follows("at", cmd.at, "the case's last change of owner", since)?;
        }
        Ok(vec![CaseEvent::CaseAssigned {
            owner: cmd.to,
            previous_owner: self.owner.clone(),
            assigned_at: cmd.at,
            reason: cmd.reason,
        }])
    }

    pub(super) fn write_note(
        &self,
        cmd: WriteNote,
        clock: &Clock,
    ) -> Result<Vec<CaseEvent>, DomainError> {
        if self.note(cmd.note_id).is_some() {
            return Err(DomainError::NoteExists(cmd.note_id));
        }
        if self.notes.len() >= MAX_NOTES {
            return Err(DomainError::TooManyNotes(MAX_NOTES));
        }
        self.check_casework_time("writtenAt", cmd.written_at, clock)?;
        Ok(vec![CaseEvent::CaseNoteWritten {
            note_id: cmd.note_id,
            author: cmd.author,
            written_at: cmd.written_at,
            text: cmd.text,
        }])
    }

    pub(super) fn create_follow_up(
        &self,
        cmd: CreateFollowUp,
        clock: &Clock,
    ) -> Result<Vec<CaseEvent>, DomainError> {
        if !self.owned_by(&cmd.by, cmd.by_role) {
            return Err(DomainError::NotCaseOwner(cmd.case_id));
        }
        if self.follow_up(cmd.follow_up_id).is_some() {
            return Err(DomainError::FollowUpExists(cmd.follow_up_id));
        }
        if self.follow_ups.len() >= MAX_FOLLOW_UPS {
            return Err(DomainError::TooManyFollowUps(MAX_FOLLOW_UPS));
        }
        self.check_casework_time("createdAt", cmd.created_at, clock)?;
        check_follows("dueAt", cmd.due_at, "createdAt", cmd.created_at)?;
        let latest = cmd
            .created_at
            .checked_add_signed(Duration::days(MAX_DUE_DAYS));
        if latest.is_none_or(|latest| cmd.due_at > latest) {
            return Err(DomainError::DueTooLate(MAX_DUE_DAYS));
        }
        Ok(vec![CaseEvent::FollowUpCreated {
            follow_up_id: cmd.follow_up_id,
            assignee: cmd.assignee,
            created_at: cmd.created_at,
            due_at: cmd.due_at,
            description: cmd.description,
        }])
    }

    pub(super) fn complete_follow_up(
        &self,
        cmd: CompleteFollowUp,
        clock: &Clock,
    ) -> Result<Vec<CaseEvent>, DomainError> {
        let follow_up = self
            .follow_up(cmd.follow_up_id)
            .ok_or(DomainError::FollowUpNotFound(cmd.follow_up_id))?;
        if follow_up.assignee != cmd.by && !self.owned_by(&cmd.by, cmd.by_role) {
            return Err(DomainError::NotYourFollowUp(cmd.follow_up_id));
        }
        if follow_up.completed.is_some() {
            return Ok(vec![]);
        }
        self.check_casework_time("completedAt", cmd.completed_at, clock)?;
        check_follows(
            "completedAt",
            cmd.completed_at,
            "the follow-up's createdAt",
            follow_up.created_at,
        )?;
        Ok(vec![CaseEvent::FollowUpCompleted {
            follow_up_id: cmd.follow_up_id,
            completed_by: cmd.by,
            completed_at: cmd.completed_at,
        }])
    }

    /// Casework happens now or in the past, while the case is open.
    fn check_casework_time(
        &self,
        field: &'static str,
        at: DateTime<Utc>,
        clock: &Clock,
    ) -> Result<(), DomainError> {
        clock.check_not_future(field, at)?;
        check_follows(
            field,
            at,
            "the case's opening (or latest reopening)",
            self.open_since,
        )
    }

    /// How a casework event changes the case; other events are not casework.
    pub(super) fn apply_casework(&mut self, event: CaseEvent) {
        match event {
            CaseEvent::CaseTaken {
                owner,
                taken_at: at,
            }
            | CaseEvent::CaseAssigned {
                owner,
                assigned_at: at,
                ..
            } => {
                self.owner = Some(owner);
                self.owned_since = Some(at);
                self.touch(at);
            }
            CaseEvent::CaseNoteWritten {
                note_id,
                author,
                written_at,
                text,
            } => {
                self.notes.push(Note {
                    note_id,
                    author,
                    written_at,
                    text,
                });
                self.touch(written_at);
            }
            CaseEvent::FollowUpCreated {
                follow_up_id,
                assignee,
                created_at,
                due_at,
                description,
            } => {
                self.follow_ups.push(FollowUp {
                    follow_up_id,
                    assignee,
                    created_at,
                    due_at,
                    description,
                    completed: None,
                });
                self.touch(created_at);
            }
            CaseEvent::FollowUpCompleted {
                follow_up_id,
                completed_by,
                completed_at,
            } => {
                if let Some(f) = self
                    .follow_ups
                    .iter_mut()
                    .find(|f| f.follow_up_id == follow_up_id)
                {
                    f.completed = Some((completed_by, completed_at));
                }
                self.touch(completed_at);
            }
            _ => {}
        }
    }
}
