//! Reading the call log's rows: columns by header name, values parsed the
//! way the API parses them, and the content-derived id of a row without one.
//! No I/O here, so all of it is tested without a database.

use std::collections::HashMap;
use std::str::FromStr;

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use domain::values::{CallCategory, CallerType, Channel, CounsellingTopic, Region};
use uuid::Uuid;

use super::ImportError;
use crate::error::ApiError;
use crate::graphql::inputs::ReceiveCallInput;

/// Every column the import knows, in the documented order.
pub const COLUMNS: [&str; 10] = [
    "id",
    "received_at",
    "channel",
    "region",
    "province",
    "country",
    "caller_type",
    "category",
    "topics",
    "duration_seconds",
];
/// Columns the file must have (the others may be absent or empty).
const REQUIRED: [&str; 4] = ["received_at", "channel", "caller_type", "category"];
/// Namespace of content-derived call ids; changing it would re-import every id-less file.
const NAMESPACE: Uuid = Uuid::from_u128(0x6361_7365_7472_6169_6c2d_696d_706f_7274);
/// Longest cell value echoed in a reason: enough for any code, too short for a paragraph.
const ECHO: usize = 40;

/// One parsed row, ready for `receiveCall`.
pub(super) struct Planned {
    pub line: usize,
    pub id: Uuid,
    pub input: ReceiveCallInput,
}

/// The line a record starts on. The csv crate positions a record where its
/// parse began, before the blank lines it skipped; count those too.
pub(super) fn line_of(bytes: &[u8], position: &csv::Position) -> usize {
    let skipped = bytes
        .get(position.byte() as usize..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| matches!(b, b'\n' | b'\r'))
        .filter(|b| **b == b'\n')
        .count();
    position.line() as usize + skipped
}

/// Each known column's index, refusing unknown, repeated and missing ones.
pub(super) fn columns(
    headers: &csv::StringRecord,
) -> Result<HashMap<&'static str, usize>, ImportError> {
    let mut found = HashMap::new();
    let mut unknown = Vec::new();
    for (i, header) in headers.iter().enumerate() {
        let name = header.trim().to_ascii_lowercase();
        match COLUMNS.iter().find(|c| **c == name) {
            Some(&known) if found.insert(known, i).is_some() => {
                return Err(ImportError::DuplicateColumn(known.to_string()))
            }
            Some(_) => {}
            None if header.trim().is_empty() => unknown.push(format!("unnamed column {}", i + 1)),
            None => unknown.push(format!("'{}'", echo(header))),
        }
    }
    if !unknown.is_empty() {
        return Err(ImportError::UnknownColumns(unknown));
    }
    let missing: Vec<String> = REQUIRED
        .iter()
        .filter(|c| !found.contains_key(*c))
        .map(|c| c.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::MissingColumns(missing));
    }
    Ok(found)
}

/// A cell value fit to quote in a reason.
fn echo(value: &str) -> String {
    value.chars().take(ECHO).collect()
}

