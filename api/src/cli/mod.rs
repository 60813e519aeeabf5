//! Operator commands of the `casetrail` binary beyond serving, each a clap
//! `Args` struct and an async function that `main.rs` dispatches to.

pub mod integrity;
pub mod keys;
pub mod operations;
