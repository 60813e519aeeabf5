//! The Case's rules: `decide` turns a command into events or refuses it.
//! Nothing here changes the case; `apply` does, from the events.

use chrono::Datelike;

use super::aggregate::{Case, MAX_PERSONS};
use super::commands::{
    AttachCall, AttachPerson, CaseCommand, CloseCase, Consent, ErasePerson, NewPerson, OpenCase,
    ProvideSupport, RecordRescue, ReopenCase, SendReferral, UpdateReferral,
};
use super::events::CaseEvent;
use crate::clock::{check_follows, Clock};
use crate::error::DomainError;
use crate::reference::location::resolve_location;
use crate::values::{normalised, CaseStatus, ReferralStatus, Region, Role};

impl Case {
    /// Decides what a command records, without changing the case.
    pub fn decide(
        &self,
        command: CaseCommand,
        clock: &Clock,
    ) -> Result<Vec<CaseEvent>, DomainError> {
        match command {
            CaseCommand::Open(cmd) => self.open(cmd, clock),
            CaseCommand::Reopen(cmd) => self.reopen(cmd, clock),
            // Erasure is a legal duty, not casework: it applies to closed cases too.
            CaseCommand::ErasePerson(cmd) => self.erase_person(cmd),
            // A closed case takes corrections, from a SUPERVISOR only.
            CaseCommand::CorrectPerson(cmd) => self.correct_person(cmd, clock.now().year()),
            other => {
                self.require_open(other.case_id())?;
                match other {
                    CaseCommand::AttachCall(cmd) => self.attach_call(cmd),
                    CaseCommand::AttachPerson(cmd) => self.attach_person(cmd, clock),
                    CaseCommand::SendReferral(cmd) => self.send_referral(cmd, clock),
                    CaseCommand::UpdateReferral(cmd) => self.update_referral(cmd, clock),
                    CaseCommand::RecordRescue(cmd) => self.record_rescue(cmd, clock),
                    CaseCommand::ProvideSupport(cmd) => self.provide_support(cmd, clock),
                    CaseCommand::Close(cmd) => self.close(cmd, clock),
                    CaseCommand::RecordPersonDetails(cmd) => self.record_person_details(cmd),
                    CaseCommand::RecordDestination(cmd) => self.record_destination(cmd),
                    CaseCommand::DecideVictimStatus(cmd) => self.decide_victim_status(cmd, clock),
                    CaseCommand::AddReferralFeedback(cmd) => self.add_referral_feedback(cmd, clock),
                    CaseCommand::HandOnReferral(cmd) => self.hand_on_referral(cmd, clock),
                    CaseCommand::Take(cmd) => self.take(cmd, clock),
                    CaseCommand::Assign(cmd) => self.assign(cmd, clock),
                    CaseCommand::WriteNote(cmd) => self.write_note(cmd, clock),
                    CaseCommand::CreateFollowUp(cmd) => self.create_follow_up(cmd, clock),
                    CaseCommand::CompleteFollowUp(cmd) => self.complete_follow_up(cmd, clock),
                    CaseCommand::Open(_)
                    | CaseCommand::Reopen(_)
                    | CaseCommand::ErasePerson(_)
                    | CaseCommand::CorrectPerson(_) => Ok(vec![]),
                }
            }
        }
    }

    fn open(&self, cmd: OpenCase, clock: &Clock) -> Result<Vec<CaseEvent>, DomainError> {
        if self.id.is_some() {
            return Err(DomainError::CaseAlreadyOpened(cmd.case_id));
        }
        clock.check_not_future("openedAt", cmd.opened_at)?;
        if let Some(call) = &cmd.from_call {
            check_follows(
                "openedAt",
                cmd.opened_at,
                "the call's receivedAt",
                call.received_at,
            )?;
        }
        let fallback = cmd.from_call.as_ref().map_or(Region::Unknown, |c| c.region);
        let location = resolve_location(
            cmd.region,
            cmd.province.as_deref(),
            None,
            cmd.opened_at,
            Some(fallback),
            clock.book(),
        )?;
        if cmd.persons.len() > MAX_PERSONS {
            return Err(DomainError::TooManyPersons(MAX_PERSONS));
        }
        let mut events = vec![CaseEvent::CaseOpened {
            case_id: cmd.case_id,
            opened_at: cmd.opened_at,
            from_call_id: cmd.from_call.map(|c| c.call_id),
            region: location.region,
            province: location.province,
            exploitation_types: normalised(&cmd.exploitation_types),
        }];
        let mut seen = Vec::with_capacity(cmd.persons.len());
        for person in cmd.persons {
            if seen.contains(&person.person_id) {
                return Err(DomainError::PersonExists(person.person_id));
            }
            seen.push(person.person_id);
            events.push(person_attached(person, clock)?);
        }
        Ok(events)
    }

