//! What the agency holding a referral does with it besides moving its
//! status: feedback notes to the hotline, and handing the referral on to
//! another agency (the police to the border guard, say). A hand-on keeps
//! the referral (same id, same case, counted once) and its chain of
//! holders; the new holder receives it as SENT and acknowledges it anew.

use uuid::Uuid;

use super::aggregate::{Case, Referral};
use super::casework_commands::{AddReferralFeedback, HandOnReferral};
use super::events::CaseEvent;
use crate::clock::{check_follows, Clock};
use crate::error::DomainError;
use crate::values::Agency;

/// Most feedback notes one case keeps; more is a client loop, not casework.
pub const MAX_FEEDBACK: usize = 1_000;

impl Case {
    /// The referral, held by `agency`.
    fn held_by(&self, referral_id: Uuid, agency: Agency) -> Result<&Referral, DomainError> {
        let referral = self
            .referral(referral_id)
            .ok_or(DomainError::ReferralNotFound(referral_id))?;
        if referral.agency != agency {
            return Err(DomainError::ReferralHeldElsewhere(referral_id));
        }
        Ok(referral)
    }

    pub(super) fn add_referral_feedback(
        &self,
        cmd: AddReferralFeedback,
        clock: &Clock,
    ) -> Result<Vec<CaseEvent>, DomainError> {
        if self
            .feedback
            .iter()
            .any(|f| f.feedback_id == cmd.feedback_id)
        {
            return Err(DomainError::FeedbackExists(cmd.feedback_id));
        }
        if self.feedback.len() >= MAX_FEEDBACK {
            return Err(DomainError::OutOfRange {
                field: "feedback notes on a case",
                min: 0,
                max: MAX_FEEDBACK as i64,
            });
        }
        let referral = self.held_by(cmd.referral_id, cmd.agency)?;
        clock.check_not_future("addedAt", cmd.added_at)?;
        check_follows(
            "addedAt",
            cmd.added_at,
            "the referral's referredAt",
            referral.referred_at,
        )?;
        Ok(vec![CaseEvent::ReferralFeedbackAdded {
            feedback_id: cmd.feedback_id,
            referral_id: cmd.referral_id,
            agency: cmd.agency,
            added_at: cmd.added_at,
            note: cmd.note,
        }])
    }

    pub(super) fn hand_on_referral(
        &self,
        cmd: HandOnReferral,
        clock: &Clock,
    ) -> Result<Vec<CaseEvent>, DomainError> {
        let referral = self.held_by(cmd.referral_id, cmd.by)?;
        if !referral.status.is_open() {
            return Err(DomainError::ReferralNotOpen {
                referral: cmd.referral_id,
                status: referral.status.as_str(),
            });
        }
        if cmd.to == referral.agency {
            return Err(DomainError::HandOnToHolder(cmd.referral_id));
        }
        clock.check_not_future("at", cmd.at)?;
        check_follows(
            "at",
            cmd.at,
            "the referral's last status change",
            referral.status_at,
        )?;
        let reports_as = clock.book().recorded_class(cmd.to, cmd.at)?;
        Ok(vec![CaseEvent::ReferralHandedOn {
            referral_id: cmd.referral_id,
            from: referral.agency,
            to: cmd.to,
            reports_as,
            at: cmd.at,
            reason: cmd.reason,
        }])
    }
}
