//! The Case's rules, one given/when/then test per rule, one file per part of
//! the hotline's work on a case; and a property test over random command
//! sequences (`properties`, drawing from `random_steps`).

mod fixtures;

mod agencies;
mod bounded_values;
mod calls_and_persons;
mod casework;
mod casework_steps;
mod closing;
mod corrections;
mod erasure;
mod facts;
mod new_codes;
mod opening;
mod properties;
mod random_steps;
mod referral_status;
mod referrals;
mod rescues;
mod support;
