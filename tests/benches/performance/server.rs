//! The real server under test: by default the `casetrail` binary as a child
//! process (`casetrail serve`, configured through its environment), so that
//! its resident memory is its own; `--in-process` runs `Application::build`
//! inside the bench instead.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use rand::RngCore;
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

use super::report::resident_mib;
use super::Fail;
use api::settings::{Environment, JwtSettings, Settings};
use api::Application;

/// Secrets of this run only: random, never the development ones.
#[derive(Clone)]
pub struct Secrets {
    pub jwt: JwtSettings,
    pub master_key: [u8; 32],
}

impl Secrets {
    pub fn random() -> Self {
        let mut secret = [0_u8; 32];
        let mut master_key = [0_u8; 32];
        rand::thread_rng().fill_bytes(&mut secret);
        rand::thread_rng().fill_bytes(&mut master_key);
        Self {
            jwt: JwtSettings {
                secret: hex::encode(secret),
                issuer: "casetrail".into(),
                audience: "casetrail".into(),
                rsa_public_pem: None,
                rsa_private_pem: None,
                max_lifetime_seconds: api::settings::DEFAULT_JWT_MAX_LIFETIME_SECONDS,
            },
            master_key,
        }
    }
}

enum Running {
    Child(Child),
    InProcess(JoinHandle<()>),
}

pub struct Server {
    pub base: String,
    running: Running,
}

/// Where the server runs, and how to start it.
#[derive(Clone, Debug)]
pub enum Mode {
    Child(PathBuf),
    InProcess,
}

impl Mode {
    /// `--in-process`, else `--server-binary`, else this crate's `casetrail` binary.
    pub fn choose(in_process: bool, binary: Option<PathBuf>) -> Result<Self, Fail> {
        if in_process {
            return Ok(Self::InProcess);
        }
        if let Some(binary) = binary {
            return Ok(Self::Child(binary));
        }
        // Cargo builds this crate's `casetrail` binary (api/src/main.rs, the
        // production one) with the bench target, in the same profile.
        Ok(Self::Child(PathBuf::from(env!("CARGO_BIN_EXE_casetrail"))))
    }

    pub fn describe(&self) -> String {
        match self {
            Self::Child(path) => format!(
                "child process `{} serve` (its own VmRSS)",
                path.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            ),
            Self::InProcess => {
                "in-process Application::build on 127.0.0.1:0 (VmRSS includes the bench)".into()
            }
        }
    }
}

/// Where the child server writes its log.
pub fn log_path() -> PathBuf {
    std::env::temp_dir().join("casetrail-bench-server.log")
}

impl Server {
    pub async fn start(
        mode: &Mode,
        url: &str,
        secrets: &Secrets,
        connections: u32,
    ) -> Result<Self, Fail> {
        let server = match mode {
            Mode::InProcess => {
                let settings = Settings {
                    bind: "127.0.0.1:0".parse()?,
                    database_url: url.to_string(),
                    environment: Environment::Dev,
                    jwt: secrets.jwt.clone(),
                    master_key: secrets.master_key,
                    previous_master_key: None,
                    lookup_key: [3u8; 32],
                    time_zone: chrono_tz::Asia::Ho_Chi_Minh,
                    max_connections: connections,
                    rate_limit_per_minute: u32::MAX,
                    shutdown_grace: std::time::Duration::from_secs(
                        api::settings::DEFAULT_SHUTDOWN_GRACE_SECONDS,
                    ),
                    query_cost_budget: api::settings::DEFAULT_QUERY_COST_BUDGET,
                    referral_ack_hours: api::settings::DEFAULT_REFERRAL_ACK_HOURS,
                    read_database_url: None,
                    max_replica_lag: std::time::Duration::from_millis(
                        api::settings::DEFAULT_MAX_REPLICA_LAG_MS,
                    ),
                };
                let app = Application::build(settings).await?;
                let base = format!("http://127.0.0.1:{}", app.port());
                let task = tokio::spawn(async move {
                    let _ = app.run_until_stopped().await;
                });
                Self {
                    base,
                    running: Running::InProcess(task),
                }
            }
            Mode::Child(binary) => {
                let port = std::net::TcpListener::bind("127.0.0.1:0")?
                    .local_addr()?
                    .port();
                let log = std::fs::File::create(log_path())?;
                let child = Command::new(binary)
                    .arg("serve")
                    .env("CASETRAIL_BIND", format!("127.0.0.1:{port}"))
                    .env("DATABASE_URL", url)
                    .env("CASETRAIL_ENV", "dev")
                    .env("CASETRAIL_JWT_SECRET", &secrets.jwt.secret)
                    .env("CASETRAIL_MASTER_KEY", hex::encode(secrets.master_key))
                    .env("CASETRAIL_DB_MAX_CONNECTIONS", connections.to_string())
                    .env("CASETRAIL_RATE_LIMIT_PER_MINUTE", u32::MAX.to_string())
                    .env_remove("CASETRAIL_JWT_PUBLIC_KEY_FILE")
                    .env_remove("CASETRAIL_JWT_PRIVATE_KEY_FILE")
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(log)
                    .kill_on_drop(true)
                    .spawn()
                    .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
                Self {
                    base: format!("http://127.0.0.1:{port}"),
                    running: Running::Child(child),
                }
            }
        };
        server.ready().await?;
        Ok(server)
    }

    /// Waits for `/readyz` to answer 200.
    async fn ready(&self) -> Result<(), Fail> {
        let client = reqwest::Client::new();
        for _ in 0..600 {
            if let Ok(r) = client.get(format!("{}/readyz", self.base)).send().await {
                if r.status().is_success() {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!(
            "the server did not become ready in 60 s (log: {})",
            log_path().display()
        )
        .into())
    }

    /// The child server's process id (none in process).
    pub fn pid(&self) -> Option<u32> {
        match &self.running {
            Running::Child(child) => child.id(),
            Running::InProcess(_) => None,
        }
    }

    /// The serving process's resident and peak memory, in MiB.
    pub fn resident(&self) -> Option<(f64, f64)> {
        match &self.running {
            Running::Child(child) => resident_mib(Some(child.id()?)),
            Running::InProcess(_) => resident_mib(None),
        }
    }

    /// Stops the server: SIGTERM (graceful) for a child, then SIGKILL if it lingers.
    pub async fn stop(self) {
        match self.running {
            Running::InProcess(task) => task.abort(),
            Running::Child(mut child) => {
                if let Some(pid) = child.id() {
                    let _ = Command::new("kill")
                        .arg("-TERM")
                        .arg(pid.to_string())
                        .status()
                        .await;
                }
                let waited = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
                if waited.is_err() {
                    let _ = child.kill().await;
                }
            }
        }
    }
}
