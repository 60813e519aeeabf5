//! What subscribers get from the log's tail: positions, events, errors, settings.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use domain::call::CallEvent;
use domain::case::CaseEvent;
use domain::values::{Agency, AgencyClass};
use uuid::Uuid;

use crate::feed::Checkpoint;

/// Where a subscriber stands in the log: opaque to clients, written
/// `<transaction id>.<position>` (both decimal).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cursor(pub(crate) Checkpoint);

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0.transaction_id, self.0.position)
    }
}

impl FromStr for Cursor {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        let (transaction, position) = s.split_once('.').ok_or(())?;
        let number = |t: &str| -> Result<i64, ()> {
            if t.is_empty() || t.len() > 19 || !t.bytes().all(|b| b.is_ascii_digit()) {
                return Err(());
            }
            t.parse().map_err(|_| ())
        };
        Ok(Cursor(Checkpoint {
            transaction_id: number(transaction)?,
            position: number(position)?,
        }))
    }
}

/// What a live event says.
#[derive(Clone, Debug)]
pub enum LiveFact {
    Call(CallEvent),
    Case {
        event: CaseEvent,
        /// For referral events: the agency the referral was sent to (a
        /// status change or rescue does not repeat it; it is read from the log).
        referral_agency: Option<Agency>,
        /// The class that agency reported as when it received the referral,
        /// for an agency ADMIN added (recorded then); `None` for the
        /// contract's agencies, each its own class.
        referral_class: Option<AgencyClass>,
    },
}

/// One committed event, as subscribers get it.
#[derive(Clone, Debug)]
pub struct LiveEvent {
    pub cursor: Cursor,
    /// The call's or the case's id.
    pub stream: Uuid,
    /// Its place in its stream: the stream's version once it applied.
    pub sequence: i64,
    pub fact: LiveFact,
}

/// Why a subscription ends early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveError {
    /// It fell further behind the log than its buffer holds.
    TooSlow,
    /// The database could not be read (the subscriber may resume later).
    Unavailable,
}

/// How the tailer runs.
#[derive(Clone, Debug)]
pub struct LiveSettings {
    /// Events a subscriber may fall behind before it is dropped.
    pub buffer: usize,
    /// Events read at a time.
    pub batch_size: usize,
    /// How often the log is read when no notification came.
    pub poll_interval: Duration,
}

impl Default for LiveSettings {
    fn default() -> Self {
        Self {
            buffer: 1024,
            batch_size: 500,
            poll_interval: Duration::from_millis(500),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_written_and_nothing_else_reads() {
        let cursor = Cursor(Checkpoint {
            transaction_id: 7_345,
            position: 12,
        });
        assert_eq!(cursor.to_string(), "7345.12");
        assert_eq!("7345.12".parse::<Cursor>(), Ok(cursor));
        for bad in [
            "",
            "7345",
            ".12",
            "7345.",
            "-1.2",
            "1.+2",
            "a.b",
            "1.2.3",
            "99999999999999999999.1",
        ] {
            assert!(bad.parse::<Cursor>().is_err(), "{bad}");
        }
    }

    #[test]
    fn cursors_order_as_the_log() {
        let at = |transaction_id, position| {
            Cursor(Checkpoint {
                transaction_id,
                position,
            })
        };
        // A later transaction comes after, whatever position it took at insert.
        assert!(at(10, 99) < at(11, 5));
        assert!(at(10, 5) < at(10, 6));
    }
}
