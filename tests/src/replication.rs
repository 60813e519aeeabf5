//! A real PostgreSQL primary and hot standby for the replica and failover
//! suites: `initdb` and `pg_basebackup` into a temporary directory, on free
//! ports, run as the `postgres` OS user (the suites may run as root, which
//! PostgreSQL refuses). Stopped and removed when dropped.

use std::path::{Path, PathBuf};
use std::process::Command;

use uuid::Uuid;

use crate::waiting::until;

/// One PostgreSQL server of the pair.
pub struct Node {
    pub dir: PathBuf,
    pub port: u16,
}

impl Node {
    /// The URL of database `name` on this server (trust authentication).
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }
}

/// A primary and its hot standby, streaming.
pub struct Pair {
    pub primary: Node,
    pub standby: Node,
    root: PathBuf,
}

/// The newest installed PostgreSQL's program `name`.
fn program(name: &str) -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed under /usr/lib/postgresql")
        .flatten()
        .map(|e| e.path().join("bin").join(name))
        .filter(|p| p.is_file())
        .collect();
    versions.sort();
    versions
        .pop()
        .unwrap_or_else(|| panic!("no {name} installed"))
}

/// Runs a PostgreSQL program as the `postgres` user; panics with its output on failure.
fn as_postgres(name: &str, args: &[&str]) {
    let output = Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(program(name))
        .args(args)
        .output()
        .expect("runuser runs");
    assert!(
        output.status.success(),
        "{name} {args:?}: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn append(file: &Path, lines: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(file)
        .expect("config file");
    f.write_all(lines.as_bytes()).expect("config written");
}

impl Pair {
    /// Starts a primary and a standby streaming from it. With `synchronous`,
    /// the primary acknowledges a commit only once the standby has it
    /// (`synchronous_standby_names = '*'`, `synchronous_commit = on`).
    pub fn start(synchronous: bool) -> Pair {
        let root = std::env::temp_dir().join(format!("casetrail-pair-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&root).expect("temp dir");
        let owned = Command::new("chown")
            .args(["postgres:postgres", path(&root)])
            .status()
            .expect("chown runs");
        assert!(owned.success(), "the postgres user owns {}", root.display());
        let primary = Node {
            dir: root.join("primary"),
            port: free_port(),
        };
        as_postgres(
            "initdb",
            &[
                "-D",
                path(&primary.dir),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        append(
            &primary.dir.join("postgresql.conf"),
            &format!(
                "\nport = {}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n\
                 wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\nfsync = off\n\
                 synchronous_standby_names = '{}'\n",
                primary.port,
                path(&root),
                if synchronous { "*" } else { "" }
            ),
        );
        let log = primary.dir.join("server.log");
        as_postgres(
            "pg_ctl",
            &["-D", path(&primary.dir), "-l", path(&log), "-w", "start"],
        );
        let standby = Node {
            dir: root.join("standby"),
            port: free_port(),
        };
        as_postgres(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &primary.port.to_string(),
                "-U",
                "postgres",
                "-D",
                path(&standby.dir),
                "-R",
                "-X",
                "stream",
                "--no-sync",
            ],
        );
        append(
            &standby.dir.join("postgresql.conf"),
            // Promoted, it has no standby of its own to wait for.
            &format!(
                "\nport = {}\nsynchronous_standby_names = ''\n",
                standby.port
            ),
        );
        let log = standby.dir.join("server.log");
        as_postgres(
            "pg_ctl",
            &["-D", path(&standby.dir), "-l", path(&log), "-w", "start"],
        );
        Pair {
            primary,
            standby,
            root,
        }
    }

    /// Promotes the standby to primary (waits until it accepts writes).
    pub fn promote_standby(&self) {
        as_postgres("pg_ctl", &["-D", path(&self.standby.dir), "-w", "promote"]);
    }

    /// Stops the standby (its sessions are ended), as when it is down for maintenance.
    pub fn stop_standby(&self) {
        as_postgres(
            "pg_ctl",
            &["-D", path(&self.standby.dir), "-m", "fast", "-w", "stop"],
        );
    }

    /// Stops the primary at once, as a crash would (no shutdown checkpoint).
    pub fn kill_primary(&self) {
        as_postgres(
            "pg_ctl",
            &[
                "-D",
                path(&self.primary.dir),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        for node in [&self.standby, &self.primary] {
            let _ = Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(program("pg_ctl"))
                .args(["-D", path(&node.dir), "-m", "immediate", "-w", "stop"])
                .output();
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Waits until the standby at `url` has replayed the database's creation
/// and migrations.
pub async fn standby_has_the_log(url: &str) {
    let replayed = until(
        std::time::Duration::from_secs(30),
        std::time::Duration::from_millis(50),
        || async {
            let Ok(pool) = sqlx::PgPool::connect(url).await else {
                return false;
            };
            let found: Option<bool> = sqlx::query_scalar(
                "SELECT to_regclass('public.projection_checkpoints') IS NOT NULL",
            )
            .fetch_one(&pool)
            .await
            .ok();
            pool.close().await;
            found == Some(true)
        },
    )
    .await;
    assert!(replayed, "the standby never replayed the migrations");
}
