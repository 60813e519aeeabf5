//! Where a call was, from each point of its stream on: a counselling
//! session counts in its call's region *as of the session* (the latest
//! `CallReceived` or `CallCorrected` before it), which is where a later
//! correction of the call finds it to move it (`corrections.rs`).

use std::collections::{BTreeMap, HashMap};

use domain::values::Region;
use uuid::Uuid;

/// Each call's region from each position of its stream on.
#[derive(Default)]
pub(super) struct CallRegions(HashMap<Uuid, BTreeMap<i64, Region>>);

impl CallRegions {
    /// The call's region from `position` on (a received or corrected call).
    pub(super) fn set(&mut self, call: Uuid, position: i64, region: Region) {
        self.0.entry(call).or_default().insert(position, region);
    }

    /// The call's region just before `position`.
    pub(super) fn at(&self, call: Uuid, position: i64) -> Option<Region> {
        self.0
            .get(&call)?
            .range(..position)
            .next_back()
            .map(|(_, region)| *region)
    }
}
