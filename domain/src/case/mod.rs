//! A Case: one trafficking situation, possibly several people, and everything
//! the hotline and the agencies did about it.

mod aggregate;
mod commands;
mod events;
mod rules;
#[cfg(test)]
mod tests;

pub use aggregate::{Case, Person, Referral, Rescue, SupportProvision, MAX_PERSONS};
pub use commands::{
    AttachCall, AttachPerson, CallRef, CaseCommand, CloseCase, Consent, ErasePerson, NewPerson,
    OpenCase, ProvideSupport, RecordRescue, ReopenCase, SendReferral, UpdateReferral,
};
pub use events::CaseEvent;
