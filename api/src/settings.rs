//! Configuration: the settings of a running server ([`Settings`]) and the
//! flag groups they are read from (each flag with an environment variable
//! and a default), validated once at start-up. The bottom of the crate: it
//! imports nothing of it, so every layer above may read settings. The
//! command tree that uses these groups is `cli/command.rs`.

use std::net::SocketAddr;

use clap::Args;

/// Default time SIGTERM leaves in-flight requests to finish.
pub const DEFAULT_SHUTDOWN_GRACE_SECONDS: u64 = 10;
/// Default cost budget of one GraphQL request (see `graphql::cost`).
pub const DEFAULT_QUERY_COST_BUDGET: u64 = 20_000;

mod security;
pub use security::{
    Environment, JwtSettings, SecurityArgs, DEFAULT_JWT_MAX_LIFETIME_SECONDS, DEV_JWT_SECRET,
    DEV_LOOKUP_KEY, DEV_MASTER_KEY,
};

#[derive(Args, Debug, Clone)]
pub struct DatabaseArgs {
    /// PostgreSQL URL; the database is created and migrated if it does not exist.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/casetrail"
    )]
    pub database_url: String,
}

/// The database of a command that only reads or maintains an existing
/// casetrail database: unlike `serve`, `migrate`, `seed` and `import`, such a
/// command never creates it (a typo in the URL must not yield an empty
/// database that "verifies"), and says so when it is missing.
#[derive(Args, Debug, Clone)]
pub struct ExistingDatabaseArgs {
    /// PostgreSQL URL of an existing casetrail database; never created here
    /// (`casetrail migrate` creates and migrates it).
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/casetrail"
    )]
    pub database_url: String,
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on: HOST:PORT, or `:PORT` for 127.0.0.1:PORT (`:0` picks a free
    /// port; the log says which). Listening on every interface must be asked for: 0.0.0.0:PORT.
    #[arg(long, env = "CASETRAIL_BIND", default_value = "127.0.0.1:8080", value_parser = parse_bind)]
    pub bind: SocketAddr,
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub security: SecurityArgs,
    /// IANA time zone whose calendar days the statistics count.
    #[arg(long, env = "CASETRAIL_TIME_ZONE", default_value = "Asia/Ho_Chi_Minh")]
    pub time_zone: String,
    /// Most database connections the server keeps open.
    #[arg(long, env = "CASETRAIL_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub max_connections: u32,
    /// Requests a minute one token subject may make (per server process); a
    /// request with several root fields (aliased mutations) counts each.
    #[arg(long, env = "CASETRAIL_RATE_LIMIT_PER_MINUTE", default_value_t = 1200)]
    pub rate_limit_per_minute: u32,
    /// On SIGTERM, how long in-flight requests may take to finish before the
    /// server exits anyway (a stuck client never holds it up longer).
    #[arg(long, env = "CASETRAIL_SHUTDOWN_GRACE_SECONDS", default_value_t = DEFAULT_SHUTDOWN_GRACE_SECONDS)]
    pub shutdown_grace_seconds: u64,
    /// Largest cost of one GraphQL request, refused before it runs (weights in
    /// `api/src/graphql/cost.rs`, README "Cost model").
    #[arg(long, env = "CASETRAIL_QUERY_COST_BUDGET", default_value_t = DEFAULT_QUERY_COST_BUDGET)]
    pub query_cost_budget: u64,
    /// Hours an agency has to acknowledge a referral: one still SENT after
    /// this long is in the supervisors' `overdueReferrals` view (1 to 720).
    #[arg(long, env = "CASETRAIL_REFERRAL_ACK_HOURS", default_value_t = DEFAULT_REFERRAL_ACK_HOURS)]
    pub referral_ack_hours: u32,
    /// A hot standby of the database (PostgreSQL streaming replication): lists,
    /// statistics, histories and subscriptions' catch-up from a cursor are read
    /// there; commands, projections and the live tail stay on DATABASE_URL, and
    /// nothing is written to the standby. docs/SCALING.md.
    #[arg(long, env = "CASETRAIL_READ_DATABASE_URL", hide_env_values = true)]
    pub read_database_url: Option<String>,
    /// Milliseconds the standby's replay may be behind the primary (100 to
    /// 600000): further behind, reads go to the primary. docs/SCALING.md.
    #[arg(long, visible_alias = "max-replica-lag", env = "CASETRAIL_MAX_REPLICA_LAG_MS", default_value_t = DEFAULT_MAX_REPLICA_LAG_MS,
          value_parser = clap::value_parser!(u64).range(100..=600_000))]
    pub max_replica_lag_ms: u64,
}

