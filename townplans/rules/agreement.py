"""TP640: the agreement engine — any two statements of the same fact agree, wherever they are.

Facts (``townplans.facts``) carry their subject and attribute, so a figure stated in a brief's
front matter, in the construction plan's project table and in the master plan's text meets its
other statements without a rule written for that pair. Two statements agree when their values are
equal within the attribute's tolerance (``templates/knowledge``: absolute in its unit, or
relative), after converting units (公顷 and 平方公里, 万元 and 亿元); a figure that changes over
time is compared only with statements for the same date; only attributes the knowledge declares
are compared (a remark or a plan for next week is not a fact two places must share). Of three or
more statements the one out of line with the others is named; of two, the one restating the
other (a table restating a field, a sentence restating a table). Every finding names both places.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from decimal import Decimal

from townplans.facts import Entity, Fact, FactBase, Quantity
from townplans.knowledge import Attribute, Knowledge
from townplans.model import Severity
from townplans.rules import Context, Problem, rule


@rule(
    "TP640",
    "facts-disagree",
    Severity.ERROR,
    "同一事实在两处写得不一致（同一主体的同一属性：金额、面积、日期、个数、名称等，按知识库的容差比较）",
)
def facts_disagree(ctx: Context) -> Iterator[Problem]:
    """Every (subject, attribute) of the town stated more than once, each group of statements
    for one date judged once."""
    prefix = f"{ctx.the_town.slug}/"
    for (subject, attribute), facts in ctx.facts.pairs():
        if subject.key != ctx.the_town.slug and not subject.key.startswith(prefix):
            continue
        spec = ctx.knowledge.declared(attribute)
        if len(facts) < 2 or spec is None or not spec.compared:  # only what it says to compare
            continue
        for group in _by_date(facts, spec):
            found = odd_one_out(group, spec)
            if found is not None:
                yield _problem(ctx.facts, ctx.knowledge, subject, attribute, *found)


def _by_date(facts: Sequence[Fact], spec: Attribute) -> list[list[Fact]]:
    """The statements to compare with one another: all of them, or for a figure that changes
    over time, those that speak for the same date."""
    distinct = _distinct(facts)
    if not spec.changes:
        return [distinct]
    groups: dict[dt.date | None, list[Fact]] = {}
    for fact in distinct:
        groups.setdefault(fact.as_of, []).append(fact)
    return [group for when, group in groups.items() if when is not None]


def _distinct(facts: Sequence[Fact]) -> list[Fact]:
    """One statement per place (a value read twice from one line is one statement)."""
    seen: dict[tuple[str, int | None], Fact] = {}
    for fact in facts:
        seen.setdefault((fact.source.path, fact.source.line), fact)
    return list(seen.values())


def odd_one_out(facts: Sequence[Fact], spec: Attribute) -> tuple[Fact, Fact] | None:
    """(the statement out of line, one it disagrees with), or None when all agree. With three
    or more, the out-of-line one disagrees with the value most statements share."""
    if len(facts) < 2:
        return None
    values = [_key(f, spec) for f in facts]
    if all(agree(facts[0], other, spec) for other in facts[1:]):
        return None
    common, count = Counter(values).most_common(1)[0]
    if len(facts) >= 3 and count >= 2:
        anchor = next(f for f, v in zip(facts, values, strict=True) if v == common)
        odd = next(f for f in facts if not agree(anchor, f, spec))
        return odd, anchor
    # Two statements, or no majority: the one restating the other is named (a table or a sentence
    # restates a field, which is where the figure is kept), else the later one in reading order.
    ordered = sorted(facts, key=lambda f: ORIGIN_RANK.get(f.origin, 0))
    first = ordered[0]
    later = next(f for f in reversed(ordered) if not agree(first, f, spec))
    return later, first


ORIGIN_RANK = {"field": 0, "report": 1, "table": 2, "text": 3}
"""Where a figure is kept (a field) before where it is restated (a table, then a sentence)."""


def agree(one: Fact, other: Fact, spec: Attribute) -> bool:
    """Whether two statements of one attribute say the same."""
    a, b = one.value, other.value
    if isinstance(a, Quantity) and isinstance(b, Quantity):
        return _same_quantity(a, b, spec)
    if isinstance(a, Quantity) or isinstance(b, Quantity):
        return True  # one is not a figure at all: the field rules say so
    if isinstance(a, dt.date) or isinstance(b, dt.date):
        return a == b
    return _same_text(str(a), str(b))


def _same_quantity(a: Quantity, b: Quantity, spec: Attribute) -> bool:
    (dim_a, base_a), (dim_b, base_b) = a.base(), b.base()
    if dim_a != dim_b:
        return True  # different kinds of figure (a count and an amount): nothing to compare
    unit = spec.unit or a.unit
    scale = Quantity(Decimal(1), unit, "").base()[1] if unit else Decimal(1)
    difference = abs(base_a - base_b) / scale
    allowed = max(spec.tolerance, spec.relative * max(abs(base_a), abs(base_b)) / scale)
    return difference <= allowed


_BRACKETED = re.compile(r"[（(][^）)]*[）)]")


def _same_text(a: str, b: str) -> bool:
    """Equal once bracketed remarks and spaces are set aside (李国强 and 李国强（副镇长））."""
    x, y = (re.sub(r"\s+", "", _BRACKETED.sub("", t)) for t in (a, b))
    return not x or not y or x == y


def _key(fact: Fact, spec: Attribute) -> object:
    if isinstance(fact.value, Quantity):
        return fact.value.base()
    if isinstance(fact.value, str):
        return re.sub(r"\s+", "", _BRACKETED.sub("", fact.value))
    return fact.value


def _problem(facts: FactBase, knowledge: Knowledge, subject: Entity, attribute: str,
             odd: Fact, other: Fact) -> Problem:  # fmt: skip
    label = knowledge.attribute(attribute).label
    name = facts.name(subject)
    when = f"（{odd.as_of:%Y年%-m月%-d日}）" if knowledge.attribute(attribute).changes else ""
    message = (
        f"{name}的{label}{when}在两处写得不一致：此处写 {odd.value}，"
        f"{other.source} 写 {other.value}；请核对后统一"
    )
    return Problem(odd.source, message)
