//! The read models: how each projection turns a batch of events into rows.
//!
//! Every model folds its batch in memory first and then writes it with a
//! handful of set-based statements (`UNNEST` arrays), whatever the batch
//! size: a rebuild's speed is then bound by reading the log, not by round
//! trips. Rows hold codes, ids, counts and times only, never personal data.

pub(crate) mod call_corrections;
pub(crate) mod calls;
pub(crate) mod cases;
pub(crate) mod casework;
pub(crate) mod merkle_log;
pub(crate) mod referral_hand_ons;
pub(crate) mod referrals;
pub(crate) mod statistics;

use crate::error::ProjectionError;

/// The refusal for an event that refers to something the model never saw:
/// the log and the model disagree, and going on would count wrongly.
pub(crate) fn missing(what: &str, expected: usize, found: u64) -> ProjectionError {
    ProjectionError::Event(format!(
        "{} of {expected} {what} referred to by this batch are not in the read model",
        u64::try_from(expected)
            .unwrap_or(u64::MAX)
            .saturating_sub(found)
    ))
}
