//! Bearer tokens: minting (for `casetrail token`) and strict verification.
//!
//! The algorithm is pinned by configuration (HS256 or RS256); `exp`, `iat`,
//! `iss`, `aud` and `sub` are required, `nbf` is checked when present, all
//! with 30 s leeway for clock drift. A token lives at most
//! `CASETRAIL_JWT_MAX_LIFETIME_SECONDS` (`exp - iat`, default 24 h), so that
//! a leaked token is not a standing key. A token without `iat` is refused:
//! its lifetime cannot be known, and accepting it would be the way around
//! the limit; so is an `iat` in the future, which would stretch it. A token
//! that fails any check is UNAUTHENTICATED with a message naming the rule;
//! the token itself is never logged.

use std::str::FromStr;

use chrono::Utc;
use domain::values::{Agency, Role};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::settings::JwtSettings;

pub mod verified;

/// Seconds of clock drift tolerated on `exp`, `nbf` and `iat`.
const LEEWAY_SECONDS: u64 = 30;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    agency: Option<String>,
    iss: String,
    aud: String,
    /// Optional on the wire only so that its absence gets a clear refusal.
    #[serde(default)]
    iat: Option<i64>,
    exp: i64,
}

/// Who is calling, as established by a verified token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub subject: String,
    pub role: Role,
    /// Set for AGENCY principals: the only agency whose referrals they see.
    pub agency: Option<Agency>,
}

impl Principal {
    pub fn actor(&self) -> store::Actor {
        store::Actor {
            subject: self.subject.clone(),
            role: self.role,
        }
    }
}

/// An AGENCY token for an agency ADMIN added (a code that is not one of the
/// contract's) holds only while the reference data has that agency in force
/// today: checked at each use against the book, since the token outlives
/// any change to it. Tokens of the contract's agencies need no read.
pub async fn check_agency_in_force(
    store: &store::EventStore,
    principal: &Principal,
) -> Result<(), ApiError> {
    use domain::reference::book::ReferenceBook;
    use domain::reference_data::{ReferenceData, STREAM_ID};
    let Some(agency) = principal.agency.filter(|a| a.contract_class().is_none()) else {
        return Ok(());
    };
    let loaded = store
        .load::<ReferenceData>(STREAM_ID)
        .await
        .map_err(|_| ApiError::Unavailable)?;
    let book = ReferenceBook::new(loaded.state.changes());
    let today = domain::reference::vietnam_day(Utc::now());
    match book.agency_on(agency, today) {
        Ok(_) => Ok(()),
        Err(_) => Err(ApiError::Unauthenticated(format!(
            "the token's agency {agency} is not in force in the reference data today"
        ))),
    }
}

/// The token of an `Authorization` header's value.
fn bearer(header: &str) -> Result<&str, ApiError> {
    header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .ok_or_else(|| {
            ApiError::Unauthenticated("the Authorization header must be 'Bearer <token>'".into())
        })
}

/// Signs a token for `sub` with `role`.
pub fn mint(
    jwt: &JwtSettings,
    sub: &str,
    role: Role,
    agency: Option<Agency>,
    ttl_seconds: u64,
) -> Result<String, String> {
    if sub.trim().is_empty() {
        return Err("--sub must not be empty".into());
    }
    if role == Role::Agency && agency.is_none() {
        return Err("an AGENCY token needs --agency".into());
    }
    if ttl_seconds > jwt.max_lifetime_seconds {
        return Err(format!(
            "--ttl-seconds {ttl_seconds} is longer than the maximum token lifetime of {} s \
             (CASETRAIL_JWT_MAX_LIFETIME_SECONDS); the server would refuse the token",
            jwt.max_lifetime_seconds
        ));
    }
    let now = Utc::now().timestamp();
    let claims = Claims {
        sub: sub.to_string(),
        role: role.as_str().to_string(),
        agency: agency.map(|a| a.as_str().to_string()),
        iss: jwt.issuer.clone(),
        aud: jwt.audience.clone(),
        iat: Some(now),
        exp: now.saturating_add(i64::try_from(ttl_seconds).unwrap_or(i64::MAX)),
    };
    let (algorithm, key) = match (&jwt.rsa_public_pem, &jwt.rsa_private_pem) {
        (Some(_), Some(private)) => (
            Algorithm::RS256,
            EncodingKey::from_rsa_pem(private)
                .map_err(|_| "the JWT private key is not a PEM RSA key".to_string())?,
        ),
        (Some(_), None) => {
            return Err("RS256 is configured: minting needs CASETRAIL_JWT_PRIVATE_KEY_FILE".into())
        }
        (None, _) => (
            Algorithm::HS256,
            EncodingKey::from_secret(jwt.secret.as_bytes()),
        ),
    };
    encode(&Header::new(algorithm), &claims, &key)
        .map_err(|e| format!("could not sign the token: {e}"))
}

/// `iat` present, not in the future, and `exp - iat` within the maximum.
fn check_lifetime(jwt: &JwtSettings, claims: &Claims, now: i64) -> Result<(), ApiError> {
    let refuse = |why: String| {
        tracing::info!(auth.failure = %why, "token refused");
        Err(ApiError::Unauthenticated(why))
    };
    let Some(iat) = claims.iat else {
        return refuse(
            "the token has no iat (issued-at) claim, so its lifetime cannot be checked".into(),
        );
    };
    let leeway = i64::try_from(LEEWAY_SECONDS).unwrap_or(0);
    if iat > now.saturating_add(leeway) {
        return refuse("the token's iat (issued-at) is in the future".into());
    }
    let max = i64::try_from(jwt.max_lifetime_seconds).unwrap_or(i64::MAX);
    if claims.exp.saturating_sub(iat) > max {
        return refuse(format!(
            "the token lives longer (exp - iat) than the maximum of {max} s this server accepts"
        ));
    }
    Ok(())
}

