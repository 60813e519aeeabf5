//! Casework commands: take, assign or transfer a case; write a note; create
//! and complete a follow-up. Free text (a hand-over's reason, a note, what a
//! follow-up asks) is sealed under the case's key, and only after the
//! domain has accepted the command without it (`preview`): a refused
//! command leaves no key, no receipt, no event.

use domain::case::{
    AssignCase, Case, CaseCommand, CompleteFollowUp, CreateFollowUp, TakeCase, WriteNote,
};
use domain::sealed::Sealed;
use store::vault::{Binding, Subject};
use store::CommandContext;
use uuid::Uuid;

use super::casework_inputs::*;
use super::parse::{required_text, seal};
use super::{CommandService, Done, Idempotency};
use crate::error::{ApiError, ApiResult};

/// Longest token subject accepted as an owner or assignee.
pub const MAX_SUBJECT: usize = 100;

/// An owner or assignee: a token subject, trimmed, 1 to `MAX_SUBJECT`
/// characters, no control characters. Subjects are staff names, not personal
/// data of the hotline's persons, so the error may name the field (never the value).
fn staff_subject(field: &str, value: &str) -> ApiResult<String> {
    let value = value.trim();
    let fits = (1..=MAX_SUBJECT).contains(&value.chars().count());
    if !fits || value.chars().any(char::is_control) {
        return Err(ApiError::BadUserInput(format!(
            "{field} is a token subject of 1 to {MAX_SUBJECT} characters"
        )));
    }
    Ok(value.to_string())
}

/// Stands in for a sealed text while a command is decided before sealing:
/// the rules never read sealed values, and a preview is never recorded.
fn unsealed(case_id: Uuid) -> Sealed {
    Sealed {
        key_id: case_id,
        nonce: String::new(),
        ciphertext: String::new(),
    }
}

impl CommandService {
    pub async fn take_case(
        &self,
        ctx: &CommandContext,
        input: impl Into<TakeCaseInput>,
    ) -> ApiResult<Done<Case>> {
        let input = input.into();
        let key = Idempotency::new(ctx, "takeCase", input.idempotency_key.clone(), &input)?;
        let command = CaseCommand::Take(TakeCase {
            case_id: input.case_id,
            by: ctx.actor.subject.clone(),
            at: input.at.unwrap_or_else(|| self.clock.now()),
        });
        self.execute::<Case>(ctx, input.case_id, command, key.as_ref(), None)
            .await
    }

    /// `mutation` is `assignCase` or `transferCase`: the policy told them
    /// apart; the domain checks that a counsellor hands on only their own case.
    pub async fn assign_case(
        &self,
        ctx: &CommandContext,
        mutation: &'static str,
        input: impl Into<AssignCaseInput>,
    ) -> ApiResult<Done<Case>> {
        let input = input.into();
        let key = Idempotency::new(ctx, mutation, input.idempotency_key.clone(), &input)?;
        let owner = staff_subject("owner", &input.owner)?;
        let reason = required_text("reason", &input.reason)?;
        let case_id = input.case_id;
        let at = input.at.unwrap_or_else(|| self.clock.now());
        let command = |reason| {
            CaseCommand::Assign(AssignCase {
                case_id,
                to: owner.clone(),
                at,
                reason,
                by: ctx.actor.subject.clone(),
                by_role: ctx.actor.role,
            })
        };
        let reason = (Binding::case_assigned_reason as fn(Uuid) -> Binding, reason);
        self.decide_then_seal(ctx, key, (case_id, None), command, reason)
            .await
    }

    pub async fn write_case_note(
        &self,
        ctx: &CommandContext,
        input: impl Into<WriteCaseNoteInput>,
    ) -> ApiResult<Done<Case>> {
        let input = input.into();
        let key = Idempotency::new(
            ctx,
            "writeCaseNote",
            input.id.map(|i| i.to_string()),
            &input,
        )?;
        let text = required_text("text", &input.text)?;
        let note_id = input.id.unwrap_or_else(Uuid::now_v7);
        let case_id = input.case_id;
        let written_at = input.written_at.unwrap_or_else(|| self.clock.now());
        let command = |text| {
            CaseCommand::WriteNote(WriteNote {
                case_id,
                note_id,
                author: ctx.actor.subject.clone(),
                written_at,
                text,
            })
        };
        let text = (Binding::case_note_text as fn(Uuid) -> Binding, text);
        let new = Some(("case_note", note_id));
        self.decide_then_seal(ctx, key, (case_id, new), command, text)
            .await
    }

