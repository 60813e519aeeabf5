//! The person vault: personal data sealed under a per-subject data key,
//! itself wrapped by the master key. Erasing a subject destroys its key, so
//! every sealed copy (in events, which never change) becomes unreadable.
//!
//! Cipher: AES-256-GCM, 96-bit random nonces. The associated data binds a
//! sealed value to where it belongs (stream, event type, field), so a
//! ciphertext copied elsewhere does not open; it is typed ([`Binding`],
//! `binding.rs`), and no AAD is spelled anywhere else.
//!
//! Data keys are the server's: `data_keys` is keyed by (subject kind, subject
//! id), so a client-chosen person id that equals a call's or a case's id
//! still gets its own key (`keys.rs`). A data key this process cannot unwrap
//! (a master key it does not hold) makes that subject's values read as
//! [`Opened::Unavailable`], logged and counted; the other values of the same
//! read open normally.

mod binding;
mod keys;
pub mod rotation;

pub use binding::Binding;

pub use keys::{KeyId, MasterKey, MasterKeys, Subject, SubjectKind, Unreadable};

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use domain::sealed::Sealed;
use rand::RngCore;
use sqlx::PgPool;
use uuid::Uuid;

use crate::error::StoreError;

/// What a sealed value reads as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Opened {
    Plain(String),
    /// The subject's key was destroyed.
    Erased,
    /// The value exists but cannot be opened here: its data key is under a
    /// master key this process does not hold, or the stored bytes are damaged.
    /// Logged and counted (`casetrail_vault_unreadable_total`).
    Unavailable,
}

/// A `data_keys` row: kind, subject id, wrapped key (none once erased), master key id.
type KeyRow = (String, Uuid, Option<Vec<u8>>, Option<Vec<u8>>);

/// The data keys of some subjects, each looked up by its own key (a
/// lateral sub-select, never a join the planner may turn into a scan of
/// every key: `crate::plans`).
pub(crate) const KEYS_OF: &str =
    "SELECT k.subject_kind, k.subject_id, k.wrapped_key, k.master_key_id \
     FROM unnest($1::text[], $2::uuid[]) AS w(kind, id) \
     JOIN LATERAL ( \
       SELECT * FROM data_keys k \
       WHERE k.subject_kind = w.kind AND k.subject_id = w.id LIMIT 1) k ON true";

/// Which of some persons' keys are erased, each looked up by its key (an
/// `= ANY` over the table is a whole-table scan in a plan made while it
/// was empty: `crate::plans`).
pub(crate) const ERASED: &str = "SELECT k.subject_id FROM unnest($1::uuid[]) AS w(id) \
     JOIN LATERAL ( \
       SELECT k.subject_id FROM data_keys k \
       WHERE k.subject_kind = 'person' AND k.subject_id = w.id AND k.erased_at IS NOT NULL \
       LIMIT 1) k ON true";

static UNREADABLE_KEYS: AtomicU64 = AtomicU64::new(0);
static UNREADABLE_VALUES: AtomicU64 = AtomicU64::new(0);

/// Data keys and sealed values this process could not open, since start.
pub fn unreadable_counts() -> (u64, u64) {
    (
        UNREADABLE_KEYS.load(Ordering::Relaxed),
        UNREADABLE_VALUES.load(Ordering::Relaxed),
    )
}

/// Seals and opens personal data.
#[derive(Clone, Debug)]
pub struct Vault {
    keys: MasterKeys,
}

impl Vault {
    /// A vault holding one master key.
    pub fn new(master_key: [u8; 32]) -> Self {
        Self {
            keys: MasterKeys {
                current: MasterKey::new(master_key),
                previous: None,
            },
        }
    }

    /// Also holds the previous master key, for a rotation: keys it wrapped still open.
    pub fn with_previous(mut self, previous: Option<[u8; 32]>) -> Self {
        self.keys.previous = previous.map(MasterKey::new);
        self
    }

