//! Where something happened, as recorded in an event: the region, province
//! and country a counsellor entered, checked against the day's reference book.
//! Its own module so that `reference.rs` (the compiled map, which the book
//! reads) does not import the book.

use chrono::{DateTime, Utc};

use super::book::ReferenceBook;
use super::vietnam_day;
use crate::error::DomainError;
use crate::values::{CountryCode, Region};

/// Where something happened, as recorded in an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub region: Region,
    pub province: Option<String>,
    pub country: Option<String>,
}

/// Derives the recorded location from what the counsellor entered.
///
/// A province gives its region (and must agree with a region also given); a
/// country is only meaningful for OVERSEAS. With neither region nor province,
/// `fallback` is used when there is one (the case's or the call's region).
/// The province is checked against `book` on the Vietnamese day of `at`.
pub fn resolve_location(
    region: Option<Region>,
    province: Option<&str>,
    country: Option<&CountryCode>,
    at: DateTime<Utc>,
    fallback: Option<Region>,
    book: &ReferenceBook,
) -> Result<Location, DomainError> {
    let (region, province) = match (region, province) {
        (given, Some(code)) => {
            let found = book.province_on(code, vietnam_day(at))?;
            if let Some(given) = given {
                if given != found.region {
                    return Err(DomainError::RegionMismatch {
                        province: found.code.to_string(),
                        derived: found.region.to_string(),
                        given: given.to_string(),
                    });
                }
            }
            (found.region, Some(found.code))
        }
        (Some(region), None) => (region, None),
        (None, None) => (fallback.ok_or(DomainError::LocationMissing)?, None),
    };
    if country.is_some() && region != Region::Overseas {
        return Err(DomainError::CountryWithoutOverseas);
    }
    Ok(Location {
        region,
        province,
        country: country.map(|c| c.as_str().to_string()),
    })
}
