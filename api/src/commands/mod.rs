//! Running commands: parse the input once, seal personal data, then load,
//! decide and commit, retrying a lost optimistic-concurrency race against
//! fresh state a bounded number of times before answering CONFLICT.
//!
//! Commands on the same stream are also serialised inside this process
//! (striped locks), so concurrent requests to one case queue here instead of
//! burning retries; between processes the database's unique sequence is
//! the arbiter.

mod agencies;
pub mod agency_codes;
pub mod amendment_inputs;
mod calls;
mod cases;
mod casework;
pub mod casework_inputs;
pub mod committed;
mod corrections;
mod facts;
mod idempotency;
pub mod inputs;
pub mod lookups;
mod parse;
mod persons;
mod preview;
pub mod reads;
pub mod reference;
mod referrals;
mod retry;

pub use parse::required_text;

use cqrs_es::Aggregate;
use domain::clock::Clock;
use store::log::StreamRange;
use store::receipts::find_receipt;
use store::vault::Vault;
use store::{EventStore, Loaded, StoreError};
use tokio::sync::{Mutex, MutexGuard};
use uuid::Uuid;

pub use idempotency::Idempotency;

use crate::error::{ApiError, ApiResult};

/// How many times a command is tried against fresh state before CONFLICT.
pub const MAX_ATTEMPTS: u32 = 10;

const LOCK_STRIPES: usize = 1024;

/// Executes the hotline's commands.
pub struct CommandService {
    store: EventStore,
    vault: Vault,
    clock: Clock,
    locks: Vec<Mutex<()>>,
    /// The blind index's key (`lookups.rs`); `None` indexes nothing.
    lookup: Option<store::lookup::LookupKey>,
}

/// A command's result: the aggregate right after it (or after its first run, on a replay).
pub struct Done<A> {
    pub loaded: Loaded<A>,
    /// The entity the receipt named (e.g. the referral), for replays.
    pub result_id: Option<Uuid>,
}

impl CommandService {
    pub fn new(store: EventStore, vault: Vault, clock: Clock) -> Self {
        Self {
            // Snapshots decide commands, so they are verified with the vault's master keys.
            store: store.with_snapshot_keys(vault.master_keys()),
            vault,
            clock,
            locks: (0..LOCK_STRIPES).map(|_| Mutex::new(())).collect(),
            lookup: None,
        }
    }

    pub fn store(&self) -> &EventStore {
        &self.store
    }

    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// Locks the stripes of the given streams, always in the same order.
    async fn lock_streams(&self, ids: &[Uuid]) -> Vec<MutexGuard<'_, ()>> {
        let mut stripes: Vec<usize> = ids
            .iter()
            .map(|id| (id.as_u128() % LOCK_STRIPES as u128) as usize)
            .collect();
        stripes.sort_unstable();
        stripes.dedup();
        let mut guards = Vec::with_capacity(stripes.len());
        for i in stripes {
            if let Some(lock) = self.locks.get(i) {
                guards.push(lock.lock().await);
            }
        }
        guards
    }

    /// The first result of an already-committed keyed command, if there is one.
    async fn replay<A: Aggregate>(&self, key: Option<&Idempotency>) -> ApiResult<Option<Done<A>>> {
        let Some(key) = key else { return Ok(None) };
        let Some(receipt) = find_receipt(self.store.pool(), &key.caller, &key.key).await? else {
            return Ok(None);
        };
        if !key.matches(&receipt) || receipt.stream_type != A::TYPE {
            return Err(ApiError::Conflict(reused_key_message(&key.key)));
        }
        let id = Uuid::parse_str(&receipt.stream_id).map_err(|_| {
            StoreError::Corrupt("a receipt names a stream that is not a UUID".into())
        })?;
        let range = StreamRange {
            up_to_sequence: Some(receipt.last_sequence),
            ..StreamRange::default()
        };
        let (loaded, _) = self.store.load_range::<A>(id, range).await?;
        Ok(Some(Done {
            loaded,
            result_id: receipt.result_id,
        }))
    }

    /// A refusal, unless a twin of this keyed request (in another process)
    /// committed between our receipt check and our load: then its result.
    async fn refused<A: Aggregate>(
        &self,
        key: Option<&Idempotency>,
        refusal: ApiError,
    ) -> ApiResult<Done<A>> {
        match self.replay::<A>(key).await? {
            Some(done) => Ok(done),
            None => Err(refusal),
        }
    }

    /// Refuses, before anything is sealed, ids that already name something
    /// (`store::identity`); the commit remains the arbiter. `Some` is the
    /// first result of a twin of this keyed request that committed meanwhile.
    async fn refuse_taken_ids<A: Aggregate>(
        &self,
        key: Option<&Idempotency>,
        ids: &[(&'static str, Uuid)],
    ) -> ApiResult<Option<Done<A>>> {
        match store::identity::taken(self.store.pool(), ids).await? {
            None => Ok(None),
            Some((kind, id)) => {
                let taken = StoreError::IdTaken { kind, id }.into();
                self.refused(key, taken).await.map(Some)
            }
        }
    }
}

/// The kind of thing a mutation's `id` names, for mutations whose key is that id.
const KEYED_BY_ID: [(&str, &str); 8] = [
    ("receiveCall", "call"),
    ("recordCounsellingSession", "counselling session"),
    ("openCase", "case"),
    ("attachPerson", "person"),
    ("sendReferral", "referral"),
    ("recordRescue", "rescue"),
    ("provideSupport", "support"),
    ("addReferralFeedback", "referral feedback"),
];

/// A key reused with a different input. When the key is an id (a UUID,
/// never personal data) the message names its kind and the id, like a reuse
/// caught by `store::identity`; a client's free-form key is not echoed.
fn reused_key_message(scoped_key: &str) -> String {
    let named = scoped_key.split_once(':').and_then(|(mutation, rest)| {
        let kind = KEYED_BY_ID.iter().find(|(m, _)| *m == mutation)?.1;
        // attachPerson's key is "case:person".
        let id = Uuid::parse_str(rest.rsplit(':').next()?).ok()?;
        Some((kind, id))
    });
    match named {
        Some((kind, id)) => format!(
            "{kind} {id} is already recorded with a different input: an id names one thing, choose a new id"
        ),
        None => "this idempotency key was already used with a different input".into(),
    }
}
