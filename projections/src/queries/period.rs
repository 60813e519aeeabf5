//! Calendar arithmetic of a statistics period. Every walk over a range here
//! ends by construction: it steps with chrono's checked operations, which
//! stop at the calendar's last day instead of saturating, so even dates at
//! the far edge of what chrono can represent cannot make it loop.

use chrono::{Datelike, Months, NaiveDate};

use crate::target::month_of;

/// The first day of every local month that `from..=to` touches, in order.
/// Empty when `to` is before `from`.
pub(super) fn months(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    std::iter::successors(Some(month_of(from)), |m| {
        m.checked_add_months(Months::new(1))
    })
    .take_while(move |month| *month <= to)
}

/// Which rollup rows cover [from, to]: month rows for whole months, day rows for the edges.
pub(super) struct Cover {
    pub(super) months_from: NaiveDate,
    pub(super) months_before: NaiveDate,
    pub(super) head: (NaiveDate, NaiveDate),
    pub(super) tail: (NaiveDate, NaiveDate),
}

fn next_month(month: NaiveDate) -> NaiveDate {
    month
        .checked_add_months(Months::new(1))
        .unwrap_or(NaiveDate::MAX)
}

pub(super) fn cover(from: NaiveDate, to: NaiveDate) -> Cover {
    let first_whole = if from.day() == 1 {
        from
    } else {
        next_month(month_of(from))
    };
    let after_to = to.succ_opt().unwrap_or(NaiveDate::MAX);
    let after_whole = if after_to.day() == 1 {
        after_to
    } else {
        month_of(to)
    };
    if first_whole >= after_whole {
        // No whole month inside: days only. Empty ranges (start after end) select nothing.
        return Cover {
            months_from: first_whole,
            months_before: first_whole,
            head: (from, to),
            tail: (after_to, to),
        };
    }
    let day_before = |d: NaiveDate| d.pred_opt().unwrap_or(NaiveDate::MIN);
    Cover {
        months_from: first_whole,
        months_before: after_whole,
        head: (from, day_before(first_whole)),
        tail: (after_whole, to),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn the_report_period_is_whole_months_and_a_partial_tail() {
        let c = cover(day("2018-11-01"), day("2022-02-14"));
        assert_eq!(
            (c.months_from, c.months_before),
            (day("2018-11-01"), day("2022-02-01"))
        );
        assert!(c.head.0 > c.head.1, "no head days");
        assert_eq!(c.tail, (day("2022-02-01"), day("2022-02-14")));
    }

    #[test]
    fn partial_edges_on_both_sides() {
        let c = cover(day("2021-01-15"), day("2021-04-30"));
        assert_eq!(
            (c.months_from, c.months_before),
            (day("2021-02-01"), day("2021-05-01"))
        );
        assert_eq!(c.head, (day("2021-01-15"), day("2021-01-31")));
        assert!(c.tail.0 > c.tail.1, "no tail days");
    }

    #[test]
    fn inside_one_month_is_days_only() {
        let c = cover(day("2021-03-03"), day("2021-03-09"));
        assert!(c.months_from >= c.months_before);
        assert_eq!(c.head, (day("2021-03-03"), day("2021-03-09")));
        assert!(c.tail.0 > c.tail.1);
        let c = cover(day("2021-03-20"), day("2021-04-09"));
        assert!(c.months_from >= c.months_before);
        assert_eq!(c.head, (day("2021-03-20"), day("2021-04-09")));
    }

    #[test]
    fn months_end_even_at_the_far_edge_of_the_calendar() {
        // The last month of chrono's calendar has no successor: the walk stops there.
        let last = NaiveDate::MAX;
        assert_eq!(months(last, last).count(), 1);
        assert_eq!(months(month_of(last), last).count(), 1);
        let first = NaiveDate::MIN;
        assert_eq!(months(first, first).count(), 1);
        assert_eq!(months(day("2021-03-31"), day("2021-01-01")).count(), 0);
        assert_eq!(months(day("2020-12-15"), day("2022-02-01")).count(), 15);
        let c = cover(last, last);
        assert!(c.months_from >= c.months_before, "days only at the edge");
        let c = cover(first, first);
        assert!(c.months_from >= c.months_before, "days only at the edge");
    }

    #[test]
    fn a_single_whole_month() {
        let c = cover(day("2020-02-01"), day("2020-02-29"));
        assert_eq!(
            (c.months_from, c.months_before),
            (day("2020-02-01"), day("2020-03-01"))
        );
        assert!(c.head.0 > c.head.1 && c.tail.0 > c.tail.1);
    }
}
