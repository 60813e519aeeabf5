//! Reference data changes: one stream ([`STREAM_ID`]) of
//! `ReferenceDataChanged` events by which ADMIN dates a change of a
//! province, region, agency (its ministry), ministry, call category or
//! counselling topic, without a release. The repository's data files stay
//! the base (`crate::reference::dated`); the events say, in the order they
//! were recorded, what differs over which days.
//!
//! A change may rename, re-attribute, re-date or withdraw a known code, and
//! add a new one: a new agency (with its ministry), province (with its
//! region: a new administrative map), ministry, call category or counselling
//! topic needs no release. The contract's enums (agencies, categories,
//! topics, regions) are fixed, so a new agency, category or topic names the
//! contract value it reports as (`reportsAs`), by which the API's enum
//! fields and the statistics count it; regions stay the contract's. The
//! rules check codes against the book of these changes on the day the thing
//! happened (`crate::reference::book`), and recorded calls and cases keep
//! the values they were recorded with (a referral records its agency's
//! class as it stood that day; a call or session records the class of each
//! category and topic it names, beside any code ADMIN added:
//! `crate::call::codes`).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::clock::Clock;
use crate::error::DomainError;
use crate::reference::book::{ReferenceBook, REPORTS_AS};
use crate::reference::dated::{Change, Entry, ReferenceKind};
use crate::values::{is_code, Region};

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

/// A change reads the book from its own stream's state, not from the service.
impl crate::reference::book::ConsultsBook for ChangeReferenceData {
    fn consults_book(&self) -> bool {
        false
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

/// The rules of a change, given the book as recorded before it.
fn check(cmd: &ChangeReferenceData, book: &ReferenceBook) -> Result<(), DomainError> {
    let known = book.knows(cmd.kind, &cmd.code);
    if !known {
        if !is_code(&cmd.code) {
            return Err(refuse(
                "a new code has 1 to 40 of A-Z, 0-9 and _, starting with a letter",
            ));
        }
        if cmd.kind == ReferenceKind::Region {
            return Err(refuse(
                "regions are the contract's: a new region needs a release",
            ));
        }
        if cmd.name.is_none() {
            return Err(refuse(
                "a new code starts with a name: there is nothing to withdraw",
            ));
        }
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
    // A code that is not the contract's own value reports as one, so that
    // the contract's enums and the statistics keep counting it.
    let needs_class = cmd.kind.contract_value(&cmd.code) == Some(false);
    for (key, required) in allowed {
        let value = cmd.attributes.get(*key);
        let required = *required || (*key == REPORTS_AS && needs_class);
        if required && value.is_none() {
            return Err(refuse(format!("{key} is required for this code")));
        }
        let fine = match (*key, value) {
            (_, None) => true,
            ("region", Some(v)) => v.parse::<Region>().is_ok(),
            ("ministry", Some(v)) => book.knows(ReferenceKind::Ministry, v.as_str()),
            ("successor", Some(v)) => book.knows(ReferenceKind::Province, v.as_str()),
            (REPORTS_AS, Some(v)) if needs_class => cmd.kind.contract_value(v) == Some(true),
            // A contract value reports as itself.
            (REPORTS_AS, Some(v)) => *v == cmd.code,
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
        check(&cmd, &ReferenceBook::new(self.changes()))?;
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