    pub async fn create_follow_up(
        &self,
        ctx: &CommandContext,
        input: impl Into<CreateFollowUpInput>,
    ) -> ApiResult<Done<Case>> {
        let input = input.into();
        let key = Idempotency::new(
            ctx,
            "createFollowUp",
            input.id.map(|i| i.to_string()),
            &input,
        )?;
        let assignee = match input.assignee.as_deref() {
            Some(assignee) => staff_subject("assignee", assignee)?,
            None => ctx.actor.subject.clone(),
        };
        let description = required_text("description", &input.description)?;
        let follow_up_id = input.id.unwrap_or_else(Uuid::now_v7);
        let case_id = input.case_id;
        let created_at = input.created_at.unwrap_or_else(|| self.clock.now());
        let command = |description| {
            CaseCommand::CreateFollowUp(CreateFollowUp {
                case_id,
                follow_up_id,
                assignee: assignee.clone(),
                created_at,
                due_at: input.due_at,
                description,
                by: ctx.actor.subject.clone(),
                by_role: ctx.actor.role,
            })
        };
        let description = (
            Binding::follow_up_description as fn(Uuid) -> Binding,
            description,
        );
        let new = Some(("follow_up", follow_up_id));
        self.decide_then_seal(ctx, key, (case_id, new), command, description)
            .await
    }

    pub async fn complete_follow_up(
        &self,
        ctx: &CommandContext,
        input: impl Into<CompleteFollowUpInput>,
    ) -> ApiResult<Done<Case>> {
        let input = input.into();
        let key = Idempotency::new(
            ctx,
            "completeFollowUp",
            input.idempotency_key.clone(),
            &input,
        )?;
        let command = CaseCommand::CompleteFollowUp(CompleteFollowUp {
            case_id: input.case_id,
            follow_up_id: input.follow_up_id,
            completed_at: input.completed_at.unwrap_or_else(|| self.clock.now()),
            by: ctx.actor.subject.clone(),
            by_role: ctx.actor.role,
        });
        let result = Some(input.follow_up_id);
        self.execute::<Case>(ctx, input.case_id, command, key.as_ref(), result)
            .await
    }

    /// Replays a keyed twin, refuses a `new` id that already names something,
    /// decides `command` with a stand-in for its text; once accepted, seals
    /// the text under the case's key (bound where `binding` says) and runs it.
    /// The result names the new thing (kind, id), if the command makes one.
    async fn decide_then_seal(
        &self,
        ctx: &CommandContext,
        key: Option<Idempotency>,
        (case_id, new): (Uuid, Option<(&'static str, Uuid)>),
        command: impl Fn(Sealed) -> CaseCommand,
        (binding, text): (fn(Uuid) -> Binding, String),
    ) -> ApiResult<Done<Case>> {
        if let Some(done) = self.replay::<Case>(key.as_ref()).await? {
            return Ok(done);
        }
        if let Some(new) = new {
            if let Some(done) = self.refuse_taken_ids::<Case>(key.as_ref(), &[new]).await? {
                return Ok(done);
            }
        }
        let result_id = new.map(|(_, id)| id);
        let preview = command(unsealed(case_id));
        if let Some(done) = self.preview::<Case>(key.as_ref(), case_id, preview).await? {
            return Ok(done);
        }
        let pool = self.store().pool();
        let sealed = seal(
            self.vault(),
            pool,
            Subject::case(case_id),
            binding(case_id),
            Some(text),
        )
        .await?
        .ok_or(ApiError::Internal)?;
        self.execute::<Case>(ctx, case_id, command(sealed), key.as_ref(), result_id)
            .await
    }
}