    fn attach_call(&self, cmd: AttachCall) -> Result<Vec<CaseEvent>, DomainError> {
        if self.call_ids.contains(&cmd.call.call_id) {
            return Ok(vec![]);
        }
        Ok(vec![CaseEvent::CallAttached {
            call_id: cmd.call.call_id,
        }])
    }

    fn attach_person(
        &self,
        cmd: AttachPerson,
        clock: &Clock,
    ) -> Result<Vec<CaseEvent>, DomainError> {
        if self.person(cmd.person.person_id).is_some() {
            return Err(DomainError::PersonExists(cmd.person.person_id));
        }
        if self.persons.len() >= MAX_PERSONS {
            return Err(DomainError::TooManyPersons(MAX_PERSONS));
        }
        Ok(vec![person_attached(cmd.person, clock)?])
    }

    fn send_referral(
        &self,
        cmd: SendReferral,
        clock: &Clock,
    ) -> Result<Vec<CaseEvent>, DomainError> {
        if self.referral(cmd.referral_id).is_some() {
            return Err(DomainError::ReferralExists(cmd.referral_id));
        }
        let (consent_given, override_reason) = match cmd.consent {
            Consent::Given => (true, None),
            Consent::Missing => return Err(DomainError::ConsentRequired),
            Consent::Overridden { .. } if cmd.requested_by != Role::Supervisor => {
                return Err(DomainError::OverrideNeedsSupervisor)
            }
            Consent::Overridden { reason } => (false, Some(reason)),
        };
        clock.check_not_future("referredAt", cmd.referred_at)?;
        self.check_in_open_period("referredAt", cmd.referred_at)?;
        let reports_as = clock.book().recorded_class(cmd.agency, cmd.referred_at)?;
        Ok(vec![CaseEvent::ReferralSent {
            referral_id: cmd.referral_id,
            agency: cmd.agency,
            reports_as,
            referred_at: cmd.referred_at,
            persons_at_risk: cmd.persons_at_risk.get(),
            consent_given,
            override_reason,
            reason: cmd.reason,
        }])
    }

    fn update_referral(
        &self,
        cmd: UpdateReferral,
        clock: &Clock,
    ) -> Result<Vec<CaseEvent>, DomainError> {
        let referral = self
            .referral(cmd.referral_id)
            .ok_or(DomainError::ReferralNotFound(cmd.referral_id))?;
        match (cmd.status, cmd.outcome) {
            (ReferralStatus::Completed, None) => return Err(DomainError::OutcomeRequired),
            (status, Some(_)) if status != ReferralStatus::Completed => {
                return Err(DomainError::OutcomeWithoutCompletion)
            }
            _ => {}
        }
        if !referral.status.can_move_to(cmd.status) {
            return Err(DomainError::IllegalTransition {
                from: referral.status.as_str(),
                to: cmd.status.as_str(),
            });
        }
        clock.check_not_future("at", cmd.at)?;
        check_follows(
            "at",
            cmd.at,
            "the referral's last status change",
            referral.status_at,
        )?;
        // A referral cannot end before a rescue already recorded on it.
        let last_rescue = self
            .rescues
            .iter()
            .filter(|r| r.referral_id == cmd.referral_id)
            .map(|r| r.rescued_at)
            .max();
        if let Some(rescued_at) = last_rescue {
            check_follows(
                "at",
                cmd.at,
                "a rescue recorded on the referral",
                rescued_at,
            )?;
        }
        self.check_in_open_period("at", cmd.at)?;
        Ok(vec![CaseEvent::ReferralStatusChanged {
            referral_id: cmd.referral_id,
            from: referral.status,
            to: cmd.status,
            at: cmd.at,
            outcome: cmd.outcome,
        }])
    }

