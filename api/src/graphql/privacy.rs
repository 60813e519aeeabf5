//! Persons as a caller may see them: personal data opened for counsellors
//! and supervisors, null for everyone else, "[erased]" once erased.
//!
//! Only the personal fields the request selected are opened, and the access
//! log names exactly those that are returned in clear, per person. The
//! selection is read from the executed document (`Selected`): aliases and
//! fragments count by field name, and `@skip`/`@include` were already
//! applied by the executor, so a field skipped at run time is neither opened
//! nor logged. A field that reads `[erased]` discloses nothing about the
//! person (the erasure itself is logged as `ERASE_PERSON`), so it is not a
//! read of personal data and is not logged.

use std::collections::HashSet;

use async_graphql::Lookahead;
use domain::case::Case;
use store::vault::{Binding, Opened, SubjectKind, Vault};
use uuid::Uuid;

use super::context::RequestContext;
use super::types::{CaseNode, PersonNode};
use crate::error::ApiResult;
use crate::policy::sees_personal_data;
use store::access_log::{self, Access, Action};

/// What an erased field reads as.
pub const ERASED: &str = "[erased]";
/// What a field reads as when its data key cannot be opened by this server
/// (a master key it does not hold): the rest of the read still answers.
pub const UNAVAILABLE: &str = "[unavailable]";

/// The personal fields of `Person` a request selected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Selected {
    pub full_name: bool,
    pub phone: bool,
    pub ethnicity: bool,
}

impl Selected {
    /// The personal fields under `person`, a lookahead at one or more `Person` selections.
    pub fn of(person: &Lookahead<'_>) -> Self {
        Selected {
            full_name: person.field("fullName").exists(),
            phone: person.field("phone").exists(),
            ethnicity: person.field("ethnicity").exists(),
        }
    }

    /// The personal fields under a `Case` selection's `persons`.
    pub fn in_case(case: &Lookahead<'_>) -> Self {
        Self::of(&case.field("persons"))
    }
}

impl std::ops::BitOr for Selected {
    type Output = Selected;
    fn bitor(self, other: Selected) -> Selected {
        Selected {
            full_name: self.full_name || other.full_name,
            phone: self.phone || other.phone,
            ethnicity: self.ethnicity || other.ethnicity,
        }
    }
}

/// One personal value to open: which person, which field, which ciphertext.
struct Wanted<'a> {
    person: usize,
    field: &'static str,
    sealed: &'a domain::sealed::Sealed,
    binding: Binding,
}

/// The case's persons, opened or redacted for the caller. Every value
/// returned in clear is written to the access log before it is returned,
/// with `field` (the GraphQL field asking) as its purpose; a read that
/// cannot be logged is refused.
pub async fn persons(
    vault: &Vault,
    pool: &sqlx::PgPool,
    case: &Case,
    req: &RequestContext,
    field: &str,
    selected: Selected,
) -> ApiResult<Vec<PersonNode>> {
    let clear = sees_personal_data(&req.principal);
    persons_opened_if(vault, pool, case, req, field, selected, clear).await
}

