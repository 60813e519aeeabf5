//! The contract's mutations: authorise, run the command, shape the answer.

use async_graphql::{Context, Object, Result};
use domain::case::Case;
use uuid::Uuid;

use super::context::{request, AppState, RequestContext};
use super::inputs::*;
use super::privacy;
use super::types::{CallNode, CaseNode, PersonNode, ReferralNode, RescueNode};
use crate::commands::Done;
use crate::error::ApiError;
use crate::policy::{require, require_agency_scope, Capability};
use store::access_log::{self, Access, Action};

#[derive(Default)]
pub struct ContractMutation;

fn call_node(done: Done<domain::call::Call>) -> Result<CallNode> {
    Ok(CallNode::from_state(&done.loaded.state, done.loaded.version).ok_or(ApiError::Internal)?)
}

/// The case a command answered for, its persons' data opened as the request
/// selected (and access-logged): every mutation that answers `Case` ends here.
pub(super) async fn case_answer(
    ctx: &Context<'_>,
    done: Done<Case>,
    field: &str,
) -> Result<CaseNode> {
    let (app, req) = request(ctx)?;
    let node = privacy::case_node(
        app.commands.vault(),
        app.commands.store().pool(),
        &done.loaded.state,
        done.loaded.version,
        req,
        field,
        privacy::Selected::in_case(&ctx.look_ahead()),
    )
    .await?;
    Ok(node.ok_or(ApiError::Internal)?)
}

fn referral_node(done: &Done<Case>, referral_id: Uuid) -> Result<ReferralNode> {
    let case = &done.loaded.state;
    let case_id = case.id.ok_or(ApiError::Internal)?;
    let referral = case.referral(referral_id).ok_or(ApiError::Internal)?;
    Ok(ReferralNode::new(case_id, referral))
}

/// Agencies act only on referrals sent to them; the referral's agency never changes.
async fn check_referral_scope(
    app: &AppState,
    req: &RequestContext,
    case_id: Uuid,
    referral_id: Uuid,
) -> Result<()> {
    if req.principal.agency.is_none() {
        return Ok(());
    }
    let case = app
        .commands
        .store()
        .load::<Case>(case_id)
        .await
        .map_err(ApiError::from)?;
    let referral = case.state.referral(referral_id).ok_or_else(|| {
        ApiError::NotFound(format!(
            "referral {referral_id} is not part of case {case_id}"
        ))
    })?;
    Ok(require_agency_scope(&req.principal, referral.agency)?)
}

#[Object]
impl ContractMutation {
    async fn receive_call(&self, ctx: &Context<'_>, input: ReceiveCallInput) -> Result<CallNode> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::RecordCasework)?;
        call_node(
            app.commands
                .receive_call(&req.command_context(), input)
                .await?,
        )
    }

