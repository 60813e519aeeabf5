//! The secrets of a running server: the environment (whether development
//! secrets are allowed), the token machinery and the master and lookup keys,
//! read from their flags and refused in production when they are the
//! public development values.

use clap::{Args, ValueEnum};

/// The development JWT secret: public, so never acceptable in production.
pub const DEV_JWT_SECRET: &str = "casetrail-development-secret-do-not-use-in-production";

/// Default longest token lifetime: 24 hours.
pub const DEFAULT_JWT_MAX_LIFETIME_SECONDS: u64 = 24 * 3600;

/// The development master key (hex): public, so never acceptable in production.
pub const DEV_MASTER_KEY: &str = "63617365747261696c2d6465762d6d61737465722d6b65792d30303030303030";

/// The development lookup key (hex, "casetrail-dev-lookup-key-0000000"): public,
/// so never acceptable in production.
pub const DEV_LOOKUP_KEY: &str = "63617365747261696c2d6465762d6c6f6f6b75702d6b65792d30303030303030";

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
