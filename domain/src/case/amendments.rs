//! How corrections, trafficking facts and the agencies' work change the
//! case (`Case::apply` hands these events here). Like `apply`, never refuses.

use super::aggregate::Case;
use super::casework_state::{Feedback, HandOn, VictimDecision};
use super::events::CaseEvent;
use crate::values::ReferralStatus;

impl Case {
    pub(super) fn apply_amendments(&mut self, event: CaseEvent) {
        match event {
            CaseEvent::PersonCorrected {
                person_id,
                role,
                gender,
                birth_year,
                full_name,
                phone,
                ..
            } => {
                let Some(person) = self.persons.iter_mut().find(|p| p.person_id == person_id)
                else {
                    return;
                };
                person.role = role.unwrap_or(person.role);
                person.gender = gender.unwrap_or(person.gender);
                person.birth_year = birth_year.or(person.birth_year);
                if let Some(name) = full_name {
                    person.full_name = Some(name);
                    person.full_name_corrected = true;
                }
                if let Some(phone) = phone {
                    person.phone = Some(phone);
                    person.phone_corrected = true;
                }
            }
            CaseEvent::PersonDetailsRecorded {
                person_id,
                nationality,
                ethnicity,
            } => {
                if let Some(person) = self.persons.iter_mut().find(|p| p.person_id == person_id) {
                    person.nationality = nationality;
                    if ethnicity.is_some() {
                        person.ethnicity = ethnicity;
                    }
                }
            }
            CaseEvent::DestinationRecorded { country } => {
                self.destination_country = Some(country);
            }
            CaseEvent::VictimStatusDecided {
                person_id,
                status,
                authority,
                decided_at,
            } => {
                if let Some(person) = self.persons.iter_mut().find(|p| p.person_id == person_id) {
                    person.victim_status = Some(VictimDecision {
                        status,
                        authority,
                        decided_at,
                    });
                }
                self.touch(decided_at);
            }
            CaseEvent::ReferralFeedbackAdded {
                feedback_id,
                referral_id,
                agency,
                added_at,
                note,
            } => {
                self.feedback.push(Feedback {
                    feedback_id,
                    referral_id,
                    agency,
                    added_at,
                    note,
                });
                self.touch(added_at);
            }
            CaseEvent::ReferralHandedOn {
                referral_id,
                from,
                to,
                reports_as,
                at,
                ..
            } => {
                if let Some(referral) = self.referral_mut(referral_id) {
                    referral.chain.push(HandOn {
                        from,
                        to,
                        at,
                        from_reports_as: referral.reports_as,
                        to_reports_as: reports_as,
                    });
                    referral.agency = to;
                    referral.reports_as = reports_as;
                    referral.status = ReferralStatus::Sent;
                    referral.status_at = at;
                }
                self.touch(at);
            }
            // Handled by `Case::apply` itself, or by `casework.rs`.
            CaseEvent::CaseOpened { .. }
            | CaseEvent::PersonAttached { .. }
            | CaseEvent::CallAttached { .. }
            | CaseEvent::ReferralSent { .. }
            | CaseEvent::ReferralStatusChanged { .. }
            | CaseEvent::RescueRecorded { .. }
            | CaseEvent::SupportProvided { .. }
            | CaseEvent::CaseClosed { .. }
            | CaseEvent::CaseReopened { .. }
            | CaseEvent::PersonErased { .. }
            | CaseEvent::CaseTaken { .. }
            | CaseEvent::CaseAssigned { .. }
            | CaseEvent::CaseNoteWritten { .. }
            | CaseEvent::FollowUpCreated { .. }
            | CaseEvent::FollowUpCompleted { .. } => {}
        }
    }
}
