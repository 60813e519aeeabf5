//! The Case's state and how each event changes it. `apply` never refuses:
//! an event is a fact.

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::casework_state::{Feedback, HandOn, VictimDecision};
use super::casework_values::{FollowUp, Note};
use super::commands::CaseCommand;
use super::events::CaseEvent;
use crate::clock::Clock;
use crate::error::DomainError;
use crate::sealed::Sealed;
use crate::values::{
    Agency, AgencyClass, CaseStatus, ExploitationType, Gender, PersonRole, ReferralOutcome,
    ReferralStatus, Region, SupportService,
};

/// Most persons one case may hold; a larger situation is several cases.
pub const MAX_PERSONS: usize = 200;

/// A case as its events describe it. `id` is `None` until the case is opened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub id: Option<Uuid>,
    pub status: CaseStatus,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Start of the current open period: the opening, or the latest reopening.
    pub open_since: DateTime<Utc>,
    /// The latest business time recorded on the case.
    pub latest_at: DateTime<Utc>,
    pub region: Region,
    pub province: Option<String>,
    pub exploitation_types: Vec<ExploitationType>,
    pub call_ids: Vec<Uuid>,
    pub persons: Vec<Person>,
    pub referrals: Vec<Referral>,
    pub rescues: Vec<Rescue>,
    pub support: Vec<SupportProvision>,
    /// The country of exploitation, as last recorded.
    #[serde(default)]
    pub destination_country: Option<String>,
    /// The agencies' feedback notes, oldest first.
    #[serde(default)]
    pub feedback: Vec<Feedback>,
    /// The token subject of the counsellor who owns the case; `None`: unassigned.
    /// (Defaults: snapshots taken before casework existed hold none of these.)
    #[serde(default)]
    pub owner: Option<String>,
    /// When the current owner got the case (taken or assigned).
    #[serde(default)]
    pub owned_since: Option<DateTime<Utc>>,
    #[serde(default)]
    pub notes: Vec<Note>,
    #[serde(default)]
    pub follow_ups: Vec<FollowUp>,
}