    fn record_rescue(
        &self,
        cmd: RecordRescue,
        clock: &Clock,
    ) -> Result<Vec<CaseEvent>, DomainError> {
        if self.rescue(cmd.rescue_id).is_some() {
            return Err(DomainError::RescueExists(cmd.rescue_id));
        }
        let referral = self
            .referral(cmd.referral_id)
            .ok_or(DomainError::ReferralNotFound(cmd.referral_id))?;
        if !referral.status.accepts_rescues() {
            return Err(DomainError::ReferralRefusesRescue {
                referral: cmd.referral_id,
                status: referral.status.as_str(),
            });
        }
        clock.check_not_future("rescuedAt", cmd.rescued_at)?;
        check_follows(
            "rescuedAt",
            cmd.rescued_at,
            "the referral's referredAt",
            referral.referred_at,
        )?;
        self.check_in_open_period("rescuedAt", cmd.rescued_at)?;
        let location = resolve_location(
            cmd.region,
            cmd.province.as_deref(),
            cmd.country.as_ref(),
            cmd.rescued_at,
            Some(self.region),
            clock.book(),
        )?;
        Ok(vec![CaseEvent::RescueRecorded {
            rescue_id: cmd.rescue_id,
            referral_id: cmd.referral_id,
            rescued_at: cmd.rescued_at,
            persons_rescued: cmd.persons_rescued.get(),
            region: location.region,
            province: location.province,
            country: location.country,
        }])
    }

    fn provide_support(
        &self,
        cmd: ProvideSupport,
        clock: &Clock,
    ) -> Result<Vec<CaseEvent>, DomainError> {
        if self
            .support
            .iter()
            .any(|s| s.provision_id == cmd.provision_id)
        {
            return Err(DomainError::SupportExists(cmd.provision_id));
        }
        if let Some(person_id) = cmd.person_id {
            self.person(person_id)
                .ok_or(DomainError::PersonNotFound(person_id))?;
        }
        clock.check_not_future("providedAt", cmd.provided_at)?;
        self.check_in_open_period("providedAt", cmd.provided_at)?;
        Ok(vec![CaseEvent::SupportProvided {
            provision_id: cmd.provision_id,
            person_id: cmd.person_id,
            service: cmd.service,
            provided_at: cmd.provided_at,
        }])
    }

    fn close(&self, cmd: CloseCase, clock: &Clock) -> Result<Vec<CaseEvent>, DomainError> {
        clock.check_not_future("closedAt", cmd.closed_at)?;
        check_follows(
            "closedAt",
            cmd.closed_at,
            "the case's latest recorded time",
            self.latest_at,
        )?;
        Ok(vec![CaseEvent::CaseClosed {
            closed_at: cmd.closed_at,
            reason: cmd.reason,
        }])
    }

    fn reopen(&self, cmd: ReopenCase, clock: &Clock) -> Result<Vec<CaseEvent>, DomainError> {
        let closed_at = match (self.id, self.status, self.closed_at) {
            (None, _, _) => return Err(DomainError::CaseNotFound(cmd.case_id)),
            (Some(_), CaseStatus::Open, _) | (Some(_), CaseStatus::Closed, None) => {
                return Err(DomainError::CaseAlreadyOpen(cmd.case_id))
            }
            (Some(_), CaseStatus::Closed, Some(closed_at)) => closed_at,
        };
        clock.check_not_future("reopenedAt", cmd.reopened_at)?;
        check_follows(
            "reopenedAt",
            cmd.reopened_at,
            "the case's closedAt",
            closed_at,
        )?;
        Ok(vec![CaseEvent::CaseReopened {
            reopened_at: cmd.reopened_at,
            reason: cmd.reason,
        }])
    }

    fn erase_person(&self, cmd: ErasePerson) -> Result<Vec<CaseEvent>, DomainError> {
        if self.id.is_none() {
            return Err(DomainError::CaseNotFound(cmd.case_id));
        }
        let person = self
            .person(cmd.person_id)
            .ok_or(DomainError::PersonNotFound(cmd.person_id))?;
        if person.erased {
            return Ok(vec![]);
        }
        Ok(vec![CaseEvent::PersonErased {
            person_id: cmd.person_id,
            reason: cmd.reason,
        }])
    }

    /// Work on a case happens while it is open: not before it was opened or last reopened.
    fn check_in_open_period(
        &self,
        field: &'static str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), DomainError> {
        check_follows(
            field,
            at,
            "the case's opening (or latest reopening)",
            self.open_since,
        )
    }
}

fn person_attached(person: NewPerson, clock: &Clock) -> Result<CaseEvent, DomainError> {
    if let Some(year) = person.birth_year {
        if i32::from(year.get()) > clock.now().year() {
            return Err(DomainError::BirthYearInFuture);
        }
    }
    Ok(CaseEvent::PersonAttached {
        person_id: person.person_id,
        role: person.role,
        gender: person.gender,
        birth_year: person.birth_year.map(|y| y.get()),
        full_name: person.full_name,
        phone: person.phone,
    })
}
