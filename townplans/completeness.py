"""What a document lacks against the profile: heading matching, conditions, attachment counts.

Pure functions over the model and the profile, shared by the checker's structure and attachment
rules.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from townplans.fields import read_field
from townplans.model import Asset, Heading, Located
from townplans.profile import AttachmentSpec, Condition, DocumentType, HeadingSpec

_NUMBERING = re.compile(
    r"^\s*("
    r"第[一二三四五六七八九十百零〇0-9]+[章节条篇部分]+"
    r"|[一二三四五六七八九十]+\s*[、.．]"
    r"|[（(][一二三四五六七八九十0-9]+[)）]"
    r"|[0-9]+(\.[0-9]+)*\s*[、.．]?"
    r")\s*"
)
WILDCARD = "{…}"


_SPACE = re.compile(r"\s+")


@functools.lru_cache(maxsize=4096)
def heading_key(text: str) -> str:
    """Heading text without its numbering (第三章、一、（一）、1.) or spaces."""
    return _SPACE.sub("", _NUMBERING.sub("", text, count=1))


def heading_matches(text: str, spec: HeadingSpec) -> bool:
    """True when a heading's text (numbering stripped) is the spec's title or a synonym."""
    key = heading_key(text)
    exact, wildcards = _accepted(spec)
    return key in exact or any(pattern.fullmatch(key) for pattern in wildcards)


@functools.lru_cache(maxsize=1024)
def _accepted(spec: HeadingSpec) -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
    """The heading keys a spec accepts as written, and its ``{…}`` patterns compiled (every
    document of every town is matched against the same few specs)."""
    exact, wildcards = set(), []
    for pattern in (spec.title, *spec.synonyms):
        if WILDCARD in pattern:
            parts = [re.escape(part) for part in pattern.split(WILDCARD)]
            wildcards.append(re.compile(".*".join(parts)))
        else:
            exact.add(_SPACE.sub("", pattern))
    return frozenset(exact), tuple(wildcards)


def find_headings(
    headings: Sequence[Heading], specs: Sequence[HeadingSpec]
) -> list[Heading | None]:
    """For each required heading, the first document heading that matches it (or None)."""
    return [next((h for h in headings if heading_matches(h.text, spec)), None) for spec in specs]


def number_field(meta: Located, doctype: DocumentType, key: str) -> Decimal | None:
    """A numeric field's value, or None when absent or unreadable."""
    spec = doctype.fields.get(key)
    if spec is None:
        return None
    value = read_field(meta, spec)
    if value.parsed is None or not isinstance(value.parsed.value, Decimal):
        return None
    return value.parsed.value


def condition_holds(meta: Located, doctype: DocumentType, condition: Condition) -> bool:
    """Whether a ``when`` condition holds; an unreadable value counts as not holding."""
    actual = number_field(meta, doctype, condition.field)
    return actual is not None and condition.holds(actual)


@dataclass(frozen=True, slots=True)
class Shortfall:
    """An attachment folder with fewer usable files than required."""

    spec: AttachmentSpec
    found: int


def attachment_shortfall(spec: AttachmentSpec, files: Iterable[Asset]) -> Shortfall | None:
    """Files of an accepted type against the minimum count."""
    usable = [asset for asset in files if not spec.types or asset.suffix in spec.types]
    if len(usable) >= spec.min:
        return None
    return Shortfall(spec, len(usable))
