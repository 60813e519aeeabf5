//! Persons on a case: parsing (every limit checked before anything is
//! sealed), sealing under the person's own key, and attachPerson.

use chrono::Datelike;
use domain::case::{AttachPerson, Case, CaseCommand, NewPerson};
use store::vault::{Binding, Subject};
use store::CommandContext;
use uuid::Uuid;

use super::inputs::{AttachPersonInput, PersonInput};
use super::parse::{bounded, seal, text, MAX_NAME, MAX_PHONE};
use super::{CommandService, Done, Idempotency};
use crate::error::ApiResult;

/// A person's input, parsed and checked, not yet sealed.
pub(super) struct ParsedPerson {
    pub(super) person_id: Uuid,
    role: domain::values::PersonRole,
    gender: domain::values::Gender,
    birth_year: Option<domain::values::BirthYear>,
    full_name: Option<String>,
    phone: Option<String>,
}

impl ParsedPerson {
    /// Whether sealing this person would create a key row.
    pub(super) fn has_personal_data(&self) -> bool {
        self.full_name.is_some() || self.phone.is_some()
    }
}

impl CommandService {
    /// Parses a person: every limit checked, nothing sealed yet.
    pub(super) fn parse_person(&self, input: &PersonInput) -> ApiResult<ParsedPerson> {
        let birth_year: Option<domain::values::BirthYear> =
            input.birth_year.map(bounded).transpose()?;
        // The domain refuses this too, but only after the name was sealed.
        if birth_year.is_some_and(|y| i32::from(y.get()) > self.clock.now().year()) {
            return Err(domain::DomainError::BirthYearInFuture.into());
        }
        Ok(ParsedPerson {
            person_id: input.id.unwrap_or_else(Uuid::now_v7),
            role: input.role,
            gender: input.gender,
            birth_year,
            full_name: text("fullName", input.full_name.as_deref(), MAX_NAME)?,
            phone: text("phone", input.phone.as_deref(), MAX_PHONE)?,
        })
    }

    /// The person without their personal data, for deciding before sealing.
    pub(super) fn unsealed(person: &ParsedPerson) -> NewPerson {
        NewPerson {
            person_id: person.person_id,
            role: person.role,
            gender: person.gender,
            birth_year: person.birth_year,
            full_name: None,
            phone: None,
        }
    }

    /// Seals a parsed person's name and phone under their own key.
    pub(super) async fn seal_person(
        &self,
        case_id: Uuid,
        person: ParsedPerson,
    ) -> ApiResult<NewPerson> {
        let pool = self.store().pool();
        let name_aad = Binding::person_full_name(case_id);
        let phone_aad = Binding::person_phone(case_id);
        let id = person.person_id;
        // Indexed first, from the clear values sealing consumes (`lookups.rs`).
        self.index_person(
            case_id,
            id,
            person.full_name.as_deref(),
            person.phone.as_deref(),
        )
        .await?;
        // The person's own key: typed, so their id never reaches a case's or a call's key.
        let key = Subject::person(id);
        Ok(NewPerson {
            person_id: id,
            role: person.role,
            gender: person.gender,
            birth_year: person.birth_year,
            full_name: seal(self.vault(), pool, key, name_aad, person.full_name).await?,
            phone: seal(self.vault(), pool, key, phone_aad, person.phone).await?,
        })
    }

    pub async fn attach_person(
        &self,
        ctx: &CommandContext,
        input: impl Into<AttachPersonInput>,
    ) -> ApiResult<Done<Case>> {
        let input = input.into();
        let client_key = input.person.id.map(|p| format!("{}:{p}", input.case_id));
        let key = Idempotency::new(ctx, "attachPerson", client_key, &input)?;
        if let Some(done) = self.replay::<Case>(key.as_ref()).await? {
            return Ok(done);
        }
        let person = self.parse_person(&input.person)?;
        let person_id = person.person_id;
        let ids = [("person", person_id)];
        if let Some(done) = self.refuse_taken_ids::<Case>(key.as_ref(), &ids).await? {
            return Ok(done);
        }
        if person.has_personal_data() {
            let case_id = input.case_id;
            let bare = Self::unsealed(&person);
            let preview = |_| {
                CaseCommand::AttachPerson(AttachPerson {
                    case_id,
                    person: bare,
                })
            };
            if let Some(done) = self
                .preview_case(key.as_ref(), case_id, None, preview)
                .await?
            {
                return Ok(done);
            }
        }
        let person = self.seal_person(input.case_id, person).await?;
        let command = CaseCommand::AttachPerson(AttachPerson {
            case_id: input.case_id,
            person,
        });
        self.execute::<Case>(ctx, input.case_id, command, key.as_ref(), Some(person_id))
            .await
    }
}