/// How far behind the standby may be before reads leave it, unless configured.
pub const DEFAULT_MAX_REPLICA_LAG_MS: u64 = 5000;

/// Hours an agency has to acknowledge a referral, unless configured.
pub const DEFAULT_REFERRAL_ACK_HOURS: u32 = 24;
/// The longest acknowledgement time accepted: a month.
pub const MAX_REFERRAL_ACK_HOURS: u32 = 720;

/// Validated settings of a running server.
#[derive(Clone, Debug)]
pub struct Settings {
    pub bind: SocketAddr,
    pub database_url: String,
    pub environment: Environment,
    pub jwt: JwtSettings,
    pub master_key: [u8; 32],
    /// The master key being rotated away from, if a rotation is under way.
    pub previous_master_key: Option<[u8; 32]>,
    /// The blind index's key (`store::lookup`).
    pub lookup_key: [u8; 32],
    pub time_zone: chrono_tz::Tz,
    pub max_connections: u32,
    pub rate_limit_per_minute: u32,
    pub shutdown_grace: std::time::Duration,
    pub query_cost_budget: u64,
    /// Hours after which a referral still SENT is overdue (`CASETRAIL_REFERRAL_ACK_HOURS`).
    pub referral_ack_hours: u32,
    /// A hot standby that serves reads (`--read-database-url`), if any.
    pub read_database_url: Option<String>,
    /// Furthest the standby may be behind before reads leave it (`--max-replica-lag-ms`).
    pub max_replica_lag: std::time::Duration,
}

/// `--bind`/`CASETRAIL_BIND`: `HOST:PORT` (an IP or a name such as
/// `localhost`), or `:PORT` on the loopback interface. A bare `:PORT` means
/// loopback, not every interface, because this server holds victims' records:
/// exposing it is a decision someone writes out (`0.0.0.0:PORT`).
pub fn parse_bind(value: &str) -> Result<SocketAddr, String> {
    let value = value.trim();
    let full = match value.strip_prefix(':') {
        Some(port) => format!("127.0.0.1:{port}"),
        None => value.to_string(),
    };
    if let Ok(addr) = full.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let resolved = std::net::ToSocketAddrs::to_socket_addrs(&full)
        .ok()
        .and_then(|mut addrs| addrs.next());
    resolved.ok_or_else(|| {
        format!("'{value}' is not HOST:PORT or :PORT (e.g. 127.0.0.1:8080, localhost:8080, :0)")
    })
}

impl ServeArgs {
    pub fn settings(&self) -> Result<Settings, String> {
        let time_zone = self.time_zone.parse::<chrono_tz::Tz>().map_err(|_| {
            format!(
                "CASETRAIL_TIME_ZONE '{}' is not an IANA time zone",
                self.time_zone
            )
        })?;
        if self.max_connections < 2 {
            return Err("CASETRAIL_DB_MAX_CONNECTIONS must be at least 2".into());
        }
        if !(1..=MAX_REFERRAL_ACK_HOURS).contains(&self.referral_ack_hours) {
            return Err(format!(
                "CASETRAIL_REFERRAL_ACK_HOURS must be between 1 and {MAX_REFERRAL_ACK_HOURS}"
            ));
        }
        Ok(Settings {
            bind: self.bind,
            database_url: self.database.database_url.clone(),
            environment: self.security.environment,
            jwt: self.security.jwt()?,
            master_key: self.security.master_key()?,
            previous_master_key: self.security.previous_master_key()?,
            lookup_key: self.security.lookup_key()?,
            time_zone,
            max_connections: self.max_connections,
            rate_limit_per_minute: self.rate_limit_per_minute,
            shutdown_grace: std::time::Duration::from_secs(self.shutdown_grace_seconds),
            query_cost_budget: self.query_cost_budget,
            referral_ack_hours: self.referral_ack_hours,
            read_database_url: self.read_database_url.clone(),
            max_replica_lag: std::time::Duration::from_millis(self.max_replica_lag_ms),
        })
    }
}
