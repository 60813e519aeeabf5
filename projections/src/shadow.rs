//! Shadow tables: the fresh copies a rebuild fills, and the swap that puts
//! them in place of the live tables inside one transaction.
//!
//! A shadow copies the live table as it is *now* (columns, defaults, checks,
//! indexes and constraints read from the catalog), so a later migration that
//! alters a read model needs no change here. Its indexes and constraints
//! carry the live names plus `__rebuild`, and get the live names back at the
//! swap, so that later migrations can still refer to them by name.

use sqlx::PgConnection;
use store::db::APP_ROLE;

use crate::error::ProjectionError;
use crate::target::SHADOW_SUFFIX;

/// PostgreSQL's identifier limit (NAMEDATALEN - 1).
const MAX_IDENTIFIER: usize = 63;

/// A prepared shadow of one live table.
#[derive(Debug)]
pub(crate) struct Shadow {
    table: &'static str,
    /// Index-backed constraints (primary keys, unique, exclusion) and other
    /// indexes, as (live name, statement creating the shadow's copy). Both are
    /// built by [`finish`], after the fill: building an index over a full
    /// table is much faster than keeping it current row by row, and nothing
    /// reads the shadow before the swap.
    constraints: Vec<(String, String)>,
    indexes: Vec<(String, String)>,
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn shadow_name(name: &str) -> Result<String, ProjectionError> {
    let shadow = format!("{name}{SHADOW_SUFFIX}");
    if shadow.len() > MAX_IDENTIFIER {
        return Err(ProjectionError::Event(format!(
            "{name} is too long to be rebuilt: read-model names must stay under {} characters",
            MAX_IDENTIFIER - SHADOW_SUFFIX.len() + 1
        )));
    }
    Ok(shadow)
}

/// Creates an empty shadow of `table`, replacing any left by an interrupted rebuild.
#[tracing::instrument(skip(conn))]
pub(crate) async fn prepare(
    conn: &mut PgConnection,
    table: &'static str,
) -> Result<Shadow, ProjectionError> {
    let shadow = quote(&shadow_name(table)?);
    let live = quote(table);
    discard(conn, table).await?;
    ddl(
        conn,
        &format!("CREATE TABLE {shadow} (LIKE {live} INCLUDING ALL EXCLUDING INDEXES)"),
    )
    .await?;
    let constraints: Vec<(String, String)> = sqlx::query_as(
        "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint \
         WHERE conrelid = to_regclass($1) AND contype IN ('p', 'u', 'x') ORDER BY conname",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await?;
    let mut keys = Vec::with_capacity(constraints.len());
    for (name, definition) in constraints {
        let sql = format!(
            "ALTER TABLE {shadow} ADD CONSTRAINT {} {definition}",
            quote(&shadow_name(&name)?)
        );
        keys.push((name, sql));
    }
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.relname::text, pg_get_indexdef(i.indexrelid) FROM pg_index i \
         JOIN pg_class c ON c.oid = i.indexrelid \
         WHERE i.indrelid = to_regclass($1) \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k \
                           WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid) \
         ORDER BY c.relname",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await?;
    let mut copies = Vec::with_capacity(indexes.len());
    for (name, definition) in indexes {
        // "CREATE [UNIQUE] INDEX name ON public.table USING btree (...) [WHERE ...]"
        let Some(at) = definition.find(" USING ") else {
            return Err(ProjectionError::Event(format!(
                "cannot copy index {name} of {table}: unexpected definition"
            )));
        };
        let unique = if definition.starts_with("CREATE UNIQUE ") {
            "UNIQUE "
        } else {
            ""
        };
        let sql = format!(
            "CREATE {unique}INDEX {} ON {shadow}{}",
            quote(&shadow_name(&name)?),
            &definition[at..]
        );
        copies.push((name, sql));
    }
    // The server's role gets exactly what it has on the live table, no more:
    // an insert-only model (merkle_leaves) stays insert-only after a swap.
    let granted: Vec<String> = sqlx::query_scalar(
        "SELECT p FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']) AS p \
         WHERE has_table_privilege($2, to_regclass($1), p)",
    )
    .bind(table)
    .bind(APP_ROLE)
    .fetch_all(&mut *conn)
    .await?;
    ddl(
        conn,
        &format!("REVOKE ALL ON {shadow} FROM {}", quote(APP_ROLE)),
    )
    .await?;
    if !granted.is_empty() {
        ddl(
            conn,
            &format!(
                "GRANT {} ON {shadow} TO {}",
                granted.join(", "),
                quote(APP_ROLE)
            ),
        )
        .await?;
    }
    Ok(Shadow {
        table,
        constraints: keys,
        indexes: copies,
    })
}

/// Builds the shadow's keys and indexes and its planner statistics, once filled.
#[tracing::instrument(skip_all, fields(table = shadow.table))]
pub(crate) async fn finish(
    conn: &mut PgConnection,
    shadow: &Shadow,
) -> Result<(), ProjectionError> {
    for (_, sql) in shadow.constraints.iter().chain(&shadow.indexes) {
        ddl(conn, sql).await?;
    }
    // Planner statistics now. No VACUUM: nothing here needs the visibility
    // map at once, and it would often find the rows too recent to mark.
    ddl(
        conn,
        &format!("ANALYZE {}", quote(&shadow_name(shadow.table)?)),
    )
    .await
}

/// Drops the shadow of `table`, if there is one.
pub(crate) async fn discard(conn: &mut PgConnection, table: &str) -> Result<(), ProjectionError> {
    ddl(
        conn,
        &format!("DROP TABLE IF EXISTS {}", quote(&shadow_name(table)?)),
    )
    .await
}

/// Replaces the live table by its shadow, names included. Run inside the
/// swap transaction: readers see the old table or the new one, never neither.
pub(crate) async fn swap(conn: &mut PgConnection, shadow: &Shadow) -> Result<(), ProjectionError> {
    let live = quote(shadow.table);
    let mut statements = vec![
        format!("DROP TABLE {live}"),
        format!(
            "ALTER TABLE {} RENAME TO {live}",
            quote(&shadow_name(shadow.table)?)
        ),
    ];
    for (name, _) in &shadow.constraints {
        statements.push(format!(
            "ALTER TABLE {live} RENAME CONSTRAINT {} TO {}",
            quote(&shadow_name(name)?),
            quote(name)
        ));
    }
    for (name, _) in &shadow.indexes {
        statements.push(format!(
            "ALTER INDEX {} RENAME TO {}",
            quote(&shadow_name(name)?),
            quote(name)
        ));
    }
    for sql in statements {
        ddl(conn, &sql).await?;
    }
    Ok(())
}

/// Runs one DDL statement without keeping it in the statement cache.
async fn ddl(conn: &mut PgConnection, sql: &str) -> Result<(), ProjectionError> {
    sqlx::query(sql)
        .persistent(false)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
