"""Tests of import_cycles.py on tiny synthetic workspaces written to temp dirs.

Run: `cd scripts && python3 -m unittest` (or `python3 -m unittest discover -s scripts`).
"""

import contextlib
import io
import os
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import import_cycles  # noqa: E402  (after the path is set)


class Workspace:
    """A workspace of crates written from {relative path: source}."""

    def __init__(self, files):
        self.dir = tempfile.TemporaryDirectory()
        self.root = self.dir.name
        crates = sorted({path.split("/")[0] for path in files})
        members = ", ".join(f'"{c}"' for c in crates)
        self.write("Cargo.toml", f"[workspace]\nmembers = [{members}]\n")
        for crate in crates:
            self.write(f"{crate}/Cargo.toml", f'[package]\nname = "{crate}-pkg"\n')
        for path, source in files.items():
            self.write(path, textwrap.dedent(source))

    def write(self, path, text):
        full = os.path.join(self.root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w", encoding="utf-8") as out:
            out.write(text)

    def cycles(self, crate):
        """Each cycle as the sorted list of its files, relative to the crate."""
        crate_dir = os.path.join(self.root, crate)
        found = import_cycles.crate_cycles(crate_dir)
        return [[os.path.relpath(f, crate_dir) for f in files] for files, _ in found]

    def edges(self, crate, root="src/lib.rs"):
        """{file: sorted imported files} of one target, relative to the crate."""
        crate_dir = os.path.join(self.root, crate)
        target = import_cycles.Target(os.path.join(crate_dir, root), lambda m: None)

        def rel(path):
            return os.path.relpath(path, crate_dir)

        return {rel(f): sorted(rel(t) for t in ts) for f, ts in target.edges.items()}

    def run(self, *argv):
        """(exit status, stdout, stderr) of the command line."""
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = import_cycles.main(["--workspace", self.root, *argv])
        return status, out.getvalue(), err.getvalue()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.dir.cleanup()


TWO_FILES_IN_A_CYCLE = {
    "hotline/src/lib.rs": "mod calls;\nmod cases;\n",
    "hotline/src/calls.rs": "use crate::cases::Case;\npub struct Call;\n",
    "hotline/src/cases.rs": "use crate::calls::Call;\npub struct Case;\n",
}


class ImportCycles(unittest.TestCase):
    def test_a_cycle_between_two_files_is_found_and_fails_the_run(self):
        with Workspace(TWO_FILES_IN_A_CYCLE) as ws:
            self.assertEqual(ws.cycles("hotline"), [["src/calls.rs", "src/cases.rs"]])
            status, out, _ = ws.run()
            self.assertEqual(status, 1)
            self.assertIn("import cycle in hotline (2 files):", out)
            self.assertIn("src/calls.rs imports hotline/src/cases.rs (line 1)", out)

    def test_no_cycle_when_imports_go_one_way(self):
        files = {
            "hotline/src/lib.rs": "mod calls;\nmod cases;\npub struct Settings;\n",
            "hotline/src/calls.rs": "use crate::cases::Case;\nuse crate::Settings;\n",
            "hotline/src/cases.rs": "pub struct Case;\n",
        }
        with Workspace(files) as ws:
            # The root declares both modules, which is no edge back from it.
            self.assertEqual(
                ws.edges("hotline"), {"src/calls.rs": ["src/cases.rs", "src/lib.rs"]}
            )
            self.assertEqual(ws.cycles("hotline"), [])
            self.assertEqual(ws.run(), (0, "no import cycle in hotline\n", ""))

    def test_a_grouped_use_depends_on_every_module_it_names(self):
        files = {
            "hotline/src/lib.rs": "mod referrals;\nmod rescues;\nmod values;\n",
            "hotline/src/values/mod.rs": "pub mod agency;\npub mod region;\n",
            "hotline/src/values/agency.rs": "pub struct Agency;\n",
            "hotline/src/values/region.rs": "use crate::rescues::Rescue;\n",
            "hotline/src/rescues.rs": "pub struct Rescue;\n",
            "hotline/src/referrals.rs": """\
                use crate::{
                    rescues,
                    values::{agency::{self, Agency as A}, region::Region},
                };
            """,
        }
        with Workspace(files) as ws:
            self.assertEqual(
                ws.edges("hotline")["src/referrals.rs"],
                ["src/rescues.rs", "src/values/agency.rs", "src/values/region.rs"],
            )
            self.assertEqual(ws.cycles("hotline"), [])

    def test_a_super_path_in_code_closes_a_cycle_with_a_parent_calling_its_child(self):
        files = {
            "hotline/src/lib.rs": "pub mod case;\n",
            "hotline/src/case/mod.rs": """\
                mod rules;
                pub struct Case;
                pub fn decide(case: &Case) { rules::decide(case) }
            """,
            "hotline/src/case/rules.rs": "pub fn decide(case: &super::Case) {}\n",
        }
        with Workspace(files) as ws:
            self.assertEqual(ws.cycles("hotline"), [["src/case/mod.rs", "src/case/rules.rs"]])

    def test_super_super_climbs_two_modules(self):
        files = {
            "hotline/src/lib.rs": "mod case;\npub struct Clock;\n",
            "hotline/src/case/mod.rs": "mod rules;\n",
            "hotline/src/case/rules.rs": "fn f(_: super::super::Clock) {}\n",
        }
        with Workspace(files) as ws:
            self.assertEqual(ws.edges("hotline"), {"src/case/rules.rs": ["src/lib.rs"]})

    def test_a_re_exported_name_depends_on_the_mod_rs_that_re_exports_it(self):
        files = {
            "hotline/src/lib.rs": "mod case;\nmod rules;\n",
            "hotline/src/case/mod.rs": "mod aggregate;\npub use aggregate::Case;\n",
            "hotline/src/case/aggregate.rs": "use crate::rules::decide;\npub struct Case;\n",
            "hotline/src/rules.rs": "use crate::case::Case;\npub fn decide() {}\n",
        }
        with Workspace(files) as ws:
            self.assertEqual(ws.edges("hotline")["src/rules.rs"], ["src/case/mod.rs"])
            self.assertEqual(
                ws.cycles("hotline"),
                [["src/case/aggregate.rs", "src/case/mod.rs", "src/rules.rs"]],
            )

    def test_a_module_brought_into_scope_by_use_resolves_later_paths(self):
        files = {
            "hotline/src/lib.rs": "mod models;\nmod projection;\n",
            "hotline/src/models/mod.rs": "pub mod calls;\n",
            "hotline/src/models/calls.rs": "use crate::projection::Target;\n",
            "hotline/src/projection.rs": """\
                use crate::models;
                pub struct Target;
                fn apply() { models::calls::apply() }
            """,
        }
        with Workspace(files) as ws:
            self.assertEqual(
                ws.cycles("hotline"), [["src/models/calls.rs", "src/projection.rs"]]
            )

    def test_comments_strings_and_macro_crate_paths_are_not_imports(self):
        calls = '''\
            //! See [crate::cases::Case].
            // use crate::cases::Case;
            /* use crate::cases::Case; /* nested */ crate::cases::Case */
            const SQL: &str = "crate::cases::Case";
            const RAW: &str = r#"crate::cases::Case "quoted" "#;
            const QUOTE: char = '"';
            fn f<'a>(x: &'a str) -> &'a str { x }
            macro_rules! m { () => { $crate::cases::Case } }
        '''
        files = dict(TWO_FILES_IN_A_CYCLE, **{"hotline/src/calls.rs": calls})
        with Workspace(files) as ws:
            self.assertEqual(ws.edges("hotline"), {"src/cases.rs": ["src/calls.rs"]})
            self.assertEqual(ws.cycles("hotline"), [])

    def test_an_inline_test_module_using_its_parent_is_no_edge(self):
        files = {
            "hotline/src/lib.rs": "mod calls;\n",
            "hotline/src/calls.rs": "pub struct Call;\n#[cfg(test)]\nmod tests {\n    use super::*;\n}\n",
        }
        with Workspace(files) as ws:
            self.assertEqual(ws.edges("hotline"), {})

    def test_integration_tests_are_their_own_module_trees(self):
        files = {
            "hotline/src/lib.rs": "",
            "hotline/tests/common/mod.rs": "use crate::suite::Suite;\n",
            "hotline/tests/suite.rs": "mod common;\npub mod suite { pub struct Suite; }\n",
        }
        with Workspace(files) as ws:
            self.assertEqual(
                ws.edges("hotline", root="tests/suite.rs"),
                {"tests/common/mod.rs": ["tests/suite.rs"]},
            )

    def test_a_path_attribute_is_named_in_a_warning(self):
        files = {
            "hotline/src/lib.rs": '#[path = "elsewhere.rs"]\nmod calls;\n',
            "hotline/src/calls.rs": "",
        }
        with Workspace(files) as ws:
            status, _, err = ws.run()
            self.assertEqual(status, 0)
            self.assertIn("hotline/src/lib.rs:1: #[path] is not followed", err)

    def test_crate_restricts_the_run_by_directory_or_package_name(self):
        files = dict(TWO_FILES_IN_A_CYCLE, **{"clean/src/lib.rs": "mod a;\n", "clean/src/a.rs": ""})
        with Workspace(files) as ws:
            self.assertEqual(ws.run("--crate", "clean"), (0, "no import cycle in clean\n", ""))
            self.assertEqual(ws.run("--crate", "hotline-pkg")[0], 1)
            status, out, err = ws.run("--crate", "nowhere")
            self.assertEqual((status, out), (2, ""))
            self.assertIn("no crate named nowhere", err)


if __name__ == "__main__":
    unittest.main()
