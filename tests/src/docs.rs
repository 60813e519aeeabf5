//! Docs that run: the examples of README.md and docs/GRAPHQL.md, extracted,
//! run as one bash script against a real server, and checked.
//!
//! The Markdown convention (docs/GRAPHQL.md explains it to readers too):
//! - a fenced ```` ```sh ```` block is run, in document order, by one bash
//!   script (`set -e`, so a failing command fails the docs);
//! - a ```` ```json expect ```` block right after it is what the block must
//!   print: one JSON value per response, each a subset of the response
//!   (objects: the keys shown; arrays: same length, element by element).
//!   `$NAME` in it is the shell variable's value after the block. A response
//!   with `errors` passes only if the expectation shows `errors` too;
//! - a block that cannot be run says why: ```` ```sh no-run: REASON ````;
//! - a block with no expectation must print nothing (setup);
//! - any other fenced block (or an indented or `~~~` fence) is refused, so
//!   no request escapes the suite;
//! - a heading ending in a list of roles, `## Statistics (ANALYST, AUDITOR)`,
//!   is a claim about every block under it with an expectation: re-run with
//!   a token of each listed role, none of its answers is FORBIDDEN; with a
//!   token of any other role, each block has a FORBIDDEN answer.
//!
//! `CASETRAIL_DOCS_DUMP=DIR cargo test -p casetrail-tests --test docs` keeps
//! the script and what it printed in DIR, for whoever fixes a failing doc.

pub mod roles_table;
pub mod run;

use domain::values::Role;
use serde_json::Value;

/// The server address the docs are written against; the suite substitutes its own.
pub const DOCUMENTED_ADDRESS: &str = "http://127.0.0.1:8080";
/// The agency of the AGENCY token used to re-run role-headed blocks.
pub const ROLE_CHECK_AGENCY: &str = "CRIMINAL_POLICE";

/// One runnable example: a `sh` block, with what it must print.
#[derive(Clone, Debug)]
pub struct Example {
    /// 1-based line of the opening fence.
    pub line: usize,
    pub code: String,
    pub expect: Option<String>,
    /// The roles of the enclosing heading, when it lists any.
    pub roles: Option<Vec<Role>>,
}

enum Fence {
    Run,
    NoRun,
    Expect,
}

fn fence_kind(info: &str, line: usize) -> Result<Fence, String> {
    let info = info.trim();
    if info == "sh" {
        return Ok(Fence::Run);
    }
    if info == "json expect" {
        return Ok(Fence::Expect);
    }
    if let Some(reason) = info.strip_prefix("sh no-run:") {
        if reason.trim().is_empty() {
            return Err(format!("line {line}: a no-run block must say why"));
        }
        return Ok(Fence::NoRun);
    }
    Err(format!(
        "line {line}: a ```{info} block; examples are ```sh (run), ```sh no-run: REASON, \
         or ```json expect after a ```sh block"
    ))
}

