//! The domain's only view of time, and of the reference data: a service
//! handed to `handle`. The reference book travels with the clock because
//! every rule that checks a code checks it on a day (the day the thing
//! happened), and every caller already hands the rules a clock; a clock made
//! without a book carries the repository's reference data alone.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::error::DomainError;
use crate::reference::book::ReferenceBook;

/// How far a business time may lie ahead of the server clock: devices that
/// record a call are a little ahead sometimes, never minutes.
pub const MAX_CLOCK_SKEW_SECONDS: i64 = 300;

/// The clock the aggregates consult for "not in the future" rules.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    fixed: Option<DateTime<Utc>>,
    book: Arc<ReferenceBook>,
}

impl Clock {
    /// The server's clock.
    pub fn system() -> Self {
        Self {
            fixed: None,
            book: Arc::default(),
        }
    }

    /// A clock stopped at `now`, for tests and replays.
    pub fn fixed(now: DateTime<Utc>) -> Self {
        Self {
            fixed: Some(now),
            book: Arc::default(),
        }
    }

    /// The same clock, with `book` as the reference data the rules check codes against.
    pub fn with_book(self, book: Arc<ReferenceBook>) -> Self {
        Self { book, ..self }
    }

    /// The reference data the rules check codes against.
    pub fn book(&self) -> &ReferenceBook {
        &self.book
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.fixed.unwrap_or_else(Utc::now)
    }

    /// Refuses a business time beyond the allowed skew, or before the hotline's records begin.
    pub fn check_not_future(
        &self,
        field: &'static str,
        at: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        if at > self.now() + Duration::seconds(MAX_CLOCK_SKEW_SECONDS) {
            return Err(DomainError::InFuture { field });
        }
        if at < earliest_record() {
            return Err(DomainError::TooOld { field });
        }
        Ok(())
    }
}

/// No hotline record predates 2000; an earlier time is a typing error.
pub fn earliest_record() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Refuses `at` when it lies before the time `earlier` of what it follows.
pub fn check_follows(
    field: &'static str,
    at: DateTime<Utc>,
    follows: &'static str,
    earlier: DateTime<Utc>,
) -> Result<(), DomainError> {
    if at < earlier {
        Err(DomainError::BeforePrevious {
            field,
            at,
            follows,
            earlier,
        })
    } else {
        Ok(())
    }
}
