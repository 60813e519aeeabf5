//! Committed aggregate state kept in memory, so that a command on a long
//! stream neither decodes a snapshot nor folds events it has already seen.
//!
//! An entry is never trusted as kept: it names the version (last sequence)
//! it folds and the chain hash of that event, and `EventStore::load` reads
//! the stream *from* that event in its one round trip. The entry is used
//! only if that event is still there with that hash; events after it
//! (written by another process) are folded on top. Anything else (a missing
//! event, another hash) drops the entry and the state is loaded from the
//! snapshot and the events as if there were no cache.
//!
//! Entries are written only after a commit PostgreSQL acknowledged (or after
//! a load, with the hash it read); a commit that failed, or whose outcome is
//! unknown (the connection broke), removes the streams' entries. An entry of
//! version 0 is a stream id this process has just minted
//! ([`StateCache::mint`]): nothing can be stored under it yet, so its first
//! command loads nothing; the events' primary key still refuses a second
//! sequence 1 if that were ever wrong.
//!
//! A state is shared, not copied (`Loaded::state` is an `Arc`): a load
//! hands out the cached state itself, a commit puts the command's state in
//! as it is, and a read copies nothing. A command about to be committed
//! borrows the state from the cache (`EventStore::decide`, [`StateCache::lend`]:
//! the entry keeps its version and hash) and changes it in place; `decide`
//! copies it (copy on write) only where something else still shares it.
//!
//! Two generations bound the memory: new and used entries go to the young
//! one; when it is full it becomes the old one and the previous old one is
//! dropped. So what was used within the last [`GENERATION`] entries stays,
//! whatever the order of a `HashMap`, at O(1) per operation.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use uuid::Uuid;

/// Entries per generation; at most twice this many are kept. A state is a
/// few kilobytes at worst (a long case: some hundreds), so this bounds the
/// cache to some tens of MB.
const GENERATION: usize = 5_000;

/// One stream's committed state.
#[derive(Clone)]
pub(crate) struct Entry {
    /// The stream's type (`Aggregate::TYPE`): a UUID names one stream per type.
    pub kind: &'static str,
    pub version: i64,
    pub hash: [u8; 32],
    /// The aggregate's state (`A`), or `None` for a minted, still empty stream.
    pub state: Option<Arc<dyn Any + Send + Sync>>,
}

#[derive(Default)]
struct Generations {
    young: HashMap<Uuid, Entry>,
    old: HashMap<Uuid, Entry>,
}

impl Generations {
    fn insert(&mut self, id: Uuid, entry: Entry) {
        if self.young.len() >= GENERATION && !self.young.contains_key(&id) {
            self.old = std::mem::take(&mut self.young);
        }
        self.old.remove(&id);
        self.young.insert(id, entry);
    }
}

#[derive(Default)]
pub(crate) struct StateCache {
    entries: Mutex<Generations>,
}

impl StateCache {
    pub fn get(&self, kind: &str, id: Uuid) -> Option<Entry> {
        let mut entries = self.entries.lock().ok()?;
        if let Some(entry) = entries.young.get(&id) {
            return Some(entry.clone()).filter(|e| e.kind == kind);
        }
        // Used again: it moves to the young generation.
        let entry = entries.old.remove(&id)?;
        entries.insert(id, entry.clone());
        Some(entry).filter(|e| e.kind == kind)
    }

