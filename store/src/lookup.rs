//! The blind index of persons' phone numbers and full names (issue 13).
//!
//! A lookup must find a person by an exact phone or name although neither
//! is ever stored in clear. The index holds, per person, an HMAC-SHA256 of
//! each normalised value (`domain::lookup`) under the lookup key, a key of
//! its own (`CASETRAIL_LOOKUP_KEY`): never the master key, so that the
//! index cannot be used to test guesses by anyone holding only the vault's
//! key material, and rotating one leaves the other alone. Without the
//! lookup key the digests say nothing (a bare hash of a phone number could
//! be reversed by trying every number).
//!
//! `digest = HMAC-SHA256(key, "casetrail-lookup-v1" ‖ 0x00 ‖ kind ‖ 0x00 ‖ value)`;
//! each row names the key it was made with (8 bytes of
//! `SHA-256("casetrail-lookup-key-id-v1" ‖ key)`), so that a re-index under
//! a new key can run while servers still look up under the old one.
//!
//! Rows are written when a person is sealed, before the command commits (as
//! the vault's keys are): a row whose person was never committed is never
//! answered, since lookups keep only persons recorded in `entity_ids`.
//! Erasing a person deletes their rows.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::error::StoreError;

/// What a digest is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LookupKind {
    Phone,
    FullName,
}

impl LookupKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LookupKind::Phone => "phone",
            LookupKind::FullName => "full_name",
        }
    }
}

/// The key of the blind index.
#[derive(Clone)]
pub struct LookupKey {
    key: [u8; 32],
    id: [u8; 8],
}

impl std::fmt::Debug for LookupKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LookupKey({})", hex::encode(self.id))
    }
}

impl LookupKey {
    pub fn new(key: [u8; 32]) -> Self {
        let mut hash = Sha256::new();
        hash.update(b"casetrail-lookup-key-id-v1");
        hash.update(key);
        let mut id = [0u8; 8];
        id.copy_from_slice(&hash.finalize()[..8]);
        Self { key, id }
    }

    /// Names the key without revealing it.
    pub fn id(&self) -> [u8; 8] {
        self.id
    }

    /// The digest of an already normalised value.
    pub fn digest(&self, kind: LookupKind, normalised: &str) -> Vec<u8> {
        // Any length of key is accepted by HMAC: this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"casetrail-lookup-v1\0");
        mac.update(kind.as_str().as_bytes());
        mac.update(b"\0");
        mac.update(normalised.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

/// One person's normalised values, to index.
#[derive(Clone, Debug)]
pub struct Indexed<'a> {
    pub case_id: Uuid,
    pub person_id: Uuid,
    pub values: Vec<(LookupKind, &'a str)>,
}

/// Writes a person's index rows (again is harmless).
pub async fn index(
    conn: &mut PgConnection,
    key: &LookupKey,
    person: &Indexed<'_>,
) -> Result<(), StoreError> {
    if person.values.is_empty() {
        return Ok(());
    }
    let kinds: Vec<&str> = person.values.iter().map(|(k, _)| k.as_str()).collect();
    let digests: Vec<Vec<u8>> = person
        .values
        .iter()
        .map(|(k, v)| key.digest(*k, v))
        .collect();
    sqlx::query(
        "INSERT INTO person_lookup (key_id, kind, digest, person_id, case_id) \
         SELECT $1, k, d, $4, $5 FROM UNNEST($2::text[], $3::bytea[]) AS u(k, d) \
         ON CONFLICT DO NOTHING",
    )
    .bind(key.id().as_slice())
    .bind(kinds)
    .bind(digests)
    .bind(person.person_id)
    .bind(person.case_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A person found, and the case they are on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Found {
    pub case_id: Uuid,
    pub person_id: Uuid,
}

/// The persons under one digest, oldest first: each person's introduction
/// is looked up by its key (a lateral sub-select, never a join the planner
/// may turn into a scan of every id: `crate::plans`).
pub(crate) const FIND: &str = "SELECT l.case_id, l.person_id FROM person_lookup l \
     JOIN LATERAL ( \
       SELECT e.recorded_at FROM entity_ids e \
       WHERE e.kind = 'person' AND e.id = l.person_id LIMIT 1) e ON true \
     WHERE l.key_id = $1 AND l.kind = $2 AND l.digest = $3 \
     ORDER BY e.recorded_at, l.person_id LIMIT $4";

/// The recorded persons whose value of `kind` is `normalised`, oldest first.
pub async fn find(
    pool: &PgPool,
    key: &LookupKey,
    kind: LookupKind,
    normalised: &str,
    limit: i64,
) -> Result<Vec<Found>, StoreError> {
    Ok(sqlx::query_as(FIND)
        .bind(key.id().as_slice())
        .bind(kind.as_str())
        .bind(key.digest(kind, normalised))
        .bind(limit)
        .fetch_all(pool)
        .await?)
}

/// Deletes a person's rows under every key (erasure).
pub async fn forget(pool: &PgPool, person_id: Uuid) -> Result<u64, StoreError> {
    Ok(
        sqlx::query("DELETE FROM person_lookup WHERE person_id = $1")
            .bind(person_id)
            .execute(pool)
            .await?
            .rows_affected(),
    )
}

/// Deletes every row not made with `key` (the end of a re-index).
pub async fn forget_other_keys(pool: &PgPool, key: &LookupKey) -> Result<u64, StoreError> {
    Ok(sqlx::query("DELETE FROM person_lookup WHERE key_id <> $1")
        .bind(key.id().as_slice())
        .execute(pool)
        .await?
        .rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_depend_on_key_kind_and_value() {
        let a = LookupKey::new([1; 32]);
        let b = LookupKey::new([2; 32]);
        let d = a.digest(LookupKind::Phone, "+84912345678");
        assert_eq!(d.len(), 32);
        assert_eq!(d, a.digest(LookupKind::Phone, "+84912345678"));
        assert_ne!(d, b.digest(LookupKind::Phone, "+84912345678"));
        assert_ne!(d, a.digest(LookupKind::FullName, "+84912345678"));
        assert_ne!(d, a.digest(LookupKind::Phone, "+84912345679"));
        assert_ne!(a.id(), b.id());
    }

    #[test]
    fn the_debug_form_shows_the_id_not_the_key() {
        let text = format!("{:?}", LookupKey::new([0xab; 32]));
        assert!(!text.contains("abababab"), "{text}");
    }
}
