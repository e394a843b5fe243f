"""TP641: the derivation engine — a stated figure recomputed from its inputs.

``templates/knowledge`` declares formulas (``derivations``): the number of a subject's children
(a town's projects), the sum of an attribute over them (their investment), the sum of the
subject's own figures (a project's funding sources), or arithmetic over named inputs (population
growth, road area per head). Every statement of the derived attribute is compared with the value
the inputs give, within the rounding of the figures as written (half a unit of the last place, of
the statement and of every input) plus the declaration's tolerance. A formula whose inputs are
not all stated says nothing; nor does a count or sum when the children are restated in a table in
the same section of the same document (TP622 compares the sentence with that table). Messages
show the formula, each input with its place, and what was stated.

TP205 (资金来源合计) and TP407 (人口增长率) are declarations of this engine that keep their own
codes (``rule:``); ``derived`` yields the problems of one code's declarations.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from townplans.facts import Entity, Fact, Quantity
from townplans.knowledge import Derivation
from townplans.model import Severity
from townplans.rules import Context, Problem, rule
from townplans.rules.factquery import (
    KIND_LABELS,
    UNIT_LABELS,
    children,
    distinct,
    half_unit,
    kept,
    label,
    place,
    shown,
    tidy,
    town_subjects,
    written_places,
)

MAX_LISTED = 8
"""Inputs listed one by one in a message; beyond that, how many more."""


@dataclass(frozen=True, slots=True)
class Computed:
    """A recomputed figure (in the base unit), the rounding its inputs carry, how it was got."""

    value: Decimal
    slack: Decimal
    working: Callable[[Quantity], str]
    """How it was got, shown beside the statement it is compared with (in that one's unit)."""
    inputs: tuple[Fact, ...]
    """The statements it was computed from (to tell whether a table restates them)."""
    children: bool = False
    """Computed over the subject's children (a count or a sum over them)."""


@rule(
    "TP641",
    "derived-figure",
    Severity.ERROR,
    "写明的数字与按知识库公式由其组成部分算得的不一致（项目个数、总投资、人均、增长率等）",
)
def derived_figure(ctx: Context) -> Iterator[Problem]:
    yield from derived(ctx, "TP641")


def derived(ctx: Context, code: str) -> Iterator[Problem]:
    """The problems of every derivation the knowledge gives to rule ``code``."""
    for declaration in ctx.knowledge.derivations:
        if declaration.rule != code:
            continue
        for subject in town_subjects(ctx, declaration.subject):
            yield from _judge(ctx, declaration, subject)


def _judge(ctx: Context, declaration: Derivation, subject: Entity) -> Iterator[Problem]:
    """Each statement of the figure where it is kept (a field before a table before a sentence:
    a restatement elsewhere that disagrees with it is TP640's)."""
    found = [f for f in distinct(ctx.facts.of(subject, declaration.stated)) if f.quantity]
    best = kept(found)
    stated = [f for f in found if best is not None and f.origin == best.origin]
    if not stated:
        return
    computed = _compute(ctx, declaration, subject)
    if computed is None:
        return
    for fact in stated:
        quantity = fact.quantity
        assert quantity is not None
        allowed = half_unit(quantity) + computed.slack + declaration.tolerance
        if abs(quantity.base()[1] - computed.value) <= allowed:
            continue
        if _restated_beside(ctx, fact, computed):
            continue
        yield Problem(fact.source, _message(ctx, declaration, subject, fact, computed),
                      declaration.severity)  # fmt: skip


def _compute(ctx: Context, declaration: Derivation, subject: Entity) -> Computed | None:
    if declaration.count:
        return _count(ctx, subject, declaration.count)
    if declaration.sum and declaration.over:
        return _sum_over(ctx, subject, declaration.over, declaration.sum)
    if declaration.sum:
        return _sum_own(ctx, subject, declaration.sum)
    return _formula(ctx, declaration, subject)


def _count(ctx: Context, subject: Entity, kind: str) -> Computed | None:
    found = children(ctx, subject, kind)
    links = [ctx.facts.first(child, subject.kind) for child in found]
    listed = "、".join(
        f"{ctx.facts.name(child)}（{place(link)}）" if link is not None else ctx.facts.name(child)
        for child, link in zip(found[:MAX_LISTED], links, strict=False)
    )
    more = f"等 {len(found)} 个" if len(found) > MAX_LISTED else ""
    what = KIND_LABELS.get(kind, kind)
    working = f"本{KIND_LABELS.get(subject.kind, '')}的{what}计有 {len(found)} 个（{listed}{more}）"
    inputs = tuple(f for child in found for f in ctx.facts.about(child))
    return Computed(Decimal(len(found)), Decimal(0), lambda _: working, inputs, children=True)


def _sum_over(ctx: Context, subject: Entity, kind: str, attribute: str) -> Computed | None:
    parts: list[tuple[Fact, str]] = []
    for child in children(ctx, subject, kind):
        fact = kept([f for f in ctx.facts.of(child, attribute) if f.quantity])
        if fact is None:
            return None  # a child without the figure: the sum cannot be made
        parts.append((fact, ctx.facts.name(child)))
    if not parts:
        return None
    what = f"各{KIND_LABELS.get(kind, kind)}的{label(ctx, attribute)}之和"
    added = _added(parts, what)
    return dataclasses.replace(added, children=True) if added is not None else None


def _sum_own(ctx: Context, subject: Entity, pattern: str) -> Computed | None:
    """The sum of the subject's attributes matching ``pattern`` (``funding.*``), each read where
    it is kept (every statement of that origin: two lines of one source both count)."""
    prefix = pattern[:-1] if pattern.endswith("*") else None
    parts: list[tuple[Fact, str]] = []
    groups: dict[str, list[Fact]] = {}
    for fact in ctx.facts.about(subject):
        wanted = fact.attribute.startswith(prefix) if prefix else fact.attribute == pattern
        if wanted and fact.quantity:
            groups.setdefault(fact.attribute, []).append(fact)
    for attribute, facts in groups.items():
        best = kept(facts)
        assert best is not None
        name = attribute[len(prefix) :] if prefix else label(ctx, attribute)
        parts += [(f, name) for f in distinct(facts) if f.origin == best.origin]
    if not parts:
        return None
    what = f"{label(ctx, pattern.rstrip('.*'))}合计" if prefix else label(ctx, pattern)
    return _added(parts, what)


def _added(parts: Sequence[tuple[Fact, str]], what: str) -> Computed | None:
    quantities = [f.quantity for f, _ in parts]
    dimensions = {q.base()[0] for q in quantities if q is not None}
    if len(dimensions) != 1:
        return None  # figures of different kinds: nothing to add
    total = sum((q.base()[1] for q in quantities if q is not None), Decimal(0))
    slack = sum((half_unit(q) for q in quantities if q is not None), Decimal(0))
    shown_parts = "＋".join(
        f"{shown(f.value)}（{name}，{place(f)}）" for f, name in parts[:MAX_LISTED]
    )
    more = f"＋……（共 {len(parts)} 项）" if len(parts) > MAX_LISTED else ""
    unit = UNIT_LABELS.get(_unit(quantities), _unit(quantities))
    working = f"{what} = {shown_parts}{more} = {tidy(total)}{unit}"
    return Computed(total, slack, lambda _: working, tuple(f for f, _ in parts))


def _unit(quantities: Sequence[Quantity | None]) -> str:
    """The base unit of a dimension the figures share (万元, m2, 人), for showing a total."""
    first = next((q for q in quantities if q is not None), None)
    if first is None:
        return ""
    dimension = first.base()[0]
    return {"面积": "m2", "金额": "万元", "人口": "人", "长度": "m"}.get(dimension, first.unit)


def _formula(ctx: Context, declaration: Derivation, subject: Entity) -> Computed | None:
    formula = declaration.formula
    if formula is None:
        return None
    facts: dict[str, Fact] = {}
    for name, spec in declaration.inputs.items():
        found = [f for f in ctx.facts.of(subject, spec.attribute) if f.quantity]
        if spec.latest:
            dated = [f for f in found if f.as_of is not None]
            fact = max(dated, key=lambda f: f.as_of or dt.date.min, default=None)
        else:
            fact = kept(found)
        if fact is None:
            return None  # an input not stated: nothing to say
        facts[name] = fact
    values = {name: _base(fact) for name, fact in facts.items()}
    result = formula(values)
    if result is None:
        return None
    slack = _sensitivity(declaration, values, {n: half_unit(_q(f)) for n, f in facts.items()})
    inputs = "，".join(
        f"{label(ctx, declaration.inputs[name].attribute)} {shown(fact.value)}（{place(fact)}）"
        for name, fact in facts.items()
    )
    text = formula.text
    for name, spec in sorted(declaration.inputs.items(), key=lambda item: -len(item[0])):
        text = text.replace(name, label(ctx, spec.attribute))
    text = text.replace("*", " × ").replace("/", " ÷ ").replace("  ", " ")

    def working(stated: Quantity) -> str:
        return f"按 {text} 计算为 {_in_unit_of(result, stated)}（{inputs}）"

    return Computed(result, slack, working, tuple(facts.values()))


def _in_unit_of(value: Decimal, stated: Quantity) -> str:
    """A computed base value shown in the stated figure's unit, to one more place than it was
    written to (at least one): 9.60㎡/人 beside 9.6㎡/人, 15.0% beside 4.7%."""
    base = stated.base()[1]
    factor = base / stated.value if stated.value and base else Decimal(1)
    shown_value = (value / factor).quantize(Decimal(10) ** -max(written_places(stated), 1))
    return f"{shown_value}{UNIT_LABELS.get(stated.unit, stated.unit)}"


def _q(fact: Fact) -> Quantity:
    assert fact.quantity is not None
    return fact.quantity


def _base(fact: Fact) -> Decimal:
    return _q(fact).base()[1]


def _sensitivity(declaration: Derivation, values: dict[str, Decimal],
                 halves: dict[str, Decimal]) -> Decimal:  # fmt: skip
    """How far the formula moves when each input moves by the rounding it was written with (every
    combination of ends, for the few inputs a formula has)."""
    formula = declaration.formula
    assert formula is not None
    nominal = formula(values)
    if nominal is None:
        return Decimal(0)
    names = list(values)
    worst = Decimal(0)
    for signs in itertools.product((-1, 1), repeat=min(len(names), 6)):
        moved = dict(values)
        for name, sign in zip(names, signs, strict=False):
            moved[name] = values[name] + sign * halves[name]
        result = formula(moved)
        if result is not None:
            worst = max(worst, abs(result - nominal))
    return worst


def _restated_beside(ctx: Context, stated: Fact, computed: Computed) -> bool:
    """Whether a table in the same section of the same document restates the inputs (children
    listed in a table beside the sentence): TP622 compares the sentence with that table."""
    if not computed.children or stated.origin != "text" or stated.source.line is None:
        return False
    subjects = {f.subject for f in computed.inputs}
    rows = [
        f.source.line
        for subject in subjects
        for f in ctx.facts.about(subject)
        if f.origin == "table" and f.source.path == stated.source.path and f.source.line
    ]
    if not rows:
        return False
    cuts = _level_one_lines(ctx, stated.source.path)
    here = stated.source.line
    return any(not any(min(here, row) < cut <= max(here, row) for cut in cuts) for row in rows)


def _level_one_lines(ctx: Context, path: str) -> list[int]:
    for markdown in ctx.the_town.markdown_files():
        if markdown.ref.path == path:
            return [h.ref.line or 0 for h in markdown.headings if h.level == 1]
    return []


def _message(ctx: Context, declaration: Derivation, subject: Entity, fact: Fact,
             computed: Computed) -> str:  # fmt: skip
    stated = _q(fact)
    what = label(ctx, declaration.stated)
    return (
        f"{ctx.facts.name(subject)}的{what}写 {shown(stated)}，而{computed.working(stated)}："
        f"{declaration.name}；请核对"
    )
