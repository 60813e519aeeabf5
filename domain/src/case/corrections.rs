//! Correcting a person's details: a new event naming what it corrects, with
//! the corrected values (names and phones sealed under the person's own
//! key) and why. A closed case accepts it from a SUPERVISOR only.

use super::aggregate::Case;
use super::casework_commands::CorrectPerson;
use super::events::CaseEvent;
use crate::error::DomainError;
use crate::values::{CaseStatus, CorrectedField, Role};

impl Case {
    pub(super) fn correct_person(
        &self,
        cmd: CorrectPerson,
        this_year: i32,
    ) -> Result<Vec<CaseEvent>, DomainError> {
        if self.id.is_none() {
            return Err(DomainError::CaseNotFound(cmd.case_id));
        }
        if self.status == CaseStatus::Closed && cmd.requested_by != Role::Supervisor {
            return Err(DomainError::ClosedCaseNeedsSupervisor(cmd.case_id));
        }
        let person = self
            .person(cmd.person_id)
            .ok_or(DomainError::PersonNotFound(cmd.person_id))?;
        if person.erased && (cmd.full_name.is_some() || cmd.phone.is_some()) {
            return Err(DomainError::PersonIsErased(cmd.person_id));
        }
        if cmd
            .birth_year
            .is_some_and(|y| i32::from(y.get()) > this_year)
        {
            return Err(DomainError::BirthYearInFuture);
        }
        let differs = |given: bool, same: bool| given && !same;
        let birth_year = cmd.birth_year.map(|y| y.get());
        // A sealed value never equals another sealing of the same text, so a
        // name or phone given is always taken as a correction.
        let corrects: Vec<CorrectedField> = [
            (
                differs(cmd.role.is_some(), cmd.role == Some(person.role)),
                CorrectedField::Role,
            ),
            (
                differs(cmd.gender.is_some(), cmd.gender == Some(person.gender)),
                CorrectedField::Gender,
            ),
            (
                differs(birth_year.is_some(), birth_year == person.birth_year),
                CorrectedField::BirthYear,
            ),
            (cmd.full_name.is_some(), CorrectedField::FullName),
            (cmd.phone.is_some(), CorrectedField::Phone),
        ]
        .into_iter()
        .filter_map(|(c, field)| c.then_some(field))
        .collect();
        if corrects.is_empty() {
            return Err(DomainError::NothingToCorrect);
        }
        let keep = |field| corrects.contains(&field);
        Ok(vec![CaseEvent::PersonCorrected {
            person_id: cmd.person_id,
            role: cmd.role.filter(|_| keep(CorrectedField::Role)),
            gender: cmd.gender.filter(|_| keep(CorrectedField::Gender)),
            birth_year: birth_year.filter(|_| keep(CorrectedField::BirthYear)),
            full_name: cmd.full_name,
            phone: cmd.phone,
            corrects,
            reason: cmd.reason,
        }])
    }
}
