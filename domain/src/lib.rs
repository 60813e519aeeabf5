//! casetrail's domain: what the hotline records and the rules that decide
//! whether it may.
//!
//! This crate does no I/O: no database, no network, no GraphQL. Time comes in
//! through the [`clock::Clock`] service, personal data arrives already sealed
//! ([`sealed::Sealed`]), and everything else is a value.

pub mod call;
pub mod case;
pub mod clock;
pub mod countries;
pub mod error;
pub mod lookup;
pub mod occurred;
pub mod reference;
pub mod reference_data;
pub mod sealed;
pub mod upcasters;
pub mod values;

pub use error::{DomainError, ErrorKind};
