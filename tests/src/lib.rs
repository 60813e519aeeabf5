//! Shared helpers of the end-to-end suites in `tests/`.

pub mod contract;
pub mod fixtures;
pub mod harness;
