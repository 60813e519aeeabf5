//! Configuration: the settings of a running server ([`Settings`]) and the
//! flag groups they are read from (each flag with an environment variable
//! and a default), validated once at start-up. The bottom of the crate: it
//! imports nothing of it, so every layer above may read settings. The
//! command tree that uses these groups is `cli/command.rs`.

use std::net::SocketAddr;

use clap::{Args, ValueEnum};

/// The development JWT secret: public, so never acceptable in production.
pub const DEV_JWT_SECRET: &str = "casetrail-development-secret-do-not-use-in-production";
/// The development master key (hex): public, so never acceptable in production.
/// Default longest token lifetime: 24 hours.
pub const DEFAULT_JWT_MAX_LIFETIME_SECONDS: u64 = 24 * 3600;
/// Default time SIGTERM leaves in-flight requests to finish.
pub const DEFAULT_SHUTDOWN_GRACE_SECONDS: u64 = 10;
/// Default cost budget of one GraphQL request (see `graphql::cost`).
pub const DEFAULT_QUERY_COST_BUDGET: u64 = 20_000;
pub const DEV_MASTER_KEY: &str = "63617365747261696c2d6465762d6d61737465722d6b65792d30303030303030";
/// The development lookup key (hex, "casetrail-dev-lookup-key-0000000"): public,
/// so never acceptable in production.
pub const DEV_LOOKUP_KEY: &str = "63617365747261696c2d6465762d6c6f6f6b75702d6b65792d30303030303030";

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

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Environment {
    /// GraphiQL and introspection on; development secrets allowed with a warning.
    Dev,
    /// GraphiQL and introspection off; development secrets refused.
    Production,
}

