"""``townplans.limits.table()`` (issue 20): every limit, in the module's order, with the first line
of its docstring, and the README's Limits table made of exactly those rows."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from townplans import limits


def _first_line(name: str) -> str:
    """The first line of the docstring under ``NAME = …`` in the module's source."""
    found = re.search(
        rf'^{name} = [^\n]+\n"""([^\n]*?)(?:"""|\n)', inspect.getsource(limits), re.MULTILINE
    )
    assert found is not None, name
    return found.group(1)


def test_the_table_has_every_limit_in_order_with_its_first_line() -> None:
    table = limits.table()
    names = [name for name in vars(limits) if name.isupper() and not name.startswith("_")]
    assert table == [(name, _first_line(name)) for name in names]
    assert (
        "MAX_NAME_CHARS",
        "Characters in a file name made from a title or a town name: 80.",
    ) in table


def test_the_readme_table_is_the_limits_table(repo: Path) -> None:
    readme = (repo / "README.md").read_text(encoding="utf-8")
    rows = [line for line in readme.splitlines() if line.startswith("| `") and "_" in line]
    listed = [row for row in rows if row.split("`")[1] in dict(limits.table())]
    assert listed == [f"| `{name}` | {text} |" for name, text in limits.table()]
