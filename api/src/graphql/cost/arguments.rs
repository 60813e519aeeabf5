//! Naming the argument a value error is about. async-graphql reports a
//! scalar or input object that does not parse with the value's position
//! only ("Failed to parse \"Date\": ..."); the client needs the argument's
//! name, so the error is prefixed with the argument standing there.

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::Pos;

/// The name of the argument whose value stands at `at` in `query`.
pub fn argument_at(query: &str, at: Pos) -> Option<String> {
    let doc: ExecutableDocument = async_graphql::parser::parse_query(query).ok()?;
    let sets = doc
        .operations
        .iter()
        .map(|(_, op)| &op.node.selection_set.node)
        .chain(doc.fragments.values().map(|f| &f.node.selection_set.node));
    for set in sets {
        if let Some(name) = in_set(set, at) {
            return Some(name);
        }
    }
    None
}

fn in_set(set: &SelectionSet, at: Pos) -> Option<String> {
    set.items.iter().find_map(|item| match &item.node {
        Selection::Field(f) => f
            .node
            .arguments
            .iter()
            .find(|(_, value)| value.pos == at)
            .map(|(name, _)| name.node.to_string())
            .or_else(|| in_set(&f.node.selection_set.node, at)),
        Selection::InlineFragment(i) => in_set(&i.node.selection_set.node, at),
        Selection::FragmentSpread(_) => None,
    })
}

/// Prefixes value errors of `response` with the argument they are about.
pub fn name_arguments(query: &str, response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        if !error.message.starts_with("Failed to parse") {
            continue;
        }
        if let Some(name) = error
            .locations
            .first()
            .and_then(|at| argument_at(query, *at))
        {
            error.message = format!("argument \"{name}\": {}", error.message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_argument_at_a_position_is_named_in_operations_and_fragments() {
        let query = "query($a: Date!) { statistics(from: $a, to: \"2021-01-01\") { totalCalls } }\n\
                     fragment F on Query { calls(filter: { from: \"0001-01-01\" }) { totalCount } }";
        assert_eq!(
            argument_at(
                query,
                Pos {
                    line: 1,
                    column: 37
                }
            )
            .as_deref(),
            Some("from")
        );
        assert_eq!(
            argument_at(
                query,
                Pos {
                    line: 1,
                    column: 45
                }
            )
            .as_deref(),
            Some("to")
        );
        assert_eq!(
            argument_at(
                query,
                Pos {
                    line: 2,
                    column: 37
                }
            )
            .as_deref(),
            Some("filter")
        );
        assert_eq!(argument_at(query, Pos { line: 1, column: 1 }), None);
    }
}
