//! A Case: one trafficking situation, possibly several people, and everything
//! the hotline and the agencies did about it.

mod agencies;
mod aggregate;
mod amendments;
mod casework;
mod casework_commands;
mod casework_state;
mod casework_values;
mod commands;
mod corrections;
mod events;
mod facts;
mod rules;
#[cfg(test)]
mod tests;

pub use agencies::MAX_FEEDBACK;
pub use aggregate::{
    Case, Person, Referral, ReferralReason, Rescue, SupportProvision, MAX_PERSONS,
};
pub use casework_commands::{
    AddReferralFeedback, CorrectPerson, DecideVictimStatus, HandOnReferral, RecordDestination,
    RecordPersonDetails,
};
pub use casework_state::{Feedback, HandOn, VictimDecision};
pub use casework_values::{
    AssignCase, CompleteFollowUp, CreateFollowUp, FollowUp, Note, TakeCase, WriteNote,
    MAX_DUE_DAYS, MAX_FOLLOW_UPS, MAX_NOTES,
};
pub use commands::{
    AttachCall, AttachPerson, CallRef, CaseCommand, CloseCase, Consent, ErasePerson, NewPerson,
    OpenCase, ProvideSupport, RecordRescue, ReopenCase, SendReferral, UpdateReferral,
};
pub use events::CaseEvent;
