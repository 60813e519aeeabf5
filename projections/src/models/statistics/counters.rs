//! Writing a tally: one set-based upsert per counter table.

use sqlx::PgConnection;

use super::{Cells, Tally};
use crate::error::ProjectionError;
use crate::target::Target;

/// A counter table: its name, its third key column, its counter columns.
struct Table {
    name: &'static str,
    code: Option<&'static str>,
    counters: &'static [&'static str],
}

const CALLS_BY_CATEGORY: Table = Table {
    name: "statistics_calls_by_category",
    code: Some("category"),
    counters: &["calls"],
};
const CALLS_BY_CHANNEL: Table = Table {
    name: "statistics_calls_by_channel",
    code: Some("channel"),
    counters: &["calls"],
};
const SESSIONS: Table = Table {
    name: "statistics_counselling_sessions",
    code: None,
    counters: &["sessions"],
};
const CASES: Table = Table {
    name: "statistics_cases_opened",
    code: None,
    counters: &["cases"],
};
const REFERRALS: Table = Table {
    name: "statistics_referrals",
    code: Some("agency"),
    counters: &["referrals", "persons_rescued"],
};

impl Tally {
    /// Adds the folded increments to the counters (one statement per table)
    /// and empties the tally. `empty`: the tables are a rebuild's fresh
    /// shadows, still without their unique indexes, so plain inserts.
    pub(crate) async fn flush(
        &mut self,
        conn: &mut PgConnection,
        target: &Target,
        empty: bool,
    ) -> Result<(), ProjectionError> {
        let mut tally = std::mem::take(self);
        // The record keys outlive a flush: they never change.
        self.keys = tally.keys.take();
        tally.cells.flush(conn, target, empty).await?;
        for (table, cells) in [
            (&CALLS_BY_CATEGORY, tally.calls_by_category),
            (&CALLS_BY_CHANNEL, tally.calls_by_channel),
            (&SESSIONS, tally.sessions),
            (&CASES, tally.cases),
            (&REFERRALS, tally.referrals),
        ] {
            flush_table(conn, target, table, cells, empty).await?;
        }
        Ok(())
    }
}

/// Adds one table's increments with a single upsert (or insert).
async fn flush_table(
    conn: &mut PgConnection,
    target: &Target,
    table: &Table,
    cells: Cells,
    empty: bool,
) -> Result<(), ProjectionError> {
    if cells.is_empty() {
        return Ok(());
    }
    let mut keys = vec!["grain", "period_start", "region"];
    let mut types = vec!["text[]", "date[]", "text[]"];
    if let Some(code) = table.code {
        keys.push(code);
        types.push("text[]");
    }
    let columns = keys
        .iter()
        .chain(table.counters)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    types.extend(table.counters.iter().map(|_| "bigint[]"));
    let arrays: Vec<String> = types
        .iter()
        .enumerate()
        .map(|(i, t)| format!("${}::{t}", i + 1))
        .collect();
    let conflict = if empty {
        String::new()
    } else {
        let sums: Vec<String> = table
            .counters
            .iter()
            .map(|c| format!("{c} = s.{c} + EXCLUDED.{c}"))
            .collect();
        format!(
            " ON CONFLICT ({}) DO UPDATE SET {}",
            keys.join(", "),
            sums.join(", ")
        )
    };
    let sql = format!(
        "INSERT INTO {} AS s ({columns}) SELECT * FROM UNNEST({}){conflict}",
        target.table(table.name),
        arrays.join(", ")
    );
    // In key order, so that a rebuild lays each period's rows on few pages.
    let mut cells: Vec<_> = cells.into_iter().collect();
    cells.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut query = sqlx::query(&sql)
        .bind(cells.iter().map(|((p, ..), _)| p.0).collect::<Vec<_>>())
        .bind(cells.iter().map(|((p, ..), _)| p.1).collect::<Vec<_>>())
        .bind(
            cells
                .iter()
                .map(|((_, r, _), _)| r.as_str())
                .collect::<Vec<_>>(),
        );
    if table.code.is_some() {
        query = query.bind(
            cells
                .iter()
                .map(|((.., code), _)| *code)
                .collect::<Vec<_>>(),
        );
    }
    for i in 0..table.counters.len() {
        let values: Vec<i64> = cells
            .iter()
            .map(|(_, n)| n.get(i).copied().unwrap_or(0))
            .collect();
        query = query.bind(values);
    }
    query.execute(&mut *conn).await?;
    Ok(())
}
