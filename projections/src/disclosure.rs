//! Disclosure control of published statistics: the cell key method (ABS
//! TableBuilder; Eurostat's SDC handbook, "cell key method"), plus a floor.
//!
//! - Every contributing record has a record key: a number in [0, 2^32)
//!   derived from its identity (a call, a person, a referral, a rescue, a
//!   case) under the database's secret ([`RecordKeys`]), so the same record
//!   has the same key in every table and every query, and knowing its id
//!   is not enough to compute it. A withdrawal (a correction taking a contribution back)
//!   subtracts the key the contribution added.
//! - A cell's key is the sum of its records' keys modulo 2^32, read as a
//!   fraction in [0, 1). The same records always make the same cell key,
//!   however the query was phrased (a period widened by empty days, a
//!   position later than the last relevant event), so repeating or
//!   rephrasing a query returns the same noise and averaging learns nothing.
//! - The cell key picks the noise from the perturbation table [`PTABLE`]
//!   (row by the exact count, column by the cell key). Totals, monthly series
//!   and every breakdown are cells of their own: a total is perturbed with
//!   its own key, never published as the sum of perturbed parts, so "total
//!   minus the other parts" differences two noisy figures.
//! - After perturbation, any count from 1 to `floor - 1` is not published:
//!   a nullable cell reads null (suppressed), a non-null figure reads 0.
//!   Exact zeros stay zero (there is nothing to protect in an empty cell).
//!
//! Exact figures (COUNSELLOR, SUPERVISOR, AUDITOR) skip all of this.

mod record_keys;

pub use record_keys::RecordKeys;

/// Record keys and cell keys live in [0, KEY_SPACE).
pub const KEY_SPACE: i64 = 1 << 32;

/// The largest perturbation the table can add or remove.
pub const MAX_NOISE: i64 = 2;

/// One row of the perturbation table: for an exact count in `counts`, the
/// noise in -2..=+2 chosen by the cell key, as cumulative upper bounds of
/// the cell key (the first bound above the key wins).
pub struct PtableRow {
    pub counts: (i64, i64),
    /// Probabilities of -2, -1, 0, +1, +2.
    pub probabilities: [f64; 5],
}

/// The perturbation table (parameters: D = 2, V ≈ 0.8, unbiased for counts
/// of 3 and more; small counts never become negative). Published in
/// docs/STATISTICS.md: the method's protection does not rest on its secrecy.
pub const PTABLE: [PtableRow; 3] = [
    PtableRow {
        counts: (1, 1),
        probabilities: [0.0, 0.3, 0.4, 0.2, 0.1],
    },
    PtableRow {
        counts: (2, 2),
        probabilities: [0.1, 0.2, 0.4, 0.2, 0.1],
    },
    PtableRow {
        counts: (3, i64::MAX),
        probabilities: [0.1, 0.2, 0.4, 0.2, 0.1],
    },
];

/// A cell key in [0, 1) from the sum of its records' (signed) keys.
pub fn cell_key(key_sum: i64) -> f64 {
    key_sum.rem_euclid(KEY_SPACE) as f64 / KEY_SPACE as f64
}

/// The noise the table gives an exact count with this cell key.
pub fn noise(count: i64, cell_key: f64) -> i64 {
    let Some(row) = PTABLE
        .iter()
        .find(|r| (r.counts.0..=r.counts.1).contains(&count))
    else {
        return 0;
    };
    let mut bound = 0.0;
    for (i, p) in row.probabilities.iter().enumerate() {
        bound += p;
        if cell_key < bound {
            return i as i64 - MAX_NOISE;
        }
    }
    MAX_NOISE
}

/// How a figure is published to the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disclosure {
    /// The exact count (COUNSELLOR, SUPERVISOR, AUDITOR), with the
    /// caller's own minimum cell size for breakdowns.
    Exact { min_cell_size: i64 },
    /// Cell key perturbation, then no count below `floor`.
    Controlled { floor: i64 },
}

impl Disclosure {
    /// A breakdown cell: `None` when it must not be shown.
    pub fn cell(self, count: i64, key_sum: i64) -> Option<i64> {
        match self {
            Disclosure::Exact { min_cell_size } => (count >= min_cell_size).then_some(count),
            Disclosure::Controlled { floor } => {
                let published = perturbed(count, key_sum);
                (published == 0 || published >= floor).then_some(published)
            }
        }
    }

    /// A figure that is never null (totals, monthly series): below the floor reads 0.
    pub fn figure(self, count: i64, key_sum: i64) -> i64 {
        match self {
            Disclosure::Exact { .. } => count,
            Disclosure::Controlled { .. } => self.cell(count, key_sum).unwrap_or(0),
        }
    }

    /// The minimum cell size the answer states.
    pub fn floor(self) -> i64 {
        match self {
            Disclosure::Exact { min_cell_size } => min_cell_size,
            Disclosure::Controlled { floor } => floor,
        }
    }
}

/// The count plus its noise, never negative; zero stays zero.
pub fn perturbed(count: i64, key_sum: i64) -> i64 {
    if count <= 0 {
        return count.max(0);
    }
    (count + noise(count, cell_key(key_sum))).max(0)
}

#[cfg(test)]
mod tests;
