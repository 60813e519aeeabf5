//! Associated data: where a sealed value belongs, bound into its ciphertext.
//!
//! AES-256-GCM authenticates these bytes together with the ciphertext, so a
//! value opens only under the binding it was sealed with: a name copied into
//! another case, event or field does not open there. The bytes are part of
//! every ciphertext already in the log (events never change), so they must
//! never change; `tests::the_bindings_are_todays_bytes` pins them, and
//! docs/FORMATS.md ("Associated data of sealed values") specifies them:
//!
//! - a sealed field of an event: `{stream type}/{stream id}/{event type}/{field}`,
//!   UTF-8, the stream id as a lowercase hyphenated UUID, no terminator;
//! - a data key wrapped by the master key: `casetrail-data-key-v2/{subject kind}/{subject id}`.
//!
//! Every (stream, event, field) the hotline seals has its constructor here,
//! and nothing outside this file spells a binding: a new sealed field is a
//! new constructor (and a new line in the test and in docs/FORMATS.md).

use uuid::Uuid;

/// The associated data of one sealed value (or one wrapped data key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding(String);

impl Binding {
    fn event_field(stream_type: &str, stream_id: Uuid, event_type: &str, field: &str) -> Self {
        Binding(format!("{stream_type}/{stream_id}/{event_type}/{field}"))
    }

    /// A person's name, sealed under the person's key, in the case's
    /// `PersonAttached` (also for the persons a case is opened with).
    pub fn person_full_name(case_id: Uuid) -> Self {
        Self::event_field("Case", case_id, "PersonAttached", "full_name")
    }

    /// A person's phone number; as [`Binding::person_full_name`].
    pub fn person_phone(case_id: Uuid) -> Self {
        Self::event_field("Case", case_id, "PersonAttached", "phone")
    }

    /// A counselling session's notes, under the call's key.
    pub fn counselling_notes(call_id: Uuid) -> Self {
        Self::event_field("Call", call_id, "CounsellingSessionRecorded", "notes")
    }

    /// Why a case was referred, under the case's key.
    pub fn referral_reason(case_id: Uuid) -> Self {
        Self::event_field("Case", case_id, "ReferralSent", "reason")
    }

    /// Why a referral went without consent, under the case's key.
    pub fn referral_override_reason(case_id: Uuid) -> Self {
        Self::event_field("Case", case_id, "ReferralSent", "override_reason")
    }

    /// Why a case was closed, under the case's key.
    pub fn case_closed_reason(case_id: Uuid) -> Self {
        Self::event_field("Case", case_id, "CaseClosed", "reason")
    }

    /// Why a case was reopened, under the case's key.
    pub fn case_reopened_reason(case_id: Uuid) -> Self {
        Self::event_field("Case", case_id, "CaseReopened", "reason")
    }

    /// Why a person's data was erased, under the case's key.
    pub fn person_erased_reason(case_id: Uuid) -> Self {
        Self::event_field("Case", case_id, "PersonErased", "reason")
    }

    /// Why a call was corrected, under the call's key.
    pub fn call_corrected_reason(call_id: Uuid) -> Self {
        Self::event_field("Call", call_id, "CallCorrected", "reason")
    }

    /// A person's corrected name, under the person's key.
    pub fn person_corrected_full_name(case_id: Uuid) -> Self {
        Self::event_field("Case", case_id, "PersonCorrected", "full_name")
    }

    /// A person's corrected phone number, under the person's key.
    pub fn person_corrected_phone(case_id: Uuid) -> Self {
        Self::event_field("Case", case_id, "PersonCorrected", "phone")
    }

    /// Why a person's details were corrected, under the case's key.
    pub fn person_corrected_reason(case_id: Uuid) -> Self {
        Self::event_field("Case", case_id, "PersonCorrected", "reason")
    }

    /// A person's ethnicity, under the person's key.
    pub fn person_ethnicity(case_id: Uuid) -> Self {
        Self::event_field("Case", case_id, "PersonDetailsRecorded", "ethnicity")
    }

    /// An agency's feedback note on a referral, under the case's key.
    pub fn referral_feedback_note(case_id: Uuid) -> Self {
        Self::event_field("Case", case_id, "ReferralFeedbackAdded", "note")
    }

    /// Why an agency handed a referral on, under the case's key.
    pub fn referral_handed_on_reason(case_id: Uuid) -> Self {
        Self::event_field("Case", case_id, "ReferralHandedOn", "reason")
    }

    /// Why a case changed hands (assigned or transferred), under the case's key.
    pub fn case_assigned_reason(case_id: Uuid) -> Self {
        Self::event_field("Case", case_id, "CaseAssigned", "reason")
    }

