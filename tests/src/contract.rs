//! GraphQL SDL conformance: does the served schema contain the API contract?
//!
//! The served schema may add types, fields, enum values, union members,
//! nullable or defaulted arguments and input fields. It must not miss or
//! retype anything the contract declares. Descriptions and directives are
//! ignored; root types are matched by operation, not by name.

use std::collections::BTreeMap;

use async_graphql_parser::types::{
    FieldDefinition, InputValueDefinition, ServiceDocument, Type, TypeKind, TypeSystemDefinition,
};
use async_graphql_parser::{parse_schema, Positioned};

const OPERATIONS: [&str; 3] = ["query", "mutation", "subscription"];
const DEFAULT_ROOTS: [&str; 3] = ["Query", "Mutation", "Subscription"];
const BUILTIN_SCALARS: [&str; 5] = ["Int", "Float", "String", "Boolean", "ID"];

/// One named type, with any `extend` definitions of it merged in.
#[derive(Default)]
struct TypeInfo<'a> {
    /// The SDL keyword: `scalar`, `type`, `interface`, `union`, `enum`, `input`.
    keyword: &'static str,
    fields: Vec<&'a FieldDefinition>,
    inputs: Vec<&'a InputValueDefinition>,
    /// Enum values or union members.
    members: Vec<&'a str>,
    implements: Vec<&'a str>,
}

struct Schema<'a> {
    types: BTreeMap<&'a str, TypeInfo<'a>>,
    /// Root type names for query, mutation and subscription.
    roots: [Option<&'a str>; 3],
}

fn nodes<T>(items: &[Positioned<T>]) -> impl Iterator<Item = &T> {
    items.iter().map(|item| &item.node)
}

fn index(doc: &ServiceDocument) -> Schema<'_> {
    let mut types: BTreeMap<&str, TypeInfo> = BTreeMap::new();
    let mut declared_roots: Option<[Option<&str>; 3]> = None;
    for definition in &doc.definitions {
        match definition {
            TypeSystemDefinition::Schema(schema) => {
                let s = &schema.node;
                let roots = declared_roots.get_or_insert([None; 3]);
                for (slot, name) in roots
                    .iter_mut()
                    .zip([&s.query, &s.mutation, &s.subscription])
                {
                    if let Some(name) = name {
                        *slot = Some(name.node.as_str());
                    }
                }
            }
            TypeSystemDefinition::Type(ty) => {
                let info = types.entry(ty.node.name.node.as_str()).or_default();
                match &ty.node.kind {
                    TypeKind::Scalar => info.keyword = "scalar",
                    TypeKind::Object(o) => {
                        info.keyword = "type";
                        info.fields.extend(nodes(&o.fields));
                        info.implements
                            .extend(nodes(&o.implements).map(|n| n.as_str()));
                    }
                    TypeKind::Interface(i) => {
                        info.keyword = "interface";
                        info.fields.extend(nodes(&i.fields));
                        info.implements
                            .extend(nodes(&i.implements).map(|n| n.as_str()));
                    }
                    TypeKind::Union(u) => {
                        info.keyword = "union";
                        info.members.extend(nodes(&u.members).map(|n| n.as_str()));
                    }
                    TypeKind::Enum(e) => {
                        info.keyword = "enum";
                        info.members
                            .extend(nodes(&e.values).map(|v| v.value.node.as_str()));
                    }
                    TypeKind::InputObject(i) => {
                        info.keyword = "input";
                        info.inputs.extend(nodes(&i.fields));
                    }
                }
            }
            TypeSystemDefinition::Directive(_) => {}
        }
    }
    let roots = declared_roots
        .unwrap_or_else(|| DEFAULT_ROOTS.map(|name| types.contains_key(name).then_some(name)));
    Schema { types, roots }
}

fn parse(which: &str, sdl: &str, out: &mut Vec<String>) -> Option<ServiceDocument> {
    parse_schema(sdl)
        .map_err(|e| out.push(format!("{which} SDL does not parse: {e}")))
        .ok()
}

