//! The GraphQL documents clients send, parsed once each.
//!
//! Clients send a handful of fixed documents (the frontends' operations),
//! each with new variables. Parsing one is a tenth of the server's CPU per
//! `receiveCall` (async-graphql's pest parser, `docs/PERFORMANCE.md`), so
//! the parse is kept by its text and handed to the next request with the
//! same text (`Request::set_parsed_query`). Validation still runs on every
//! request, as it depends on the variables; a document's text is its whole
//! meaning, so the same text always parses to the same document.
//!
//! Bounded so that a client cannot grow it: at most [`DOCUMENTS`] texts of
//! at most [`LONGEST`] bytes each; when it is full it is emptied and
//! refills with what clients send now.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_graphql::parser::types::ExecutableDocument;

/// Distinct documents kept.
const DOCUMENTS: usize = 256;
/// Longest document kept, in bytes (every operation of the hotline's own
/// frontends is far shorter).
const LONGEST: usize = 16 * 1024;

/// Parsed documents by their text.
#[derive(Default)]
pub struct ParsedDocuments {
    parsed: Mutex<HashMap<Arc<str>, ExecutableDocument>>,
}

impl ParsedDocuments {
    /// Gives `request` its parsed document: the kept one for its text, or
    /// a fresh parse (kept when it parses). A text that does not parse is
    /// left to async-graphql, which reports the error as before.
    pub fn prepare(&self, request: &mut async_graphql::Request) {
        if request.query.len() > LONGEST {
            return;
        }
        let kept = self
            .parsed
            .lock()
            .ok()
            .and_then(|parsed| parsed.get(request.query.as_str()).cloned());
        if let Some(document) = kept {
            request.set_parsed_query(document);
            return;
        }
        let Ok(document) = request.parsed_query() else {
            return;
        };
        let document = document.clone();
        if let Ok(mut parsed) = self.parsed.lock() {
            if parsed.len() >= DOCUMENTS {
                parsed.clear();
            }
            parsed.insert(Arc::from(request.query.as_str()), document);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.parsed.lock().map(|p| p.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str) -> async_graphql::Request {
        async_graphql::Request::new(query)
    }

    #[test]
    fn a_kept_document_is_the_parse_of_its_text() {
        let documents = ParsedDocuments::default();
        let text = "mutation M($input: ReceiveCallInput!) { receiveCall(input: $input) { id } }";
        let mut first = request(text);
        documents.prepare(&mut first);
        assert_eq!(documents.len(), 1);
        let mut second = request(text);
        documents.prepare(&mut second);
        assert_eq!(documents.len(), 1);
        let fresh = async_graphql::parser::parse_query(text).expect("parses");
        let kept = second.parsed_query().expect("given its document");
        assert_eq!(format!("{kept:?}"), format!("{fresh:?}"));
    }

    #[test]
    fn texts_that_do_not_parse_or_are_too_long_are_not_kept() {
        let documents = ParsedDocuments::default();
        let mut broken = request("mutation { receiveCall(input: ");
        documents.prepare(&mut broken);
        assert!(broken.parsed_query().is_err());
        let long = format!("{{ calls {{ totalCount }} }}{}", " ".repeat(LONGEST));
        documents.prepare(&mut request(&long));
        assert_eq!(documents.len(), 0);
    }

    #[test]
    fn it_never_holds_more_than_its_bound() {
        let documents = ParsedDocuments::default();
        for i in 0..(DOCUMENTS * 2 + 3) {
            documents.prepare(&mut request(&format!("query Q{i} {{ __typename }}")));
            assert!(documents.len() <= DOCUMENTS);
        }
        assert!(documents.len() >= 1);
    }
}
