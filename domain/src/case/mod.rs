//! A Case: one trafficking situation, possibly several people, and everything
//! the hotline and the agencies did about it.

mod aggregate;
mod casework;
mod casework_values;
mod commands;
mod events;
mod rules;
#[cfg(test)]
mod tests;

pub use aggregate::{Case, Person, Referral, Rescue, SupportProvision, MAX_PERSONS};
pub use casework_values::{
    AssignCase, CompleteFollowUp, CreateFollowUp, FollowUp, Note, TakeCase, WriteNote,
    MAX_DUE_DAYS, MAX_FOLLOW_UPS, MAX_NOTES,
};
pub use commands::{
    AttachCall, AttachPerson, CallRef, CaseCommand, CloseCase, Consent, ErasePerson, NewPerson,
    OpenCase, ProvideSupport, RecordRescue, ReopenCase, SendReferral, UpdateReferral,
};
pub use events::CaseEvent;
