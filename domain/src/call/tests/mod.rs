//! The Call's rules, one given/when/then test per rule, one file per part of
//! the hotline's work on a call.

mod fixtures;

mod corrections;
mod counselling_sessions;
mod links_to_cases;
mod locations;
mod new_codes;
mod receiving;
