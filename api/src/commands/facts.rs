//! Trafficking facts: a person's nationality and ethnicity, the case's
//! destination country, an authority's victim identification.

use domain::case::{Case, CaseCommand, DecideVictimStatus, RecordDestination, RecordPersonDetails};
use domain::countries::assigned_country;
use store::vault::{Binding, Subject};
use store::CommandContext;

use super::amendment_inputs::{
    DecideVictimStatusInput, RecordDestinationInput, RecordPersonDetailsInput,
};
use super::corrections::not_yet_sealed;
use super::parse::{seal, text};
use super::{CommandService, Done, Idempotency};
use crate::error::ApiResult;

/// Longest ethnicity accepted, in characters (Vietnam's 54 groups' names are short).
pub const MAX_ETHNICITY: usize = 100;

impl CommandService {
    pub async fn record_person_details(
        &self,
        ctx: &CommandContext,
        input: impl Into<RecordPersonDetailsInput>,
    ) -> ApiResult<Done<Case>> {
        let input = input.into();
        let key = Idempotency::new(
            ctx,
            "recordPersonDetails",
            input.idempotency_key.clone(),
            &input,
        )?;
        let nationality = input
            .nationality
            .as_deref()
            .map(assigned_country)
            .transpose()?;
        let ethnicity = text("ethnicity", input.ethnicity.as_deref(), MAX_ETHNICITY)?;
        if let Some(done) = self.replay::<Case>(key.as_ref()).await? {
            return Ok(done);
        }
        let (case_id, person_id) = (input.case_id, input.person_id);
        let mut command = RecordPersonDetails {
            case_id,
            person_id,
            nationality,
            ethnicity: ethnicity.as_ref().map(|_| not_yet_sealed()),
        };
        if ethnicity.is_some() {
            let preview = CaseCommand::RecordPersonDetails(command.clone());
            if let Some(done) = self.preview::<Case>(key.as_ref(), case_id, preview).await? {
                return Ok(done);
            }
        }
        command.ethnicity = seal(
            self.vault(),
            self.store().pool(),
            Subject::person(person_id),
            Binding::person_ethnicity(case_id),
            ethnicity,
        )
        .await?;
        let command = CaseCommand::RecordPersonDetails(command);
        self.execute::<Case>(ctx, case_id, command, key.as_ref(), Some(person_id))
            .await
    }

    pub async fn record_destination(
        &self,
        ctx: &CommandContext,
        input: impl Into<RecordDestinationInput>,
    ) -> ApiResult<Done<Case>> {
        let input = input.into();
        let key = Idempotency::new(
            ctx,
            "recordDestination",
            input.idempotency_key.clone(),
            &input,
        )?;
        let command = CaseCommand::RecordDestination(RecordDestination {
            case_id: input.case_id,
            country: assigned_country(&input.country)?,
        });
        self.execute::<Case>(ctx, input.case_id, command, key.as_ref(), None)
            .await
    }

    pub async fn decide_victim_status(
        &self,
        ctx: &CommandContext,
        input: impl Into<DecideVictimStatusInput>,
    ) -> ApiResult<Done<Case>> {
        let input = input.into();
        let key = Idempotency::new(
            ctx,
            "decideVictimStatus",
            input.idempotency_key.clone(),
            &input,
        )?;
        let command = CaseCommand::DecideVictimStatus(DecideVictimStatus {
            case_id: input.case_id,
            person_id: input.person_id,
            status: input.status,
            authority: input.authority,
            decided_at: input.decided_at,
        });
        self.execute::<Case>(
            ctx,
            input.case_id,
            command,
            key.as_ref(),
            Some(input.person_id),
        )
        .await
    }
}
