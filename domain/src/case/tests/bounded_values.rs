//! The bounded numbers and codes commands carry, at and beyond their bounds.

use crate::error::DomainError;
use crate::values::{BirthYear, CallSeconds, CountryCode, PersonCount, SessionMinutes};

/// Checks min-1, min, max and max+1 (and the extremes of i64) of a bounded number.
fn assert_bounds<T>(field: &'static str, min: i64, max: i64, get: impl Fn(T) -> i64)
where
    T: TryFrom<i64, Error = DomainError> + std::fmt::Debug,
{
    let refused = DomainError::OutOfRange { field, min, max };
    assert_eq!(
        T::try_from(min - 1).map(&get),
        Err(refused.clone()),
        "min-1"
    );
    assert_eq!(T::try_from(min).map(&get), Ok(min), "min");
    assert_eq!(T::try_from(max).map(&get), Ok(max), "max");
    assert_eq!(
        T::try_from(max + 1).map(&get),
        Err(refused.clone()),
        "max+1"
    );
    assert_eq!(
        T::try_from(i64::MIN).map(&get),
        Err(refused.clone()),
        "i64::MIN"
    );
    assert_eq!(T::try_from(i64::MAX).map(&get), Err(refused), "i64::MAX");
}

#[test]
fn person_count_is_between_1_and_1000() {
    assert_bounds::<PersonCount>("persons", 1, 1_000, |v| v.get().into());
    assert!(PersonCount::try_from(0_i32).is_err());
    assert_eq!(
        PersonCount::try_from(1_000_i32).map(PersonCount::get),
        Ok(1_000)
    );
}

#[test]
fn session_minutes_is_between_1_and_720() {
    assert_bounds::<SessionMinutes>("durationMinutes", 1, 720, |v| v.get().into());
    assert!(SessionMinutes::try_from(721_i32).is_err());
    assert_eq!(
        SessionMinutes::try_from(1_i32).map(SessionMinutes::get),
        Ok(1)
    );
}

#[test]
fn call_seconds_is_between_0_and_86400() {
    assert_bounds::<CallSeconds>("durationSeconds", 0, 86_400, |v| v.get().into());
    assert!(CallSeconds::try_from(-1_i32).is_err());
    assert_eq!(CallSeconds::try_from(0_i32).map(CallSeconds::get), Ok(0));
}

#[test]
fn birth_year_is_between_1900_and_2100() {
    assert_bounds::<BirthYear>("birthYear", 1_900, 2_100, |v| v.get().into());
    assert!(BirthYear::try_from(1_899_i32).is_err());
    assert_eq!(
        BirthYear::try_from(2_100_i32).map(BirthYear::get),
        Ok(2_100)
    );
}

#[test]
fn country_code_is_two_ascii_letters_in_upper_case() {
    for (input, code) in [("VN", "VN"), ("kh", "KH"), (" cN ", "CN")] {
        assert_eq!(
            CountryCode::try_from(input).map(|c| c.as_str().to_string()),
            Ok(code.to_string()),
            "{input:?}"
        );
    }
    for input in ["", "V", "VNM", "V1", "1V", "V-", "ÀB", "Ä", "  "] {
        assert_eq!(
            CountryCode::try_from(input),
            Err(DomainError::InvalidCountry),
            "{input:?}"
        );
    }
}