/// Every way in which `served_sdl` fails to contain `contract_sdl`, one
/// human-readable line each; empty when the served schema conforms.
pub fn contract_violations(contract_sdl: &str, served_sdl: &str) -> Vec<String> {
    let mut out = Vec::new();
    let contract = parse("contract", contract_sdl, &mut out);
    let served = parse("served", served_sdl, &mut out);
    let (Some(contract), Some(served)) = (contract, served) else {
        return out;
    };
    let (contract, served) = (index(&contract), index(&served));

    // Contract root type name -> served root type name (None: root missing).
    let mut roots: BTreeMap<&str, Option<&str>> = BTreeMap::new();
    for (i, op) in OPERATIONS.iter().enumerate() {
        if let Some(want) = contract.roots[i] {
            if served.roots[i].is_none() {
                out.push(format!("schema: {op} root type missing (contract: {want})"));
            }
            roots.insert(want, served.roots[i]);
        }
    }

    for (&name, want) in &contract.types {
        if want.keyword == "scalar" && BUILTIN_SCALARS.contains(&name) {
            continue;
        }
        let what = format!("{} {name}", want.keyword);
        let Some(served_name) = roots.get(name).copied().unwrap_or(Some(name)) else {
            continue; // missing root type, already reported
        };
        let Some(have) = served.types.get(served_name) else {
            out.push(format!("{what} missing"));
            continue;
        };
        if have.keyword != want.keyword {
            out.push(format!(
                "{what} is declared as `{}` in the served schema",
                have.keyword
            ));
            continue;
        }
        compare_type(&what, want, have, &mut out);
    }
    out
}

fn compare_type(what: &str, want: &TypeInfo, have: &TypeInfo, out: &mut Vec<String>) {
    let noun = if want.keyword == "enum" {
        "value"
    } else {
        "member"
    };
    for member in want.members.iter().filter(|m| !have.members.contains(m)) {
        out.push(format!("{what}: {noun} `{member}` missing"));
    }
    for interface in want
        .implements
        .iter()
        .filter(|i| !have.implements.contains(i))
    {
        out.push(format!("{what}: does not implement `{interface}`"));
    }
    for field in &want.fields {
        let name = field.name.node.as_str();
        let Some(served) = have.fields.iter().find(|f| f.name.node == field.name.node) else {
            out.push(format!("{what}: field `{name}` missing"));
            continue;
        };
        let owner = format!("{what}: field `{name}`");
        compare_types(&owner, &field.ty.node, &served.ty.node, out);
        let want_args: Vec<_> = nodes(&field.arguments).collect();
        let have_args: Vec<_> = nodes(&served.arguments).collect();
        compare_inputs(&owner, " argument", &want_args, &have_args, out);
    }
    compare_inputs(what, ": field", &want.inputs, &have.inputs, out);
}

/// Compares argument lists or input-object fields. `noun` carries its
/// separator from `owner`: " argument" or ": field".
fn compare_inputs(
    owner: &str,
    noun: &str,
    want: &[&InputValueDefinition],
    have: &[&InputValueDefinition],
    out: &mut Vec<String>,
) {
    for input in want {
        let name = input.name.node.as_str();
        match have.iter().find(|h| h.name.node == input.name.node) {
            None => out.push(format!("{owner}{noun} `{name}` missing")),
            Some(served) => {
                let what = format!("{owner}{noun} `{name}`");
                compare_types(&what, &input.ty.node, &served.ty.node, out);
            }
        }
    }
    let bare_noun = noun.trim_start_matches([':', ' ']);
    for extra in have
        .iter()
        .filter(|h| !want.iter().any(|w| w.name.node == h.name.node))
    {
        if !extra.ty.node.nullable && extra.default_value.is_none() {
            let name = extra.name.node.as_str();
            out.push(format!("{owner} has extra required {bare_noun} `{name}`"));
        }
    }
}

fn compare_types(what: &str, want: &Type, have: &Type, out: &mut Vec<String>) {
    if want != have {
        out.push(format!("{what} is `{have}`, contract says `{want}`"));
    }
}

#[cfg(test)]
mod tests {
    use super::contract_violations;

    const CONTRACT: &str = include_str!("../../../shared/contract.graphql");

    const SMALL: &str = r#"
        scalar Date
        enum Region { NORTH SOUTH }
        interface Node { id: ID! }
        type Case implements Node { id: ID! closedAt: Date region: Region! }
        union Item = Case
        input CaseFilter { region: Region openedFrom: Date }
        type Query { cases(first: Int, filter: CaseFilter): [Case!]! }
    "#;

    /// The small contract with `from` replaced by `to` (which must occur).
    fn served(from: &str, to: &str) -> String {
        assert!(SMALL.contains(from), "snippet lacks {from:?}");
        SMALL.replacen(from, to, 1)
    }

    fn check(served: &str) -> Vec<String> {
        contract_violations(SMALL, served)
    }

    #[test]
    fn real_contract_against_itself_has_no_violations() {
        assert!(CONTRACT.contains("type Query"), "contract file looks wrong");
        assert_eq!(
            contract_violations(CONTRACT, CONTRACT),
            Vec::<String>::new()
        );
    }

    #[test]
    fn real_contract_missing_a_field_is_caught() {
        let served = CONTRACT.replacen("  closedAt: DateTime\n", "", 1);
        assert_ne!(served, CONTRACT);
        assert_eq!(
            contract_violations(CONTRACT, &served),
            ["type Case: field `closedAt` missing"]
        );
    }

