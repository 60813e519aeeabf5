//! Key lookups stay key lookups: on an empty, never-analyzed database (a
//! fresh deployment, where a connection plans the statements it will keep
//! using while the log grows), the generic plan of every statement the
//! store lists in `store::plans::key_lookups` reaches the growing tables
//! only through an index condition that narrows to the key, never by
//! scanning them whole, and is priced low enough not to be JIT-compiled at
//! every execution (on the session it runs on: a projector's does not sort).

use casetrail_tests::harness::TestDatabase;
use serde_json::Value;
use sqlx::Connection;

/// The highest `$n` a statement uses.
fn parameters(sql: &str) -> usize {
    let mut highest = 0;
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        rest = &rest[at + 1..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(n) = digits.parse::<usize>() {
            highest = highest.max(n);
        }
    }
    highest
}

/// The columns of each growing table that narrow a read to a few rows: an
/// index condition on the leading type or kind alone (`aggregate_type =
/// 'Call'`) still walks every row of that type.
const NARROWING: &[(&str, &[&str])] = &[
    ("events", &["aggregate_id", "position", "transaction_id"]),
    ("entity_ids", &["id"]),
    ("data_keys", &["subject_id"]),
    ("snapshots", &["aggregate_id"]),
    ("person_lookup", &["digest", "person_id"]),
];

/// PostgreSQL's default `jit_above_cost`.
const JIT_ABOVE_COST: f64 = 100_000.0;

/// Where the plan reads a growing table other than by a narrowing index condition.
fn scans(plan: &Value, found: &mut Vec<String>) {
    let node = plan["Node Type"].as_str().unwrap_or_default();
    if let Some(table) = plan["Relation Name"].as_str() {
        let narrowing = NARROWING.iter().find(|(t, _)| *t == table);
        let condition = match node {
            "Index Scan" | "Index Only Scan" => plan["Index Cond"].as_str(),
            "Bitmap Heap Scan" => plan["Recheck Cond"].as_str(),
            // The INSERT of a commit group writes these tables; it reads none.
            "ModifyTable" => Some("(written)"),
            _ => None,
        };
        if let Some((_, columns)) = narrowing {
            let narrowed = condition.is_some_and(|c| {
                c == "(written)" || columns.iter().any(|col| c.contains(&format!("{col} ")))
            });
            if !narrowed {
                found.push(format!(
                    "{node} on {table} ({})",
                    condition.unwrap_or("no index condition")
                ));
            }
        }
    }
    for child in plan["Plans"].as_array().into_iter().flatten() {
        scans(child, found);
    }
}

#[tokio::test]
async fn every_key_lookup_keeps_an_index_plan_on_an_empty_log() {
    let db = TestDatabase::create().await;
    let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");
    sqlx::query("SET plan_cache_mode = force_generic_plan")
        .execute(&mut conn)
        .await
        .expect("generic plans");
    let mut lookups = store::plans::key_lookups();
    lookups.extend(projections::plans::key_lookups());
    assert!(
        lookups.len() >= 15,
        "the group commit's 8 variants and 7 more"
    );
    let mut violations = Vec::new();
    for (i, lookup) in lookups.iter().enumerate() {
        sqlx::query(&format!("PREPARE lookup_{i} AS {}", lookup.sql))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{} prepares: {e}", lookup.name));
        let nulls = vec!["NULL"; parameters(lookup.sql)].join(", ");
        // On the session it runs on: the pool's sort, the projectors' do not.
        let sort = if lookup.sorts { "on" } else { "off" };
        sqlx::query(&format!("SET enable_sort = {sort}"))
            .execute(&mut conn)
            .await
            .expect("enable_sort");
        let (plan,): (Value,) = sqlx::query_as(&format!(
            "EXPLAIN (FORMAT JSON) EXECUTE lookup_{i}({nulls})"
        ))
        .fetch_one(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{} explains: {e}", lookup.name));
        let mut found = Vec::new();
        scans(&plan[0]["Plan"], &mut found);
        // Priced past `jit_above_cost` (a disabled sort does that), a plan
        // is compiled at every execution.
        let cost = plan[0]["Plan"]["Total Cost"].as_f64().unwrap_or(f64::MAX);
        if cost >= JIT_ABOVE_COST {
            found.push(format!("a total cost of {cost}, past jit_above_cost"));
        }
        if !found.is_empty() {
            violations.push(format!(
                "{} (sort {sort}): {}",
                lookup.name,
                found.join(", ")
            ));
        }
    }
    assert!(
        violations.is_empty(),
        "plans that read the log whole or compile: {violations:#?}"
    );
}

#[test]
fn parameters_are_counted_by_their_highest_number() {
    assert_eq!(parameters("SELECT $1, $12, $3::text"), 12);
    assert_eq!(parameters("SELECT 'no parameters'"), 0);
}
