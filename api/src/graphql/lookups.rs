//! `lookUpPersons`: the cases a person is on, found by an exact phone
//! number or full name through the blind index (`commands::lookups`), for
//! COUNSELLOR and SUPERVISOR. A lookup answers references only (case and
//! person ids): a counsellor then reads the case, itself access-logged.
//! Every lookup is in the access log, and lookups have a rate limit of
//! their own, far below the general one: the index must not become a way
//! to test a list of numbers.

use async_graphql::{Context, Object, Result, SimpleObject};
use uuid::Uuid;

use super::context::request;
use crate::commands::lookups::LookUpBy;
use crate::error::ApiError;
use crate::policy::{require, Capability};

/// Lookups one token subject may make a minute (per server process).
pub const LOOKUPS_PER_MINUTE: u32 = 30;

#[derive(Default)]
pub struct LookupQuery;

/// A person a lookup found, and the case they are on.
#[derive(SimpleObject)]
pub struct PersonMatch {
    pub case_id: Uuid,
    pub person_id: Uuid,
    /// What matched: `phone` or `fullName`.
    pub matched_on: String,
}

#[Object]
impl LookupQuery {
    /// The persons (and their cases) whose phone number or full name is
    /// exactly this, once normalised (phones to E.164 with +84 as the
    /// default country; names NFC, lower case, single spaces; diacritics
    /// count). Give exactly one of phone or fullName. At most 100, oldest first.
    async fn look_up_persons(
        &self,
        ctx: &Context<'_>,
        phone: Option<String>,
        full_name: Option<String>,
    ) -> Result<Vec<PersonMatch>> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::LookUpPersons)?;
        let (by, value) = match (phone, full_name) {
            (Some(phone), None) => (LookUpBy::Phone, phone),
            (None, Some(name)) => (LookUpBy::FullName, name),
            _ => {
                return Err(
                    ApiError::BadUserInput("give exactly one of phone or fullName".into()).into(),
                )
            }
        };
        if value.chars().count() > 200 {
            return Err(ApiError::BadUserInput(
                "the value looked up is over 200 characters".into(),
            )
            .into());
        }
        if !app.lookup_limit.allow(&req.principal.subject) {
            tracing::warn!(actor = %req.principal.subject, "lookups rate limited");
            return Err(ApiError::RateLimited.into());
        }
        let matched_on = match by {
            LookUpBy::Phone => "phone",
            LookUpBy::FullName => "fullName",
        };
        let found = app
            .commands
            .look_up_persons(&req.purpose("lookUpPersons"), by, &value)
            .await?;
        Ok(found
            .into_iter()
            .map(|f| PersonMatch {
                case_id: f.case_id,
                person_id: f.person_id,
                matched_on: matched_on.to_string(),
            })
            .collect())
    }
}
