//! Where a projection writes a batch (live or shadow tables) and the
//! calendar it counts days in: what every read model needs, and nothing
//! that knows the models, so models and runtime both depend on it alone.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;

/// Suffix of the shadow tables a rebuild fills before swapping them in.
pub(crate) const SHADOW_SUFFIX: &str = "__rebuild";

/// Where a batch is written, and the calendar it counts days in.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Target {
    /// Write into the `__rebuild` shadow tables instead of the live ones.
    pub shadow: bool,
    pub time_zone: Tz,
}

impl Target {
    pub fn table(&self, name: &str) -> String {
        if self.shadow {
            format!("{name}{SHADOW_SUFFIX}")
        } else {
            name.to_string()
        }
    }

    /// The hotline's calendar day of an instant.
    pub fn day(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.time_zone).date_naive()
    }
}

/// The first day of a day's month.
pub(crate) fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_days_are_the_hotlines() {
        let target = Target {
            shadow: false,
            time_zone: chrono_tz::Asia::Ho_Chi_Minh,
        };
        let evening = "2022-02-14T16:30:00Z".parse().unwrap_or_default();
        let next_morning = "2022-02-14T17:30:00Z".parse().unwrap_or_default();
        assert_eq!(target.day(evening).to_string(), "2022-02-14");
        assert_eq!(target.day(next_morning).to_string(), "2022-02-15");
        assert_eq!(
            Target {
                shadow: true,
                ..target
            }
            .table("calls"),
            "calls__rebuild"
        );
    }
}
