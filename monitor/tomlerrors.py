"""A TOML syntax error told in veille's words: the line and column, what is wrong there, and
the line itself with a caret, instead of the parser's terse wording."""

from __future__ import annotations

import re
import tomllib

_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$|\s*\(at end of document\)$")

# The parser's wording → ours. Each says what to write instead.
_OURS: tuple[tuple[str, str], ...] = (
    (r"Expected '=' after a key", "a key must be followed by = and a value "
                                  '(name = "value"); is a quote or an = missing?'),
    (r"Unterminated string", "a string is not closed; end it with the quote it began with, "
                             "on the same line"),
    (r"Invalid value", 'this value is not valid TOML: quote strings ("10m"), write '
                       "true/false in lower case, lists as [\"a\", \"b\"]"),
    (r"Unclosed array", "a list [ … ] is not closed; is a ] or a comma missing?"),
    (r"Unclosed inline table", "an inline table { … } is not closed; is a } or a comma "
                               "missing? (inline tables must fit on one line)"),
    (r"Cannot declare .* twice|Cannot overwrite a value|Cannot redefine namespace|"
     r"Cannot mutate immutable namespace|Duplicate inline table key",
     "this key or table is already defined above; keep one (use [[feed]] for each feed)"),
    (r"Expected '\]\]' at the end", "an array-of-tables header must end with ]] ([[feed]])"),
    (r"Expected '\]' at the end", "a table header must end with ] ([veille])"),
    (r"Invalid initial character for a key part|Invalid statement",
     "a line must be a key = value, a [table] or a [[table]] header, or a # comment"),
    (r"Expected newline or end of document", "only one key = value per line; put the rest "
                                             "on a new line or after a #"),
    (r"Invalid date or datetime", "this date is not valid; quote it if it is not meant as one"),
    (r"Illegal character|Found invalid character", "this character is not allowed here "
                                                   "(a control character, or a tab in a key)"),
    (r"Unescaped '\\\\' in a string|Invalid hex value|Escaped character",
     'a backslash in a "…" string starts an escape; write \\\\ for one backslash, or use '
     "'single quotes' (regexes, Windows paths)"),
)


def describe(exc: tomllib.TOMLDecodeError, text: str) -> str:
    """`line 4, column 7: <what is wrong>` followed by the line and a caret under the column."""
    message = str(exc)
    found = _POSITION.search(message)
    bare = _POSITION.sub("", message)
    ours = next((mine for pattern, mine in _OURS if re.search(pattern, bare)), bare)
    if found is None or found[1] is None:
        return f"invalid TOML at the end of the file: {ours}"
    line, column = int(found[1]), int(found[2])
    lines = text.splitlines()
    shown = ""
    if 0 < line <= len(lines):
        source = lines[line - 1].replace("\t", " ")
        gutter = f"    {line} | "
        shown = f"\n{gutter}{source}\n{' ' * (len(gutter) - 2)}| {' ' * (column - 1)}^"
    return f"invalid TOML at line {line}, column {column}: {ours}{shown}"
