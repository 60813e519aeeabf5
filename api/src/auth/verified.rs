//! Tokens already verified, so that a client's every request does not pay
//! for the signature and the claims again (about a twentieth of the
//! server's CPU per `receiveCall` with HS256; an RS256 key was even parsed
//! from its PEM on every request).
//!
//! Kept by the token's whole text, signature included: only the exact bytes
//! that passed every check ([`super::authenticate_until`]) are ever found
//! here. What those checks decided cannot change with time except expiry,
//! so `exp` is checked again on every use (with the same leeway); a token
//! past it is dropped and verified afresh, which refuses it with the usual
//! message. Bounded: when [`TOKENS`] are kept it is emptied. Tokens are
//! never logged from here either.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::Utc;

use super::{authenticate_until, bearer, Principal, LEEWAY_SECONDS};
use crate::error::ApiError;
use crate::settings::JwtSettings;

/// Distinct tokens kept.
const TOKENS: usize = 4096;

/// Verified tokens: the principal each names and its expiry (`exp`). One
/// per [`JwtSettings`]: what it keeps was verified under those.
#[derive(Default)]
pub struct VerifiedTokens {
    kept: Mutex<HashMap<String, (Principal, i64)>>,
}

impl VerifiedTokens {
    /// [`super::authenticate`], remembering what it verified.
    pub fn authenticate(
        &self,
        jwt: &JwtSettings,
        header: Option<&str>,
    ) -> Result<Principal, ApiError> {
        self.authenticate_until(jwt, header).map(|(p, _)| p)
    }

    /// [`authenticate_until`], remembering what it verified.
    pub fn authenticate_until(
        &self,
        jwt: &JwtSettings,
        header: Option<&str>,
    ) -> Result<(Principal, i64), ApiError> {
        let token = header.and_then(|h| bearer(h).ok()).map(str::trim);
        if let Some(found) = token.and_then(|t| self.find(t, Utc::now().timestamp())) {
            return Ok(found);
        }
        let verified = authenticate_until(jwt, header)?;
        if let (Some(token), Ok(mut kept)) = (token, self.kept.lock()) {
            if kept.len() >= TOKENS {
                kept.clear();
            }
            kept.insert(token.to_string(), verified.clone());
        }
        Ok(verified)
    }

    /// The kept verification of `token`, unless it has expired by `now`.
    fn find(&self, token: &str, now: i64) -> Option<(Principal, i64)> {
        let mut kept = self.kept.lock().ok()?;
        let (principal, exp) = kept.get(token)?;
        // jsonwebtoken's own rule: expired when exp < now - leeway.
        let leeway = i64::try_from(LEEWAY_SECONDS).unwrap_or(0);
        if *exp < now.saturating_sub(leeway) {
            kept.remove(token);
            return None;
        }
        Some((principal.clone(), *exp))
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.kept.lock().map(|k| k.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use domain::values::Role;

    use super::*;
    use crate::auth::mint;
    use crate::auth::tests::jwt;

    #[test]
    fn a_kept_token_answers_as_verifying_it_does_and_only_its_exact_text() {
        let tokens = VerifiedTokens::default();
        let token = mint(&jwt(), "counsellor-7", Role::Counsellor, None, 600).expect("mints");
        let header = format!("Bearer {token}");
        let first = tokens.authenticate(&jwt(), Some(&header)).expect("valid");
        let again = tokens.authenticate(&jwt(), Some(&header)).expect("kept");
        assert_eq!(first, again);
        assert_eq!(first.subject, "counsellor-7");
        assert_eq!(tokens.len(), 1);
        // One character in the middle of the signature changed: not found
        // among the kept tokens, and refused by the verification.
        let mut forged: Vec<char> = token.chars().collect();
        let at = forged.len() - 10;
        forged[at] = if forged[at] == 'A' { 'B' } else { 'A' };
        let forged: String = forged.into_iter().collect();
        let refused = tokens.authenticate(&jwt(), Some(&format!("Bearer {forged}")));
        assert!(matches!(refused, Err(ApiError::Unauthenticated(_))));
        assert_eq!(tokens.len(), 1);
    }

    #[test]
    fn a_kept_token_past_its_expiry_is_dropped() {
        let tokens = VerifiedTokens::default();
        let token = mint(&jwt(), "counsellor-8", Role::Counsellor, None, 600).expect("mints");
        let (_, exp) = tokens
            .authenticate_until(&jwt(), Some(&format!("Bearer {token}")))
            .expect("valid");
        let leeway = i64::try_from(LEEWAY_SECONDS).unwrap_or(0);
        assert!(tokens.find(&token, exp + leeway).is_some());
        assert!(tokens.find(&token, exp + leeway + 1).is_none());
        assert!(tokens.find(&token, exp).is_none(), "dropped once expired");
    }

    #[test]
    fn refused_tokens_are_not_kept_and_the_bound_holds() {
        let tokens = VerifiedTokens::default();
        assert!(tokens
            .authenticate(&jwt(), Some("Bearer not.a.token"))
            .is_err());
        assert!(tokens.authenticate(&jwt(), None).is_err());
        assert_eq!(tokens.len(), 0);
        for i in 0..(TOKENS + 2) {
            let token = mint(&jwt(), &format!("c{i}"), Role::Counsellor, None, 600).expect("mints");
            tokens
                .authenticate(&jwt(), Some(&format!("Bearer {token}")))
                .expect("valid");
            assert!(tokens.len() <= TOKENS);
        }
        assert!(tokens.len() >= 1);
    }
}