/// Where each personal field of a person was sealed: a corrected value is
/// bound to its `PersonCorrected`, not to the `PersonAttached`.
fn personal_fields(
    case_id: Uuid,
    p: &domain::case::Person,
    selected: Selected,
) -> [(bool, &'static str, Binding, &Option<domain::sealed::Sealed>); 3] {
    let name = match p.full_name_corrected {
        true => Binding::person_corrected_full_name(case_id),
        false => Binding::person_full_name(case_id),
    };
    let phone = match p.phone_corrected {
        true => Binding::person_corrected_phone(case_id),
        false => Binding::person_phone(case_id),
    };
    [
        (selected.full_name, "fullName", name, &p.full_name),
        (selected.phone, "phone", phone, &p.phone),
        (
            selected.ethnicity,
            "ethnicity",
            Binding::person_ethnicity(case_id),
            &p.ethnicity,
        ),
    ]
}

/// As [`persons`], with personal data opened only when `clear` (the
/// caller's role, or the consent a referral carries for its agency).
pub async fn persons_opened_if(
    vault: &Vault,
    pool: &sqlx::PgPool,
    case: &Case,
    req: &RequestContext,
    field: &str,
    selected: Selected,
    clear: bool,
) -> ApiResult<Vec<PersonNode>> {
    let Some(case_id) = case.id else {
        return Ok(vec![]);
    };
    let ids: Vec<Uuid> = case.persons.iter().map(|p| p.person_id).collect();
    let erased: HashSet<Uuid> = vault
        .erased_persons(pool, &ids)
        .await?
        .into_iter()
        .collect();
    let mut wanted = Vec::new();
    if clear {
        for (i, p) in case.persons.iter().enumerate() {
            if erased.contains(&p.person_id) {
                continue;
            }
            for (asked, name, binding, sealed) in personal_fields(case_id, p, selected) {
                if let (true, Some(sealed)) = (asked, sealed) {
                    wanted.push(Wanted {
                        person: i,
                        field: name,
                        sealed,
                        binding,
                    });
                }
            }
        }
    }
    let items: Vec<_> = wanted
        .iter()
        .map(|w| (w.sealed, SubjectKind::Person, w.binding.clone()))
        .collect();
    let opened = vault.open_many(pool, &items).await?;

    // What is actually returned in clear, per person, from what actually
    // opened (a key destroyed since the check above reads as erased).
    let mut clear_values: Vec<[Option<String>; 3]> = vec![Default::default(); case.persons.len()];
    let mut accesses: Vec<Access> = Vec::new();
    for (w, value) in wanted.iter().zip(opened) {
        let text = match value {
            Opened::Plain(text) => {
                let person_id = case.persons[w.person].person_id;
                match accesses.last_mut() {
                    Some(a) if a.person_id == person_id => a.fields.push(w.field),
                    _ => accesses.push(Access {
                        case_id,
                        person_id,
                        fields: vec![w.field],
                    }),
                }
                text
            }
            Opened::Erased => ERASED.to_string(),
            // A key this server cannot open: this person only; logged and
            // counted by the vault, and nothing was read in clear.
            Opened::Unavailable => UNAVAILABLE.to_string(),
        };
        let slot = match w.field {
            "fullName" => 0,
            "phone" => 1,
            _ => 2,
        };
        if let Some(value) = clear_values[w.person].get_mut(slot) {
            *value = Some(text);
        }
    }
    access_log::record(
        pool,
        Action::ReadPersonalData,
        &req.purpose(field),
        &accesses,
    )
    .await?;

    Ok(case
        .persons
        .iter()
        .zip(clear_values)
        .map(|(p, [full_name, phone, ethnicity])| {
            let is_erased = erased.contains(&p.person_id);
            let erased_or = |value: Option<String>| {
                if clear && is_erased {
                    Some(ERASED.to_string())
                } else {
                    value
                }
            };
            PersonNode {
                id: p.person_id,
                role: p.role.into(),
                gender: p.gender.into(),
                birth_year: p.birth_year.map(i32::from),
                full_name: erased_or(full_name),
                phone: erased_or(phone),
                erased: is_erased,
                nationality: p.nationality.clone(),
                ethnicity: erased_or(ethnicity),
                victim_status: p.victim_status.as_ref().map(Into::into),
            }
        })
        .collect())
}

/// The contract's Case for the caller, or `None` when the case was never opened.
pub async fn case_node(
    vault: &Vault,
    pool: &sqlx::PgPool,
    case: &Case,
    version: i64,
    req: &RequestContext,
    field: &str,
    selected: Selected,
) -> ApiResult<Option<CaseNode>> {
    if case.id.is_none() {
        return Ok(None);
    }
    let persons = persons(vault, pool, case, req, field, selected).await?;
    Ok(CaseNode::from_state(case, version, persons))
}
