//! The projections' statements that look rows of the log up by key, for
//! the plan test beside the store's (`store::plans`, which says why none
//! may be a join or an `= ANY` over a growing table).

use store::plans::KeyLookup;

/// Every statement of the projections that looks events up by key.
pub fn key_lookups() -> Vec<KeyLookup> {
    vec![KeyLookup {
        name: "projection look-up (feed::look_up)".into(),
        sql: crate::feed::look_up::sql(),
        // On a projector's session.
        sorts: false,
    }]
}