/// Parses one row into `receiveCall`'s input and the call's id.
pub(super) fn plan(
    line: usize,
    columns: &HashMap<&'static str, usize>,
    record: &csv::StringRecord,
    time_zone: Tz,
) -> Result<Planned, String> {
    let cell = |name: &str| {
        columns
            .get(name)
            .and_then(|&i| record.get(i))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let required = |name: &str| cell(name).ok_or_else(|| format!("{name} is required"));
    let given_id = cell("id")
        .map(|v| Uuid::parse_str(v).map_err(|_| format!("id '{}' is not a UUID", echo(v))))
        .transpose()?;
    let mut topics = Vec::new();
    for topic in cell("topics").unwrap_or_default().split(';').map(str::trim) {
        if !topic.is_empty() {
            topics.push(code::<CounsellingTopic>("topics", topic)?);
        }
    }
    let topics = domain::values::normalised(&topics);
    let mut input = ReceiveCallInput {
        id: None,
        received_at: received_at(required("received_at")?, time_zone)?,
        channel: code::<Channel>("channel", required("channel")?)?.into(),
        region: cell("region")
            .map(|v| code::<Region>("region", v))
            .transpose()?
            .map(Into::into),
        province: cell("province").map(str::to_ascii_uppercase),
        country: cell("country").map(str::to_ascii_uppercase),
        caller_type: code::<CallerType>("caller_type", required("caller_type")?)?.into(),
        category: code::<CallCategory>("category", required("category")?)?.into(),
        topics: (!topics.is_empty()).then(|| topics.into_iter().map(Into::into).collect()),
        duration_seconds: cell("duration_seconds")
            .map(|v| {
                v.parse::<i32>().map_err(|_| {
                    format!(
                        "duration_seconds '{}' is not a whole number of seconds",
                        echo(v)
                    )
                })
            })
            .transpose()?,
    };
    let id = match given_id {
        Some(id) => id,
        None => content_id(&input),
    };
    input.id = Some(id);
    Ok(Planned { line, id, input })
}

/// The id of a row without one: a UUID v5 of its normalised input.
pub fn content_id(input: &ReceiveCallInput) -> Uuid {
    let anonymous = ReceiveCallInput {
        id: None,
        ..input.clone()
    };
    let content = serde_json::to_string(&anonymous).unwrap_or_default();
    Uuid::new_v5(&NAMESPACE, format!("receiveCall/v1/{content}").as_bytes())
}

/// A contract code, also accepted in lower case; the reason is the domain's message.
fn code<T: FromStr<Err = domain::DomainError>>(column: &str, value: &str) -> Result<T, String> {
    T::from_str(&value.to_ascii_uppercase()).map_err(|e| format!("{column}: {}", ApiError::from(e)))
}

/// RFC 3339 with an offset, or `YYYY-MM-DD HH:MM[:SS]` in the hotline's time zone.
pub fn received_at(value: &str, time_zone: Tz) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        return Ok(at.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(local) = NaiveDateTime::parse_from_str(value, format) {
            return match time_zone.from_local_datetime(&local) {
                LocalResult::Single(at) => Ok(at.with_timezone(&Utc)),
                LocalResult::Ambiguous(..) => Err(format!(
                    "received_at '{}' happens twice in {time_zone} (clocks went back); give an offset",
                    echo(value)
                )),
                LocalResult::None => Err(format!(
                    "received_at '{}' does not exist in {time_zone} (clocks went forward)",
                    echo(value)
                )),
            };
        }
    }
    Err(format!(
        "received_at '{}' is neither RFC 3339 (2021-03-04T10:15:00+07:00) nor YYYY-MM-DD HH:MM[:SS]",
        echo(value)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_are_read_in_the_hotlines_zone() {
        let tz = chrono_tz::Asia::Ho_Chi_Minh;
        let want =
            DateTime::parse_from_rfc3339("2021-03-04T03:15:00Z").map(|d| d.with_timezone(&Utc));
        assert_eq!(received_at("2021-03-04 10:15", tz).ok(), want.ok());
        assert_eq!(
            received_at("2021-03-04 10:15:00", tz),
            received_at("2021-03-04T10:15:00+07:00", tz)
        );
        assert!(received_at("2021-13-40 10:00", tz).is_err());
    }

    #[test]
    fn a_clock_change_is_refused_rather_than_guessed() {
        let paris = chrono_tz::Europe::Paris;
        assert!(received_at("2021-03-28 02:30", paris)
            .expect_err("refused")
            .contains("does not exist"));
        assert!(received_at("2021-10-31 02:30", paris)
            .expect_err("refused")
            .contains("happens twice"));
    }

    #[test]
    fn header_problems_name_the_columns() {
        let headers = csv::StringRecord::from(vec!["received_at", "channel", "caller", "category"]);
        let err = columns(&headers).expect_err("refused").to_string();
        assert!(
            err.contains("'caller'") && err.contains("caller_type"),
            "{err}"
        );
        let headers = csv::StringRecord::from(vec!["received_at", "channel", "category"]);
        assert!(columns(&headers)
            .expect_err("refused")
            .to_string()
            .contains("caller_type"));
    }
}