/// The roles a heading claims, from a trailing `(ROLE, ROLE)`.
fn heading_roles(heading: &str, line: usize) -> Result<Option<Vec<Role>>, String> {
    let heading = heading.trim_end();
    let Some(inner) = heading
        .strip_suffix(')')
        .and_then(|h| h.rsplit_once('(').map(|(_, inner)| inner))
    else {
        return Ok(None);
    };
    let words: Vec<&str> = inner.split(',').map(str::trim).collect();
    let looks_like_roles = words
        .iter()
        .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_uppercase() || c == '_'));
    if !looks_like_roles {
        return Ok(None);
    }
    let roles = words
        .iter()
        .map(|w| {
            w.parse::<Role>()
                .map_err(|_| format!("line {line}: `{w}` in a heading is not a role"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(roles))
}

/// Every fenced block of `markdown`, classified; an unknown block is an error.
pub fn extract(markdown: &str) -> Result<Vec<Example>, String> {
    let mut examples: Vec<Example> = Vec::new();
    let mut roles = None;
    let mut lines = markdown.lines().enumerate();
    // Whether the last thing seen was a `sh` block still waiting for its expectation.
    let mut expect_may_follow = false;
    while let Some((index, line)) = lines.next() {
        let number = index + 1;
        if line.starts_with('#') {
            roles = heading_roles(line.trim_start_matches('#'), number)?;
            expect_may_follow = false;
            continue;
        }
        let fence = line.trim_start();
        if (fence.starts_with("```") || fence.starts_with("~~~")) && !line.starts_with("```") {
            return Err(format!(
                "line {number}: fences start at the first column, with ```"
            ));
        }
        let Some(info) = line.strip_prefix("```") else {
            if !line.trim().is_empty() {
                expect_may_follow = false;
            }
            continue;
        };
        let kind = fence_kind(info, number)?;
        let mut body = String::new();
        let mut closed = false;
        for (_, inner) in lines.by_ref() {
            if inner.trim_end() == "```" {
                closed = true;
                break;
            }
            body.push_str(inner);
            body.push('\n');
        }
        if !closed {
            return Err(format!("line {number}: the block is never closed"));
        }
        match kind {
            Fence::Run => {
                examples.push(Example {
                    line: number,
                    code: body,
                    expect: None,
                    roles: roles.clone(),
                });
                expect_may_follow = true;
                continue;
            }
            Fence::NoRun => {}
            Fence::Expect => match examples.last_mut() {
                Some(example) if expect_may_follow => example.expect = Some(body),
                _ => {
                    return Err(format!(
                        "line {number}: a json expect block must follow a ```sh block directly"
                    ))
                }
            },
        }
        expect_may_follow = false;
    }
    Ok(examples)
}

fn marker(what: &str) -> String {
    format!("@@casetrail-docs {what}@@")
}

/// `$NAME` references in an expectation.
pub fn variables(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        let name: String = rest[at + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() && !names.contains(&name) {
            names.push(name.clone());
        }
        rest = &rest[at + 1 + name.len()..];
    }
    names
}

fn role_token(role: Role) -> String {
    let agency = if role == Role::Agency {
        format!(" --agency {ROLE_CHECK_AGENCY}")
    } else {
        String::new()
    };
    format!(
        "$(casetrail token --sub docs-role-check --role {}{agency})",
        role.as_str()
    )
}

/// The whole document as one bash script that prints markers around each block.
pub fn script(examples: &[Example], address: &str) -> String {
    let mut s = String::from("set -eo pipefail\n");
    for (i, example) in examples.iter().enumerate() {
        let code = example.code.replace(DOCUMENTED_ADDRESS, address);
        s.push_str(&format!(
            "printf '\\n%s\\n' '{}'\n",
            marker(&format!("begin {i}"))
        ));
        s.push_str(&code);
        s.push_str(&format!(
            "printf '\\n%s\\n' '{}'\n",
            marker(&format!("vars {i}"))
        ));
        for name in variables(example.expect.as_deref().unwrap_or("")) {
            s.push_str(&format!("printf '%s=%s\\n' {name} \"${{{name}-}}\"\n"));
        }
        s.push_str(&format!(
            "printf '\\n%s\\n' '{}'\n",
            marker(&format!("end {i}"))
        ));
    }
    // Role checks last, in subshells: whatever they do stays out of the walk-through.
    for (i, example) in examples.iter().enumerate() {
        if example.roles.is_none() || example.expect.is_none() {
            continue;
        }
        let code = example.code.replace(DOCUMENTED_ADDRESS, address);
        for role in Role::ALL {
            s.push_str(&format!(
                "printf '\\n%s\\n' '{}'\n",
                marker(&format!("role {i} {}", role.as_str()))
            ));
            s.push_str(&format!(
                "( set +e; __as={}\n  eval \"__doc_gql() $(declare -f gql | tail -n +2)\"\n  \
                 gql() {{ __doc_gql \"$__as\" \"${{@:2}}\"; }}\n{code}) || true\n",
                role_token(*role)
            ));
        }
    }
    s.push_str(&format!("printf '\\n%s\\n' '{}'\n", marker("done")));
    s
}

/// The script's output cut at its markers: what each part printed, by marker.
fn parts(output: &str) -> std::collections::HashMap<String, String> {
    let (open, close) = ("@@casetrail-docs ", "@@");
    let mut parts = std::collections::HashMap::new();
    let mut rest = output;
    let mut current: Option<String> = None;
    while let Some(at) = rest.find(open) {
        let after = &rest[at + open.len()..];
        let Some(end) = after.find(close) else { break };
        if let Some(name) = current.take() {
            parts.insert(name, rest[..at].to_string());
        }
        current = Some(after[..end].to_string());
        rest = &after[end + close.len()..];
    }
    if let Some(name) = current {
        parts.insert(name, rest.to_string());
    }
    parts
}

fn json_stream(text: &str) -> Result<Vec<Value>, String> {
    serde_json::Deserializer::from_str(text)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .map_err(|e| format!("not JSON ({e}): {}", text.trim()))
}

/// Whether `actual` shows everything `expected` shows; the first difference otherwise.
pub fn contains(actual: &Value, expected: &Value, path: &str) -> Result<(), String> {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => e.iter().try_for_each(|(k, ev)| match a.get(k) {
            Some(av) => contains(av, ev, &format!("{path}.{k}")),
            None => Err(format!("{path}.{k} is missing")),
        }),
        (Value::Array(a), Value::Array(e)) if a.len() == e.len() => a
            .iter()
            .zip(e)
            .enumerate()
            .try_for_each(|(i, (av, ev))| contains(av, ev, &format!("{path}[{i}]"))),
        (Value::Number(a), Value::Number(e)) if a.as_f64() == e.as_f64() => Ok(()),
        _ if actual == expected => Ok(()),
        _ => Err(format!("{path} is {actual}, the docs say {expected}")),
    }
}

fn check_example(example: &Example, printed: &str, vars: &str) -> Result<(), String> {
    let answers = json_stream(printed)?;
    let Some(expect) = &example.expect else {
        return if answers.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "prints {} but has no ```json expect block",
                printed.trim()
            ))
        };
    };
    let mut expect = expect.clone();
    for line in vars.lines().filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once('=').unwrap_or((line, ""));
        let escaped = Value::String(value.to_string()).to_string();
        expect = expect.replace(&format!("${name}"), &escaped[1..escaped.len() - 1]);
    }
    let expected = json_stream(&expect).map_err(|e| format!("its expectation is {e}"))?;
    if expected.len() != answers.len() {
        return Err(format!(
            "prints {} answers, the docs show {}: {}",
            answers.len(),
            expected.len(),
            printed.trim()
        ));
    }
    for (answer, wanted) in answers.iter().zip(&expected) {
        if answer.get("errors").is_some() && wanted.get("errors").is_none() {
            return Err(format!("answers with errors: {answer}"));
        }
        contains(answer, wanted, "").map_err(|d| format!("{d}; the answer: {answer}"))?;
    }
    Ok(())
}

