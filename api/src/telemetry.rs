//! Logging policy: a message plus dotted fields (`case.id`, `error.cause`),
//! never personal data: no names, phones, notes, reasons, payloads or
//! request bodies. Identifiers, codes and counts only.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Human-readable logs in dev, JSON in production; `RUST_LOG` overrides the level.
/// Colours only on a terminal: a log redirected to a file or a pipe (a
/// service manager, `2>server.log`) must stay plain text that grep and log
/// shippers read. `NO_COLOR` (https://no-color.org) turns them off everywhere.
pub fn init(json: bool) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colours(
            std::io::stderr().is_terminal(),
            std::env::var_os("NO_COLOR"),
        ))
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Whether to colour the log: on a terminal, unless `NO_COLOR` is set to anything non-empty.
fn colours(terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::colours;

    #[test]
    fn colours_only_on_a_terminal_without_no_color() {
        assert!(colours(true, None));
        assert!(colours(true, Some("".into())));
        assert!(!colours(true, Some("1".into())));
        assert!(!colours(false, None));
    }
}
