//! The walk that prices one operation (weights: see the module above).

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{
    ExecutableDocument, Field, OperationDefinition, Selection, SelectionSet,
};
use async_graphql::{Name, Value, Variables};

use super::prices::*;

/// The price of a selection: its cost and how deep it reaches.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Priced {
    pub cost: u64,
    pub depth: usize,
}

impl Priced {
    fn and(self, other: Priced) -> Priced {
        Priced {
            cost: self.cost.saturating_add(other.cost),
            depth: self.depth.max(other.depth),
        }
    }
}

pub(super) struct Walker<'a> {
    model: &'a Fields,
    doc: &'a ExecutableDocument,
    op: &'a OperationDefinition,
    variables: &'a Variables,
    /// Months of the statistics period being priced (for `monthly`).
    months: u64,
    /// A fragment's price depends only on it (and the period): priced once.
    priced: HashMap<(Name, u64), Priced>,
    /// Fragments being priced: a cycle (refused by validation) adds nothing.
    visiting: HashSet<Name>,
    /// The deepest introspection selection seen.
    pub introspection: Shape,
    shapes: HashMap<Name, Shape>,
}

/// How deep an introspection selection reaches, and how many of its list
/// fields nest inside one another: its answer grows with the product of
/// those lists, so their nesting is what must stay bounded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shape {
    pub depth: usize,
    pub lists: usize,
}

/// Introspection fields that answer lists.
fn is_introspection_list(name: &str) -> bool {
    matches!(
        name,
        "types"
            | "fields"
            | "args"
            | "inputFields"
            | "enumValues"
            | "interfaces"
            | "possibleTypes"
            | "directives"
    )
}

impl<'a> Walker<'a> {
    pub fn new(
        model: &'a Fields,
        doc: &'a ExecutableDocument,
        op: &'a OperationDefinition,
        variables: &'a Variables,
    ) -> Self {
        Self {
            model,
            doc,
            op,
            variables,
            months: MAX_MONTHS,
            priced: HashMap::new(),
            visiting: HashSet::new(),
            introspection: Shape::default(),
            shapes: HashMap::new(),
        }
    }

    /// The shape of a selection below `__schema` or `__type`.
    fn introspection(&mut self, set: &SelectionSet) -> Shape {
        let mut shape = Shape::default();
        for item in selection_items(set) {
            let inner = match item {
                Selection::Field(f) => {
                    let below = self.introspection(&f.node.selection_set.node);
                    let list = usize::from(is_introspection_list(f.node.name.node.as_str()));
                    Shape {
                        depth: below.depth + 1,
                        lists: below.lists + list,
                    }
                }
                Selection::InlineFragment(i) => self.introspection(&i.node.selection_set.node),
                Selection::FragmentSpread(s) => {
                    let name = &s.node.fragment_name.node;
                    if let Some(known) = self.shapes.get(name) {
                        *known
                    } else if let (Some(fragment), true) = (
                        self.doc.fragments.get(name),
                        self.visiting.insert(name.clone()),
                    ) {
                        let found = self.introspection(&fragment.node.selection_set.node);
                        self.visiting.remove(name);
                        self.shapes.insert(name.clone(), found);
                        found
                    } else {
                        Shape::default()
                    }
                }
            };
            shape.depth = shape.depth.max(inner.depth);
            shape.lists = shape.lists.max(inner.lists);
        }
        shape
    }

    /// Prices a selection set on `parent`; its depth is relative to it.
    pub fn selection_set(&mut self, set: &SelectionSet, parent: &str) -> Priced {
        let mut total = Priced::default();
        for item in selection_items(set) {
            let priced = match item {
                Selection::Field(f) => self.field(&f.node, parent),
                Selection::FragmentSpread(s) => self.fragment(&s.node.fragment_name.node),
                Selection::InlineFragment(i) => {
                    let on = i
                        .node
                        .type_condition
                        .as_ref()
                        .map(|c| c.node.on.node.to_string());
                    let on = on.as_deref().unwrap_or(parent);
                    self.selection_set(&i.node.selection_set.node, on)
                }
            };
            total = total.and(priced);
        }
        total
    }

    fn fragment(&mut self, name: &Name) -> Priced {
        let key = (name.clone(), self.months);
        if let Some(p) = self.priced.get(&key) {
            return *p;
        }
        let Some(fragment) = self.doc.fragments.get(name) else {
            return Priced::default();
        };
        if !self.visiting.insert(name.clone()) {
            return Priced::default();
        }
        let on = fragment.node.type_condition.node.on.node.to_string();
        let priced = self.selection_set(&fragment.node.selection_set.node, &on);
        self.visiting.remove(name);
        self.priced.insert(key, priced);
        priced
    }

