//! Reference data changes: one stream ([`STREAM_ID`]) of
//! `ReferenceDataChanged` events by which ADMIN dates a change of a
//! province, region, agency (its ministry), ministry, call category or
//! counselling topic, without a release. The repository's data files stay
//! the base (`crate::reference::dated`); the events say, in the order they
//! were recorded, what differs over which days.
//!
//! Codes are part of the event format (agencies, categories and topics are
//! enums in calls and cases; provinces are checked by the rules against the
//! compiled table), so a change may rename, re-attribute, re-date or
//! withdraw a known code, not invent one: a new code is a release.
//! Recorded calls and cases keep the values they were recorded with.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::clock::Clock;
use crate::error::DomainError;
use crate::reference::dated::{is_known, Change, Entry, ReferenceKind};
use crate::values::Region;

#[cfg(test)]
mod tests;

/// The one stream all reference data changes are recorded in.
pub const STREAM_ID: Uuid = Uuid::from_u128(0x0000_0000_0000_7000_8000_5245_4644_4154);

/// Longest name or source accepted.
const MAX_TEXT: usize = 200;

/// What ADMIN asks to change.
#[derive(Clone, Debug, PartialEq)]
pub struct ChangeReferenceData {
    pub kind: ReferenceKind,
    pub code: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    /// The entry over those days; `None` withdraws it (not in force then).
    pub name: Option<String>,
    pub english_name: Option<String>,
    pub attributes: BTreeMap<String, String>,
    /// The act or decision the change follows (no personal data).
    pub source: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ReferenceDataEvent {
    ReferenceDataChanged {
        kind: ReferenceKind,
        code: String,
        valid_from: NaiveDate,
        valid_to: Option<NaiveDate>,
        name: Option<String>,
        english_name: Option<String>,
        attributes: BTreeMap<String, String>,
        source: String,
    },
}

impl DomainEvent for ReferenceDataEvent {
    fn event_type(&self) -> String {
        "ReferenceDataChanged".to_string()
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}

/// Every change recorded so far, in order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReferenceData {
    pub changes: Vec<RecordedChange>,
}

/// A change as recorded (the event's content).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedChange {
    pub kind: ReferenceKind,
    pub code: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub name: Option<String>,
    pub english_name: Option<String>,
    pub attributes: BTreeMap<String, String>,
    pub source: String,
}

impl RecordedChange {
    /// The change as `crate::reference::dated` applies it.
    pub fn change(&self) -> Change {
        Change {
            kind: self.kind,
            code: self.code.clone(),
            valid_from: self.valid_from,
            valid_to: self.valid_to,
            entry: self.name.as_ref().map(|name| Entry {
                kind: self.kind,
                code: self.code.clone(),
                name: name.clone(),
                english_name: self.english_name.clone(),
                valid_from: Some(self.valid_from),
                valid_to: self.valid_to,
                attributes: self.attributes.clone(),
            }),
        }
    }
}

impl ReferenceData {
    pub fn changes(&self) -> Vec<Change> {
        self.changes.iter().map(RecordedChange::change).collect()
    }
}

fn refuse(why: impl Into<String>) -> DomainError {
    DomainError::InvalidReferenceChange(why.into())
}

fn check_text(field: &str, text: &str) -> Result<(), DomainError> {
    let chars = text.trim().chars().count();
    if chars == 0 || chars > MAX_TEXT {
        return Err(refuse(format!("{field} has 1 to {MAX_TEXT} characters")));
    }
    Ok(())
}

/// The rules of a change, independent of what was recorded before.
fn check(cmd: &ChangeReferenceData) -> Result<(), DomainError> {
    if !is_known(cmd.kind, &cmd.code) {
        return Err(refuse(
            "the code is not in the reference data: a new code is part of the event format and needs a release",
        ));
    }
    if cmd.valid_to.is_some_and(|to| to < cmd.valid_from) {
        return Err(refuse("validTo is before validFrom"));
    }
    check_text("source", &cmd.source)?;
    let Some(name) = &cmd.name else {
        if cmd.attributes.is_empty() && cmd.english_name.is_none() {
            return Ok(());
        }
        return Err(refuse("a withdrawal (no name) carries no attributes"));
    };
    check_text("name", name)?;
    if let Some(english) = &cmd.english_name {
        check_text("englishName", english)?;
    }
    let allowed = cmd.kind.attributes();
    for key in cmd.attributes.keys() {
        if !allowed.iter().any(|(k, _)| k == key) {
            return Err(refuse(format!("{key} is not an attribute of this kind")));
        }
    }
    for (key, required) in allowed {
        let value = cmd.attributes.get(*key);
        if *required && value.is_none() {
            return Err(refuse(format!("{key} is required for this kind")));
        }
        let fine = match (*key, value) {
            (_, None) => true,
            ("region", Some(v)) => v.parse::<Region>().is_ok(),
            ("ministry", Some(v)) => is_known(ReferenceKind::Ministry, v.as_str()),
            ("successor", Some(v)) => is_known(ReferenceKind::Province, v.as_str()),
            _ => false,
        };
        if !fine {
            return Err(refuse(format!("{key} is not a known code")));
        }
    }
    Ok(())
}

impl Aggregate for ReferenceData {
    const TYPE: &'static str = "ReferenceData";
    type Command = ChangeReferenceData;
    type Event = ReferenceDataEvent;
    type Error = DomainError;
    type Services = Clock;

    async fn handle(
        &mut self,
        cmd: ChangeReferenceData,
        _clock: &Clock,
        sink: &EventSink<Self>,
    ) -> Result<(), DomainError> {
        check(&cmd)?;
        let event = ReferenceDataEvent::ReferenceDataChanged {
            kind: cmd.kind,
            code: cmd.code,
            valid_from: cmd.valid_from,
            valid_to: cmd.valid_to,
            name: cmd.name.map(|n| n.trim().to_string()),
            english_name: cmd.english_name.map(|n| n.trim().to_string()),
            attributes: cmd.attributes,
            source: cmd.source.trim().to_string(),
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: ReferenceDataEvent) {
        let ReferenceDataEvent::ReferenceDataChanged {
            kind,
            code,
            valid_from,
            valid_to,
            name,
            english_name,
            attributes,
            source,
        } = event;
        self.changes.push(RecordedChange {
            kind,
            code,
            valid_from,
            valid_to,
            name,
            english_name,
            attributes,
            source,
        });
    }
}
