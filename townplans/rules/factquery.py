"""What the fact engines ask of the fact base, in one place: a town's subjects of a kind, the
subjects a reference path reaches, a subject's children, the statement where a figure is kept,
what an attribute is called, how a value and its place are shown, and the rounding a written
figure carries. Pure functions over ``Context``; indexes are built once per context."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import cast

from townplans.facts import Entity, Fact, Period, Quantity, Ref
from townplans.knowledge import Side
from townplans.rules import Context
from townplans.values import ValueFormatError, parse_period

ORIGIN_RANK = {"field": 0, "structure": 0, "report": 1, "table": 2, "text": 3}
"""Where a figure is kept (a field) before where it is restated (a table, then a sentence)."""

KIND_LABELS = {
    "district": "区", "town": "镇", "plan": "规划", "parcel": "地块", "zone": "功能区",
    "project": "项目", "report": "周报",
}  # fmt: skip

UNIT_LABELS = {"m2": "㎡", "m2/人": "㎡/人", "km2": "平方公里", "ha": "公顷"}


def in_town(ctx: Context, subject: Entity) -> bool:
    slug = ctx.the_town.slug
    return subject.key == slug or subject.key.startswith(f"{slug}/")


def town_subjects(ctx: Context, kind: str) -> list[Entity]:
    """The subjects of ``kind`` that belong to the town being checked."""
    return [s for s in ctx.facts.subjects(kind) if in_town(ctx, s)]


def distinct(facts: Iterable[Fact]) -> list[Fact]:
    """One statement per place (a value read twice from one line is one statement)."""
    seen: dict[tuple[str, int | None], Fact] = {}
    for fact in facts:
        seen.setdefault((fact.source.path, fact.source.line), fact)
    return list(seen.values())


def kept(facts: Sequence[Fact]) -> Fact | None:
    """The statement where a figure is kept: a field before a table before a sentence."""
    return min(facts, key=lambda f: ORIGIN_RANK.get(f.origin, 9), default=None)


def reached(ctx: Context, subject: Entity, via: Sequence[str]) -> list[tuple[Entity, Fact | None]]:
    """The subjects ``via`` (reference attributes, followed in turn) leads to from ``subject``,
    each with the reference that led there last (None for the subject itself)."""
    found: list[tuple[Entity, Fact | None]] = [(subject, None)]
    for attribute in via:
        step: list[tuple[Entity, Fact | None]] = []
        for entity, _ in found:
            for fact in ctx.facts.of(entity, attribute):
                if isinstance(fact.value, Ref) and fact.value.entity != entity:
                    step.append((fact.value.entity, fact))
        found = step
    return found


def side_facts(ctx: Context, subject: Entity, side: Side) -> list[tuple[Fact, Fact | None]]:
    """Every statement of one end of a relation, each with the reference that reached it."""
    return [
        (fact, link)
        for entity, link in reached(ctx, subject, side.via)
        for fact in distinct(ctx.facts.of(entity, side.attribute))
    ]


def children(ctx: Context, parent: Entity, kind: str) -> list[Entity]:
    """The subjects of ``kind`` whose reference named after the parent's kind (a project's
    ``town``) points at ``parent``, in the order first met."""
    key = f"children:{parent.kind}:{kind}"
    index = cast("dict[Entity, list[Entity]] | None", ctx.memo.get(key))
    if index is None:
        index = {}
        for fact in ctx.facts.with_attribute(parent.kind):
            if fact.subject.kind == kind and isinstance(fact.value, Ref):
                found = index.setdefault(fact.value.entity, [])
                if fact.subject not in found:
                    found.append(fact.subject)
        ctx.memo[key] = index
    return list(index.get(parent, ()))


def label(ctx: Context, attribute: str) -> str:
    """What an attribute is called: as the knowledge declares it, else the indicator, permit or
    field of the profile it comes from, else by its key."""
    declared = ctx.knowledge.attributes.get(attribute)
    if declared is not None:
        return declared.label
    head, _, rest = attribute.partition(".")
    if head == "indicator" and rest in ctx.profile.indicators:
        return ctx.profile.indicators[rest].label
    for doctype in ctx.profile.documents.values():
        if head == "permits":
            item = next((p for p in doctype.permit_items if p.key == rest), None)
            if item is not None:
                return item.label
        spec = doctype.fields.get(attribute)
        if spec is not None:
            return spec.label
    wildcard = ctx.knowledge.declared(attribute)
    if wildcard is not None and rest:
        return f"{wildcard.label}（{rest}）"
    return attribute


def shown(value: object) -> str:
    """A value as a message quotes it."""
    if isinstance(value, Quantity):
        unit = UNIT_LABELS.get(value.unit, value.unit)
        if value.original and not _NUMBER.fullmatch(value.original.strip()):
            return value.original
        return f"{value.original.strip() or tidy(value.value)}{unit}"  # a bare number: its unit
    if isinstance(value, dt.date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)


def tidy(value: Decimal) -> str:
    normal = value.normalize()
    return f"{normal.quantize(Decimal(1)) if normal == normal.to_integral() else normal:f}"


def period_of(value: object) -> Period | None:
    """A period from a period, a date (one day) or a text such as 2021—2035年."""
    if isinstance(value, Period):
        return value
    if isinstance(value, dt.date):
        return Period(value, value, shown(value))
    if isinstance(value, str):
        try:
            start, end = parse_period(value).value
        except ValueFormatError:
            return None
        return Period(start, end, value)
    return None


_NUMBER = re.compile(r"[0-9０-９][0-9０-９,，]*(?:[.．][0-9０-９]+)?")


def half_unit(quantity: Quantity) -> Decimal:
    """Half a unit of the last place the figure was written to, in its base unit (9.6㎡/人: 0.05;
    26.5万㎡: 500 ㎡): the rounding a written figure carries."""
    found = _NUMBER.search(quantity.original or "")
    base = quantity.base()[1]
    if found is None or not quantity.value:
        return Decimal(0)
    written = found.group(0).translate(_FULL).replace(",", "")
    places = written_places(quantity)
    try:
        scale = abs(base / Decimal(written)) if Decimal(written) else Decimal(1)
    except ArithmeticError:
        scale = Decimal(1)
    return Decimal(10) ** -places / 2 * scale


def written_places(quantity: Quantity) -> int:
    """How many decimal places the figure was written with (9.6㎡/人: 1; 5860万元: 0)."""
    found = _NUMBER.search(quantity.original or "")
    written = found.group(0).translate(_FULL) if found is not None else ""
    return len(written.partition(".")[2])


_FULL = str.maketrans("０１２３４５６７８９，．", "0123456789,.")


def place(fact: Fact) -> str:
    return str(fact.source)
