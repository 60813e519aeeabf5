//! Logging policy: a message plus dotted fields (`case.id`, `error.cause`),
//! never personal data: no names, phones, notes, reasons, payloads or
//! request bodies. Identifiers, codes and counts only.

use tracing_subscriber::EnvFilter;

/// Human-readable logs in dev, JSON in production; `RUST_LOG` overrides the level.
pub fn init(json: bool) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
