//! Multi-host database URLs, read as libpq reads them
//! (`postgres://user@db1:5432,db2:5432/casetrail?target_session_attrs=read-write`):
//! the server connects to the first host that accepts writes, and follows
//! the primary when it moves (a standby promoted after a failover,
//! docs/SCALING.md). sqlx itself takes one host per URL; this module turns
//! a multi-host URL into one URL per host and picks among them.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

/// How often a pool on a multi-host URL checks that its host still accepts writes.
pub const FOLLOW_EVERY: Duration = Duration::from_millis(500);

/// One single-host URL per host of `url`, in order (`target_session_attrs`
/// dropped: read-write is what this module enforces); a single-host URL as is.
pub fn split(url: &str) -> Vec<String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return vec![url.to_string()];
    };
    let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    let (userinfo, hosts) = match authority.rfind('@') {
        Some(at) => authority.split_at(at + 1),
        None => ("", authority),
    };
    if !hosts.contains(',') {
        return vec![url.to_string()];
    }
    let tail = without_parameter(tail, "target_session_attrs");
    hosts
        .split(',')
        .map(|host| format!("{scheme}://{userinfo}{host}{tail}"))
        .collect()
}

fn without_parameter(tail: &str, name: &str) -> String {
    let Some((path, query)) = tail.split_once('?') else {
        return tail.to_string();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| pair.split('=').next() != Some(name))
        .collect();
    if kept.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", kept.join("&"))
    }
}

/// Whether the server at `url` answers and accepts writes (is not a standby).
/// Asked in its maintenance database, which exists before casetrail's does.
async fn accepts_writes(url: &str) -> bool {
    let Ok(options) = PgConnectOptions::from_str(url) else {
        return false;
    };
    let options = options.database("postgres").disable_statement_logging();
    let connecting = PgConnection::connect_with(&options);
    let Ok(Ok(mut conn)) = tokio::time::timeout(Duration::from_secs(2), connecting).await else {
        return false;
    };
    let in_recovery: Result<bool, _> = sqlx::query_scalar("SELECT pg_is_in_recovery()")
        .fetch_one(&mut conn)
        .await;
    let _ = conn.close().await;
    matches!(in_recovery, Ok(false))
}

/// The first of `urls` whose server accepts writes, if any answers.
pub async fn read_write(urls: &[String]) -> Option<String> {
    for url in urls {
        if accepts_writes(url).await {
            return Some(url.clone());
        }
    }
    None
}

/// Keeps `pool`'s new connections on the host of `urls` that accepts
/// writes: every [`FOLLOW_EVERY`], if `current` no longer does (down, or
/// demoted), the pool is pointed at the one that does. Connections to the
/// old host fail and are dropped by the pool; new ones go to the new host.
/// Ends when the pool is closed.
pub fn follow_the_primary(pool: PgPool, urls: Vec<String>, mut current: String) {
    tokio::spawn(async move {
        while !pool.is_closed() {
            tokio::time::sleep(FOLLOW_EVERY).await;
            if accepts_writes(&current).await {
                continue;
            }
            let Some(next) = read_write(&urls).await else {
                continue;
            };
            if next == current {
                continue;
            }
            if let Ok(options) = PgConnectOptions::from_str(&next) {
                tracing::warn!(
                    host = %options.get_host(),
                    port = options.get_port(),
                    "the database's primary moved; new connections go to it"
                );
                pool.set_connect_options(options.disable_statement_logging());
                current = next;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn a_multi_host_url_is_one_url_per_host() {
        assert_eq!(
            split("postgres://app:secret@db1:5432,db2:6543/casetrail?target_session_attrs=read-write&sslmode=disable"),
            [
                "postgres://app:secret@db1:5432/casetrail?sslmode=disable",
                "postgres://app:secret@db2:6543/casetrail?sslmode=disable"
            ]
        );
        assert_eq!(
            split("postgresql://h1,h2:5433/db?target_session_attrs=read-write"),
            ["postgresql://h1/db", "postgresql://h2:5433/db"]
        );
        let single = "postgres://postgres@127.0.0.1:5432/casetrail";
        assert_eq!(split(single), [single]);
    }
}
