//! The weights a request is priced with, and what the walk reads of the
//! served schema and of arguments. The walk (`walk.rs`) and the model
//! (`mod.rs`) both use these; this file uses neither.

use std::collections::HashMap;

use async_graphql::parser::types::{
    BaseType, Selection, SelectionSet, Type, TypeKind, TypeSystemDefinition,
};
use async_graphql::Value;
use chrono::{Datelike, NaiveDate};

use crate::graphql::read_models::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

/// Items assumed in a list that has no `first`.
pub const NESTED_LIST: u64 = 10;
/// Events assumed in a history.
pub const HISTORY_EVENTS: u64 = 50;
/// Loading one aggregate from its stream (snapshot and later events: two
/// queries and a fold), the unit the budget is mostly spent in.
pub const STREAM_LOAD: u64 = 20;
/// One personal field in clear: a vault open and an access-log row.
pub const PERSONAL_DATA: u64 = 10;
/// Reading a whole stream as recorded.
pub const HISTORY: u64 = 20;
/// A statistics query, before its months.
pub const STATISTICS: u64 = 20;
/// A statistics query as of a log position: it sums the period's facts
/// (one row per contribution) rather than its day and month cells.
pub const STATISTICS_AS_OF: u64 = 200;
/// Months of the longest statistics period (20 years), when unknown.
pub const MAX_MONTHS: u64 = 241;
/// Recomputing the hash chain of every stream.
pub const INTEGRITY_ALL: u64 = 2_000;
/// One command: load, decide, append.
pub const COMMAND: u64 = 10;
/// `__schema` or `__type`, whatever they select.
pub const INTROSPECTION: u64 = 10;
/// Deepest introspection accepted: the standard query reaches 15.
pub const MAX_INTROSPECTION_DEPTH: usize = 20;
/// Introspection lists nested in one another: the standard query nests 3
/// (`types { fields { args } }`); more multiplies the answer by each.
pub const MAX_INTROSPECTION_LISTS: usize = 3;

/// A field of the served schema: its named type and whether it is a list.
#[derive(Clone, Debug)]
pub(super) struct FieldType {
    pub named: String,
    pub list: bool,
    pub paged: bool,
}

/// The served schema's object fields, read once from its SDL.
pub(super) struct Fields {
    types: HashMap<String, HashMap<String, FieldType>>,
}

impl Fields {
    /// Reads the object types of `sdl` (the served schema).
    pub fn read(sdl: &str) -> Self {
        let mut types = HashMap::new();
        if let Ok(doc) = async_graphql::parser::parse_schema(sdl) {
            for def in doc.definitions {
                let TypeSystemDefinition::Type(t) = def else {
                    continue;
                };
                let fields = match &t.node.kind {
                    TypeKind::Object(o) => &o.fields,
                    TypeKind::Interface(i) => &i.fields,
                    _ => continue,
                };
                let fields = fields
                    .iter()
                    .map(|f| {
                        let (named, list) = field_type(&f.node.ty.node);
                        let paged = f.node.arguments.iter().any(|a| a.node.name.node == "first");
                        (
                            f.node.name.node.to_string(),
                            FieldType { named, list, paged },
                        )
                    })
                    .collect();
                types.insert(t.node.name.node.to_string(), fields);
            }
        }
        Self { types }
    }

    pub(super) fn field(&self, parent: &str, name: &str) -> Option<&FieldType> {
        self.types.get(parent)?.get(name)
    }
}

fn field_type(ty: &Type) -> (String, bool) {
    match &ty.base {
        BaseType::Named(name) => (name.to_string(), false),
        BaseType::List(inner) => (field_type(inner).0, true),
    }
}

/// Items of a paged list: `first`, or the default page size; clamped to the
/// largest page (a larger `first` is refused by the resolver with its own message).
pub(super) fn page_size(first: Option<&Value>) -> u64 {
    let n = match first {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(i64::from(MAX_PAGE_SIZE)),
        _ => i64::from(DEFAULT_PAGE_SIZE),
    };
    u64::try_from(n.clamp(1, i64::from(MAX_PAGE_SIZE))).unwrap_or(1)
}

/// Months a statistics period touches; the longest period when unknown.
pub(super) fn months(from: Option<&Value>, to: Option<&Value>) -> u64 {
    let day = |v: Option<&Value>| match v {
        Some(Value::String(s)) => NaiveDate::parse_from_str(s, "%Y-%m-%d").ok(),
        _ => None,
    };
    match (day(from), day(to)) {
        (Some(from), Some(to)) => {
            let index = |d: NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
            let n = index(to).saturating_sub(index(from)).saturating_add(1);
            u64::try_from(n).unwrap_or(1).clamp(1, MAX_MONTHS)
        }
        _ => MAX_MONTHS,
    }
}

/// Fields that read personal data in clear.
pub(super) fn is_personal(name: &str) -> bool {
    matches!(
        name,
        "fullName" | "phone" | "notes" | "ethnicity" | "reason" | "text" | "description"
    )
}

pub(super) fn selection_items(set: &SelectionSet) -> impl Iterator<Item = &Selection> {
    set.items.iter().map(|s| &s.node)
}
