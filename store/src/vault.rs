//! The person vault: personal data sealed under a per-subject data key,
//! itself wrapped by the master key. Erasing a subject destroys its key, so
//! every sealed copy (in events, which never change) becomes unreadable.
//!
//! Cipher: AES-256-GCM, 96-bit random nonces. The associated data binds a
//! sealed value to where it belongs (stream, event type, field), so a
//! ciphertext copied elsewhere does not open.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use domain::sealed::Sealed;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use sqlx::PgPool;
use uuid::Uuid;

use crate::error::StoreError;

/// What a sealed value reads as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Opened {
    Plain(String),
    /// The subject's key was destroyed.
    Erased,
}

/// Seals and opens personal data.
#[derive(Clone)]
pub struct Vault {
    master: Key<Aes256Gcm>,
    fingerprint_key: [u8; 32],
}

impl Vault {
    pub fn new(master_key: [u8; 32]) -> Self {
        // A separate key for fingerprints, so that they reveal nothing about the master key.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&master_key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(b"casetrail request fingerprint");
        Self {
            master: master_key.into(),
            fingerprint_key: mac.finalize().into_bytes().into(),
        }
    }

    /// A keyed hash of some bytes: equal inputs match, but the hash of a phone
    /// number cannot be brute-forced without the master key.
    pub fn fingerprint(&self, parts: &[&[u8]]) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.fingerprint_key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().to_vec()
    }

    /// Seals `plaintext` under `subject`'s data key (created on first use).
    #[tracing::instrument(skip(self, pool, plaintext))]
    pub async fn seal(
        &self,
        pool: &PgPool,
        subject: Uuid,
        aad: &str,
        plaintext: &str,
    ) -> Result<Sealed, StoreError> {
        let key = match self.data_key(pool, subject).await? {
            Some(key) => key,
            None => return Err(StoreError::Vault("the subject's personal data was erased")),
        };
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ciphertext = Aes256Gcm::new(&key.into())
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Vault("encryption failed"))?;
        Ok(Sealed {
            key_id: subject,
            nonce: B64.encode(nonce),
            ciphertext: B64.encode(ciphertext),
        })
    }

    /// Opens sealed values; each comes with the associated data it was sealed with.
    #[tracing::instrument(skip_all, fields(values = items.len()))]
    pub async fn open_many(
        &self,
        pool: &PgPool,
        items: &[(&Sealed, String)],
    ) -> Result<Vec<Opened>, StoreError> {
        let mut subjects: Vec<Uuid> = items.iter().map(|(s, _)| s.key_id).collect();
        subjects.sort();
        subjects.dedup();
        let rows: Vec<(Uuid, Option<Vec<u8>>)> = sqlx::query_as(
            "SELECT subject_id, wrapped_key FROM data_keys WHERE subject_id = ANY($1)",
        )
        .bind(&subjects)
        .fetch_all(pool)
        .await?;
        let mut keys = std::collections::HashMap::new();
        for (subject, wrapped) in rows {
            let key = match wrapped {
                Some(w) => Some(self.unwrap_key(subject, &w)?),
                None => None,
            };
            keys.insert(subject, key);
        }
        items
            .iter()
            .map(|(sealed, aad)| match keys.get(&sealed.key_id) {
                Some(Some(key)) => open_one(key, sealed, aad).map(Opened::Plain),
                // No row at all: the key never existed here (restored from elsewhere) or was
                // erased by deletion; either way nothing can be read.
                Some(None) | None => Ok(Opened::Erased),
            })
            .collect()
    }

    /// Destroys `subject`'s data key, leaving a tombstone so that the
    /// erasure itself is known (and no key is ever created for it again).
    /// Returns whether this call did the erasing.
    #[tracing::instrument(skip(self, pool))]
    pub async fn erase(&self, pool: &PgPool, subject: Uuid) -> Result<bool, StoreError> {
        let erased_now: Option<bool> = sqlx::query_scalar(
            "INSERT INTO data_keys (subject_id, wrapped_key, erased_at) VALUES ($1, NULL, now()) \
             ON CONFLICT (subject_id) DO UPDATE SET wrapped_key = NULL, erased_at = now() \
             WHERE data_keys.erased_at IS NULL \
             RETURNING true",
        )
        .bind(subject)
        .fetch_optional(pool)
        .await?;
        Ok(erased_now.unwrap_or(false))
    }

    /// The subject's data key, creating it on first use; `None` once erased.
    async fn data_key(&self, pool: &PgPool, subject: Uuid) -> Result<Option<[u8; 32]>, StoreError> {
        let mut fresh = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut fresh);
        sqlx::query("INSERT INTO data_keys (subject_id, wrapped_key) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(subject)
            .bind(self.wrap_key(subject, &fresh)?)
            .execute(pool)
            .await?;
        let wrapped: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT wrapped_key FROM data_keys WHERE subject_id = $1")
                .bind(subject)
                .fetch_one(pool)
                .await?;
        wrapped.map(|w| self.unwrap_key(subject, &w)).transpose()
    }

    fn wrap_key(&self, subject: Uuid, key: &[u8; 32]) -> Result<Vec<u8>, StoreError> {
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = Aes256Gcm::new(&self.master)
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: key,
                    aad: subject.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Vault("key wrapping failed"))?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    fn unwrap_key(&self, subject: Uuid, wrapped: &[u8]) -> Result<[u8; 32], StoreError> {
        if wrapped.len() < 12 {
            return Err(StoreError::Vault("a wrapped data key is malformed"));
        }
        let (nonce, sealed) = wrapped.split_at(12);
        let key = Aes256Gcm::new(&self.master)
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: subject.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Vault("a data key does not open with this master key"))?;
        key.try_into()
            .map_err(|_| StoreError::Vault("a data key has the wrong length"))
    }
}

