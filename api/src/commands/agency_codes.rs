//! The agency a client names: a contract value alone (the agency of that
//! code), or a reference-data code (`agencyCode`, an agency ADMIN added)
//! with the contract value it reports as. The contract's `agency` input is
//! required, so a code comes with its class, and the two must agree on the
//! day of the referral; the domain checks the code again when it decides.

use chrono::{DateTime, Utc};
use domain::reference::book::ReferenceBook;
use domain::reference::dated::ReferenceKind;
use domain::reference::vietnam_day;
use domain::values::{Agency, MAX_CODE};

use super::CommandService;
use crate::error::{ApiError, ApiResult};

/// `code` as an agency the reference book knows on some day. Checked before
/// the code becomes an `Agency`, which is interned for the process's life:
/// only codes of the reference data are.
pub fn known_agency(book: &ReferenceBook, field: &str, code: &str) -> ApiResult<Agency> {
    if !book.knows(ReferenceKind::Agency, code) {
        return Err(ApiError::BadUserInput(format!(
            "{field} '{}' is not an agency of the reference data (referenceData lists them)",
            code.chars().take(MAX_CODE).collect::<String>()
        )));
    }
    code.parse().map_err(ApiError::from)
}

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
        let book = self.reference_book().await?;
        let agency = known_agency(&book, field, code)?;
        let class = book.agency_on(agency, vietnam_day(at))?;
        if given != class {
            return Err(ApiError::BadUserInput(format!(
                "{field} {agency} reports as {class}, not {given}: give agency {class} with it"
            )));
        }
        Ok(agency)
    }
}