    pub fn master_keys(&self) -> &MasterKeys {
        &self.keys
    }

    /// Seals `plaintext` under `subject`'s data key (created on first use).
    #[tracing::instrument(skip(self, pool, plaintext))]
    pub async fn seal(
        &self,
        pool: &PgPool,
        subject: Subject,
        binding: &Binding,
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
                    aad: binding.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Vault("encryption failed"))?;
        Ok(Sealed {
            key_id: subject.id,
            nonce: B64.encode(nonce),
            ciphertext: B64.encode(ciphertext),
        })
    }

    /// Opens sealed values; each comes with the kind of subject whose key
    /// sealed it and the associated data it was sealed with. A value that
    /// cannot be opened reads as `Unavailable`; it never fails the others.
    #[tracing::instrument(skip_all, fields(values = items.len()))]
    pub async fn open_many(
        &self,
        pool: &PgPool,
        items: &[(&Sealed, SubjectKind, Binding)],
    ) -> Result<Vec<Opened>, StoreError> {
        let mut wanted: Vec<Subject> = items
            .iter()
            .map(|(s, kind, _)| Subject {
                kind: *kind,
                id: s.key_id,
            })
            .collect();
        wanted.sort();
        wanted.dedup();
        let kinds: Vec<&str> = wanted.iter().map(|s| s.kind.as_str()).collect();
        let ids: Vec<Uuid> = wanted.iter().map(|s| s.id).collect();
        let rows: Vec<KeyRow> = sqlx::query_as(KEYS_OF)
            .bind(&kinds)
            .bind(&ids)
            .fetch_all(pool)
            .await?;
        let mut keys: HashMap<Subject, Result<[u8; 32], ()>> = HashMap::new();
        for (kind, id, wrapped, key_id) in rows {
            let subject = Subject {
                kind: SubjectKind::parse(&kind)?,
                id,
            };
            if let Some(wrapped) = wrapped {
                let key = self.unwrap_logged(subject, &wrapped, key_id.as_deref());
                keys.insert(subject, key.map_err(|_| ()));
            }
        }
        Ok(items
            .iter()
            .map(|(sealed, kind, binding)| {
                let subject = Subject {
                    kind: *kind,
                    id: sealed.key_id,
                };
                match keys.get(&subject) {
                    Some(Ok(key)) => match open_one(key, sealed, binding) {
                        Ok(text) => Opened::Plain(text),
                        Err(_) => {
                            UNREADABLE_VALUES.fetch_add(1, Ordering::Relaxed);
                            tracing::error!(
                                subject.kind = kind.as_str(),
                                subject.id = %sealed.key_id,
                                "a sealed value does not open under its subject's data key"
                            );
                            Opened::Unavailable
                        }
                    },
                    Some(Err(())) => Opened::Unavailable,
                    // No live key: erased, or it never existed here (restored
                    // from elsewhere); either way nothing can be read.
                    None => Opened::Erased,
                }
            })
            .collect())
    }

    /// Destroys a person's data key, leaving a tombstone so that the erasure
    /// itself is known (and no key is ever created for them again). A key
    /// that, before migration 0006, the same id shared with a call or a case
    /// is destroyed under every kind: it was one key. Returns whether this
    /// call did the erasing.
    #[tracing::instrument(skip(self, pool))]
    pub async fn erase(&self, pool: &PgPool, person: Uuid) -> Result<bool, StoreError> {
        let mut tx = crate::transaction::begin(pool).await?;
        let erased_now: Option<bool> = sqlx::query_scalar(
            "INSERT INTO data_keys (subject_kind, subject_id, wrapped_key, master_key_id, erased_at) \
             VALUES ('person', $1, NULL, NULL, now()) \
             ON CONFLICT (subject_kind, subject_id) DO UPDATE \
             SET wrapped_key = NULL, master_key_id = NULL, erased_at = now() \
             WHERE data_keys.erased_at IS NULL \
             RETURNING true",
        )
        .bind(person)
        .fetch_optional(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE data_keys SET wrapped_key = NULL, master_key_id = NULL, erased_at = now() \
             WHERE subject_id = $1 AND shared_legacy AND erased_at IS NULL \
               AND EXISTS (SELECT 1 FROM data_keys p \
                           WHERE p.subject_kind = 'person' AND p.subject_id = $1 AND p.shared_legacy)",
        )
        .bind(person)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(erased_now.unwrap_or(false))
    }

    /// Which of these persons have had their personal data erased.
    pub async fn erased_persons(
        &self,
        pool: &PgPool,
        persons: &[Uuid],
    ) -> Result<Vec<Uuid>, StoreError> {
        if persons.is_empty() {
            return Ok(vec![]);
        }
        // Looked up one by one: each person once.
        let mut persons = persons.to_vec();
        persons.sort_unstable();
        persons.dedup();
        Ok(sqlx::query_scalar(ERASED)
            .bind(persons)
            .fetch_all(pool)
            .await?)
    }

    /// The subject's data key, creating it on first use; `None` once erased.
    async fn data_key(
        &self,
        pool: &PgPool,
        subject: Subject,
    ) -> Result<Option<[u8; 32]>, StoreError> {
        let mut fresh = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut fresh);
        let (wrapped, key_id) = self.keys.wrap(subject, &fresh)?;
        let created = sqlx::query(
            "INSERT INTO data_keys (subject_kind, subject_id, wrapped_key, master_key_id) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(subject.kind.as_str())
        .bind(subject.id)
        .bind(wrapped)
        .bind(key_id.as_slice())
        .execute(pool)
        .await?;
        // Ours: use it as is. Reading it back could find it already re-wrapped
        // by a rotation, under a key a server not yet restarted does not hold.
        if created.rows_affected() == 1 {
            return Ok(Some(fresh));
        }
        let (wrapped, key_id): (Option<Vec<u8>>, Option<Vec<u8>>) = sqlx::query_as(
            "SELECT wrapped_key, master_key_id FROM data_keys \
             WHERE subject_kind = $1 AND subject_id = $2",
        )
        .bind(subject.kind.as_str())
        .bind(subject.id)
        .fetch_one(pool)
        .await?;
        let Some(wrapped) = wrapped else {
            return Ok(None);
        };
        match self.unwrap_logged(subject, &wrapped, key_id.as_deref()) {
            Ok(key) => Ok(Some(key)),
            Err(Unreadable::UnknownMasterKey) => Err(StoreError::Vault(
                "a data key is wrapped by a master key this server does not hold",
            )),
            Err(Unreadable::Damaged) => Err(StoreError::Vault("a wrapped data key is damaged")),
        }
    }

    /// Unwraps a data key; a failure is logged (ids only) and counted.
    fn unwrap_logged(
        &self,
        subject: Subject,
        wrapped: &[u8],
        key_id: Option<&[u8]>,
    ) -> Result<[u8; 32], Unreadable> {
        self.keys.unwrap(subject, wrapped, key_id).inspect_err(|why| {
            UNREADABLE_KEYS.fetch_add(1, Ordering::Relaxed);
            tracing::error!(
                subject.kind = subject.kind.as_str(),
                subject.id = %subject.id,
                master_key_id = key_id.map(hex::encode).unwrap_or_else(|| "none".into()),
                reason = why.as_str(),
                "a data key cannot be unwrapped; its subject's personal data reads as unavailable"
            );
        })
    }
}

fn open_one(key: &[u8; 32], sealed: &Sealed, binding: &Binding) -> Result<String, StoreError> {
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
                aad: binding.as_bytes(),
            },
        )
        .map_err(|_| StoreError::Vault("a sealed value does not open where it is"))?;
    String::from_utf8(plain).map_err(|_| StoreError::Vault("a sealed value is not text"))
}
