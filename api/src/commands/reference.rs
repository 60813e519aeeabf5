//! changeReferenceData: ADMIN dates a change of reference data (see
//! `domain::reference_data`), recorded in the reference data's one stream.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use domain::reference::dated::{Change, ReferenceKind};
use domain::reference_data::{ChangeReferenceData, ReferenceData, STREAM_ID};
use serde::Serialize;
use store::CommandContext;

use super::{CommandService, Done, Idempotency};
use crate::error::ApiResult;

/// What the API passes in (already parsed from GraphQL).
#[derive(Clone, Debug, Serialize)]
pub struct ChangeReferenceDataInput {
    pub kind: ReferenceKind,
    pub code: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub name: Option<String>,
    pub english_name: Option<String>,
    pub attributes: BTreeMap<String, String>,
    pub source: String,
    pub idempotency_key: Option<String>,
}

impl CommandService {
    pub async fn change_reference_data(
        &self,
        ctx: &CommandContext,
        input: ChangeReferenceDataInput,
    ) -> ApiResult<Done<ReferenceData>> {
        let key = Idempotency::new(
            ctx,
            "changeReferenceData",
            input.idempotency_key.clone(),
            &input,
        )?;
        let command = ChangeReferenceData {
            kind: input.kind,
            code: input.code.trim().to_string(),
            valid_from: input.valid_from,
            valid_to: input.valid_to,
            name: input.name,
            english_name: input.english_name,
            attributes: input.attributes,
            source: input.source,
        };
        self.execute::<ReferenceData>(ctx, STREAM_ID, command, key.as_ref(), None)
            .await
    }

    /// Every reference data change recorded, in order.
    pub async fn reference_changes(&self) -> ApiResult<Vec<Change>> {
        let loaded = self.store().load::<ReferenceData>(STREAM_ID).await?;
        Ok(loaded.state.changes())
    }
}
