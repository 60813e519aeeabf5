//! Trafficking facts the hotline records: where the exploitation happens
//! (destination country), whether a person is a victim as an authority
//! decided, and persons' nationality and ethnicity.

use super::aggregate::Case;
use super::casework_commands::{DecideVictimStatus, RecordDestination, RecordPersonDetails};
use super::casework_state::VictimDecision;
use super::events::CaseEvent;
use crate::clock::{check_follows, Clock};
use crate::error::DomainError;

impl Case {
    pub(super) fn record_person_details(
        &self,
        cmd: RecordPersonDetails,
    ) -> Result<Vec<CaseEvent>, DomainError> {
        let person = self
            .person(cmd.person_id)
            .ok_or(DomainError::PersonNotFound(cmd.person_id))?;
        if person.erased && cmd.ethnicity.is_some() {
            return Err(DomainError::PersonIsErased(cmd.person_id));
        }
        let nationality = cmd.nationality.map(|c| c.as_str().to_string());
        // Sealed ethnicity never compares equal, so it is always recorded.
        if cmd.ethnicity.is_none() && nationality == person.nationality {
            return Err(DomainError::NothingToCorrect);
        }
        Ok(vec![CaseEvent::PersonDetailsRecorded {
            person_id: cmd.person_id,
            nationality,
            ethnicity: cmd.ethnicity,
        }])
    }

    pub(super) fn record_destination(
        &self,
        cmd: RecordDestination,
    ) -> Result<Vec<CaseEvent>, DomainError> {
        let country = cmd.country.as_str().to_string();
        if self.destination_country.as_deref() == Some(country.as_str()) {
            // Already recorded: a retry records nothing twice.
            return Ok(vec![]);
        }
        Ok(vec![CaseEvent::DestinationRecorded { country }])
    }

    pub(super) fn decide_victim_status(
        &self,
        cmd: DecideVictimStatus,
        clock: &Clock,
    ) -> Result<Vec<CaseEvent>, DomainError> {
        let person = self
            .person(cmd.person_id)
            .ok_or(DomainError::PersonNotFound(cmd.person_id))?;
        clock.check_not_future("decidedAt", cmd.decided_at)?;
        check_follows(
            "decidedAt",
            cmd.decided_at,
            "the case's openedAt",
            self.opened_at,
        )?;
        let decision = VictimDecision {
            status: cmd.status,
            authority: cmd.authority,
            decided_at: cmd.decided_at,
        };
        if let Some(latest) = &person.victim_status {
            if *latest == decision {
                return Ok(vec![]);
            }
            check_follows(
                "decidedAt",
                cmd.decided_at,
                "the person's latest decision",
                latest.decided_at,
            )?;
        }
        Ok(vec![CaseEvent::VictimStatusDecided {
            person_id: cmd.person_id,
            status: cmd.status,
            authority: cmd.authority,
            decided_at: cmd.decided_at,
        }])
    }
}
