//! The contract's `Date` scalar, and the accepted range of every time the
//! API reads.
//!
//! Every scalar the API accepts has a documented range, checked when the
//! value is parsed (README, "Accepted ranges"): days and times lie within
//! [`EARLIEST_DAY`]..=[`LATEST_DAY`], a window no hotline record leaves and
//! every database type and calendar computation holds comfortably. A value
//! outside is BAD_USER_INPUT naming the argument and the range; it never
//! reaches a query, so no range walk can meet chrono's saturating edges.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime, NaiveDate, Utc};

pub use crate::commands::inputs::{EARLIEST_DAY, LATEST_DAY};
use crate::error::ApiError;

/// `YYYY-MM-DD`, between 1900-01-01 and 2100-12-31.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(pub NaiveDate);

fn refused(what: &str) -> InputValueError<Date> {
    InputValueError::custom(format!(
        "{what}: a Date is a calendar day YYYY-MM-DD between {EARLIEST_DAY} and {LATEST_DAY}"
    ))
}

#[Scalar(name = "Date")]
impl ScalarType for Date {
    /// The message never quotes the value (whatever a client typed stays
    /// out of errors); `cost::arguments` prefixes the argument's name.
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => {
                let day = NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map_err(|_| refused("not a calendar day"))?;
                if (EARLIEST_DAY..=LATEST_DAY).contains(&day) {
                    Ok(Date(day))
                } else {
                    Err(refused("outside the accepted range"))
                }
            }
            _ => Err(refused("not a string")),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

/// Refuses a time argument outside the accepted window (the built-in
/// `DateTime` scalar parses any RFC 3339 time chrono can hold).
pub fn check_time(argument: &str, at: DateTime<Utc>) -> Result<DateTime<Utc>, ApiError> {
    let day = at.date_naive();
    if (EARLIEST_DAY..=LATEST_DAY).contains(&day) {
        Ok(at)
    } else {
        Err(ApiError::BadUserInput(format!(
            "{argument} lies between {EARLIEST_DAY}T00:00:00Z and {LATEST_DAY}T23:59:59Z"
        )))
    }
}

/// Refuses an integer argument outside `min..=max`, naming both.
pub fn check_int(argument: &str, value: i32, min: i32, max: i32) -> Result<i32, ApiError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(ApiError::BadUserInput(format!(
            "{argument} must be between {min} and {max}"
        )))
    }
}
