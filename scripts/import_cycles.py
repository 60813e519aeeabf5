#!/usr/bin/env python3
"""Shows the import cycles between the Rust source files of each workspace crate.

Usage (from any directory; Python 3.11 or later, standard library only):

    python3 scripts/import_cycles.py                 # every crate of the workspace
    python3 scripts/import_cycles.py --crate api     # one crate (directory or package name)

For each crate it prints "no import cycle in <crate>", or each cycle: the files
that import one another, each with the files of the same cycle it imports and
the line of the first such import. Exit status: 0 when no crate has a cycle,
1 when one does, 2 when the command line or the workspace cannot be read.

Why files: a file is what a newcomer opens and what a change touches; two files
that import each other can only be understood (and moved) together.

What is read
- The targets of each crate by Cargo's conventions: src/lib.rs, src/main.rs,
  src/bin/*.rs, tests/*.rs, benches/*.rs, examples/*.rs. Each is its own module
  tree (its own `crate::`), so a file shared by several integration tests is
  read once per test. `path = ...` entries of Cargo.toml are not followed.
- The module tree: `mod name;` in a crate root or a mod.rs file means
  <dir>/name.rs or <dir>/name/mod.rs; in any other file foo.rs it means
  <dir>/foo/name.rs or <dir>/foo/name/mod.rs; inside an inline `mod m { ... }`
  one more directory m/. Inline modules belong to the file that holds them.
  A `mod` declaration is never an edge: a parent declaring its child does not
  depend on it. `#[path]` is not followed (a warning names each one).
- Comments (so doc links), string and char literals are skipped; the lexing
  is in scripts/rust_source.py, and a file whose braces do not balance after
  it is named in a warning.

Resolution rule (which file a path depends on)
- Paths are those of `use` declarations, with their groups expanded
  (`use a::{b, c::{d, self}}` is a::b, a::c::d and a::c), and every other path
  that starts with `crate::`, `super::`, `self::` or the name of a child module
  of the current module or of a module a `use` brought into scope
  (`use crate::models;` then `models::calls::apply`), in expressions, types,
  patterns and macro calls.
  Paths that start with anything else (std, other crates, local names) are
  outside the crate and ignored; so is `$crate`.
- `crate` is the crate root, `self` the current module (an inline module
  counts), each `super` one module up. The path then depends on the file of the
  DEEPEST MODULE it names; the item at its end is not looked up. Re-exports are
  not followed: `use crate::case::Case`, where case/mod.rs has
  `pub use aggregate::Case`, depends on case/mod.rs, and case/mod.rs depends on
  case/aggregate.rs through its own `pub use`. So a file that re-exports its
  children and is imported by one of them closes a cycle: a reader of either
  file has to open the other.
- A glob (`use super::*`) depends on the module it names.
- A file depending on itself (an inline `mod tests { use super::*; }`) is not
  an edge.

A cycle is a strongly connected component of more than one file (Tarjan).

Tests (scripts/test_import_cycles.py): `cd scripts && python3 -m unittest`.
"""

import argparse
import glob
import os
import sys
import tomllib

from rust_source import scan, tokenize


class Target:
    """One module tree (a crate root and every file it reaches) and its edges."""

    def __init__(self, root, warn):
        self.modules = {(): root}  # module path -> file that holds it
        self.files = {}  # file -> (module path, tokens)
        self.edges = {}  # file -> {imported file: first line}
        self.warn = warn
        self._read(root, ())
        for file, (module, tokens) in self.files.items():
            self._link(file, module, tokens)

    def _read(self, file, module):
        with open(file, encoding="utf-8") as source:
            tokens = tokenize(source.read())
        self.files[file] = (module, tokens)
        base = os.path.dirname(file)
        stem = os.path.splitext(os.path.basename(file))[0]
        if module and stem != "mod":
            base = os.path.join(base, stem)
        for event in scan(tokens):
            if event[0] == "path_attr":
                self.warn(f"{file}:{event[1]}: #[path] is not followed")
            if event[0] == "unbalanced":
                self.warn(f"{file}: braces do not balance; its paths may be misread")
            if event[0] != "mod":
                continue
            _, inline, name, line = event
            for depth in range(len(inline) + 1):
                self.modules.setdefault(module + tuple(inline[:depth]), file)
            here = os.path.join(base, *inline)
            candidates = [os.path.join(here, name + ".rs"), os.path.join(here, name, "mod.rs")]
            found = [c for c in candidates if os.path.isfile(c)]
            if not found:
                self.warn(f"{file}:{line}: no file for `mod {name}`")
                continue
            child = module + tuple(inline) + (name,)
            self.modules[child] = found[0]
            if found[0] not in self.files:
                self._read(found[0], child)

    def _link(self, file, module, tokens):
        events = [e for e in scan(tokens) if e[0] in ("use", "path")]
        # Modules a `use` brings into scope (`use crate::models;`), by scope, so
        # that `models::calls::apply` depends on models/calls.rs.
        bound = {}
        for event in events:
            if event[0] == "use" and event[4] is not None:
                here = module + tuple(event[1])
                named = self.module_named(event[2], here, {})
                if named is not None and named in self.modules:
                    bound.setdefault(here, {})[event[4]] = named
        for event in events:
            _, inline, segments, line = event[:4]
            here = module + tuple(inline)
            named = self.module_named(segments, here, bound.get(here, {}))
            if named is None:
                continue
            while named not in self.modules:
                named = named[:-1]
            target = self.modules[named]
            if target != file:
                self.edges.setdefault(file, {}).setdefault(target, line)

    def module_named(self, segments, here, bound):
        """The absolute path a path stands for (its module part, and maybe an
        item after it), or None when it starts outside the crate."""
        first = segments[0]
        if first == "crate":
            base, rest = (), segments[1:]
        elif first in ("self", "super"):
            base, k = list(here), 0
            while k < len(segments) and segments[k] in ("self", "super"):
                if segments[k] == "super":
                    if not base:
                        return None
                    base.pop()
                k += 1
            base, rest = tuple(base), segments[k:]
        elif here + (first,) in self.modules:
            base, rest = here, segments
        elif first in bound:
            base, rest = bound[first], segments[1:]
        else:
            return None
        return base + tuple(s for s in rest if s != "self")


