//! Operator commands of the `casetrail` binary beyond serving, each a clap
//! `Args` struct and an async function that `main.rs` dispatches to.

pub mod audit;
pub mod export_events;
pub mod integrity;
pub mod keys;
pub mod operations;
pub mod reference;

/// A pool as the server's role on an existing, migrated casetrail database,
/// for commands that never create one: a missing or unmigrated database is
/// named as such, not reported as a failed query.
pub async fn existing_app_pool(url: &str, max_connections: u32) -> Result<sqlx::PgPool, String> {
    let pool = store::db::app_pool(url, max_connections)
        .await
        .map_err(|e| e.to_string())?;
    store::db::check_migrated(&pool, url)
        .await
        .map_err(|e| e.to_string())?;
    Ok(pool)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Commands that create (and migrate) a missing database (bench: its own); every other
    /// command that takes a database must not promise to.
    const CREATING: [&str; 5] = ["serve", "migrate", "seed", "calls", "bench"];

    fn database_help(command: &clap::Command, path: &str, found: &mut Vec<(String, String)>) {
        for arg in command.get_arguments() {
            if arg.get_id() == "database_url" {
                let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
                found.push((path.to_string(), help));
            }
        }
        for sub in command.get_subcommands() {
            database_help(sub, sub.get_name(), found);
        }
    }

    #[test]
    fn only_commands_that_create_the_database_say_they_do() {
        let mut found = Vec::new();
        database_help(&crate::settings::Cli::command(), "casetrail", &mut found);
        assert!(found.len() >= 10, "{found:?}");
        for (command, help) in found {
            let promises = help.contains("created") && !help.contains("never created");
            assert_eq!(
                promises,
                CREATING.contains(&command.as_str()),
                "{command}: {help}"
            );
        }
    }

    #[test]
    fn the_help_shows_the_development_master_key_as_it_is() {
        let cli = crate::settings::Cli::command();
        for (command, flag) in [("serve", "master_key"), ("rotate-master-key", "master_key")] {
            let sub = cli.find_subcommand(command).expect("a command");
            let arg = sub.get_arguments().find(|a| a.get_id() == flag);
            let help = arg.and_then(|a| a.get_help()).map(|h| h.to_string());
            assert!(
                help.as_deref()
                    .is_some_and(|h| h.contains(crate::settings::DEV_MASTER_KEY)),
                "{command} --{flag}: {help:?}"
            );
        }
    }
}