/// Verifies an `Authorization` header value.
pub fn authenticate(jwt: &JwtSettings, header: Option<&str>) -> Result<Principal, ApiError> {
    authenticate_until(jwt, header).map(|(principal, _)| principal)
}

/// The same, with the token's expiry (`exp`, Unix seconds): a connection
/// that outlives a request (a subscription's socket) ends there.
pub fn authenticate_until(
    jwt: &JwtSettings,
    header: Option<&str>,
) -> Result<(Principal, i64), ApiError> {
    let header = header.ok_or_else(|| {
        ApiError::Unauthenticated("an Authorization: Bearer token is required".into())
    })?;
    let token = bearer(header)?;
    // The algorithm is pinned by configuration, never taken from the token's header:
    // `alg: none` and HS/RS confusion are refused by the validation below.
    let (algorithm, key) = match &jwt.rsa_public_pem {
        Some(pem) => (
            Algorithm::RS256,
            DecodingKey::from_rsa_pem(pem).map_err(|_| ApiError::Internal)?,
        ),
        None => (
            Algorithm::HS256,
            DecodingKey::from_secret(jwt.secret.as_bytes()),
        ),
    };
    let mut validation = Validation::new(algorithm);
    validation.leeway = LEEWAY_SECONDS;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.set_issuer(&[&jwt.issuer]);
    validation.set_audience(&[&jwt.audience]);
    let claims = decode::<Claims>(token.trim(), &key, &validation)
        .map_err(|e| {
            tracing::info!(auth.failure = %e, "token refused");
            use jsonwebtoken::errors::ErrorKind;
            ApiError::Unauthenticated(match e.kind() {
                ErrorKind::ExpiredSignature => "the token has expired".into(),
                ErrorKind::ImmatureSignature => {
                    "the token is not valid yet (its nbf is in the future)".into()
                }
                _ => "the token is not valid (expired, malformed or not signed by this server)"
                    .into(),
            })
        })?
        .claims;
    check_lifetime(jwt, &claims, Utc::now().timestamp())?;
    let role = Role::from_str(&claims.role).map_err(|_| {
        ApiError::Unauthenticated("the token's role is not one this server knows".into())
    })?;
    let agency = match (role, claims.agency.as_deref()) {
        (Role::Agency, Some(code)) => Some(Agency::from_str(code).map_err(|_| {
            ApiError::Unauthenticated("the token's agency is not one this server knows".into())
        })?),
        (Role::Agency, None) => {
            return Err(ApiError::Unauthenticated(
                "an AGENCY token must name its agency".into(),
            ))
        }
        _ => None,
    };
    if claims.sub.trim().is_empty() {
        return Err(ApiError::Unauthenticated(
            "the token's subject is empty".into(),
        ));
    }
    Ok((
        Principal {
            subject: claims.sub,
            role,
            agency,
        },
        claims.exp,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// HS256 settings for tests (also `verified.rs`'s).
    pub(super) fn jwt() -> JwtSettings {
        JwtSettings {
            secret: "x".repeat(32),
            issuer: "casetrail".into(),
            audience: "casetrail".into(),
            rsa_public_pem: None,
            rsa_private_pem: None,
            max_lifetime_seconds: 3600,
        }
    }

    #[test]
    fn a_minted_token_verifies() {
        let token = mint(&jwt(), "lan", Role::Counsellor, None, 60).expect("mint");
        let p = authenticate(&jwt(), Some(&format!("Bearer {token}"))).expect("valid");
        assert_eq!(
            p,
            Principal {
                subject: "lan".into(),
                role: Role::Counsellor,
                agency: None
            }
        );
    }

    #[test]
    fn another_secret_or_audience_is_refused() {
        let token = mint(&jwt(), "lan", Role::Counsellor, None, 60).expect("mint");
        let other = JwtSettings {
            secret: "y".repeat(32),
            ..jwt()
        };
        assert!(authenticate(&other, Some(&format!("Bearer {token}"))).is_err());
        let other = JwtSettings {
            audience: "elsewhere".into(),
            ..jwt()
        };
        assert!(authenticate(&other, Some(&format!("Bearer {token}"))).is_err());
    }

    #[test]
    fn a_ttl_beyond_the_maximum_lifetime_is_not_minted() {
        assert!(mint(&jwt(), "lan", Role::Counsellor, None, 3600).is_ok());
        let refused = mint(&jwt(), "lan", Role::Counsellor, None, 3601).expect_err("refused");
        assert!(refused.contains("3600"), "{refused}");
    }

    #[test]
    fn lifetime_is_measured_from_iat_which_must_be_present_and_not_ahead() {
        let claims = |iat: Option<i64>, exp: i64| Claims {
            sub: "lan".into(),
            role: "COUNSELLOR".into(),
            agency: None,
            iss: "casetrail".into(),
            aud: "casetrail".into(),
            iat,
            exp,
        };
        let now = 1_000_000;
        assert!(check_lifetime(&jwt(), &claims(Some(now), now + 3600), now).is_ok());
        assert!(check_lifetime(&jwt(), &claims(Some(now), now + 3601), now).is_err());
        assert!(check_lifetime(&jwt(), &claims(None, now + 60), now).is_err());
        assert!(check_lifetime(&jwt(), &claims(Some(now + 31), now + 60), now).is_err());
        assert!(
            check_lifetime(&jwt(), &claims(Some(now + 30), now + 60), now).is_ok(),
            "leeway"
        );
    }

    #[test]
    fn an_agency_token_without_agency_cannot_be_minted() {
        assert!(mint(&jwt(), "police", Role::Agency, None, 60).is_err());
    }
}
