//! Reading the call log's rows: columns by header name, values parsed the
//! way the API parses them, and the content-derived id of a row without one.
//! No I/O here, so all of it is tested without a database.

use std::collections::HashMap;

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use domain::clock::Clock;
use domain::reference::book::ReferenceBook;
use domain::reference::location::resolve_location;
use domain::values::{
    CallCategory, CallSeconds, CallerType, Channel, CounsellingTopic, CountryCode, Region,
};
use uuid::Uuid;

use super::cells::{code, column_key, echo, in_file_terms, location_reason, province_code};
use crate::commands::inputs::ReceiveCallInput;

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
/// Why an import could not run (or stopped): the file as a whole, or the database.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file cannot be read as CSV: {0}")]
    Unreadable(String),
    #[error(
        "missing required column(s) {}{}; the columns are {} (header names in any case, spaces \
         allowed; the file may be separated by commas, semicolons or tabs)",
        .missing.join(", "),
        list_unrecognised(.unrecognised),
        COLUMNS.join(", ")
    )]
    MissingColumns {
        missing: Vec<String>,
        unrecognised: Vec<String>,
    },
    #[error("column {0} appears more than once")]
    DuplicateColumn(String),
    #[error("stopped at line {line}: {reason}; the rows recorded so far stay recorded, run the import again to continue")]
    Stopped { line: usize, reason: String },
}

fn list_unrecognised(columns: &[String]) -> String {
    if columns.is_empty() {
        String::new()
    } else {
        format!(
            " (the file's unrecognised column(s): {})",
            columns.join(", ")
        )
    }
}

/// Columns the file must have (the others may be absent or empty).
const REQUIRED: [&str; 4] = ["received_at", "channel", "caller_type", "category"];
/// Namespace of content-derived call ids; changing it would re-import every id-less file.
const NAMESPACE: Uuid = Uuid::from_u128(0x6361_7365_7472_6169_6c2d_696d_706f_7274);

/// One parsed row, ready for `receiveCall`.
pub(super) struct Planned {
    pub line: usize,
    pub id: Uuid,
    pub input: ReceiveCallInput,
    /// The id was derived from the content: a later correction of this row is another call.
    pub without_id: bool,
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

/// The file's columns: each known column's index, and the columns ignored.
#[derive(Debug)]
pub(super) struct Columns {
    pub index: HashMap<&'static str, usize>,
    /// Unrecognised header cells as written, each with the known column it is
    /// nearest to when it looks like a typo: reported, never read.
    pub ignored: Vec<String>,
}

/// Each known column's index; unknown columns are set aside (a spreadsheet
/// often carries a column of its own, such as a clerk's remark), repeated
/// ones refused (which one would count?), missing required ones refused
/// with the unrecognised ones named as the likely culprits.
pub(super) fn columns(headers: &csv::StringRecord) -> Result<Columns, ImportError> {
    let mut index = HashMap::new();
    let mut ignored = Vec::new();
    for (i, header) in headers.iter().enumerate() {
        let key = column_key(header);
        match COLUMNS.iter().find(|c| **c == key) {
            Some(&known) if index.insert(known, i).is_some() => {
                return Err(ImportError::DuplicateColumn(known.to_string()))
            }
            Some(_) => {}
            None if header.trim().is_empty() => ignored.push(format!("unnamed column {}", i + 1)),
            None => ignored.push(match nearest_column(&key) {
                Some(near) => format!("'{}' (did you mean {near}?)", echo(header)),
                None => format!("'{}'", echo(header)),
            }),
        }
    }
    let missing: Vec<String> = REQUIRED
        .iter()
        .filter(|c| !index.contains_key(*c))
        .map(|c| c.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::MissingColumns {
            missing,
            unrecognised: ignored,
        });
    }
    Ok(Columns { index, ignored })
}

/// The known column a header is a likely typo or shortening of
/// (`recieved_at`, `caller`, `duration`).
fn nearest_column(key: &str) -> Option<&'static str> {
    let typo = COLUMNS
        .iter()
        .map(|c| (strsim::levenshtein(key, c), *c))
        .min()
        .filter(|(d, _)| *d <= 2)
        .map(|(_, c)| c);
    typo.or_else(|| {
        COLUMNS
            .iter()
            .find(|c| key.len() >= 4 && c.starts_with(key))
            .copied()
    })
}

/// Parses one row into `receiveCall`'s input and the call's id, and checks
/// it the way the domain will (time not in the future, province in force on
/// that day, region and country consistent), so that a reason speaks of the
/// file's columns and quotes the value as written.
pub(super) fn plan(
    line: usize,
    columns: &Columns,
    record: &csv::StringRecord,
    time_zone: Tz,
    book: &ReferenceBook,
) -> Result<Planned, String> {
    let cell = |name: &str| {
        columns
            .index
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
    for topic in cell("topics").unwrap_or_default().split([';', ',', '|']) {
        if !topic.trim().is_empty() {
            topics.push(code::<CounsellingTopic>("topics", topic)?);
        }
    }
    let topics = domain::values::normalised(&topics);
    let written_at = required("received_at")?;
    let at = received_at(written_at, time_zone)?;
    Clock::system()
        .check_not_future("received_at", at)
        .map_err(|e| {
            format!(
                "received_at '{}': {}",
                echo(written_at),
                in_file_terms(&e.to_string())
            )
        })?;
    let region = cell("region")
        .map(|v| code::<Region>("region", v))
        .transpose()?;
    let province = cell("province")
        .map(|v| province_code(v, book))
        .transpose()?;
    let country = cell("country")
        .map(|v| {
            CountryCode::try_from(v).map_err(|_| {
                format!(
                    "country '{}' is not an ISO 3166-1 alpha-2 code (e.g. KH, CN, LA)",
                    echo(v)
                )
            })
        })
        .transpose()?;
    resolve_location(
        region,
        province.as_deref(),
        country.as_ref(),
        at,
        None,
        book,
    )
    .map_err(|e| location_reason(e, &cell, written_at))?;
    let duration_seconds = cell("duration_seconds")
        .map(|v| {
            let n = v.parse::<i64>().map_err(|_| {
                format!(
                    "duration_seconds '{}' is not a whole number of seconds",
                    echo(v)
                )
            })?;
            CallSeconds::try_from(n)
                .map(|d| d.get() as i32)
                .map_err(|e| {
                    format!(
                        "duration_seconds '{}': {}",
                        echo(v),
                        in_file_terms(&e.to_string())
                    )
                })
        })
        .transpose()?;
    let mut input = ReceiveCallInput {
        id: None,
        received_at: at,
        channel: code::<Channel>("channel", required("channel")?)?,
        region,
        province,
        country: country.map(|c| c.as_str().to_string()),
        caller_type: code::<CallerType>("caller_type", required("caller_type")?)?,
        category: code::<CallCategory>("category", required("category")?)?,
        topics: (!topics.is_empty()).then(|| topics.into_iter().collect()),
        duration_seconds,
        category_code: None,
        topic_codes: None,
    };
    let id = match given_id {
        Some(id) => id,
        None => content_id(&input),
    };
    input.id = Some(id);
    Ok(Planned {
        line,
        id,
        input,
        without_id: given_id.is_none(),
    })
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
