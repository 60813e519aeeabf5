//! Why the domain refused a command.
//!
//! Every refusal names its rule and carries only identifiers and codes, never
//! personal data, so that it can be shown to a client and written to a log as
//! it is. [`DomainError::kind`] maps a refusal to the API's error code family.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// The family of a refusal; the API maps each to one contract error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input itself is malformed or out of bounds (BAD_USER_INPUT).
    InvalidInput,
    /// A rule of the case or call refused it in its current state (INVALID_STATE).
    InvalidState,
    /// The thing acted on does not exist (NOT_FOUND).
    NotFound,
    /// The actor's role may not do this (FORBIDDEN).
    Forbidden,
    /// It clashes with something already recorded (CONFLICT).
    Conflict,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("{field} must be between {min} and {max}")]
    OutOfRange {
        field: &'static str,
        min: i64,
        max: i64,
    },
    #[error("unknown {kind} code '{code}'")]
    UnknownCode { kind: &'static str, code: String },
    #[error("country must be an ISO 3166-1 alpha-2 code")]
    InvalidCountry,
    #[error("a country is only recorded for the OVERSEAS region")]
    CountryWithoutOverseas,
    #[error("province '{province}' is not in the reference data")]
    UnknownProvince { province: String },
    #[error("province '{province}' was merged into '{successor}' on {since}; use '{successor}'")]
    ProvinceMerged {
        province: String,
        successor: String,
        since: String,
    },
    #[error("province '{province}' did not exist yet on that date (from {since})")]
    ProvinceNotYetValid { province: String, since: String },
    #[error("{kind} '{code}' is not in force on {day} in the reference data")]
    NotInForce {
        kind: &'static str,
        code: String,
        day: String,
    },
    #[error("province '{province}' lies in region {derived}, not {given}")]
    RegionMismatch {
        province: String,
        derived: String,
        given: String,
    },
    /// A code ADMIN added came with a contract value that is not its class.
    #[error("{field} '{code}' reports as {class}, not {given}: give {class} with it")]
    CodeReportsAs {
        field: &'static str,
        code: String,
        class: String,
        given: String,
    },
    #[error("give a region or a province (UNKNOWN when the caller did not say)")]
    LocationMissing,
    #[error("at least one topic is required")]
    TopicsRequired,
    #[error("{field} is in the future")]
    InFuture { field: &'static str },
    #[error("{field} ({at}) is before {follows} ({earlier})")]
    BeforePrevious {
        field: &'static str,
        at: DateTime<Utc>,
        follows: &'static str,
        earlier: DateTime<Utc>,
    },
    #[error("{field} is before 2000-01-01, outside the hotline's records")]
    TooOld { field: &'static str },
    #[error("birth year is after the current year")]
    BirthYearInFuture,
    #[error("call {0} was already received")]
    CallAlreadyReceived(Uuid),
    #[error("call {0} does not exist")]
    CallNotFound(Uuid),
    #[error("counselling session {0} already exists")]
    SessionExists(Uuid),
    #[error("case {0} was already opened")]
    CaseAlreadyOpened(Uuid),
    #[error("case {0} does not exist")]
    CaseNotFound(Uuid),
    #[error("case {0} is closed: reopen it first")]
    CaseClosed(Uuid),
    #[error("case {0} is already open")]
    CaseAlreadyOpen(Uuid),
    #[error("person {0} is already attached to this case")]
    PersonExists(Uuid),
    #[error("person {0} is not attached to this case")]
    PersonNotFound(Uuid),
    #[error("a case holds at most {0} persons")]
    TooManyPersons(usize),
    #[error("a referral needs the person's consent or a supervisor's override with a reason")]
    ConsentRequired,
    #[error("only a SUPERVISOR may override consent")]
    OverrideNeedsSupervisor,
    #[error("an override reason is only given when consent is not")]
    OverrideWithConsent,
    #[error("referral {0} already exists")]
    ReferralExists(Uuid),
    #[error("referral {0} is not part of this case")]
    ReferralNotFound(Uuid),
    #[error("a referral cannot move from {from} to {to}")]
    IllegalTransition {
        from: &'static str,
        to: &'static str,
    },
    #[error("an outcome is required when a referral is COMPLETED")]
    OutcomeRequired,
    #[error("an outcome is only given when a referral is COMPLETED")]
    OutcomeWithoutCompletion,
    #[error("referral {referral} is {status}: no rescue can be recorded on it")]
    ReferralRefusesRescue {
        referral: Uuid,
        status: &'static str,
    },
    #[error("rescue {0} already exists")]
    RescueExists(Uuid),
    #[error("support provision {0} already exists")]
    SupportExists(Uuid),
    #[error("a reason is required")]
    ReasonRequired,
    #[error("'{0}' is not an assigned ISO 3166-1 alpha-2 country code")]
    UnassignedCountry(String),
    #[error("the correction changes nothing: every value given is already recorded")]
    NothingToCorrect,
    #[error("case {0} is closed: only a SUPERVISOR may correct it")]
    ClosedCaseNeedsSupervisor(Uuid),
    #[error("referral {referral} is {status}: it can no longer be handed on or answered")]
    ReferralNotOpen {
        referral: Uuid,
        status: &'static str,
    },
    #[error("referral {0} is already held by that agency")]
    HandOnToHolder(Uuid),
    #[error("referral {0} is held by another agency now")]
    ReferralHeldElsewhere(Uuid),
    #[error("feedback {0} already exists")]
    FeedbackExists(Uuid),
    #[error(
        "the counselling sessions of this call start before {0}: receivedAt cannot move after them"
    )]
    ReceivedAfterSessions(DateTime<Utc>),
    #[error("person {0} was erased: their personal data cannot be recorded again")]
    PersonIsErased(Uuid),
    #[error("case {0} already has an owner: a supervisor assigns it, or its owner transfers it")]
    CaseAlreadyOwned(Uuid),
    #[error("case {0} is not yours: only its owner or a SUPERVISOR may do this")]
    NotCaseOwner(Uuid),
    #[error("case note {0} already exists")]
    NoteExists(Uuid),
    #[error("a case holds at most {0} notes")]
    TooManyNotes(usize),
    #[error("follow-up {0} already exists")]
    FollowUpExists(Uuid),
    #[error("follow-up {0} is not part of this case")]
    FollowUpNotFound(Uuid),
    #[error("a case holds at most {0} follow-ups")]
    TooManyFollowUps(usize),
    #[error("follow-up {0} is neither yours nor on a case you own")]
    NotYourFollowUp(Uuid),
    #[error("dueAt is more than {0} days after the follow-up is created")]
    DueTooLate(i64),
    #[error(
        "call {0} is on a case, whose opening follows it: its receivedAt can only move earlier"
    )]
    ReceivedLaterThanItsCase(Uuid),
    /// A reference data change that the rules refuse (the message says which rule).
    #[error("reference data change refused: {0}")]
    InvalidReferenceChange(String),
}