    fn field(&mut self, f: &Field, parent: &str) -> Priced {
        let name = f.name.node.as_str();
        match name {
            "__typename" => return Priced { cost: 0, depth: 1 },
            // Static schema data: flat price, outside the depth limit, but
            // with limits of its own (see `introspection`).
            "__schema" | "__type" => {
                let shape = self.introspection(&f.selection_set.node);
                self.introspection.depth = self.introspection.depth.max(shape.depth + 1);
                self.introspection.lists = self.introspection.lists.max(shape.lists);
                return Priced {
                    cost: INTROSPECTION,
                    depth: 0,
                };
            }
            _ => {}
        }
        let Some(ty) = self.model.field(parent, name).cloned() else {
            // Not in the schema: validation refuses it; priced as one field
            // per level, so that depth still counts.
            let child = self.selection_set(&f.selection_set.node, "");
            return Priced {
                cost: child.cost.saturating_add(1),
                depth: child.depth + 1,
            };
        };
        let outer_months = self.months;
        let mut weight = 1;
        let mut items = 1;
        let mut listed = ty.list || ty.paged;
        if parent == "Mutation" {
            weight = COMMAND;
        } else if parent == "Query" && name == "statistics" {
            self.months = months(
                self.argument(f, "from").as_ref(),
                self.argument(f, "to").as_ref(),
            );
            weight = STATISTICS + self.months;
            // As of a position, the sums come from the period's facts, not its cells.
            if !matches!(self.argument(f, "asOfPosition"), None | Some(Value::Null)) {
                weight = weight.saturating_add(STATISTICS_AS_OF);
            }
        } else if matches!(
            (parent, name),
            ("Statistics", "monthly" | "monthlyReport") | ("CodeCount", "monthly")
        ) {
            items = self.months;
        } else if name == "caseHistory" || name == "callHistory" {
            weight = HISTORY;
        } else if name == "events" && parent.ends_with("History") {
            items = HISTORY_EVENTS;
        } else if parent == "Query"
            && matches!(
                name,
                "transparencyLog" | "inclusionProof" | "consistencyProof"
            )
        {
            // Each reads every leaf hash of the tree and builds it.
            weight = INTEGRITY_ALL;
        } else if name == "verifyIntegrity" {
            let one_stream = !matches!(self.argument(f, "streamId"), None | Some(Value::Null));
            weight = if one_stream { HISTORY } else { INTEGRITY_ALL };
        } else if ty.paged {
            items = page_size(self.argument(f, "first").as_ref());
        } else if parent.ends_with("Connection") && (name == "edges" || name == "nodes") {
            // The items the paged field above already counted.
            listed = false;
        } else if ty.list {
            items = NESTED_LIST;
        } else if is_personal(name) {
            weight = PERSONAL_DATA;
        }
        let loads_stream = (parent == "Query" && !ty.list && !ty.paged && weight == 1)
            || (name == "node" && parent.ends_with("Edge"));
        let child = self.selection_set(&f.selection_set.node, &ty.named);
        self.months = outer_months;
        if loads_stream && !f.selection_set.node.items.is_empty() {
            weight = STREAM_LOAD;
        }
        // Each item of a list costs one plus its selection.
        let per_item = if listed {
            child.cost.saturating_add(1)
        } else {
            child.cost
        };
        Priced {
            cost: weight.saturating_add(items.saturating_mul(per_item)),
            depth: child.depth + 1,
        }
    }

    /// An argument's value, variables resolved (their defaults too).
    fn argument(&self, f: &Field, name: &str) -> Option<Value> {
        let (_, value) = f.arguments.iter().find(|(n, _)| n.node == name)?;
        value
            .node
            .clone()
            .into_const_with(|var| {
                self.variables
                    .get(&var)
                    .cloned()
                    .or_else(|| {
                        self.op
                            .variable_definitions
                            .iter()
                            .find(|d| d.node.name.node == var)
                            .and_then(|d| d.node.default_value.as_ref())
                            .map(|v| v.node.clone())
                    })
                    .ok_or(())
            })
            .ok()
    }

    /// Root fields of the operation, aliases and fragments expanded.
    pub fn root_fields(&self, set: &SelectionSet) -> u32 {
        let mut memo = HashMap::new();
        count_fields(self.doc, set, &mut memo, &mut HashSet::new())
    }
}

fn count_fields(
    doc: &ExecutableDocument,
    set: &SelectionSet,
    memo: &mut HashMap<Name, u32>,
    visiting: &mut HashSet<Name>,
) -> u32 {
    let mut n: u32 = 0;
    for item in selection_items(set) {
        let add = match item {
            Selection::Field(f) if f.node.name.node.starts_with("__") => 0,
            Selection::Field(_) => 1,
            Selection::InlineFragment(i) => {
                count_fields(doc, &i.node.selection_set.node, memo, visiting)
            }
            Selection::FragmentSpread(s) => {
                let name = &s.node.fragment_name.node;
                match (memo.get(name), doc.fragments.get(name)) {
                    (Some(k), _) => *k,
                    (None, Some(fragment)) if visiting.insert(name.clone()) => {
                        let k =
                            count_fields(doc, &fragment.node.selection_set.node, memo, visiting);
                        visiting.remove(name);
                        memo.insert(name.clone(), k);
                        k
                    }
                    _ => 0,
                }
            }
        };
        n = n.saturating_add(add);
    }
    n
}