fn open_one(key: &[u8; 32], sealed: &Sealed, aad: &str) -> Result<String, StoreError> {
    let nonce = B64
        .decode(&sealed.nonce)
        .map_err(|_| StoreError::Vault("a sealed value is malformed"))?;
    let ciphertext = B64
        .decode(&sealed.ciphertext)
        .map_err(|_| StoreError::Vault("a sealed value is malformed"))?;
    if nonce.len() != 12 {
        return Err(StoreError::Vault("a sealed value is malformed"));
    }
    let plain = Aes256Gcm::new(key.into())
        .decrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: &ciphertext,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| StoreError::Vault("a sealed value does not open where it is"))?;
    String::from_utf8(plain).map_err(|_| StoreError::Vault("a sealed value is not text"))
}

impl Vault {
    /// Which of these subjects have had their personal data erased.
    pub async fn erased_subjects(
        &self,
        pool: &PgPool,
        subjects: &[Uuid],
    ) -> Result<Vec<Uuid>, StoreError> {
        if subjects.is_empty() {
            return Ok(vec![]);
        }
        Ok(sqlx::query_scalar(
            "SELECT subject_id FROM data_keys WHERE subject_id = ANY($1) AND erased_at IS NOT NULL",
        )
        .bind(subjects)
        .fetch_all(pool)
        .await?)
    }
}

impl Vault {
    /// Re-wraps every live data key from `self` (the old master key) to
    /// `new`, in one transaction: either all keys move or none. Personal
    /// data itself is never decrypted or rewritten (events never change).
    /// Returns how many keys were re-wrapped.
    #[tracing::instrument(skip_all)]
    pub async fn rotate_master_key(&self, pool: &PgPool, new: &Vault) -> Result<u64, StoreError> {
        let mut tx = pool.begin().await?;
        let rows: Vec<(Uuid, Vec<u8>)> = sqlx::query_as(
            "SELECT subject_id, wrapped_key FROM data_keys WHERE wrapped_key IS NOT NULL FOR UPDATE",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut rewrapped = 0;
        for (subject, wrapped) in rows {
            let key = self.unwrap_key(subject, &wrapped)?;
            sqlx::query("UPDATE data_keys SET wrapped_key = $2 WHERE subject_id = $1")
                .bind(subject)
                .bind(new.wrap_key(subject, &key)?)
                .execute(&mut *tx)
                .await?;
            rewrapped += 1;
        }
        tx.commit().await?;
        Ok(rewrapped)
    }
}
