"""Helpers the rule families share: a town's documents by type, sections, and field values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from markdown_it.token import Token

from townplans.completeness import heading_matches
from townplans.facts.units import DocumentUnit
from townplans.fields import FieldValue, read_field
from townplans.limits import MAX_YEAR, MIN_YEAR
from townplans.model import Heading, Located, MarkdownFile
from townplans.profile import DocumentType, HeadingSpec
from townplans.values import date_or_none, is_placeholder


@dataclass(frozen=True, slots=True)
class Revision:
    """One entry of a plan's revision history (``revisions:``): its place in the list and its
    fields as written."""

    index: int
    entry: dict[object, object]

    def get(self, key: str) -> object:
        """The entry's field, or None when it is missing or still a placeholder (TP201/TP202's)."""
        value = self.entry.get(key)
        return None if value is None or is_placeholder(value) else value


def revision_history(unit: DocumentUnit) -> list[Revision]:
    """The revision entries of a document whose type keeps a history, in the order written (the
    last is the document itself); entries that are not mappings are left to TP202."""
    if "revisions" not in unit.doctype.fields:
        return []
    written = unit.meta.get("revisions")
    if not isinstance(written, list):
        return []
    return [Revision(i, entry) for i, entry in enumerate(written) if isinstance(entry, dict)]


def stage_order(doctype: DocumentType) -> tuple[str, ...]:
    """The stages a plan passes through, in order (the profile's ``status`` enum: 征求意见稿 →
    送审稿 → 报批稿 → 批准稿)."""
    revisions = doctype.fields.get("revisions")
    item = revisions.items.get("status") if revisions is not None else None
    if item is not None and item.enum:
        return item.enum
    status = doctype.fields.get("status")
    return status.enum if status is not None else ()


def field(meta: Located, doctype: DocumentType, key: str) -> FieldValue | None:
    spec = doctype.fields.get(key)
    return read_field(meta, spec) if spec is not None else None


def number(meta: Located, doctype: DocumentType, key: str) -> Decimal | None:
    value = field(meta, doctype, key)
    if value is None or value.parsed is None or not isinstance(value.parsed.value, Decimal):
        return None
    return value.parsed.value


def date_of(meta: Located, doctype: DocumentType, key: str) -> dt.date | None:
    value = field(meta, doctype, key)
    if value is None or value.parsed is None or not isinstance(value.parsed.value, dt.date):
        return None
    return value.parsed.value


def plan_year(district_meta: Located | None) -> int | None:
    """The district's plan year from district.yaml, if readable and not contradicted by the
    phases' dates (then TP508 reports it once, and the rules that judge dates by it keep quiet
    rather than report every date of every town)."""
    year = stated_plan_year(district_meta)
    if year is None or district_meta is None:
        return None
    return None if phases_year(district_meta, year) is not None else year


def stated_plan_year(district_meta: Located | None) -> int | None:
    """``plan_year`` as district.yaml writes it, if readable."""
    if district_meta is None:
        return None
    try:
        year = int(str(district_meta.get("plan_year")))
    except ValueError:
        return None
    return year if MIN_YEAR <= year <= MAX_YEAR else None  # TP207 reports the others


def phases_year(district_meta: Located, year: int) -> int | None:
    """The one year every configured phase date is in, when it is not ``year``."""
    phases = district_meta.get("phases")
    entries = [p for p in (phases if isinstance(phases, list) else []) if isinstance(p, dict)]
    days = [date_or_none(entry.get(which)) for entry in entries for which in ("start", "end")]
    years = {day.year for day in days if day is not None}
    return years.pop() if len(years) == 1 and year not in years else None


def _after_table(tokens: Sequence[Token], start: int) -> int:
    """The index after a table whose body cells are all empty or placeholders (a scaffold's
    skeleton), or -1 when the table has content."""
    in_body = False
    for index in range(start, len(tokens)):
        token = tokens[index]
        if token.type == "tbody_open":
            in_body = True
        elif token.type == "table_close":
            return index + 1
        elif (
            in_body
            and token.type == "inline"
            and token.content.strip()
            and not _only_placeholder(token.content)
            and not token.content.strip().isdigit()
        ):
            return -1
    return len(tokens)


def section_is_empty(markdown: MarkdownFile, heading: Heading) -> bool:
    """True when nothing but subheadings (or 【待填写】 placeholders) follows ``heading`` before
    the next heading of the same or a higher level."""
    tokens = markdown.tokens
    start = next(
        (
            i
            for i, token in enumerate(tokens)
            if token.type == "heading_open" and token.map and token.map[0] + 1 == heading.ref.line
        ),
        None,
    )
    if start is None:
        return False
    index = start + 3
    while index < len(tokens):
        token = tokens[index]
        if token.type == "heading_open":
            if int(token.tag[1:]) <= heading.level:
                return True
            index += 3  # a subheading's own text is not content
            continue
        if token.type in ("fence", "code_block"):
            return False
        if token.type == "table_open":
            index = _after_table(tokens, index)
            if index < 0:
                return False  # a table with content
            continue
        if (
            token.type == "inline"
            and token.content.strip()
            and not _only_placeholder(token.content)
        ):
            return False
        index += 1
    return True


def _only_placeholder(text: str) -> bool:
    # A sentence still holding a scaffold's 【待填写…】 is not written yet either.
    return is_placeholder(text.strip())


def first_match(headings: Sequence[Heading], spec: HeadingSpec) -> Heading | None:
    return next((heading for heading in headings if heading_matches(heading.text, spec)), None)