#[derive(Args, Debug, Clone)]
pub struct SecurityArgs {
    /// `dev` or `production`.
    #[arg(long = "env", env = "CASETRAIL_ENV", value_enum, default_value = "dev")]
    pub environment: Environment,
    /// HS256 secret that signs and verifies access tokens (at least 32 bytes).
    #[arg(long, env = "CASETRAIL_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// RS256 instead of HS256: a PEM file with the public key that verifies tokens.
    #[arg(long, env = "CASETRAIL_JWT_PUBLIC_KEY_FILE")]
    pub jwt_public_key_file: Option<std::path::PathBuf>,
    /// With RS256: a PEM file with the private key `casetrail token` signs with.
    #[arg(long, env = "CASETRAIL_JWT_PRIVATE_KEY_FILE")]
    pub jwt_private_key_file: Option<std::path::PathBuf>,
    /// The `iss` claim tokens must carry.
    #[arg(long, env = "CASETRAIL_JWT_ISSUER", default_value = "casetrail")]
    pub jwt_issuer: String,
    /// The `aud` claim tokens must carry.
    #[arg(long, env = "CASETRAIL_JWT_AUDIENCE", default_value = "casetrail")]
    pub jwt_audience: String,
    /// Longest lifetime (`exp - iat`, seconds) of a token the server accepts and
    /// `casetrail token` mints: a stolen long-lived token is a standing key to
    /// victims' records, so staff re-authenticate at least daily by default.
    #[arg(long, env = "CASETRAIL_JWT_MAX_LIFETIME_SECONDS", default_value_t = DEFAULT_JWT_MAX_LIFETIME_SECONDS)]
    pub jwt_max_lifetime_seconds: u64,
    /// 32-byte key, as 64 hex digits, that wraps every per-person data key. Unset in dev, the
    /// public development key 63617365747261696c2d6465762d6d61737465722d6b65792d30303030303030
    /// (refused in production).
    #[arg(long, env = "CASETRAIL_MASTER_KEY", hide_env_values = true)]
    pub master_key: Option<String>,
    /// During a master-key rotation only: the master key being rotated away
    /// from (64 hex digits). Data keys it wrapped still open; new ones are
    /// always wrapped with CASETRAIL_MASTER_KEY. Drop it once
    /// `casetrail rotate-master-key` reports nothing left (README, "Rotating the master key").
    #[arg(long, env = "CASETRAIL_PREVIOUS_MASTER_KEY", hide_env_values = true)]
    pub previous_master_key: Option<String>,
    /// 32-byte key, as 64 hex digits, of the blind index that finds persons by
    /// exact phone or name (never the master key). Unset in dev, the public
    /// development key (refused in production). Changing it: README,
    /// "Rotating the lookup key".
    #[arg(long, env = "CASETRAIL_LOOKUP_KEY", hide_env_values = true)]
    pub lookup_key: Option<String>,
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

/// Validated configuration of the token machinery. With an RSA public key
/// the algorithm is pinned to RS256 and the secret is unused; otherwise HS256.
#[derive(Clone, Debug)]
pub struct JwtSettings {
    pub secret: String,
    pub issuer: String,
    pub audience: String,
    pub rsa_public_pem: Option<Vec<u8>>,
    pub rsa_private_pem: Option<Vec<u8>>,
    /// Longest `exp - iat` accepted (and minted), in seconds.
    pub max_lifetime_seconds: u64,
}

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

impl SecurityArgs {
    /// The JWT settings, refusing development secrets in production.
    pub fn jwt(&self) -> Result<JwtSettings, String> {
        let read = |path: &std::path::Path, what: &str| {
            std::fs::read(path).map_err(|e| format!("cannot read {what} {}: {e}", path.display()))
        };
        if let Some(public) = &self.jwt_public_key_file {
            if self.jwt_secret.is_some() {
                return Err("configure CASETRAIL_JWT_SECRET (HS256) or CASETRAIL_JWT_PUBLIC_KEY_FILE (RS256), not both".into());
            }
            let public_pem = read(public, "CASETRAIL_JWT_PUBLIC_KEY_FILE")?;
            jsonwebtoken::DecodingKey::from_rsa_pem(&public_pem).map_err(|_| {
                "CASETRAIL_JWT_PUBLIC_KEY_FILE is not a PEM RSA public key".to_string()
            })?;
            let private_pem = self
                .jwt_private_key_file
                .as_deref()
                .map(|p| read(p, "CASETRAIL_JWT_PRIVATE_KEY_FILE"))
                .transpose()?;
            return Ok(JwtSettings {
                secret: String::new(),
                issuer: self.jwt_issuer.clone(),
                audience: self.jwt_audience.clone(),
                rsa_public_pem: Some(public_pem),
                rsa_private_pem: private_pem,
                max_lifetime_seconds: self.max_lifetime()?,
            });
        }
        let secret = match (&self.jwt_secret, self.environment) {
            (Some(s), _) if s.len() < 32 => {
                return Err("CASETRAIL_JWT_SECRET must be at least 32 bytes".into())
            }
            (Some(s), Environment::Production) if s == DEV_JWT_SECRET => {
                return Err(
                    "CASETRAIL_JWT_SECRET is the public development secret; set a real one".into(),
                )
            }
            (Some(s), _) => s.clone(),
            (None, Environment::Production) => {
                return Err("CASETRAIL_JWT_SECRET is required in production".into())
            }
            (None, Environment::Dev) => DEV_JWT_SECRET.to_string(),
        };
        Ok(JwtSettings {
            secret,
            issuer: self.jwt_issuer.clone(),
            audience: self.jwt_audience.clone(),
            rsa_public_pem: None,
            rsa_private_pem: None,
            max_lifetime_seconds: self.max_lifetime()?,
        })
    }

    fn max_lifetime(&self) -> Result<u64, String> {
        match self.jwt_max_lifetime_seconds {
            0 => Err("CASETRAIL_JWT_MAX_LIFETIME_SECONDS must be at least 1".into()),
            n => Ok(n),
        }
    }