    /// Keeps `entry` unless a newer one of the same stream is already there.
    pub fn put(&self, id: Uuid, entry: Entry) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        let newer = entries
            .young
            .get(&id)
            .or_else(|| entries.old.get(&id))
            .is_some_and(|old| old.kind == entry.kind && old.version > entry.version);
        if !newer {
            entries.insert(id, entry);
        }
    }

    /// Drops whatever is kept under this id.
    pub fn forget(&self, id: &str) {
        let Ok(id) = Uuid::parse_str(id) else { return };
        if let Ok(mut entries) = self.entries.lock() {
            entries.young.remove(&id);
            entries.old.remove(&id);
        }
    }

    /// A new stream id whose first load needs no round trip.
    pub fn mint(&self, kind: &'static str) -> Uuid {
        let id = Uuid::now_v7();
        self.put(
            id,
            Entry {
                kind,
                version: 0,
                hash: crate::hash::GENESIS,
                state: None,
            },
        );
        id
    }

    /// Lends a cached state to the command about to change it: the entry
    /// keeps its version and hash (the commit still finds its head here)
    /// but lets go of the state, so that the command changes the state in
    /// place instead of copying it, a copy that grows with the stream. Only
    /// if the entry holds exactly this state (`state` is its address). The
    /// commit puts the new state back; a command that is refused or fails
    /// leaves the stream to be loaded afresh (snapshot and events) next time.
    pub fn lend(&self, kind: &str, id: Uuid, version: i64, state: *const ()) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        let entries = &mut *entries;
        let held = entries.young.get_mut(&id);
        let held = match held {
            Some(entry) => Some(entry),
            None => entries.old.get_mut(&id),
        };
        if let Some(entry) = held {
            let same = entry.kind == kind
                && entry.version == version
                && entry
                    .state
                    .as_ref()
                    .is_some_and(|held| Arc::as_ptr(held).cast::<()>() == state);
            if same {
                entry.state = None;
            }
        }
    }

    /// The hash of a stream's event `version`, if the cache holds exactly that head.
    pub fn head(&self, kind: &str, id: &str, version: i64) -> Option<[u8; 32]> {
        let id = Uuid::parse_str(id).ok()?;
        self.get(kind, id)
            .filter(|e| e.version == version)
            .map(|e| e.hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: &'static str, version: i64) -> Entry {
        Entry {
            kind,
            version,
            hash: [version as u8; 32],
            state: None,
        }
    }

    #[test]
    fn a_newer_entry_is_never_replaced_by_an_older_one() {
        let cache = StateCache::default();
        let id = Uuid::now_v7();
        cache.put(id, entry("Case", 5));
        cache.put(id, entry("Case", 4));
        assert_eq!(cache.get("Case", id).map(|e| e.version), Some(5));
        assert!(cache.get("Call", id).is_none(), "another type is a miss");
        assert_eq!(cache.head("Case", &id.to_string(), 5), Some([5; 32]));
        assert_eq!(cache.head("Case", &id.to_string(), 4), None);
        cache.forget(&id.to_string());
        assert!(cache.get("Case", id).is_none());
    }

    #[test]
    fn a_lent_state_leaves_the_cache_but_its_head_stays() {
        let cache = StateCache::default();
        let id = Uuid::now_v7();
        let state: Arc<Vec<u32>> = Arc::new(vec![1, 2, 3]);
        let shared: Arc<dyn Any + Send + Sync> = state.clone();
        cache.put(
            id,
            Entry {
                kind: "Case",
                version: 7,
                hash: [7; 32],
                state: Some(shared),
            },
        );
        let address = Arc::as_ptr(&state).cast::<()>();
        // Another state, another version or another type: nothing is lent.
        let other = Arc::new(vec![1, 2, 3]);
        cache.lend("Case", id, 7, Arc::as_ptr(&other).cast::<()>());
        cache.lend("Case", id, 6, address);
        cache.lend("Call", id, 7, address);
        assert_eq!(Arc::strong_count(&state), 2);
        cache.lend("Case", id, 7, address);
        assert_eq!(Arc::strong_count(&state), 1, "the command holds it alone");
        let entry = cache
            .get("Case", id)
            .map(|e| (e.version, e.state.is_none()));
        assert_eq!(entry, Some((7, true)));
        assert_eq!(cache.head("Case", &id.to_string(), 7), Some([7; 32]));
    }

    #[test]
    fn what_was_used_within_a_generation_stays_and_the_rest_goes() {
        let cache = StateCache::default();
        let kept = Uuid::now_v7();
        cache.put(kept, entry("Case", 1));
        let first_filler = Uuid::now_v7();
        cache.put(first_filler, entry("Call", 1));
        for _ in 0..GENERATION {
            // `kept` is used all along; the first filler never again.
            assert!(cache.get("Case", kept).is_some());
            cache.put(Uuid::now_v7(), entry("Call", 1));
        }
        for _ in 0..GENERATION {
            cache.put(Uuid::now_v7(), entry("Call", 1));
            assert!(cache.get("Case", kept).is_some());
        }
        assert!(cache.get("Call", first_filler).is_none());
        let held = cache.entries.lock().map(|e| e.young.len() + e.old.len());
        assert!(held.is_ok_and(|n| n <= 2 * GENERATION));
    }
}