    /// A note on a case's timeline, under the case's key.
    pub fn case_note_text(case_id: Uuid) -> Self {
        Self::event_field("Case", case_id, "CaseNoteWritten", "text")
    }

    /// What a follow-up asks for, under the case's key.
    pub fn follow_up_description(case_id: Uuid) -> Self {
        Self::event_field("Case", case_id, "FollowUpCreated", "description")
    }

    /// A data key wrapped by a master key: binds the key to its subject, so a
    /// wrapped key moved to another row does not unwrap.
    pub(crate) fn data_key(subject_kind: &str, subject_id: Uuid) -> Self {
        Binding(format!("casetrail-data-key-v2/{subject_kind}/{subject_id}"))
    }

    /// The bytes AES-GCM authenticates.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exact bytes every binding had when its values were first sealed:
    /// a change here would make every stored value of that field unreadable.
    #[test]
    fn the_bindings_are_todays_bytes() {
        let id = Uuid::parse_str("0192f0c1-7a3b-7cde-8f01-23456789abcd").unwrap_or_default();
        let cases: [(Binding, &str); 19] = [
            (
                Binding::person_full_name(id),
                "Case/0192f0c1-7a3b-7cde-8f01-23456789abcd/PersonAttached/full_name",
            ),
            (
                Binding::person_phone(id),
                "Case/0192f0c1-7a3b-7cde-8f01-23456789abcd/PersonAttached/phone",
            ),
            (
                Binding::counselling_notes(id),
                "Call/0192f0c1-7a3b-7cde-8f01-23456789abcd/CounsellingSessionRecorded/notes",
            ),
            (
                Binding::referral_reason(id),
                "Case/0192f0c1-7a3b-7cde-8f01-23456789abcd/ReferralSent/reason",
            ),
            (
                Binding::referral_override_reason(id),
                "Case/0192f0c1-7a3b-7cde-8f01-23456789abcd/ReferralSent/override_reason",
            ),
            (
                Binding::case_closed_reason(id),
                "Case/0192f0c1-7a3b-7cde-8f01-23456789abcd/CaseClosed/reason",
            ),
            (
                Binding::case_reopened_reason(id),
                "Case/0192f0c1-7a3b-7cde-8f01-23456789abcd/CaseReopened/reason",
            ),
            (
                Binding::person_erased_reason(id),
                "Case/0192f0c1-7a3b-7cde-8f01-23456789abcd/PersonErased/reason",
            ),
            (
                Binding::call_corrected_reason(id),
                "Call/0192f0c1-7a3b-7cde-8f01-23456789abcd/CallCorrected/reason",
            ),
            (
                Binding::person_corrected_full_name(id),
                "Case/0192f0c1-7a3b-7cde-8f01-23456789abcd/PersonCorrected/full_name",
            ),
            (
                Binding::person_corrected_phone(id),
                "Case/0192f0c1-7a3b-7cde-8f01-23456789abcd/PersonCorrected/phone",
            ),
            (
                Binding::person_corrected_reason(id),
                "Case/0192f0c1-7a3b-7cde-8f01-23456789abcd/PersonCorrected/reason",
            ),
            (
                Binding::person_ethnicity(id),
                "Case/0192f0c1-7a3b-7cde-8f01-23456789abcd/PersonDetailsRecorded/ethnicity",
            ),
            (
                Binding::referral_feedback_note(id),
                "Case/0192f0c1-7a3b-7cde-8f01-23456789abcd/ReferralFeedbackAdded/note",
            ),
            (
                Binding::referral_handed_on_reason(id),
                "Case/0192f0c1-7a3b-7cde-8f01-23456789abcd/ReferralHandedOn/reason",
            ),
            (
                Binding::case_assigned_reason(id),
                "Case/0192f0c1-7a3b-7cde-8f01-23456789abcd/CaseAssigned/reason",
            ),
            (
                Binding::case_note_text(id),
                "Case/0192f0c1-7a3b-7cde-8f01-23456789abcd/CaseNoteWritten/text",
            ),
            (
                Binding::follow_up_description(id),
                "Case/0192f0c1-7a3b-7cde-8f01-23456789abcd/FollowUpCreated/description",
            ),
            (
                Binding::data_key("person", id),
                "casetrail-data-key-v2/person/0192f0c1-7a3b-7cde-8f01-23456789abcd",
            ),
        ];
        assert_ne!(id, Uuid::nil());
        for (binding, bytes) in cases {
            assert_eq!(binding.as_bytes(), bytes.as_bytes());
        }
    }
}
