"""Typed reading of a document's fields against the profile's ``FieldSpec``s.

``read_field`` returns the parsed value with the original text and the field's location, or the
reason it could not be read; it never raises for content.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from townplans.model import Located, SourceRef
from townplans.profile import FieldSpec
from townplans.values import PARSERS, Parsed, ValueFormatError


@dataclass(frozen=True, slots=True)
class FieldValue:
    """A field as found: absent, read (``parsed``), or unreadable (``error``)."""

    spec: FieldSpec
    ref: SourceRef
    present: bool
    raw: Any = None
    parsed: Parsed | None = None
    error: str | None = None


def is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or raw in ([], {})


def _child(container: Any, part: str | int) -> Any:
    if isinstance(container, dict):
        return container.get(part)
    if isinstance(container, list) and isinstance(part, int) and 0 <= part < len(container):
        return container[part]
    return None


def read_field(located: Located, spec: FieldSpec, *path: str | int) -> FieldValue:
    """Read ``spec.key`` (under ``path``) from ``located`` and parse it by the spec's type; read
    once, then kept on ``located`` for every rule that asks again."""
    key = ("field", id(spec), path)
    found: FieldValue | None = located.derived.get(key)
    # The kept value holds its spec, so no other spec takes that id in this process; a copy of
    # ``located`` (pickled, deep-copied) brings keys of another process's ids: never trusted.
    if found is None or found.spec is not spec:
        found = located.derived[key] = _read(located, spec, path)
    return found


def _read(located: Located, spec: FieldSpec, path: tuple[str | int, ...]) -> FieldValue:
    container: Any = located.data
    for part in path:
        container = _child(container, part)
    ref = located.ref_of(*path, spec.key)
    if not isinstance(container, dict) or is_blank(container.get(spec.key)):
        return FieldValue(spec, ref, present=False)
    raw = container[spec.key]
    if spec.type in ("list", "mapping"):
        expected = list if spec.type == "list" else dict
        if not isinstance(raw, expected):
            kind = "列表（每项以“- ”开头）" if spec.type == "list" else "键值映射"
            return FieldValue(spec, ref, True, raw, error=f"“{spec.label}”应为{kind}")
        return FieldValue(spec, ref, True, raw)
    try:
        parsed = PARSERS[spec.type](raw)
    except ValueFormatError as exc:
        return FieldValue(spec, ref, True, raw, error=str(exc))
    return FieldValue(spec, ref, True, raw, parsed=parsed)