impl Default for Case {
    fn default() -> Self {
        Self {
            id: None,
            status: CaseStatus::Open,
            opened_at: DateTime::<Utc>::MIN_UTC,
            closed_at: None,
            open_since: DateTime::<Utc>::MIN_UTC,
            latest_at: DateTime::<Utc>::MIN_UTC,
            region: Region::Unknown,
            province: None,
            exploitation_types: vec![],
            call_ids: vec![],
            persons: vec![],
            referrals: vec![],
            rescues: vec![],
            support: vec![],
            destination_country: None,
            feedback: vec![],
            owner: None,
            owned_since: None,
            notes: vec![],
            follow_ups: vec![],
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub person_id: Uuid,
    pub role: PersonRole,
    pub gender: Gender,
    pub birth_year: Option<u16>,
    pub full_name: Option<Sealed>,
    pub phone: Option<Sealed>,
    /// Whether the person's personal data was erased.
    #[serde(default)]
    pub erased: bool,
    /// ISO 3166-1 alpha-2, as last recorded.
    #[serde(default)]
    pub nationality: Option<String>,
    /// Sealed under the person's key (`PersonDetailsRecorded`).
    #[serde(default)]
    pub ethnicity: Option<Sealed>,
    #[serde(default)]
    pub victim_status: Option<VictimDecision>,
    /// Whether `full_name` / `phone` come from a `PersonCorrected` (their
    /// ciphertexts are bound to that event, not to `PersonAttached`).
    #[serde(default)]
    pub full_name_corrected: bool,
    #[serde(default)]
    pub phone_corrected: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Referral {
    pub referral_id: Uuid,
    /// Its holder: the agency it was sent to, or the last it was handed on to.
    pub agency: Agency,
    /// The holder's class when the holder is a code ADMIN added (as recorded).
    #[serde(default)]
    pub reports_as: Option<AgencyClass>,
    pub status: ReferralStatus,
    pub outcome: Option<ReferralOutcome>,
    pub referred_at: DateTime<Utc>,
    /// When the status last changed (the sending, at first).
    pub status_at: DateTime<Utc>,
    pub persons_at_risk: u16,
    pub persons_rescued: u32,
    pub consent_overridden: bool,
    /// Why it was sent (sealed). Required in the state's shape, so that a
    /// snapshot taken before it was kept is discarded, not read as "no reason".
    pub reason: ReferralReason,
    /// Its holders before the current one, in order.
    #[serde(default)]
    pub chain: Vec<HandOn>,
}

impl Referral {
    /// The contract value its holder reports as.
    pub fn class(&self) -> AgencyClass {
        self.agency.class(self.reports_as)
    }

    /// The contract value `agency`, its holder now or before, reported as
    /// while it held the referral (as recorded).
    pub fn class_of(&self, agency: Agency) -> AgencyClass {
        let recorded = if agency == self.agency {
            self.reports_as
        } else {
            self.chain.iter().find_map(|h| match h {
                h if h.to == agency => h.to_reports_as,
                h if h.from == agency => h.from_reports_as,
                _ => None,
            })
        };
        agency.class(recorded)
    }
}

/// A referral's reason as sent (see `Referral::reason`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReferralReason(pub Option<Sealed>);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rescue {
    pub rescue_id: Uuid,
    pub referral_id: Uuid,
    pub rescued_at: DateTime<Utc>,
    pub persons_rescued: u16,
    pub region: Region,
    pub province: Option<String>,
    pub country: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SupportProvision {
    pub provision_id: Uuid,
    pub person_id: Option<Uuid>,
    pub service: SupportService,
    pub provided_at: DateTime<Utc>,
}

impl Aggregate for Case {
    const TYPE: &'static str = "Case";
    type Command = CaseCommand;
    type Event = CaseEvent;
    type Error = DomainError;
    type Services = Clock;

    async fn handle(
        &mut self,
        command: CaseCommand,
        clock: &Clock,
        sink: &EventSink<Self>,
    ) -> Result<(), DomainError> {
        for event in self.decide(command, clock)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: CaseEvent) {
        match event {
            CaseEvent::CaseOpened {
                case_id,
                opened_at,
                from_call_id,
                region,
                province,
                exploitation_types,
            } => {
                self.id = Some(case_id);
                self.status = CaseStatus::Open;
                self.opened_at = opened_at;
                self.open_since = opened_at;
                self.region = region;
                self.province = province;
                self.exploitation_types = exploitation_types;
                self.call_ids.extend(from_call_id);
                self.touch(opened_at);
            }
            CaseEvent::PersonAttached {
                person_id,
                role,
                gender,
                birth_year,
                full_name,
                phone,
            } => self.persons.push(Person {
                person_id,
                role,
                gender,
                birth_year,
                full_name,
                phone,
                erased: false,
                nationality: None,
                ethnicity: None,
                victim_status: None,
                full_name_corrected: false,
                phone_corrected: false,
            }),
            CaseEvent::CallAttached { call_id } => {
                if !self.call_ids.contains(&call_id) {
                    self.call_ids.push(call_id)
                }
            }
            CaseEvent::ReferralSent {
                referral_id,
                agency,
                reports_as,
                referred_at,
                persons_at_risk,
                consent_given,
                reason,
                ..
            } => {
                self.referrals.push(Referral {
                    referral_id,
                    agency,
                    reports_as,
                    status: ReferralStatus::Sent,
                    outcome: None,
                    referred_at,
                    status_at: referred_at,
                    persons_at_risk,
                    persons_rescued: 0,
                    consent_overridden: !consent_given,
                    reason: ReferralReason(reason),
                    chain: vec![],
                });
                self.touch(referred_at);
            }
            CaseEvent::ReferralStatusChanged {
                referral_id,
                to,
                at,
                outcome,
                ..
            } => {
                if let Some(referral) = self.referral_mut(referral_id) {
                    referral.status = to;
                    referral.status_at = at;
                    referral.outcome = outcome;
                }
                self.touch(at);
            }
            CaseEvent::RescueRecorded {
                rescue_id,
                referral_id,
                rescued_at,
                persons_rescued,
                region,
                province,
                country,
            } => {
                if let Some(referral) = self.referral_mut(referral_id) {
                    referral.persons_rescued += u32::from(persons_rescued);
                }
                self.rescues.push(Rescue {
                    rescue_id,
                    referral_id,
                    rescued_at,
                    persons_rescued,
                    region,
                    province,
                    country,
                });
                self.touch(rescued_at);
            }
            CaseEvent::SupportProvided {
                provision_id,
                person_id,
                service,
                provided_at,
            } => {
                self.support.push(SupportProvision {
                    provision_id,
                    person_id,
                    service,
                    provided_at,
                });
                self.touch(provided_at);
            }
            CaseEvent::CaseClosed { closed_at, .. } => {
                self.status = CaseStatus::Closed;
                self.closed_at = Some(closed_at);
                self.touch(closed_at);
            }
            CaseEvent::CaseReopened { reopened_at, .. } => {
                self.status = CaseStatus::Open;
                self.closed_at = None;
                self.open_since = reopened_at;
                self.touch(reopened_at);
            }
            CaseEvent::PersonErased { person_id, .. } => {
                if let Some(person) = self.persons.iter_mut().find(|p| p.person_id == person_id) {
                    person.erased = true;
                }
            }
            casework @ (CaseEvent::CaseTaken { .. }
            | CaseEvent::CaseAssigned { .. }
            | CaseEvent::CaseNoteWritten { .. }
            | CaseEvent::FollowUpCreated { .. }
            | CaseEvent::FollowUpCompleted { .. }) => self.apply_casework(casework),
            later => self.apply_amendments(later),
        }
    }
}

impl Case {
    pub fn referral(&self, referral_id: Uuid) -> Option<&Referral> {
        self.referrals.iter().find(|r| r.referral_id == referral_id)
    }

    pub fn rescue(&self, rescue_id: Uuid) -> Option<&Rescue> {
        self.rescues.iter().find(|r| r.rescue_id == rescue_id)
    }

    pub fn person(&self, person_id: Uuid) -> Option<&Person> {
        self.persons.iter().find(|p| p.person_id == person_id)
    }

    /// Persons rescued across all referrals of the case.
    pub fn persons_rescued(&self) -> u32 {
        self.rescues
            .iter()
            .map(|r| u32::from(r.persons_rescued))
            .sum()
    }

    pub(super) fn referral_mut(&mut self, referral_id: Uuid) -> Option<&mut Referral> {
        self.referrals
            .iter_mut()
            .find(|r| r.referral_id == referral_id)
    }

    pub(super) fn touch(&mut self, at: DateTime<Utc>) {
        if at > self.latest_at {
            self.latest_at = at;
        }
    }

    /// The opened case, or the refusal for acting on one that does not exist.
    pub(super) fn require_open(&self, case_id: Uuid) -> Result<(), DomainError> {
        match self.id {
            None => Err(DomainError::CaseNotFound(case_id)),
            Some(_) if self.status == CaseStatus::Closed => Err(DomainError::CaseClosed(case_id)),
            Some(_) => Ok(()),
        }
    }
}
