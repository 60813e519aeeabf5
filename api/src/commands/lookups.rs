//! Finding persons by exact phone or full name, through the blind index
//! (`store::lookup`): each value is normalised (`domain::lookup`) and only
//! its keyed digest is stored or compared. A person is indexed when their
//! data is sealed, and re-indexed from the vault by `reindex_lookups` (the
//! lookup key's rotation). Every lookup is in the access log, found or not.

use domain::case::{Case, CaseEvent};
use domain::lookup::{normalise_name, normalise_phone};
use store::access_log::Purpose;
use store::log::{StoredEvent, STORED_COLUMNS};
use store::lookup::{self, Found, Indexed, LookupKey, LookupKind};
use store::vault::{Binding, Opened, SubjectKind};
use uuid::Uuid;

use super::CommandService;
use crate::error::{ApiError, ApiResult};

/// Persons at most one lookup answers.
pub const MAX_LOOKUP_RESULTS: i64 = 100;

/// Events read at a time by a re-index.
const REINDEX_BATCH: i64 = 500;

/// What a lookup is by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LookUpBy {
    Phone,
    FullName,
}

/// What a re-index did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReindexReport {
    /// Persons whose data opened and were indexed under the current key.
    pub indexed: u64,
    /// Persons passed over: erased, or data no key here opens.
    pub unreadable: u64,
    /// Rows under other keys deleted at the end.
    pub dropped: u64,
}

/// The values of a person as indexed: those that normalise.
fn values(full_name: Option<&str>, phone: Option<&str>) -> Vec<(LookupKind, String)> {
    let mut values = Vec::with_capacity(2);
    if let Some(name) = full_name.and_then(normalise_name) {
        values.push((LookupKind::FullName, name));
    }
    if let Some(phone) = phone.and_then(normalise_phone) {
        values.push((LookupKind::Phone, phone));
    }
    values
}

impl CommandService {
    /// Indexes persons under this key when they are sealed; without it
    /// (tools that record no persons) nothing is indexed.
    pub fn with_lookup_key(mut self, key: [u8; 32]) -> Self {
        self.lookup = Some(LookupKey::new(key));
        self
    }

    fn lookup_key(&self) -> ApiResult<&LookupKey> {
        self.lookup.as_ref().ok_or_else(|| {
            tracing::error!("a lookup was asked of a command service without a lookup key");
            ApiError::Internal
        })
    }

    /// Writes a person's index rows, before their values are sealed.
    pub(super) async fn index_person(
        &self,
        case_id: Uuid,
        person_id: Uuid,
        full_name: Option<&str>,
        phone: Option<&str>,
    ) -> ApiResult<()> {
        let Some(key) = &self.lookup else {
            return Ok(());
        };
        let values = values(full_name, phone);
        let person = Indexed {
            case_id,
            person_id,
            values: values.iter().map(|(k, v)| (*k, v.as_str())).collect(),
        };
        let mut conn = self
            .store()
            .pool()
            .acquire()
            .await
            .map_err(store::StoreError::from)?;
        lookup::index(&mut conn, key, &person).await?;
        Ok(())
    }

    /// The recorded persons (and their cases) whose phone or full name is
    /// exactly `value` once normalised; the lookup is access-logged first.
    pub async fn look_up_persons(
        &self,
        purpose: &Purpose,
        by: LookUpBy,
        value: &str,
    ) -> ApiResult<Vec<Found>> {
        let key = self.lookup_key()?;
        let (kind, field, normalised) = match by {
            LookUpBy::Phone => (LookupKind::Phone, "phone", normalise_phone(value)),
            LookUpBy::FullName => (LookupKind::FullName, "fullName", normalise_name(value)),
        };
        let normalised = normalised.ok_or_else(|| {
            ApiError::BadUserInput(match by {
                LookUpBy::Phone => "phone: not a phone number (digits, optionally +country code, spaces, dots or dashes)".into(),
                LookUpBy::FullName => "fullName: empty".into(),
            })
        })?;
        let pool = self.store().pool();
        let found = lookup::find(pool, key, kind, &normalised, MAX_LOOKUP_RESULTS).await?;
        let pairs: Vec<(Uuid, Uuid)> = found.iter().map(|f| (f.case_id, f.person_id)).collect();
        // Logged before it is answered: a lookup that cannot be audited is not answered.
        store::access_log::record_lookup(pool, purpose, field, &pairs).await?;
        Ok(found)
    }

    /// Indexes every person of the log again under the current lookup key,
    /// from the vault, then deletes the rows of every other key. Erased
    /// persons open to nothing and are not indexed. Safe to repeat.
    pub async fn reindex_lookups(&self) -> ApiResult<ReindexReport> {
        let key = self.lookup_key()?;
        let pool = self.store().pool();
        let mut report = ReindexReport::default();
        let mut after = 0_i64;
        let sql = format!(
            "SELECT {STORED_COLUMNS} FROM events \
             WHERE aggregate_type = 'Case' AND event_type IN ('PersonAttached', 'PersonCorrected') \
               AND position > $1 \
             ORDER BY position LIMIT $2"
        );
        loop {
            let rows = sqlx::query(&sql)
                .bind(after)
                .bind(REINDEX_BATCH)
                .fetch_all(pool)
                .await
                .map_err(store::StoreError::from)?;
            let Some(last) = rows.last() else { break };
            after = StoredEvent::from_row(last)
                .map_err(store::StoreError::from)?
                .position;
            for row in &rows {
                let stored = StoredEvent::from_row(row).map_err(store::StoreError::from)?;
                let Ok(case_id) = Uuid::parse_str(&stored.aggregate_id) else {
                    continue;
                };
                // A person's values as attached, and as each correction gave them.
                let (person_id, full_name, phone, name_aad, phone_aad) =
                    match self.store().decode::<Case>(&stored)? {
                        CaseEvent::PersonAttached {
                            person_id,
                            full_name,
                            phone,
                            ..
                        } => (
                            person_id,
                            full_name,
                            phone,
                            Binding::person_full_name(case_id),
                            Binding::person_phone(case_id),
                        ),
                        CaseEvent::PersonCorrected {
                            person_id,
                            full_name,
                            phone,
                            ..
                        } => (
                            person_id,
                            full_name,
                            phone,
                            Binding::person_corrected_full_name(case_id),
                            Binding::person_corrected_phone(case_id),
                        ),
                        _ => continue,
                    };
                let mut items = Vec::with_capacity(2);
                if let Some(sealed) = &full_name {
                    items.push((sealed, SubjectKind::Person, name_aad));
                }
                if let Some(sealed) = &phone {
                    items.push((sealed, SubjectKind::Person, phone_aad));
                }
                if items.is_empty() {
                    continue;
                }
                let opened = self.vault().open_many(pool, &items).await?;
                let mut clear = opened.into_iter().map(|o| match o {
                    Opened::Plain(text) => Some(text),
                    _ => None,
                });
                let name = full_name.as_ref().and_then(|_| clear.next().flatten());
                let number = phone.as_ref().and_then(|_| clear.next().flatten());
                if name.is_none() && number.is_none() {
                    report.unreadable += 1;
                    continue;
                }
                self.index_person(case_id, person_id, name.as_deref(), number.as_deref())
                    .await?;
                report.indexed += 1;
            }
        }
        report.dropped = lookup::forget_other_keys(pool, key).await?;
        Ok(report)
    }
}
