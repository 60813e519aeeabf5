//! Master keys and the wrapping of data keys.
//!
//! A server holds the current master key and, during a rotation, the
//! previous one. Each is known by a key id: the first 8 bytes of
//! `SHA-256("casetrail-master-key-id-v1" ‖ key)`, which names a key without
//! revealing it. Every wrapped data key records the id of the master key that
//! wrapped it, so a server unwraps with whichever key matches and always
//! wraps new data keys with the current one.
//!
//! A wrapped data key is `nonce(12) ‖ AES-256-GCM(master, data key)` with the
//! associated data `casetrail-data-key-v2/<kind>/<subject id>` (`binding.rs`): a wrapped key
//! copied to another subject, or to another kind of subject, does not open.
//! Keys wrapped before migration 0006 have no key id and were bound to the
//! subject id alone; they are tried under every held master key and move to
//! the current format at the next `rotate-master-key`.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::binding::Binding;
use crate::error::StoreError;

/// What a data key belongs to. A client-chosen person id equal to a call's or
/// a case's id is still another subject: keys are looked up by kind and id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SubjectKind {
    /// A person's name and phone.
    Person,
    /// A call's counselling notes.
    Call,
    /// A case's free-text reasons.
    Case,
}

impl SubjectKind {
    /// The `data_keys.subject_kind` value.
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Person => "person",
            SubjectKind::Call => "call",
            SubjectKind::Case => "case",
        }
    }

    pub(crate) fn parse(value: &str) -> Result<Self, StoreError> {
        match value {
            "person" => Ok(SubjectKind::Person),
            "call" => Ok(SubjectKind::Call),
            "case" => Ok(SubjectKind::Case),
            _ => Err(StoreError::Corrupt(
                "a data key has an unknown subject kind".into(),
            )),
        }
    }
}

/// The subject whose data key seals a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subject {
    pub kind: SubjectKind,
    pub id: Uuid,
}

impl Subject {
    pub fn person(id: Uuid) -> Self {
        Self {
            kind: SubjectKind::Person,
            id,
        }
    }
    pub fn call(id: Uuid) -> Self {
        Self {
            kind: SubjectKind::Call,
            id,
        }
    }
    pub fn case(id: Uuid) -> Self {
        Self {
            kind: SubjectKind::Case,
            id,
        }
    }
}

/// Names a master key without revealing it.
pub type KeyId = [u8; 8];

/// One master key and its id.
#[derive(Clone)]
pub struct MasterKey {
    id: KeyId,
    key: Key<Aes256Gcm>,
    raw: [u8; 32],
}

impl MasterKey {
    pub fn new(raw: [u8; 32]) -> Self {
        let digest = Sha256::new()
            .chain_update(b"casetrail-master-key-id-v1")
            .chain_update(raw)
            .finalize();
        let mut id = [0u8; 8];
        id.copy_from_slice(&digest[..8]);
        Self {
            id,
            key: raw.into(),
            raw,
        }
    }

    pub fn id(&self) -> KeyId {
        self.id
    }

    /// A key for another purpose, derived so that it reveals nothing of this one.
    pub fn derive(&self, label: &[u8]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.raw)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(label);
        mac.finalize().into_bytes().into()
    }
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey({})", hex::encode(self.id))
    }
}

/// The master keys a process holds: the current one wraps, both unwrap.
#[derive(Clone, Debug)]
pub struct MasterKeys {
    pub current: MasterKey,
    pub previous: Option<MasterKey>,
}

impl MasterKeys {
    fn by_id(&self, id: &[u8]) -> Option<&MasterKey> {
        self.all().find(|k| k.id.as_slice() == id)
    }

    /// Current first.
    pub fn all(&self) -> impl Iterator<Item = &MasterKey> {
        std::iter::once(&self.current).chain(self.previous.as_ref())
    }