    #[test]
    fn small_contract_against_itself_has_no_violations() {
        assert_eq!(check(SMALL), Vec::<String>::new());
    }

    #[test]
    fn additions_and_renamed_roots_are_allowed() {
        let served = r#"
            schema { query: QueryRoot }
            directive @oneOf on INPUT_OBJECT
            scalar Date @specifiedBy(url: "https://example.com")
            scalar Extra
            enum Region { NORTH SOUTH EAST }
            interface Node { id: ID! }
            type Case implements Node { id: ID! closedAt: Date region: Region! note: String }
            union Item = Case | Other
            type Other { x: Int }
            input CaseFilter { region: Region openedFrom: Date extra: Int limit: Int! = 5 }
            type QueryRoot {
                "docs"
                cases(first: Int, filter: CaseFilter, last: Int, sort: String! = "id"): [Case!]!
                other: Other
            }
        "#;
        assert_eq!(check(served), Vec::<String>::new());
    }

    #[test]
    fn removed_field() {
        let served = served("closedAt: Date ", "");
        assert_eq!(check(&served), ["type Case: field `closedAt` missing"]);
    }

    #[test]
    fn changed_field_nullability() {
        let served = served("closedAt: Date ", "closedAt: Date! ");
        assert_eq!(
            check(&served),
            ["type Case: field `closedAt` is `Date!`, contract says `Date`"]
        );
    }

    #[test]
    fn changed_list_wrapping() {
        let served = served("): [Case!]!", "): [Case]!");
        assert_eq!(
            check(&served),
            ["type Query: field `cases` is `[Case]!`, contract says `[Case!]!`"]
        );
    }

    #[test]
    fn removed_enum_value() {
        let served = served("NORTH SOUTH", "NORTH");
        assert_eq!(check(&served), ["enum Region: value `SOUTH` missing"]);
    }

    #[test]
    fn retyped_argument() {
        let served = served("first: Int", "first: String");
        assert_eq!(
            check(&served),
            ["type Query: field `cases` argument `first` is `String`, contract says `Int`"]
        );
    }

    #[test]
    fn removed_argument() {
        let served = served("first: Int, ", "");
        assert_eq!(
            check(&served),
            ["type Query: field `cases` argument `first` missing"]
        );
    }

    #[test]
    fn removed_input_field() {
        let served = served(" openedFrom: Date", "");
        assert_eq!(
            check(&served),
            ["input CaseFilter: field `openedFrom` missing"]
        );
    }

    #[test]
    fn changed_input_field_nullability() {
        let served = served("{ region: Region ", "{ region: Region! ");
        assert_eq!(
            check(&served),
            ["input CaseFilter: field `region` is `Region!`, contract says `Region`"]
        );
    }

    #[test]
    fn extra_required_argument() {
        let served = served("filter: CaseFilter)", "filter: CaseFilter, foo: Int!)");
        assert_eq!(
            check(&served),
            ["type Query: field `cases` has extra required argument `foo`"]
        );
    }

    #[test]
    fn extra_required_input_field() {
        let served = served("openedFrom: Date }", "openedFrom: Date bar: String! }");
        assert_eq!(
            check(&served),
            ["input CaseFilter has extra required field `bar`"]
        );
    }

    #[test]
    fn missing_scalar_union_member_and_interface() {
        let served = served("scalar Date", "scalar Day");
        let served = served.replacen(
            "union Item = Case",
            "union Item = Day2\ntype Day2 { x: Int }",
            1,
        );
        let served = served.replacen("implements Node ", "", 1);
        assert_eq!(
            check(&served),
            [
                "type Case: does not implement `Node`",
                "scalar Date missing",
                "union Item: member `Case` missing",
            ]
        );
    }

    #[test]
    fn changed_type_kind() {
        let served = served("enum Region { NORTH SOUTH }", "scalar Region");
        assert_eq!(
            check(&served),
            ["enum Region is declared as `scalar` in the served schema"]
        );
    }

    #[test]
    fn missing_root_type() {
        let contract = "type Query { a: Int } type Mutation { b: Int }";
        assert_eq!(
            contract_violations(contract, "schema { query: Q } type Q { a: Int }"),
            ["schema: mutation root type missing (contract: Mutation)"]
        );
    }

    #[test]
    fn parse_failures_are_violations() {
        let found = contract_violations("type {", "type Query { a: Int }");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("contract SDL does not parse"),
            "{found:?}"
        );
        let found = contract_violations(SMALL, "type Query { a: ");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("served SDL does not parse"),
            "{found:?}"
        );
    }
}