impl DomainError {
    pub fn kind(&self) -> ErrorKind {
        use DomainError::*;
        match self {
            OutOfRange { .. }
            | UnknownCode { .. }
            | InvalidCountry
            | CountryWithoutOverseas
            | UnknownProvince { .. }
            | ProvinceMerged { .. }
            | ProvinceNotYetValid { .. }
            | NotInForce { .. }
            | CodeReportsAs { .. }
            | RegionMismatch { .. }
            | LocationMissing
            | TopicsRequired
            | InFuture { .. }
            | TooOld { .. }
            | BirthYearInFuture
            | OverrideWithConsent
            | OutcomeRequired
            | OutcomeWithoutCompletion
            | ReasonRequired
            | UnassignedCountry(_)
            | NothingToCorrect
            | HandOnToHolder(_)
            | DueTooLate(_)
            | InvalidReferenceChange(_) => ErrorKind::InvalidInput,
            BeforePrevious { .. }
            | CaseClosed(_)
            | CaseAlreadyOpen(_)
            | TooManyPersons(_)
            | ConsentRequired
            | IllegalTransition { .. }
            | ReferralRefusesRescue { .. }
            | ReferralNotOpen { .. }
            | ReceivedAfterSessions(_)
            | PersonIsErased(_)
            | ReceivedLaterThanItsCase(_)
            | CaseAlreadyOwned(_)
            | TooManyNotes(_)
            | TooManyFollowUps(_) => ErrorKind::InvalidState,
            CallNotFound(_) | CaseNotFound(_) | PersonNotFound(_) | ReferralNotFound(_)
            | FollowUpNotFound(_) => ErrorKind::NotFound,
            OverrideNeedsSupervisor
            | ClosedCaseNeedsSupervisor(_)
            | ReferralHeldElsewhere(_)
            | NotCaseOwner(_)
            | NotYourFollowUp(_) => ErrorKind::Forbidden,
            CallAlreadyReceived(_)
            | SessionExists(_)
            | CaseAlreadyOpened(_)
            | PersonExists(_)
            | ReferralExists(_)
            | RescueExists(_)
            | SupportExists(_)
            | FeedbackExists(_)
            | NoteExists(_)
            | FollowUpExists(_) => ErrorKind::Conflict,
        }
    }
}
