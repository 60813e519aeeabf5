//! The access log: a row per person whose personal data a response returns
//! in clear, naming exactly the fields returned (nothing selected or nothing
//! in clear: no row), and a row per erasure. Written before the data is
//! returned, so a read that cannot be audited is not answered (fail closed).

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::error::StoreError;
use crate::metadata::Actor;

/// What was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    ReadPersonalData,
    ErasePerson,
    /// A lookup by phone or name: a row per person found (the field is what
    /// matched), or one row without a person when nothing was found.
    LookUpPerson,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::ReadPersonalData => "READ_PERSONAL_DATA",
            Action::ErasePerson => "ERASE_PERSON",
            Action::LookUpPerson => "LOOK_UP_PERSON",
        }
    }
}

/// Why: the request that asked.
#[derive(Clone, Debug)]
pub struct Purpose {
    pub actor: Actor,
    /// The GraphQL operation and field, e.g. `CaseScreen/case`: the body's
    /// `operationName`, else the document's single operation's name, else
    /// `anonymous`.
    pub operation: String,
    pub correlation_id: String,
}

/// One access to a person's data: the fields returned in clear, in their GraphQL names.
#[derive(Clone, Debug)]
pub struct Access {
    pub case_id: Uuid,
    pub person_id: Uuid,
    pub fields: Vec<&'static str>,
}

/// Records accesses in one statement.
#[tracing::instrument(skip_all, fields(accesses = accesses.len()))]
pub async fn record(
    pool: &PgPool,
    action: Action,
    purpose: &Purpose,
    accesses: &[Access],
) -> Result<(), StoreError> {
    if accesses.is_empty() {
        return Ok(());
    }
    let fields: Vec<String> = accesses
        .iter()
        .map(|a| format!("{{{}}}", a.fields.join(",")))
        .collect();
    sqlx::query(
        "INSERT INTO access_log (actor, actor_role, action, case_id, person_id, fields, operation, correlation_id) \
         SELECT $1, $2, $3, c, p, f::text[], $4, $5 FROM UNNEST($6::uuid[], $7::uuid[], $8::text[]) AS u(c, p, f)",
    )
    .bind(&purpose.actor.subject)
    .bind(purpose.actor.role.as_str())
    .bind(action.as_str())
    .bind(&purpose.operation)
    .bind(&purpose.correlation_id)
    .bind(accesses.iter().map(|a| a.case_id).collect::<Vec<_>>())
    .bind(accesses.iter().map(|a| a.person_id).collect::<Vec<_>>())
    .bind(fields)
    .execute(pool)
    .await?;
    Ok(())
}

/// One read in clear of a sealed text that belongs to a case or a call
/// rather than to a person: a case note, a follow-up's description, a
/// counselling session's notes. `item_id` names the note, follow-up or session.
#[derive(Clone, Debug)]
pub struct TextAccess {
    pub case_id: Option<Uuid>,
    pub call_id: Option<Uuid>,
    pub item_id: Uuid,
    pub field: &'static str,
}

/// Records text reads in one statement (READ_PERSONAL_DATA, no person).
#[tracing::instrument(skip_all, fields(accesses = accesses.len()))]
pub async fn record_texts(
    pool: &PgPool,
    purpose: &Purpose,
    accesses: &[TextAccess],
) -> Result<(), StoreError> {
    if accesses.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO access_log (actor, actor_role, action, case_id, call_id, item_id, fields, operation, correlation_id) \
         SELECT $1, $2, $3, c, l, i, ARRAY[f], $4, $5 \
         FROM UNNEST($6::uuid[], $7::uuid[], $8::uuid[], $9::text[]) AS u(c, l, i, f)",
    )
    .bind(&purpose.actor.subject)
    .bind(purpose.actor.role.as_str())
    .bind(Action::ReadPersonalData.as_str())
    .bind(&purpose.operation)
    .bind(&purpose.correlation_id)
    .bind(accesses.iter().map(|a| a.case_id).collect::<Vec<_>>())
    .bind(accesses.iter().map(|a| a.call_id).collect::<Vec<_>>())
    .bind(accesses.iter().map(|a| a.item_id).collect::<Vec<_>>())
    .bind(accesses.iter().map(|a| a.field).collect::<Vec<_>>())
    .execute(pool)
    .await?;
    Ok(())
}

/// Records a lookup by `field` (`phone` or `fullName`): a row per person
/// found, or one row without a case or person when none was. The value
/// looked for is never written.
pub async fn record_lookup(
    pool: &PgPool,
    purpose: &Purpose,
    field: &'static str,
    found: &[(Uuid, Uuid)],
) -> Result<(), StoreError> {
    let (cases, persons): (Vec<Option<Uuid>>, Vec<Option<Uuid>>) = if found.is_empty() {
        (vec![None], vec![None])
    } else {
        found.iter().map(|(c, p)| (Some(*c), Some(*p))).unzip()
    };
    sqlx::query(
        "INSERT INTO access_log (actor, actor_role, action, case_id, person_id, fields, operation, correlation_id) \
         SELECT $1, $2, $3, c, p, ARRAY[$4], $5, $6 FROM UNNEST($7::uuid[], $8::uuid[]) AS u(c, p)",
    )
    .bind(&purpose.actor.subject)
    .bind(purpose.actor.role.as_str())
    .bind(Action::LookUpPerson.as_str())
    .bind(field)
    .bind(&purpose.operation)
    .bind(&purpose.correlation_id)
    .bind(cases)
    .bind(persons)
    .execute(pool)
    .await?;
    Ok(())
}

/// An entry as an auditor reads it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Entry {
    pub id: i64,
    pub accessed_at: DateTime<Utc>,
    pub actor: String,
    pub actor_role: String,
    pub action: String,
    pub case_id: Option<Uuid>,
    pub person_id: Option<Uuid>,
    /// The call whose text was read (counselling notes), since migration 0011.
    pub call_id: Option<Uuid>,
    /// The note, follow-up or counselling session whose text was read.
    pub item_id: Option<Uuid>,
    pub fields: Vec<String>,
    pub operation: String,
    pub correlation_id: String,
}

/// The newest entries first, optionally for one case, before an entry id (keyset).
pub async fn entries(
    pool: &PgPool,
    case_id: Option<Uuid>,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Entry>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, accessed_at, actor, actor_role, action, case_id, person_id, call_id, item_id, fields, operation, correlation_id \
         FROM access_log WHERE ($1::uuid IS NULL OR case_id = $1) AND ($2::bigint IS NULL OR id < $2) \
         ORDER BY id DESC LIMIT $3",
    )
    .bind(case_id)
    .bind(before_id)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}
