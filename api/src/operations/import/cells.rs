//! One cell's value read as the hotline's code, and what is wrong with it
//! told in the file's terms: its column names, the value as written, the
//! codes it could have been.

use std::str::FromStr;

use domain::reference::book::ReferenceBook;
use domain::reference::dated::ReferenceKind;
use domain::reference::{find_province, nearest_province};
use domain::values::{CallCategory, CallerType, Channel, CounsellingTopic, Region};
use domain::DomainError;

/// A contract code, forgiving how a spreadsheet writes it (`voice`,
/// `Walk-in`, `walk in`); refused with the value as written and the codes.
pub(super) fn code<T: Code>(column: &str, value: &str) -> Result<T, String> {
    let key = column_key(value).to_ascii_uppercase();
    T::from_str(&key).map_err(|_| {
        let codes: Vec<&str> = T::all().iter().map(|c| c.wire()).collect();
        format!(
            "{column} '{}' is not one of {}",
            echo(value.trim()),
            codes.join(", ")
        )
    })
}

/// A wire enum the file names by code.
pub(super) trait Code: FromStr + Copy + 'static {
    fn all() -> &'static [Self];
    fn wire(self) -> &'static str;
}

macro_rules! codes {
    ($($t:ty),+) => {$(
        impl Code for $t {
            fn all() -> &'static [Self] {
                <$t>::ALL
            }
            fn wire(self) -> &'static str {
                self.as_str()
            }
        }
    )+};
}
codes!(CallCategory, CallerType, Channel, CounsellingTopic, Region);

/// A province cell as a code: the code itself or the Vietnamese name, with
/// or without diacritics, or a code the reference `book` knows (a province
/// ADMIN added); otherwise the value as written and the nearest code.
pub(super) fn province_code(value: &str, book: &ReferenceBook) -> Result<String, String> {
    if let Some(p) = find_province(value) {
        return Ok(p.code.to_string());
    }
    if book.knows(ReferenceKind::Province, value) {
        return Ok(value.to_string());
    }
    let hint = match nearest_province(value) {
        Some(p) => format!("did you mean {} ({})? ", p.code, p.name),
        None => String::new(),
    };
    Err(format!(
        "province '{}' is neither a province code nor a province's name; {hint}the codes and \
         names are in docs/REFERENCE.md and `casetrail reference provinces`",
        echo(value)
    ))
}

/// A location refusal of the domain, told with the cells as written.
pub(super) fn location_reason<'a>(
    e: DomainError,
    cell: &impl Fn(&str) -> Option<&'a str>,
    written_at: &str,
) -> String {
    let quoted = |name: &str| format!("{name} '{}'", echo(cell(name).unwrap_or_default()));
    match e {
        DomainError::ProvinceMerged {
            province,
            successor,
            since,
        } => format!(
            "{} ({province}) was merged into {successor} on {since}, and received_at '{}' is \
             not before that day: write {successor}",
            quoted("province"),
            echo(written_at)
        ),
        DomainError::RegionMismatch { derived, .. } => format!(
            "{} does not match {}, which lies in {derived}; leave region empty (the province \
             gives it) or correct one of them",
            quoted("region"),
            quoted("province")
        ),
        DomainError::CountryWithoutOverseas => format!(
            "{} is given but the region is not OVERSEAS; a country is recorded only for calls \
             about somewhere abroad",
            quoted("country")
        ),
        DomainError::LocationMissing => {
            "give a region or a province (region UNKNOWN when the caller did not say)".into()
        }
        other => in_file_terms(&other.to_string()),
    }
}

/// The API's names of the call's fields, as the file's column names.
const API_NAMES: [(&str, &str); 3] = [
    ("receivedAt", "received_at"),
    ("callerType", "caller_type"),
    ("durationSeconds", "duration_seconds"),
];

/// A message of the API or the domain in the file's terms: `receivedAt` → `received_at`.
pub(super) fn in_file_terms(message: &str) -> String {
    API_NAMES
        .iter()
        .fold(message.to_string(), |m, (api, column)| {
            m.replace(api, column)
        })
}

/// A header cell as a column name (also a code cell as a code): `Received At`, `receivedAt` (the API's
/// name) and `RECEIVED_AT` all become `received_at`.
pub(super) fn column_key(header: &str) -> String {
    let mut key = String::new();
    let mut previous: Option<char> = None;
    for c in header.trim().chars() {
        let boundary =
            c.is_uppercase() && previous.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit());
        if (!c.is_alphanumeric() || boundary) && !key.is_empty() && !key.ends_with('_') {
            key.push('_');
        }
        if c.is_alphanumeric() {
            key.extend(c.to_lowercase());
        }
        previous = Some(c);
    }
    key.trim_end_matches('_').to_string()
}

/// Longest cell value echoed in a reason: enough for any code, too short for a paragraph.
const ECHO: usize = 40;

/// A cell value fit to quote in a reason.
pub(super) fn echo(value: &str) -> String {
    value.chars().take(ECHO).collect()
}
