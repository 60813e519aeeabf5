//! Call commands: receiveCall, recordCounsellingSession.

use domain::call::{Call, CallCommand, ReceiveCall, RecordCounsellingSession};
use store::vault::{Binding, Subject};
use store::CommandContext;
use uuid::Uuid;

use super::inputs::{ReceiveCallInput, RecordCounsellingSessionInput};
use super::parse::{bounded, codes, country, province, seal, text, topics, MAX_TEXT};
use super::{CommandService, Done, Idempotency};
use crate::error::ApiResult;

impl CommandService {
    pub async fn receive_call(
        &self,
        ctx: &CommandContext,
        input: impl Into<ReceiveCallInput>,
    ) -> ApiResult<Done<Call>> {
        let input = input.into();
        let key = Idempotency::new(ctx, "receiveCall", input.id.map(|i| i.to_string()), &input)?;
        let call_id = input.id.unwrap_or_else(|| self.store().mint::<Call>());
        let command = CallCommand::Receive(ReceiveCall {
            call_id,
            received_at: input.received_at,
            channel: input.channel,
            region: input.region,
            province: province(input.province.as_deref())?,
            country: country(input.country.as_deref())?,
            caller_type: input.caller_type,
            category: input.category,
            topics: topics(input.topics.as_deref()),
            duration: input.duration_seconds.map(bounded).transpose()?,
            category_code: codes("categoryCode", Some(input.category_code.as_slice()))?.pop(),
            topic_codes: codes("topicCodes", input.topic_codes.as_deref())?,
        });
        self.execute::<Call>(ctx, call_id, command, key.as_ref(), None)
            .await
    }

    pub async fn record_counselling_session(
        &self,
        ctx: &CommandContext,
        input: impl Into<RecordCounsellingSessionInput>,
    ) -> ApiResult<Done<Call>> {
        let input = input.into();
        let key = Idempotency::new(
            ctx,
            "recordCounsellingSession",
            input.id.map(|i| i.to_string()),
            &input,
        )?;
        let session_id = input.id.unwrap_or_else(Uuid::now_v7);
        let notes = text("notes", input.notes.as_deref(), MAX_TEXT)?;
        let duration = bounded(input.duration_minutes)?;
        let topics = topics(Some(&input.topics));
        let topic_codes = codes("topicCodes", input.topic_codes.as_deref())?;
        if let Some(done) = self.replay::<Call>(key.as_ref()).await? {
            return Ok(done);
        }
        let ids = [("counselling_session", session_id)];
        if let Some(done) = self.refuse_taken_ids::<Call>(key.as_ref(), &ids).await? {
            return Ok(done);
        }
        let mut command = RecordCounsellingSession {
            call_id: input.call_id,
            session_id,
            started_at: input.started_at,
            duration,
            topics,
            notes: None,
            topic_codes,
        };
        if notes.is_some() {
            let preview = CallCommand::RecordCounsellingSession(command.clone());
            if let Some(done) = self
                .preview::<Call>(key.as_ref(), input.call_id, preview)
                .await?
            {
                return Ok(done);
            }
        }
        let where_ = Binding::counselling_notes(input.call_id);
        command.notes = seal(
            self.vault(),
            self.store().pool(),
            Subject::call(input.call_id),
            where_,
            notes,
        )
        .await?;
        let command = CallCommand::RecordCounsellingSession(command);
        self.execute::<Call>(ctx, input.call_id, command, key.as_ref(), Some(session_id))
            .await
    }
}
