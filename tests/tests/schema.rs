//! The served schema contains the whole API contract, and `schema.graphql`
//! is the served SDL exactly (regenerate with `UPDATE_SCHEMA=1 cargo test -p casetrail-tests --test schema`).

use casetrail_tests::contract::contract_violations;

const CONTRACT: &str = include_str!("../../../shared/contract.graphql");

fn committed_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema.graphql")
}

#[test]
fn served_schema_contains_every_type_field_argument_and_enum_value_of_the_contract() {
    let violations = contract_violations(CONTRACT, &api::graphql::sdl());
    assert!(
        violations.is_empty(),
        "the served schema breaks the contract:\n{}",
        violations.join("\n")
    );
}

#[test]
fn committed_schema_graphql_is_the_served_sdl() {
    let served = api::graphql::sdl();
    let path = committed_path();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &served).expect("schema.graphql is writable");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == served,
        "schema.graphql differs from the served SDL; if the change is intended, run \
         UPDATE_SCHEMA=1 cargo test -p casetrail-tests --test schema and commit it"
    );
}
