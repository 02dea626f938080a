"""Code that is wider than its column at 1280 px, left as it is for now.

Issue 11, "Pages that fit the screen". Each entry is one code block on a page: its kind
("input", a code cell; "output", what a cell printed; "block", a code block in the text or in
a docstring) and the first 60 characters of its first line that does not fit. The browser test
(test_pages.test_fits_at_1280) marks a page whose only too-wide code is listed here as an
expected failure (xfail); it fails on too-wide code that is not listed, and on an entry that no
longer matches anything (fixed, or changed: delete the entry).

The list is empty and must stay so: shorten or break a line instead (the test's message says
how many characters fit at 1280 px: 76 in the text column, 72 in the API reference, 68 inside
an exercise or a solution; code cells are formatted with `ruff format --line-length 68`).
"""

KNOWN_WIDE: dict[str, list[tuple[str, str]]] = {}
