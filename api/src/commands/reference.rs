//! changeReferenceData: ADMIN dates a change of reference data (see
//! `domain::reference_data`), recorded in the reference data's one stream.

use std::collections::BTreeMap;

use std::sync::Arc;

use chrono::NaiveDate;
use domain::clock::Clock;
use domain::reference::book::ReferenceBook;
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

    /// The reference book as recorded now: the repository's data and ADMIN's changes.
    pub async fn reference_book(&self) -> ApiResult<ReferenceBook> {
        Ok(ReferenceBook::new(self.reference_changes().await?))
    }

    /// The clock the rules decide with; with ADMIN's changes in its book when
    /// the command checks a code (`ConsultsBook`), else the repository's
    /// book alone, which saves the others a read of the reference stream.
    pub(super) async fn rules_clock(&self, consults_book: bool) -> ApiResult<Clock> {
        if !consults_book {
            return Ok(self.clock.clone());
        }
        let book = self.reference_book().await?;
        Ok(self.clock.clone().with_book(Arc::new(book)))
    }
}