def strongly_connected(edges):
    """Tarjan's strongly connected components of more than one node."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    nodes = sorted(set(edges) | {t for targets in edges.values() for t in targets})

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, {})):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(nodes) + 100))
    for node in nodes:
        if node not in index:
            visit(node)
    return found


def crate_roots(crate_dir):
    roots = [os.path.join(crate_dir, "src", name) for name in ("lib.rs", "main.rs")]
    roots += sorted(glob.glob(os.path.join(crate_dir, "src", "bin", "*.rs")))
    roots += sorted(glob.glob(os.path.join(crate_dir, "src", "bin", "*", "main.rs")))
    for folder in ("tests", "benches", "examples"):
        roots += sorted(glob.glob(os.path.join(crate_dir, folder, "*.rs")))
    return [root for root in roots if os.path.isfile(root)]


def crate_cycles(crate_dir, warn=lambda message: None):
    """The import cycles of one crate, each as (sorted files, {file: {file: line}})."""
    cycles, seen = [], set()
    for root in crate_roots(crate_dir):
        target = Target(root, warn)
        for component in strongly_connected(target.edges):
            key = tuple(component)
            if key in seen:
                continue
            seen.add(key)
            inside = {
                f: {t: line for t, line in target.edges.get(f, {}).items() if t in component}
                for f in component
            }
            cycles.append((component, inside))
    return cycles


def workspace_crates(workspace):
    """(directory name, package name, directory) of each workspace member."""
    with open(os.path.join(workspace, "Cargo.toml"), "rb") as manifest:
        members = tomllib.load(manifest).get("workspace", {}).get("members", [])
    crates = []
    for pattern in members:
        for crate_dir in sorted(glob.glob(os.path.join(workspace, pattern))):
            with open(os.path.join(crate_dir, "Cargo.toml"), "rb") as manifest:
                package = tomllib.load(manifest).get("package", {}).get("name", "")
            crates.append((os.path.basename(crate_dir), package, crate_dir))
    return crates


def main(argv=None):
    parser = argparse.ArgumentParser(description="Import cycles between the files of each crate.")
    parser.add_argument("--crate", help="only this crate (directory or package name)")
    parser.add_argument("--workspace", help="the workspace root (default: this repository)")
    args = parser.parse_args(argv)
    workspace = args.workspace or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        crates = workspace_crates(workspace)
    except (OSError, tomllib.TOMLDecodeError) as error:
        print(f"cannot read the workspace at {workspace}: {error}", file=sys.stderr)
        return 2
    if args.crate:
        crates = [c for c in crates if args.crate in (c[0], c[1])]
        if not crates:
            print(f"no crate named {args.crate} in {workspace}", file=sys.stderr)
            return 2

    def warn(message):
        print(f"warning: {message.replace(workspace + os.sep, '')}", file=sys.stderr)

    def shown(path):
        return os.path.relpath(path, workspace)

    any_cycle = False
    for name, _, crate_dir in crates:
        try:
            cycles = crate_cycles(crate_dir, warn)
        except (OSError, UnicodeDecodeError) as error:
            print(f"cannot read {name}: {error}", file=sys.stderr)
            return 2
        if not cycles:
            print(f"no import cycle in {name}")
        for files, inside in cycles:
            any_cycle = True
            print(f"import cycle in {name} ({len(files)} files):")
            for file in files:
                imports = ", ".join(
                    f"{shown(t)} (line {line})" for t, line in sorted(inside[file].items())
                )
                print(f"  {shown(file)} imports {imports}")
    return 1 if any_cycle else 0


if __name__ == "__main__":
    sys.exit(main())
