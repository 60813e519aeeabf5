//! The category and topic codes a call or session names. Categories and
//! topics are dated reference data: ADMIN adds one (`changeReferenceData`
//! with `reportsAs`) without a release. The contract's enums are the
//! *classes* the report counts; a code ADMIN added reports as the class it
//! names. Events keep the class where they always did (`category`,
//! `topics`), so every reader counts an added code under its class, and
//! record the added code beside it (`category_code`, `topic_codes`) only
//! when there is one: events naming contract values read and write as before.

use chrono::NaiveDate;

use crate::error::DomainError;
use crate::reference::book::ReferenceBook;
use crate::values::{normalised, CallCategory, CounsellingTopic};

/// The category a call counts under and the added code it records, if any.
/// `code` is checked against the book on `day`; `given` (the contract's
/// required enum) must be its class.
pub(super) fn category_named(
    book: &ReferenceBook,
    given: CallCategory,
    code: Option<&str>,
    day: NaiveDate,
) -> Result<(CallCategory, Option<String>), DomainError> {
    let Some(code) = code else {
        return Ok((given, None));
    };
    let class = book.category_on(code, day)?;
    if class != given {
        return Err(reports_as(
            "categoryCode",
            code,
            class.as_str(),
            given.as_str(),
        ));
    }
    let added = code.parse::<CallCategory>().is_err();
    Ok((class, added.then(|| code.to_string())))
}

/// The topics' classes and, when one of `codes` was added by ADMIN, every
/// code (sorted, once each). Each code is checked on `day`; `given`, when
/// not empty, must be exactly the codes' classes.
pub(super) fn topics_named(
    book: &ReferenceBook,
    given: &[CounsellingTopic],
    codes: &[String],
    day: NaiveDate,
) -> Result<(Vec<CounsellingTopic>, Vec<String>), DomainError> {
    if codes.is_empty() {
        return Ok((normalised(given), vec![]));
    }
    let mut classes = Vec::with_capacity(codes.len());
    for code in codes {
        classes.push((code, book.topic_on(code, day)?));
    }
    let topics = normalised(&classes.iter().map(|(_, c)| *c).collect::<Vec<_>>());
    let given = normalised(given);
    if !given.is_empty() && given != topics {
        let names =
            |ts: &[CounsellingTopic]| ts.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ");
        return Err(reports_as(
            "topicCodes",
            &codes.join(", "),
            &names(&topics),
            &names(&given),
        ));
    }
    let added = codes.iter().any(|c| c.parse::<CounsellingTopic>().is_err());
    let mut recorded: Vec<String> = if added { codes.to_vec() } else { vec![] };
    recorded.sort();
    recorded.dedup();
    Ok((topics, recorded))
}

fn reports_as(field: &'static str, code: &str, class: &str, given: &str) -> DomainError {
    DomainError::CodeReportsAs {
        field,
        // Bounded: the codes are the client's input.
        code: code.chars().take(400).collect(),
        class: class.to_string(),
        given: given.to_string(),
    }
}
