//! The amending mutations: corrections, trafficking facts, and the agency's
//! work on a referral it holds (feedback, handing it on).

use async_graphql::{Context, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::amendment_inputs::*;
use super::context::request;
use super::enums::Agency;
use super::mutations::case_answer;
use super::types::{CallNode, CaseNode, ReferralNode};
use crate::error::ApiError;
use crate::policy::{require, Capability};

#[derive(Default)]
pub struct AmendmentMutation;

/// A feedback note as its writer gets it back (the text is read in the packet).
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "ReferralFeedbackAdded")]
pub struct FeedbackAddedNode {
    pub id: Uuid,
    pub case_id: Uuid,
    pub referral_id: Uuid,
    pub agency: Agency,
    pub added_at: DateTime<Utc>,
}

#[Object]
impl AmendmentMutation {
    /// Corrects a call's category, topics, channel, caller type, place or
    /// time: a new event naming what it corrects and why; the original stays.
    async fn correct_call(&self, ctx: &Context<'_>, input: CorrectCallInput) -> Result<CallNode> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::CorrectCasework)?;
        let done = app
            .commands
            .correct_call(&req.command_context(), input)
            .await?;
        Ok(
            CallNode::from_state(&done.loaded.state, done.loaded.version)
                .ok_or(ApiError::Internal)?,
        )
    }

    /// Corrects a person's details (a closed case: SUPERVISOR only).
    async fn correct_person(
        &self,
        ctx: &Context<'_>,
        input: CorrectPersonInput,
    ) -> Result<CaseNode> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::CorrectCasework)?;
        let done = app
            .commands
            .correct_person(&req.command_context(), input)
            .await?;
        case_answer(ctx, done, "correctPerson").await
    }

    /// Records a person's nationality and/or ethnicity (ethnicity encrypted).
    async fn record_person_details(
        &self,
        ctx: &Context<'_>,
        input: RecordPersonDetailsInput,
    ) -> Result<CaseNode> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::RecordCasework)?;
        let done = app
            .commands
            .record_person_details(&req.command_context(), input)
            .await?;
        case_answer(ctx, done, "recordPersonDetails").await
    }

    /// Records the country of exploitation.
    async fn record_destination(
        &self,
        ctx: &Context<'_>,
        input: RecordDestinationInput,
    ) -> Result<CaseNode> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::RecordCasework)?;
        let done = app
            .commands
            .record_destination(&req.command_context(), input)
            .await?;
        case_answer(ctx, done, "recordDestination").await
    }

    /// Records an authority's decision on whether a person is a victim.
    async fn decide_victim_status(
        &self,
        ctx: &Context<'_>,
        input: DecideVictimStatusInput,
    ) -> Result<CaseNode> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::RecordCasework)?;
        let done = app
            .commands
            .decide_victim_status(&req.command_context(), input)
            .await?;
        case_answer(ctx, done, "decideVictimStatus").await
    }

    /// The agency holding a referral writes to the hotline (encrypted).
    async fn add_referral_feedback(
        &self,
        ctx: &Context<'_>,
        input: AddReferralFeedbackInput,
    ) -> Result<FeedbackAddedNode> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::AnswerReferrals)?;
        let done = app
            .commands
            .add_referral_feedback(&req.command_context(), input)
            .await?;
        let case = &done.loaded.state;
        let feedback = done
            .result_id
            .and_then(|id| case.feedback.iter().find(|f| f.feedback_id == id))
            .ok_or(ApiError::Internal)?;
        Ok(FeedbackAddedNode {
            id: feedback.feedback_id,
            case_id: case.id.ok_or(ApiError::Internal)?,
            referral_id: feedback.referral_id,
            agency: case
                .referral(feedback.referral_id)
                .map_or(feedback.agency.into(), |r| {
                    r.class_of(feedback.agency).into()
                }),
            added_at: feedback.added_at,
        })
    }

    /// The agency holding a referral hands it on to another agency: the
    /// same referral, counted once; the new agency receives it as SENT and
    /// the old one no longer acts on it.
    async fn hand_on_referral(
        &self,
        ctx: &Context<'_>,
        input: HandOnReferralInput,
    ) -> Result<ReferralNode> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::AnswerReferrals)?;
        let referral_id = input.referral_id;
        let done = app
            .commands
            .hand_on_referral(&req.command_context(), input)
            .await?;
        let case = &done.loaded.state;
        let referral = case.referral(referral_id).ok_or(ApiError::Internal)?;
        Ok(ReferralNode::new(
            case.id.ok_or(ApiError::Internal)?,
            referral,
        ))
    }
}
