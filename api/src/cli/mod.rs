//! Operator commands of the `casetrail` binary beyond serving, each a clap
//! `Args` struct and an async function that `main.rs` dispatches to.

pub mod integrity;
pub mod operations;
pub mod reference;

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
}
