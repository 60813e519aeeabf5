//! `casetrail`: the server and its operator commands. Everything from the
//! flags to the exit status is `api::cli`; this is only the entry point.

fn main() -> std::process::ExitCode {
    api::cli::main()
}