    async fn record_counselling_session(
        &self,
        ctx: &Context<'_>,
        input: RecordCounsellingSessionInput,
    ) -> Result<CallNode> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::RecordCasework)?;
        call_node(
            app.commands
                .record_counselling_session(&req.command_context(), input)
                .await?,
        )
    }

    async fn open_case(&self, ctx: &Context<'_>, input: OpenCaseInput) -> Result<CaseNode> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::RecordCasework)?;
        let done = app
            .commands
            .open_case(&req.command_context(), input)
            .await?;
        case_answer(ctx, done, "openCase").await
    }

    async fn attach_call(&self, ctx: &Context<'_>, input: AttachCallInput) -> Result<CaseNode> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::RecordCasework)?;
        let done = app
            .commands
            .attach_call(&req.command_context(), input)
            .await?;
        case_answer(ctx, done, "attachCall").await
    }

    async fn attach_person(&self, ctx: &Context<'_>, input: AttachPersonInput) -> Result<CaseNode> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::RecordCasework)?;
        let done = app
            .commands
            .attach_person(&req.command_context(), input)
            .await?;
        case_answer(ctx, done, "attachPerson").await
    }

    async fn send_referral(
        &self,
        ctx: &Context<'_>,
        input: SendReferralInput,
    ) -> Result<ReferralNode> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::RecordCasework)?;
        let done = app
            .commands
            .send_referral(&req.command_context(), input)
            .await?;
        referral_node(&done, done.result_id.ok_or(ApiError::Internal)?)
    }

    async fn update_referral(
        &self,
        ctx: &Context<'_>,
        input: UpdateReferralInput,
    ) -> Result<ReferralNode> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::HandleReferrals)?;
        check_referral_scope(app, req, input.case_id, input.referral_id).await?;
        let referral_id = input.referral_id;
        let done = app
            .commands
            .update_referral(&req.command_context(), input)
            .await?;
        referral_node(&done, referral_id)
    }

    async fn record_rescue(
        &self,
        ctx: &Context<'_>,
        input: RecordRescueInput,
    ) -> Result<RescueNode> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::HandleReferrals)?;
        check_referral_scope(app, req, input.case_id, input.referral_id).await?;
        let done = app
            .commands
            .record_rescue(&req.command_context(), input)
            .await?;
        let case = &done.loaded.state;
        let rescue = done
            .result_id
            .and_then(|id| case.rescue(id))
            .ok_or(ApiError::Internal)?;
        Ok(RescueNode::new(case.id.ok_or(ApiError::Internal)?, rescue))
    }

    async fn provide_support(
        &self,
        ctx: &Context<'_>,
        input: ProvideSupportInput,
    ) -> Result<CaseNode> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::RecordCasework)?;
        let done = app
            .commands
            .provide_support(&req.command_context(), input)
            .await?;
        case_answer(ctx, done, "provideSupport").await
    }

    async fn close_case(&self, ctx: &Context<'_>, input: CloseCaseInput) -> Result<CaseNode> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::CloseCases)?;
        let done = app
            .commands
            .close_case(&req.command_context(), input)
            .await?;
        case_answer(ctx, done, "closeCase").await
    }

    async fn reopen_case(&self, ctx: &Context<'_>, input: ReopenCaseInput) -> Result<CaseNode> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::CloseCases)?;
        let done = app
            .commands
            .reopen_case(&req.command_context(), input)
            .await?;
        case_answer(ctx, done, "reopenCase").await
    }

    /// Destroys the person's data key: every copy of their personal data,
    /// in every event, becomes unreadable; the events themselves are untouched.
    async fn erase_person(&self, ctx: &Context<'_>, input: ErasePersonInput) -> Result<PersonNode> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::ErasePersons)?;
        let (case_id, person_id) = (input.case_id, input.person_id);
        let done = app
            .commands
            .erase_person(&req.command_context(), input)
            .await?;
        let store = app.commands.store();
        let access = Access {
            case_id,
            person_id,
            fields: vec!["fullName", "phone"],
        };
        access_log::record(
            store.pool(),
            Action::ErasePerson,
            &req.purpose("erasePerson"),
            &[access],
        )
        .await
        .map_err(ApiError::from)?;
        tracing::info!(case.id = %case_id, person.id = %person_id, "personal data erased");
        let persons = privacy::persons(
            app.commands.vault(),
            store.pool(),
            &done.loaded.state,
            req,
            "erasePerson",
            privacy::Selected::of(&ctx.look_ahead()),
        )
        .await?;
        Ok(persons
            .into_iter()
            .find(|p| p.id == person_id)
            .ok_or(ApiError::Internal)?)
    }

    /// ADMIN: a dated change of reference data (see docs/REFERENCE.md).
    async fn change_reference_data(
        &self,
        ctx: &Context<'_>,
        input: super::reference_changes::ChangeReferenceDataInput,
    ) -> Result<super::reference_changes::ReferenceChange> {
        super::reference_changes::change(ctx, input).await
    }
}
