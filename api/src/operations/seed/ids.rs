//! The demo's ids: UUID v5 of what each record is, so that seeding twice
//! names the same records and the second run is all replays.

use uuid::Uuid;

const NAMESPACE: Uuid = Uuid::from_u128(0x6361_7365_7472_6169_6c2d_6465_6d6f_0001);

pub(super) fn demo_id(kind: &str, i: usize) -> Uuid {
    Uuid::new_v5(&NAMESPACE, format!("{kind}-{i}").as_bytes())
}
