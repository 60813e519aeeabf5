//! README's roles table, read back and compared with `api::policy`.
//!
//! The table has one column per role and one row per capability; a row's
//! first cell starts with the capability in the policy's own words
//! (`Capability::describe`), then `:` and an explanation. A cell is `yes`,
//! `own agency` (allowed, scoped to the token's agency), `own cases`
//! (allowed, on the cases the caller owns) or `—` (refused).

use api::policy::{allows, Capability};
use domain::values::Role;

/// The rows of the first table under `## Roles`, cells trimmed.
fn table_under_roles(readme: &str) -> Result<Vec<Vec<String>>, String> {
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("Roles"))
        .ok_or("README has no `## Roles` section")?;
    let rows: Vec<Vec<String>> = section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim()
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect();
    if rows.len() < 3 {
        return Err("the roles section has no table".into());
    }
    Ok(rows)
}

/// Every difference between README's roles table and the policy.
pub fn differences(readme: &str) -> Vec<String> {
    let rows = match table_under_roles(readme) {
        Ok(rows) => rows,
        Err(why) => return vec![why],
    };
    let mut out = Vec::new();
    let mut roles = Vec::new();
    for name in &rows[0][1..] {
        match name.parse::<Role>() {
            Ok(role) => roles.push(role),
            Err(_) => out.push(format!("column `{name}` is not a role")),
        }
    }
    for role in Role::ALL {
        if !roles.contains(role) {
            out.push(format!("no column for {}", role.as_str()));
        }
    }
    let mut seen = Vec::new();
    for row in &rows[2..] {
        let label = row[0].split(':').next().unwrap_or("").trim();
        let Some(capability) = Capability::ALL.into_iter().find(|c| c.describe() == label) else {
            out.push(format!("row `{label}` is not a capability of the policy"));
            continue;
        };
        seen.push(capability);
        if row.len() != roles.len() + 1 {
            out.push(format!("row `{label}` has {} cells", row.len()));
            continue;
        }
        for (role, cell) in roles.iter().zip(&row[1..]) {
            let documented = match cell.as_str() {
                "yes" | "own agency" | "own cases" => true,
                "—" => false,
                other => {
                    out.push(format!(
                        "row `{label}`: cell `{other}` is not yes, own agency, own cases or —"
                    ));
                    continue;
                }
            };
            if documented != allows(*role, capability) {
                out.push(format!(
                    "`{label}` for {}: README says {}, the policy {}",
                    role.as_str(),
                    if documented { "yes" } else { "no" },
                    if documented { "refuses" } else { "allows" }
                ));
            }
        }
    }
    for capability in Capability::ALL {
        match seen.iter().filter(|c| **c == capability).count() {
            1 => {}
            0 => out.push(format!("no row for `{}`", capability.describe())),
            n => out.push(format!("{n} rows for `{}`", capability.describe())),
        }
    }
    out
}
