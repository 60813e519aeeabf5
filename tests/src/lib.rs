//! Shared helpers of the end-to-end suites in `tests/`.

pub mod audit;
pub mod browser;
pub mod bundles;
pub mod casework;
pub mod contract;
pub mod docs;
pub mod evidence;
pub mod fixtures;
pub mod harness;
pub mod independent;
pub mod live;
pub mod process;
pub mod replica_server;
pub mod replication;
pub mod scratch;
pub mod statistics;
pub mod synthetic;
pub mod waiting;
