//! Parsing the edge's raw values into domain values, once.

use domain::values::{CounsellingTopic, CountryCode};
use store::vault::{Binding, Subject, Vault};

use crate::error::{ApiError, ApiResult};

/// Longest name accepted, in characters.
pub const MAX_NAME: usize = 200;
/// Longest phone number accepted.
pub const MAX_PHONE: usize = 40;
/// Longest free text (notes, reasons).
pub const MAX_TEXT: usize = 10_000;

/// A bounded number, e.g. `PersonCount`, from the GraphQL `Int`.
pub fn bounded<T: TryFrom<i32, Error = domain::DomainError>>(value: i32) -> ApiResult<T> {
    Ok(T::try_from(value)?)
}

pub fn country(value: Option<&str>) -> ApiResult<Option<CountryCode>> {
    Ok(value.map(CountryCode::try_from).transpose()?)
}

/// A province code of the reference data, in any case (a code ADMIN added:
/// in capitals, as the reference data writes it). Anything else is
/// refused here, before the domain, quoting the value and naming the code
/// it most likely meant (`Hà Nội` → HA_NOI): the API takes codes only, as
/// the contract says, but a person reading the error should not have to
/// search for the code. Whether the code was in force on the record's day
/// is the domain's question.
pub fn province(value: Option<&str>) -> ApiResult<Option<String>> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let code = value.to_ascii_uppercase();
    if domain::reference::PROVINCES.iter().any(|p| p.code == code) {
        return Ok(Some(code));
    }
    // A code as written (a province ADMIN added, say): the domain checks it
    // against the reference data of the record's day, and names it if unknown.
    if domain::values::is_code(value) {
        return Ok(Some(code));
    }
    let hint = domain::reference::find_province(value)
        .or_else(|| domain::reference::nearest_province(value))
        .map(|p| format!("; did you mean {} ({})?", p.code, p.name))
        .unwrap_or_default();
    Err(ApiError::BadUserInput(format!(
        "province '{}' is not a province code{hint} (referenceData lists them)",
        value.chars().take(40).collect::<String>()
    )))
}

pub fn topics(values: Option<&[CounsellingTopic]>) -> Vec<CounsellingTopic> {
    values.unwrap_or_default().to_vec()
}

/// Most codes one call or session may name: every contract topic and as
/// many added ones; more is a client bug.
pub const MAX_NAMED_CODES: usize = 2 * domain::values::MAX_TOPICS;

/// Reference-data codes a client names (`categoryCode`, `topicCodes`):
/// trimmed and shaped like codes; whether each is in force on the record's
/// day is the domain's to check against the reference book.
pub fn codes(field: &str, values: Option<&[String]>) -> ApiResult<Vec<String>> {
    let values = values.unwrap_or_default();
    if values.len() > MAX_NAMED_CODES {
        return Err(ApiError::BadUserInput(format!(
            "{field} names more than {MAX_NAMED_CODES} codes"
        )));
    }
    values
        .iter()
        .map(|value| {
            let code = value.trim();
            if domain::values::is_code(code) {
                return Ok(code.to_string());
            }
            Err(ApiError::BadUserInput(format!(
                "{field} '{}' is not a reference-data code (referenceData lists them)",
                code.chars()
                    .take(domain::values::MAX_CODE)
                    .collect::<String>()
            )))
        })
        .collect()
}

/// Free text: trimmed, `None` when empty, refused when too long. Never echoed in errors.
pub fn text(field: &str, value: Option<&str>, max: usize) -> ApiResult<Option<String>> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > max {
        return Err(ApiError::BadUserInput(format!(
            "{field} is longer than {max} characters"
        )));
    }
    Ok(Some(value.to_string()))
}

/// A reason that must be given.
pub fn required_text(field: &str, value: &str) -> ApiResult<String> {
    text(field, Some(value), MAX_TEXT)?
        .ok_or_else(|| ApiError::BadUserInput(format!("{field} is required")))
}

/// Seals optional free text under `subject`'s key (a person's for names and
/// phones, the call's for notes, the case's for reasons).
pub async fn seal(
    vault: &Vault,
    pool: &sqlx::PgPool,
    subject: Subject,
    binding: Binding,
    value: Option<String>,
) -> ApiResult<Option<domain::sealed::Sealed>> {
    match value {
        Some(v) => Ok(Some(vault.seal(pool, subject, &binding, &v).await?)),
        None => Ok(None),
    }
}
