//! Key lookups stay key lookups: on an empty, never-analyzed database (a
//! fresh deployment, where a connection plans the statements it will keep
//! using while the log grows), the generic plan of every statement the
//! store lists in `store::plans::key_lookups` reaches the growing tables
//! only through an index condition, never by scanning them whole.

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

/// Where the plan reads a growing table other than by an index condition.
fn scans(plan: &Value, growing: &[&str], found: &mut Vec<String>) {
    let node = plan["Node Type"].as_str().unwrap_or_default();
    if let Some(table) = plan["Relation Name"].as_str() {
        let by_key = match node {
            "Index Scan" | "Index Only Scan" => plan.get("Index Cond").is_some(),
            "Bitmap Heap Scan" => plan.get("Recheck Cond").is_some(),
            // The INSERT of a commit group writes these tables; it reads none.
            "ModifyTable" => true,
            _ => false,
        };
        if growing.contains(&table) && !by_key {
            found.push(format!("{node} on {table}"));
        }
    }
    for child in plan["Plans"].as_array().into_iter().flatten() {
        scans(child, growing, found);
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
    let lookups = store::plans::key_lookups();
    assert!(
        lookups.len() >= 12,
        "the group commit's 8 variants and 4 more"
    );
    let mut violations = Vec::new();
    for (i, lookup) in lookups.iter().enumerate() {
        sqlx::query(&format!("PREPARE lookup_{i} AS {}", lookup.sql))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{} prepares: {e}", lookup.name));
        let nulls = vec!["NULL"; parameters(lookup.sql)].join(", ");
        let (plan,): (Value,) = sqlx::query_as(&format!(
            "EXPLAIN (FORMAT JSON) EXECUTE lookup_{i}({nulls})"
        ))
        .fetch_one(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{} explains: {e}", lookup.name));
        let mut found = Vec::new();
        scans(&plan[0]["Plan"], store::plans::GROWING, &mut found);
        if !found.is_empty() {
            violations.push(format!("{}: {}", lookup.name, found.join(", ")));
        }
    }
    assert!(violations.is_empty(), "whole-table reads: {violations:#?}");
}

#[test]
fn parameters_are_counted_by_their_highest_number() {
    assert_eq!(parameters("SELECT $1, $12, $3::text"), 12);
    assert_eq!(parameters("SELECT 'no parameters'"), 0);
}