    /// Wraps a data key under the current master key; returns it with that key's id.
    pub fn wrap(
        &self,
        subject: Subject,
        data_key: &[u8; 32],
    ) -> Result<(Vec<u8>, KeyId), StoreError> {
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = Aes256Gcm::new(&self.current.key)
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: data_key,
                    aad: wrap_aad(subject).as_bytes(),
                },
            )
            .map_err(|_| StoreError::Vault("key wrapping failed"))?;
        Ok(([nonce.as_slice(), &sealed].concat(), self.current.id))
    }

    /// Unwraps a data key with the master key named by `key_id` (any held key
    /// for a key wrapped before key ids existed).
    pub fn unwrap(
        &self,
        subject: Subject,
        wrapped: &[u8],
        key_id: Option<&[u8]>,
    ) -> Result<[u8; 32], Unreadable> {
        match key_id {
            Some(id) => {
                let master = self.by_id(id).ok_or(Unreadable::UnknownMasterKey)?;
                open_wrapped(master, wrapped, wrap_aad(subject).as_bytes())
            }
            None => self
                .all()
                .find_map(|m| open_wrapped(m, wrapped, subject.id.as_bytes()).ok())
                .ok_or(Unreadable::UnknownMasterKey),
        }
    }
}

/// Why a data key could not be unwrapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unreadable {
    /// Wrapped by a master key this process does not hold.
    UnknownMasterKey,
    /// The stored bytes do not open under the key they name: damaged or tampered.
    Damaged,
}

impl Unreadable {
    pub fn as_str(self) -> &'static str {
        match self {
            Unreadable::UnknownMasterKey => "unknown_master_key",
            Unreadable::Damaged => "damaged",
        }
    }
}

fn wrap_aad(subject: Subject) -> Binding {
    Binding::data_key(subject.kind.as_str(), subject.id)
}

fn open_wrapped(master: &MasterKey, wrapped: &[u8], aad: &[u8]) -> Result<[u8; 32], Unreadable> {
    if wrapped.len() < 12 {
        return Err(Unreadable::Damaged);
    }
    let (nonce, sealed) = wrapped.split_at(12);
    let key = Aes256Gcm::new(&master.key)
        .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad })
        .map_err(|_| Unreadable::Damaged)?;
    key.try_into().map_err(|_| Unreadable::Damaged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(current: u8, previous: Option<u8>) -> MasterKeys {
        MasterKeys {
            current: MasterKey::new([current; 32]),
            previous: previous.map(|p| MasterKey::new([p; 32])),
        }
    }

    #[test]
    fn a_key_wrapped_under_the_previous_master_key_opens_with_its_id_and_new_keys_use_the_current()
    {
        let old = keys(1, None);
        let both = keys(2, Some(1));
        let subject = Subject::person(Uuid::new_v4());
        let (wrapped, id) = old.wrap(subject, &[9; 32]).expect("wraps");
        assert_eq!(id, MasterKey::new([1; 32]).id());
        assert_eq!(both.unwrap(subject, &wrapped, Some(&id)), Ok([9; 32]));
        assert_eq!(
            both.wrap(subject, &[9; 32]).expect("wraps").1,
            both.current.id()
        );
        assert_eq!(
            keys(2, None).unwrap(subject, &wrapped, Some(&id)),
            Err(Unreadable::UnknownMasterKey)
        );
    }

    #[test]
    fn a_wrapped_key_does_not_open_for_another_kind_of_subject_with_the_same_id() {
        let k = keys(3, None);
        let id = Uuid::new_v4();
        let (wrapped, key_id) = k.wrap(Subject::case(id), &[5; 32]).expect("wraps");
        assert_eq!(
            k.unwrap(Subject::person(id), &wrapped, Some(&key_id)),
            Err(Unreadable::Damaged)
        );
    }

    #[test]
    fn key_ids_differ_per_key_and_do_not_contain_the_key() {
        let a = MasterKey::new([7; 32]);
        let b = MasterKey::new([8; 32]);
        assert_ne!(a.id(), b.id());
        assert!(!a.id().iter().all(|&x| x == 7));
    }
}
