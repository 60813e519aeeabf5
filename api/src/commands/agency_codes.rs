//! The agency a client names: a contract value alone (the agency of that
//! code), or a reference-data code (`agencyCode`, an agency ADMIN added)
//! with the contract value it reports as. The contract's `agency` input is
//! required, so a code comes with its class, and the two must agree on the
//! day of the referral; the domain checks the code again when it decides.

use chrono::{DateTime, Utc};
use domain::reference::vietnam_day;
use domain::values::Agency;

use super::CommandService;
use crate::error::{ApiError, ApiResult};

impl CommandService {
    /// `given` is the contract value the client sent; `code` the optional
    /// `agencyCode` (named `field` in errors) and `at` the day it acts on.
    pub(super) async fn named_agency(
        &self,
        given: Agency,
        code: Option<&str>,
        field: &str,
        at: DateTime<Utc>,
    ) -> ApiResult<Agency> {
        let Some(code) = code.map(str::trim) else {
            return Ok(given);
        };
        let agency: Agency = code.parse().map_err(|_| {
            ApiError::BadUserInput(format!(
                "{field} must be an agency code of the reference data (A-Z, 0-9 and _, at most 40)"
            ))
        })?;
        let class = self
            .reference_book()
            .await?
            .agency_on(agency, vietnam_day(at))?;
        if given != class {
            return Err(ApiError::BadUserInput(format!(
                "{field} {agency} reports as {class}, not {given}: give agency {class} with it"
            )));
        }
        Ok(agency)
    }
}