fn forbidden(printed: &str) -> Result<bool, String> {
    let answers = json_stream(printed)?;
    Ok(answers.iter().any(|a| {
        a["errors"]
            .as_array()
            .is_some_and(|es| es.iter().any(|e| e["extensions"]["code"] == "FORBIDDEN"))
    }))
}

/// Every way the script's output departs from the docs, named by block line.
pub fn check(examples: &[Example], output: &str) -> Vec<String> {
    let parts = parts(output);
    let mut failures = Vec::new();
    for (i, example) in examples.iter().enumerate() {
        let (Some(printed), Some(vars), true) = (
            parts.get(&format!("begin {i}")),
            parts.get(&format!("vars {i}")),
            parts.contains_key(&format!("end {i}")),
        ) else {
            failures.push(format!(
                "block at line {}: did not finish (a command in it failed)",
                example.line
            ));
            return failures;
        };
        if let Err(why) = check_example(example, printed, vars) {
            failures.push(format!("block at line {}: {why}", example.line));
        }
    }
    for (i, example) in examples.iter().enumerate() {
        let (Some(listed), Some(_)) = (&example.roles, &example.expect) else {
            continue;
        };
        for &role in Role::ALL {
            let line = example.line;
            let verdict = parts
                .get(&format!("role {i} {}", role.as_str()))
                .ok_or_else(|| "did not run".to_string())
                .and_then(|printed| forbidden(printed));
            match (verdict, listed.contains(&role)) {
                (Ok(true), true) => failures.push(format!(
                    "block at line {line}: the heading lists {} but it is FORBIDDEN",
                    role.as_str()
                )),
                (Ok(false), false) => failures.push(format!(
                    "block at line {line}: {} is not in the heading but is not FORBIDDEN",
                    role.as_str()
                )),
                (Err(why), _) => failures.push(format!(
                    "block at line {line} re-run as {}: {why}",
                    role.as_str()
                )),
                _ => {}
            }
        }
    }
    if failures.is_empty() && !parts.contains_key("done") {
        failures.push("the script did not finish".into());
    }
    failures
}
