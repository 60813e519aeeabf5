//! Persons as a caller may see them: personal data opened for counsellors
//! and supervisors, null for everyone else, "[erased]" once erased.

use std::collections::HashSet;

use domain::case::Case;
use store::vault::{Opened, SubjectKind, Vault};
use uuid::Uuid;

use super::types::{CaseNode, PersonNode};
use super::RequestContext;
use crate::commands::aad;
use crate::error::ApiResult;
use crate::policy::sees_personal_data;
use store::access_log::{self, Access, Action};

/// What an erased field reads as.
pub const ERASED: &str = "[erased]";
/// What a field reads as when its data key cannot be opened by this server
/// (a master key it does not hold): the rest of the read still answers.
pub const UNAVAILABLE: &str = "[unavailable]";

/// The case's persons, opened or redacted for the caller. Every read in
/// clear is written to the access log first, with `field` as its purpose.
pub async fn persons(
    vault: &Vault,
    pool: &sqlx::PgPool,
    case: &Case,
    req: &RequestContext,
    field: &str,
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
    let clear = sees_personal_data(&req.principal);
    if clear {
        let accesses: Vec<Access> = case
            .persons
            .iter()
            .filter(|p| !erased.contains(&p.person_id))
            .filter_map(|p| {
                let mut fields = Vec::new();
                if p.full_name.is_some() {
                    fields.push("fullName");
                }
                if p.phone.is_some() {
                    fields.push("phone");
                }
                (!fields.is_empty()).then_some(Access {
                    case_id,
                    person_id: p.person_id,
                    fields,
                })
            })
            .collect();
        access_log::record(
            pool,
            Action::ReadPersonalData,
            &req.purpose(field),
            &accesses,
        )
        .await?;
    }
    let mut wanted = Vec::new();
    if clear {
        for p in &case.persons {
            if let Some(name) = &p.full_name {
                let where_ = aad("Case", case_id, "PersonAttached", "full_name");
                wanted.push((name, SubjectKind::Person, where_));
            }
            if let Some(phone) = &p.phone {
                let where_ = aad("Case", case_id, "PersonAttached", "phone");
                wanted.push((phone, SubjectKind::Person, where_));
            }
        }
    }
    let mut opened = vault.open_many(pool, &wanted).await?.into_iter();
    let mut next = |present: bool| -> Option<String> {
        if !present {
            return None;
        }
        match opened.next() {
            Some(Opened::Plain(text)) => Some(text),
            Some(Opened::Erased) => Some(ERASED.to_string()),
            // A key this server cannot open: this person only; logged and counted by the vault.
            Some(Opened::Unavailable) => Some(UNAVAILABLE.to_string()),
            None => None,
        }
    };
    Ok(case
        .persons
        .iter()
        .map(|p| {
            let is_erased = erased.contains(&p.person_id);
            let full_name = if clear {
                next(p.full_name.is_some())
            } else {
                None
            };
            let phone = if clear { next(p.phone.is_some()) } else { None };
            PersonNode {
                id: p.person_id,
                role: p.role.into(),
                gender: p.gender.into(),
                birth_year: p.birth_year.map(i32::from),
                full_name: if clear && is_erased {
                    Some(ERASED.to_string())
                } else {
                    full_name
                },
                phone: if clear && is_erased {
                    Some(ERASED.to_string())
                } else {
                    phone
                },
                erased: is_erased,
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
) -> ApiResult<Option<CaseNode>> {
    if case.id.is_none() {
        return Ok(None);
    }
    let persons = persons(vault, pool, case, req, field).await?;
    Ok(CaseNode::from_state(case, version, persons))
}
