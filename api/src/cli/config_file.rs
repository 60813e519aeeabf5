//! An optional configuration file: the same names as the environment
//! variables, one `NAME=value` per line (`#` starts a comment), given with
//! `--config FILE` or `CASETRAIL_CONFIG`. Precedence: flags, then the
//! environment, then the file, then the defaults — so a file holds a site's
//! settings and the environment or a flag overrides one of them.
//!
//! Kept hand-written rather than a dotenv crate: this format is only `NAME=value`
//! and comments, and dotenv's quoting, `export` and substitution would accept more.

use std::path::Path;

/// Names a file may set: every environment variable a command reads
/// (collected from the command line's definition, so a setting added to any
/// command — `CASETRAIL_PREVIOUS_MASTER_KEY` of `rotate-master-key`, say — is
/// accepted in a file at once), plus `RUST_LOG`. Nothing else: a misspelt
/// name must fail loudly rather than be ignored.
pub fn known() -> Vec<String> {
    fn walk(command: &clap::Command, names: &mut Vec<String>) {
        for arg in command.get_arguments() {
            if let Some(env) = arg.get_env().and_then(|e| e.to_str()) {
                names.push(env.to_string());
            }
        }
        for sub in command.get_subcommands() {
            walk(sub, names);
        }
    }
    let mut names = vec!["RUST_LOG".to_string()];
    walk(
        &<super::command::Cli as clap::CommandFactory>::command(),
        &mut names,
    );
    names.sort();
    names.dedup();
    names
}

/// Parses a configuration file into (name, value) pairs, refusing unknown
/// names and malformed lines with their line numbers.
pub fn parse(text: &str) -> Result<Vec<(String, String)>, String> {
    let known = known();
    let mut settings = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, value) = line
            .split_once('=')
            .ok_or_else(|| format!("line {}: expected NAME=value", i + 1))?;
        let name = name.trim();
        if !known.iter().any(|k| k == name) {
            return Err(format!(
                "line {}: unknown setting {name} (known: {})",
                i + 1,
                known.join(", ")
            ));
        }
        let value = value.trim().trim_matches('"').to_string();
        settings.push((name.to_string(), value));
    }
    Ok(settings)
}

/// Loads the file named by `--config` (in `args`) or `CASETRAIL_CONFIG` into
/// the process environment, without overriding variables already set.
/// Called before the command line is parsed, while the process is single-threaded.
pub fn load(args: &[String]) -> Result<(), String> {
    let from_flag = args
        .iter()
        .position(|a| a == "--config")
        .and_then(|i| args.get(i + 1).cloned())
        .or_else(|| {
            args.iter()
                .find_map(|a| a.strip_prefix("--config=").map(str::to_string))
        });
    let Some(path) = from_flag.or_else(|| std::env::var("CASETRAIL_CONFIG").ok()) else {
        return Ok(());
    };
    let text = std::fs::read_to_string(Path::new(&path))
        .map_err(|e| format!("cannot read the configuration file {path}: {e}"))?;
    for (name, value) in parse(&text).map_err(|e| format!("{path}: {e}"))? {
        if std::env::var_os(&name).is_none() {
            std::env::set_var(name, value);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_sets_known_names_and_refuses_others_with_their_line() {
        let parsed = parse("# site settings\nCASETRAIL_BIND = 0.0.0.0:8080\n\nCASETRAIL_TIME_ZONE=\"Asia/Bangkok\"\n")
            .expect("valid");
        assert_eq!(
            parsed,
            vec![
                ("CASETRAIL_BIND".to_string(), "0.0.0.0:8080".to_string()),
                (
                    "CASETRAIL_TIME_ZONE".to_string(),
                    "Asia/Bangkok".to_string()
                )
            ]
        );
        let err = parse("CASETRAIL_BIND=x\nCASETRAIL_BINDD=y\n").expect_err("unknown name");
        assert!(
            err.starts_with("line 2: unknown setting CASETRAIL_BINDD"),
            "{err}"
        );
        assert!(parse("just words")
            .expect_err("malformed")
            .starts_with("line 1"));
    }

    #[test]
    fn every_documented_variable_is_accepted_in_a_file() {
        // The README's configuration table, the key rotation's new key, the
        // read replica and the checkpoint keys: all read by some command.
        for name in [
            "DATABASE_URL",
            "CASETRAIL_BIND",
            "CASETRAIL_ENV",
            "CASETRAIL_JWT_SECRET",
            "CASETRAIL_JWT_PUBLIC_KEY_FILE",
            "CASETRAIL_JWT_PRIVATE_KEY_FILE",
            "CASETRAIL_JWT_ISSUER",
            "CASETRAIL_JWT_AUDIENCE",
            "CASETRAIL_MASTER_KEY",
            "CASETRAIL_PREVIOUS_MASTER_KEY",
            "CASETRAIL_CHECKPOINT_KEY",
            "CASETRAIL_CHECKPOINT_PUBLIC_KEY",
            "CASETRAIL_TIME_ZONE",
            "CASETRAIL_DB_MAX_CONNECTIONS",
            "CASETRAIL_RATE_LIMIT_PER_MINUTE",
            "CASETRAIL_MAX_REPLICA_LAG_MS",
            "RUST_LOG",
        ] {
            let parsed = parse(&format!("{name}=x\n"));
            assert_eq!(
                parsed,
                Ok(vec![(name.to_string(), "x".to_string())]),
                "{name}"
            );
        }
    }
}
