use async_graphql::Variables;
use serde_json::json;

use super::*;

fn model() -> CostModel {
    CostModel::new(&crate::graphql::sdl(), 20_000)
}

fn analyse(query: &str, variables: serde_json::Value) -> Analysis {
    model()
        .analyse(query, None, &Variables::from_json(variables))
        .expect("the document parses and has one operation")
}

const CASES: &str = "cases(first: 100) { edges { node { id persons { fullName } } } }";

#[test]
fn a_list_costs_by_first_and_nested_lists_multiply() {
    let one = analyse(&format!("{{ {CASES} }}"), json!({}));
    // 1 + 100 x (1 + edges 1 + node (20 + id 1 + persons (1 + 10 x (1 + fullName 10)))).
    assert_eq!(one.cost, 1 + 100 * (1 + 1 + (20 + 1 + (1 + 10 * (1 + 10)))));
    assert_eq!(one.cost, 13_401);
    let small = analyse("{ cases(first: 10) { edges { node { id } } } }", json!({}));
    let default = analyse("{ cases { edges { node { id } } } }", json!({}));
    assert_eq!(small.cost, 1 + 10 * (1 + 1 + STREAM_LOAD + 1));
    assert_eq!(
        default.cost,
        1 + 20 * (1 + 1 + STREAM_LOAD + 1),
        "absent first is the default page"
    );
    assert!(model().admit(&one).is_ok());
}

#[test]
fn thirty_aliases_are_thirty_lists_and_over_the_budget() {
    let aliases: String = (0..30).map(|i| format!("a{i}: {CASES} ")).collect();
    let many = analyse(&format!("{{ {aliases} }}"), json!({}));
    let one = analyse(&format!("{{ {CASES} }}"), json!({}));
    assert_eq!(many.cost, 30 * one.cost);
    assert_eq!(many.root_fields, 30);
    assert_eq!(
        model().admit(&many),
        Err(Refusal::OverBudget {
            cost: many.cost,
            budget: 20_000
        })
    );
}

#[test]
fn fragments_and_variables_cost_what_the_inline_text_costs() {
    let inline = analyse(&format!("{{ {CASES} }}"), json!({}));
    let named = analyse(
        "query Q($n: Int) { cases(first: $n) { ...Page } }
         fragment Page on CaseConnection { edges { node { ...on Case { id persons { ...Name } } } } }
         fragment Name on Person { fullName }",
        json!({ "n": 100 }),
    );
    assert_eq!(named.cost, inline.cost);
    let defaulted = analyse(
        "query Q($n: Int = 100) { cases(first: $n) { edges { node { id persons { fullName } } } } }",
        json!({}),
    );
    assert_eq!(
        defaulted.cost, inline.cost,
        "a variable's default value counts"
    );
}

#[test]
fn thousands_of_aliased_stream_loads_are_over_the_budget() {
    let aliases: String = (0..2_000)
        .map(|i| format!("a{i}: case(id: \"x\") {{ id }} "))
        .collect();
    let a = analyse(&format!("{{ {aliases} }}"), json!({}));
    assert_eq!(a.cost, 2_000 * (STREAM_LOAD + 1));
    assert!(model().admit(&a).is_err());
}

#[test]
fn root_fields_count_aliases_and_fragments() {
    let doc = "mutation { a: closeCase(input: $i) { id } ...More }
               fragment More on Mutation { b: closeCase(input: $i) { id } c: reopenCase(input: $j) { id } }";
    assert_eq!(analyse(doc, json!({})).root_fields, 3);
}

#[test]
fn a_fragment_spread_exponentially_is_priced_once_per_fragment() {
    // F0 spreads F1 twice, F1 spreads F2 twice, ... : 2^40 fields as text.
    let mut doc = String::from("{ case(id: \"x\") { ...F0 } }\n");
    for i in 0..40 {
        doc.push_str(&format!(
            "fragment F{i} on Case {{ ...F{j} ...F{j} }}\n",
            j = i + 1
        ));
    }
    doc.push_str("fragment F40 on Case { id }\n");
    let a = analyse(&doc, json!({}));
    assert!(
        model().admit(&a).is_err(),
        "priced at {} and refused",
        a.cost
    );
}

#[test]
fn statistics_cost_grows_with_the_period() {
    let q = |from: &str, to: &str| {
        analyse(
            &format!(
                "{{ statistics(from: \"{from}\", to: \"{to}\") {{ monthly {{ month calls }} }} }}"
            ),
            json!({}),
        )
        .cost
    };
    let month = q("2021-01-01", "2021-01-31");
    let decade = q("2011-01-01", "2020-12-31");
    assert_eq!(month, STATISTICS + 1 + (1 + (1 + 2)), "one month");
    assert_eq!(decade, STATISTICS + 120 + (1 + 120 * (1 + 2)));
}

#[test]
fn introspection_is_cheap_and_outside_the_depth_limit() {
    let query = include_str!("../../../../tests/fixtures/introspection.graphql");
    let a = analyse(query, json!({}));
    assert!(model().admit(&a).is_ok(), "{a:?}");
    assert!(a.cost <= INTROSPECTION);
    assert!(
        a.introspection.depth > crate::graphql::MAX_DEPTH,
        "deeper than other queries may go"
    );
    assert_eq!(a.introspection.lists, MAX_INTROSPECTION_LISTS);
}

#[test]
fn introspection_that_multiplies_its_lists_is_refused() {
    let a = analyse(
        "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }",
        json!({}),
    );
    assert!(model().admit(&a).is_err(), "{a:?}");
}

#[test]
fn other_queries_keep_the_depth_limit() {
    let deep = (0..13).fold(String::from("id"), |inner, i| format!("f{i} {{ {inner} }}"));
    let a = analyse(&format!("{{ {deep} }}"), json!({}));
    assert_eq!(
        model().admit(&a),
        Err(Refusal::TooDeep {
            depth: 14,
            max: crate::graphql::MAX_DEPTH
        })
    );
}

#[test]
fn every_query_of_the_integration_guide_is_within_the_budget() {
    let guide = include_str!("../../../../docs/GRAPHQL.md");
    let mut priced = 0;
    // The guide's requests are `gql "$TOKEN" '<document>' var=value ...` in its sh blocks.
    for call in guide.split("gql \"$").skip(1) {
        let Some(document) = call.split('\'').nth(1) else {
            continue;
        };
        if !document.contains('{') {
            continue;
        }
        let a = model()
            .analyse(document, None, &Variables::default())
            .unwrap_or_else(|| panic!("parses: {document}"));
        assert!(model().admit(&a).is_ok(), "{a:?}: {document}");
        priced += 1;
    }
    assert!(priced >= 10, "the guide's examples were found ({priced})");
}
