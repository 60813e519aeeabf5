//! Correcting a call: the rules (what `CorrectCall` may record).

use super::aggregate::{Call, ReceivedCall};
use super::codes::{category_named, topics_named};
use super::correction::{CallFacts, CorrectCall};
use super::events::CallEvent;
use crate::clock::Clock;
use crate::error::DomainError;
use crate::reference::location::resolve_location;
use crate::reference::vietnam_day;
use crate::values::{CorrectedField, CountryCode};

fn facts_of(call: &ReceivedCall) -> CallFacts {
    CallFacts {
        received_at: call.received_at,
        channel: call.channel,
        region: call.region,
        province: call.province.clone(),
        country: call.country.clone(),
        caller_type: call.caller_type,
        category: call.category,
        topics: call.topics.clone(),
        category_code: call.category_code.clone(),
        topic_codes: call.topic_codes.clone(),
    }
}

impl Call {
    pub(super) fn correct(
        &self,
        cmd: CorrectCall,
        clock: &Clock,
    ) -> Result<Vec<CallEvent>, DomainError> {
        let before = facts_of(self.existing(cmd.call_id)?);
        let mut after = before.clone();
        if let Some(at) = cmd.received_at {
            clock.check_not_future("receivedAt", at)?;
            if let Some(first) = self.sessions.iter().map(|s| s.started_at).min() {
                if at > first {
                    return Err(DomainError::ReceivedAfterSessions(first));
                }
            }
            // The call does not know when its cases opened, only that they
            // followed it: moving it earlier keeps that true, later may not.
            if !self.case_ids.is_empty() && at > before.received_at {
                return Err(DomainError::ReceivedLaterThanItsCase(cmd.call_id));
            }
            after.received_at = at;
        }
        after.channel = cmd.channel.unwrap_or(after.channel);
        after.caller_type = cmd.caller_type.unwrap_or(after.caller_type);
        // A contract value given alone replaces an added code; a code is
        // checked on the call's (corrected) day, with its class.
        let day = vietnam_day(after.received_at);
        if cmd.category.is_some() || cmd.category_code.is_some() {
            let given = cmd.category.unwrap_or(after.category);
            let given = match (&cmd.category_code, cmd.category) {
                (Some(code), None) => clock.book().category_on(code, day)?,
                _ => given,
            };
            (after.category, after.category_code) =
                category_named(clock.book(), given, cmd.category_code.as_deref(), day)?;
        }
        if cmd.topics.is_some() || cmd.topic_codes.is_some() {
            let given = cmd.topics.clone().unwrap_or_default();
            let codes = cmd.topic_codes.clone().unwrap_or_default();
            (after.topics, after.topic_codes) = topics_named(clock.book(), &given, &codes, day)?;
        }
        // A province means the province as it stood on the call's (corrected)
        // day, so a moved time re-checks the place, corrected or not.
        let place = match &cmd.location {
            Some(l) => (l.region, l.province.clone(), l.country.clone()),
            None if after.received_at != before.received_at => (
                before.province.is_none().then_some(before.region),
                before.province.clone(),
                before
                    .country
                    .as_deref()
                    .map(CountryCode::try_from)
                    .transpose()?,
            ),
            None => (None, None, None),
        };
        if cmd.location.is_some() || after.received_at != before.received_at {
            let location = resolve_location(
                place.0,
                place.1.as_deref(),
                place.2.as_ref(),
                after.received_at,
                None,
                clock.book(),
            )?;
            after.region = location.region;
            after.province = location.province;
            after.country = location.country;
        }
        let corrects = changed(&before, &after);
        if corrects.is_empty() {
            return Err(DomainError::NothingToCorrect);
        }
        Ok(vec![CallEvent::CallCorrected {
            corrects,
            before,
            after,
            reason: cmd.reason,
        }])
    }
}

/// The fields whose values differ, in a fixed order.
fn changed(before: &CallFacts, after: &CallFacts) -> Vec<CorrectedField> {
    let location = |f: &CallFacts| (f.region, f.province.clone(), f.country.clone());
    [
        (
            (&before.category, &before.category_code) != (&after.category, &after.category_code),
            CorrectedField::Category,
        ),
        (
            (&before.topics, &before.topic_codes) != (&after.topics, &after.topic_codes),
            CorrectedField::Topics,
        ),
        (before.channel != after.channel, CorrectedField::Channel),
        (
            before.caller_type != after.caller_type,
            CorrectedField::CallerType,
        ),
        (
            location(before) != location(after),
            CorrectedField::Location,
        ),
        (
            before.received_at != after.received_at,
            CorrectedField::ReceivedAt,
        ),
    ]
    .into_iter()
    .filter_map(|(differs, field)| differs.then_some(field))
    .collect()
}
