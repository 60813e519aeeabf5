"""Reads Rust source just enough for import_cycles.py: tokens without comments
and literals, `mod` declarations, `use` trees and the paths of the code.

Not a Rust parser: it knows identifiers, `::`, braces, `mod`, `use` and `as`,
which is all that module structure and paths need. Python 3 standard library
only.
"""

import re

RAW_STRING = re.compile(r'(?:r|br|cr)(#*)"')
IDENT = re.compile(r"(?:r#)?[A-Za-z_][A-Za-z0-9_]*")


def tokenize(text):
    """(token, line) pairs: identifiers, `::` and single punctuation marks.
    Comments, string and char literals, lifetimes and numbers are dropped."""
    tokens, i, n, line = [], 0, len(text), 1
    while i < n:
        c = text[i]
        if c == "\n":
            line, i = line + 1, i + 1
        elif c.isspace():
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            depth, j = 0, i
            while j < n:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                    if depth == 0:
                        break
                else:
                    j += 1
            line, i = line + text.count("\n", i, j), j
        elif (raw := RAW_STRING.match(text, i)) is not None:
            close = '"' + raw.group(1)
            end = text.find(close, raw.end())
            end = n if end < 0 else end + len(close)
            line, i = line + text.count("\n", i, end), end
        elif c == '"' or (c in "bc" and text.startswith('"', i + 1)):
            j = i + (1 if c == '"' else 2)
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            line, i = line + text.count("\n", i, j), j + 1
        elif c == "'" or (c == "b" and text.startswith("'", i + 1)):
            j = i + (1 if c == "'" else 2)
            if text.startswith("\\", j):  # an escaped char: '\n', '\'', '\u{..}'
                end = text.find("'", j + 2)
                i = n if end < 0 else end + 1
            elif text.startswith("'", j + 1):  # a plain char: 'a'
                i = j + 2
            else:  # a lifetime or a label: 'a, 'static
                ident = IDENT.match(text, j)
                i = ident.end() if ident else j
        elif (ident := IDENT.match(text, i)) is not None:
            tokens.append((ident.group(0).removeprefix("r#"), line))
            i = ident.end()
        elif c.isdigit():
            i += 1
            while i < n and (text[i].isalnum() or text[i] == "_"):
                i += 1
        elif text.startswith("::", i):
            tokens.append(("::", line))
            i += 2
        else:
            tokens.append((c, line))
            i += 1
    return tokens


def is_ident(token):
    return token[:1].isalpha() or token[:1] == "_"


def use_paths(tokens, i):
    """The paths of the use tree starting at tokens[i], each with the name it
    brings into scope (None for a glob or `as _`); returns (paths, next index)."""
    paths = []

    def tree(i, prefix):
        if i < len(tokens) and tokens[i][0] == "::":
            i += 1
        segments = []
        while i < len(tokens):
            token = tokens[i][0]
            if token == "{":
                i += 1
                while i < len(tokens) and tokens[i][0] != "}":
                    if tokens[i][0] == ",":
                        i += 1
                        continue
                    i = tree(i, prefix + segments)
                return i + 1
            if token == "*":
                paths.append((prefix + segments, None))
                return i + 1
            if not is_ident(token):
                break
            segments.append(token)
            i += 1
            if i < len(tokens) and tokens[i][0] == "::":
                i += 1
                continue
            break
        whole = prefix + segments
        name = [s for s in whole if s != "self"][-1:] or [None]
        if i + 1 < len(tokens) and tokens[i][0] == "as":
            name = [tokens[i + 1][0] if tokens[i + 1][0] != "_" else None]
            i += 2
        if whole:
            paths.append((whole, name[0]))
        return i

    i = tree(i, [])
    return paths, i


def scan(tokens):
    """Walks a file's tokens: yields ("mod", inline, name, line) for each
    `mod name;`, ("use", inline, segments, line, name) for each path of a `use`
    and the name it brings into scope, ("path", inline, segments, line) for
    every other path that may point inside the crate, ("path_attr", line) for
    each `#[path = ...]`, ("unbalanced", line) at the end when the braces do
    not balance; `inline` is the chain of enclosing inline modules."""
    inline, depth, i = [], 0, 0
    while i < len(tokens):
        token, line = tokens[i]
        after = tokens[i + 1][0] if i + 1 < len(tokens) else ""
        before = tokens[i - 1][0] if i > 0 else ""
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if inline and inline[-1][1] == depth:
                inline.pop()
        elif token == "mod" and is_ident(after) and i + 2 < len(tokens):
            names = [name for name, _ in inline]
            if tokens[i + 2][0] == ";":
                yield ("mod", names, after, line)
                i += 3
                continue
            if tokens[i + 2][0] == "{":
                inline.append((after, depth))
                depth += 1
                i += 3
                continue
        elif token == "use" and after != "<":
            paths, i = use_paths(tokens, i + 1)
            for path, name in paths:
                yield ("use", [name for name, _ in inline], path, line, name)
            continue
        elif token == "#" and [t for t, _ in tokens[i + 1 : i + 4]] in (["[", "path", "="],):
            yield ("path_attr", line)
        elif is_ident(token) and after == "::" and not follows_no_path(tokens, i):
            segments, j = [token], i + 1
            while j + 1 < len(tokens) and tokens[j][0] == "::" and is_ident(tokens[j + 1][0]):
                segments.append(tokens[j + 1][0])
                j += 2
            yield ("path", [name for name, _ in inline], segments, line)
            i = j
            continue
        i += 1
    if depth != 0:
        # Braces that do not balance mean the lexer misread something (a
        # literal it does not know): say so rather than trust the paths.
        yield ("unbalanced", tokens[-1][1] if tokens else 0)


def follows_no_path(tokens, i):
    """Whether tokens[i] cannot start a path: it continues one (`a::b`), is a
    macro variable (`$crate`), a method or field (`x.f::<T>`), or names a
    visibility (`pub(in crate::m)`), which is no dependency."""
    before = tokens[i - 1][0] if i > 0 else ""
    if before in ("::", "$", "."):
        return True
    return before == "in" and [t for t, _ in tokens[max(i - 3, 0) : i - 1]] == ["pub", "("]