    /// The master key, refusing the development key in production.
    pub fn master_key(&self) -> Result<[u8; 32], String> {
        let hex_key = match (&self.master_key, self.environment) {
            (Some(k), Environment::Production) if k == DEV_MASTER_KEY => {
                return Err(
                    "CASETRAIL_MASTER_KEY is the public development key; set a real one".into(),
                )
            }
            (Some(k), _) => k.clone(),
            (None, Environment::Production) => {
                return Err("CASETRAIL_MASTER_KEY is required in production".into())
            }
            (None, Environment::Dev) => DEV_MASTER_KEY.to_string(),
        };
        let bytes = hex::decode(hex_key.trim())
            .map_err(|_| "CASETRAIL_MASTER_KEY must be 64 hexadecimal digits".to_string())?;
        bytes.try_into().map_err(|_| {
            "CASETRAIL_MASTER_KEY must be 64 hexadecimal digits (32 bytes)".to_string()
        })
    }

    /// The vault an operator's command opens and seals with: the current
    /// master key, and the previous one during a rotation.
    pub fn vault(&self) -> Result<store::vault::Vault, String> {
        Ok(store::vault::Vault::new(self.master_key()?).with_previous(self.previous_master_key()?))
    }

    /// The previous master key, if one is configured: 64 hex digits, not the
    /// current key, and (like the master key) never the development key in production.
    pub fn previous_master_key(&self) -> Result<Option<[u8; 32]>, String> {
        let Some(hex_key) = &self.previous_master_key else {
            return Ok(None);
        };
        if self.environment == Environment::Production && hex_key.trim() == DEV_MASTER_KEY {
            return Err(
                "CASETRAIL_PREVIOUS_MASTER_KEY is the public development key; it was never valid in production"
                    .into(),
            );
        }
        let key: [u8; 32] = hex::decode(hex_key.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                "CASETRAIL_PREVIOUS_MASTER_KEY must be 64 hexadecimal digits (32 bytes)".to_string()
            })?;
        if key == self.master_key()? {
            return Err(
                "CASETRAIL_PREVIOUS_MASTER_KEY is the same key as CASETRAIL_MASTER_KEY".into(),
            );
        }
        Ok(Some(key))
    }

    /// The lookup key, refusing the development key in production and the master key anywhere.
    pub fn lookup_key(&self) -> Result<[u8; 32], String> {
        let hex_key = match (&self.lookup_key, self.environment) {
            (Some(k), Environment::Production) if k.trim() == DEV_LOOKUP_KEY => {
                return Err(
                    "CASETRAIL_LOOKUP_KEY is the public development key; set a real one".into(),
                )
            }
            (Some(k), _) => k.clone(),
            (None, Environment::Production) => {
                return Err("CASETRAIL_LOOKUP_KEY is required in production".into())
            }
            (None, Environment::Dev) => DEV_LOOKUP_KEY.to_string(),
        };
        let key: [u8; 32] = hex::decode(hex_key.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                "CASETRAIL_LOOKUP_KEY must be 64 hexadecimal digits (32 bytes)".to_string()
            })?;
        if key == self.master_key()? {
            return Err(
                "CASETRAIL_LOOKUP_KEY must not be the master key: give it a key of its own".into(),
            );
        }
        Ok(key)
    }

    /// Loud warnings for development secrets in use.
    pub fn warn_about_dev_secrets(&self) {
        if self.jwt_secret.is_none() && self.jwt_public_key_file.is_none() {
            tracing::warn!("CASETRAIL_JWT_SECRET is not set: using the PUBLIC development secret; anyone can mint tokens");
        }
        if self.master_key.is_none() {
            tracing::warn!("CASETRAIL_MASTER_KEY is not set: using the PUBLIC development key; personal data is not protected");
        }
        if self.lookup_key.is_none() {
            tracing::warn!("CASETRAIL_LOOKUP_KEY is not set: using the PUBLIC development key; the lookup index does not protect phones and names");
        }
        if self.previous_master_key.is_some() {
            tracing::info!("CASETRAIL_PREVIOUS_MASTER_KEY is set: data keys it wrapped still open; drop it once `casetrail rotate-master-key` exits 0");
        }
    }
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
