//! The casework mutations: take, assign or transfer a case; write a note;
//! create and complete a follow-up. Authorise, run the command, shape the answer.

use async_graphql::{Context, Object, Result};
use domain::case::Case;
use uuid::Uuid;

use super::casework_reads;
use super::casework_types::*;
use super::context::request;
use super::mutations::case_answer;
use super::types::CaseNode;
use crate::commands::Done;
use crate::error::ApiError;
use crate::policy::{require, Capability};

#[derive(Default)]
pub struct CaseworkMutation;

/// The follow-up a command answered for, as the case holds it right after.
async fn follow_up_node(
    ctx: &Context<'_>,
    done: Done<Case>,
    follow_up_id: Uuid,
    field: &str,
) -> Result<FollowUpNode> {
    let (app, req) = request(ctx)?;
    let case = &done.loaded.state;
    let case_id = case.id.ok_or(ApiError::Internal)?;
    let follow_up = case.follow_up(follow_up_id).ok_or(ApiError::Internal)?;
    let selected = ctx.look_ahead().field("description").exists();
    let now = chrono::Utc::now();
    let nodes =
        casework_reads::follow_ups(app, req, field, &[(case_id, follow_up)], selected, now).await?;
    Ok(nodes.into_iter().next().ok_or(ApiError::Internal)?)
}

#[Object]
impl CaseworkMutation {
    /// A COUNSELLOR takes an unassigned case: they own it from now on.
    async fn take_case(&self, ctx: &Context<'_>, input: TakeCaseInput) -> Result<CaseNode> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::TakeCases)?;
        let done = app
            .commands
            .take_case(&req.command_context(), input)
            .await?;
        case_answer(ctx, done, "takeCase").await
    }

    /// A SUPERVISOR assigns any case (unassigned or owned) to a counsellor, with a reason.
    async fn assign_case(&self, ctx: &Context<'_>, input: AssignCaseInput) -> Result<CaseNode> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::AssignCases)?;
        let done = app
            .commands
            .assign_case(&req.command_context(), "assignCase", input)
            .await?;
        case_answer(ctx, done, "assignCase").await
    }

    /// The owner hands their case to another counsellor, with a reason (a SUPERVISOR any case).
    async fn transfer_case(&self, ctx: &Context<'_>, input: AssignCaseInput) -> Result<CaseNode> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::TransferCases)?;
        let done = app
            .commands
            .assign_case(&req.command_context(), "transferCase", input)
            .await?;
        case_answer(ctx, done, "transferCase").await
    }

    /// Appends a note to the case's timeline (sealed; notes are never edited).
    async fn write_case_note(
        &self,
        ctx: &Context<'_>,
        input: WriteCaseNoteInput,
    ) -> Result<CaseNoteNode> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::WriteNotes)?;
        let done = app
            .commands
            .write_case_note(&req.command_context(), input)
            .await?;
        let case = &done.loaded.state;
        let case_id = case.id.ok_or(ApiError::Internal)?;
        let note_id = done.result_id.ok_or(ApiError::Internal)?;
        let note = case.note(note_id).ok_or(ApiError::Internal)?;
        let selected = ctx.look_ahead().field("text").exists();
        let nodes =
            casework_reads::case_notes(app, req, "writeCaseNote", case_id, &[note], selected)
                .await?;
        Ok(nodes.into_iter().next().ok_or(ApiError::Internal)?)
    }

    /// A task on the case: a COUNSELLOR on a case they own, a SUPERVISOR on any.
    async fn create_follow_up(
        &self,
        ctx: &Context<'_>,
        input: CreateFollowUpInput,
    ) -> Result<FollowUpNode> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::ManageFollowUps)?;
        let done = app
            .commands
            .create_follow_up(&req.command_context(), input)
            .await?;
        let id = done.result_id.ok_or(ApiError::Internal)?;
        follow_up_node(ctx, done, id, "createFollowUp").await
    }

    /// Completes a follow-up: its assignee, the case's owner, or a SUPERVISOR.
    async fn complete_follow_up(
        &self,
        ctx: &Context<'_>,
        input: CompleteFollowUpInput,
    ) -> Result<FollowUpNode> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::ManageFollowUps)?;
        let id = input.follow_up_id;
        let done = app
            .commands
            .complete_follow_up(&req.command_context(), input)
            .await?;
        follow_up_node(ctx, done, id, "completeFollowUp").await
    }
}
