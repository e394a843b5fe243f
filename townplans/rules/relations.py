"""TP642–TP644: the relation engines — implication, order and containment between statements.

``templates/knowledge`` declares relations between attributes of one subject and between a
subject and the subjects its references reach (``via``: a plan's ``rests_on``):

- **implication** (TP642): when the ``if`` condition holds of a statement, the ``then`` condition
  holds of the statements it is about — a stage word and the percentage (已完工 with 形象进度
  70 %), a permit and the stage (竣工验收 已办理 while the work goes on), a plan's stage and its
  parent's (a 修规 批准稿 resting on a 控规 still 征求意见稿);
- **order** (TP643): one date or figure is not after (not greater than) another — a date a document
  states the situation for and the document's own date;
- **containment** (TP644): a date or period lies within a period — the near term within the plan
  period, a detailed plan's period within its parent's.

Statements of the same subject are paired within one document when it states both (a brief's
progress words with its own percentage), else with every statement for the same date. What a
relation cannot judge (a statement missing, a value of another kind) says nothing. The finding
stands at the statement that makes the claim (the ``if``, the earlier, the inner one) and names
the other place.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from decimal import Decimal

from townplans.facts import Entity, Fact, Quantity
from townplans.knowledge import Condition, Containment, Implication, Order, Side
from townplans.model import Severity
from townplans.rules import Context, Problem, rule
from townplans.rules.factquery import (
    kept,
    label,
    period_of,
    place,
    shown,
    side_facts,
    town_subjects,
)

_BRACKETED = re.compile(r"[（(][^）)]*[）)]")


# -- implication ----------------------------------------------------------------------------------


@rule(
    "TP642",
    "implied-fact",
    Severity.WARNING,
    "两处写法互相矛盾：一处成立时另一处应随之成立（已完工而进度不足 100%、竣工验收已办理而未完工、"
    "下位规划已报批而上位规划仍在征求意见等，按知识库的蕴含关系）",
)
def implied_fact(ctx: Context) -> Iterator[Problem]:
    for declaration in ctx.knowledge.implications:
        for subject in town_subjects(ctx, declaration.subject):
            yield from _implication(ctx, declaration, subject)


def _implication(ctx: Context, declaration: Implication, subject: Entity) -> Iterator[Problem]:
    for claim, _ in side_facts(ctx, subject, declaration.when.side):
        if holds(claim, declaration.when) is not True:
            continue
        for other, link in _paired(ctx, claim, subject, declaration.then.side):
            if holds(other, declaration.then) is False:
                message = _implication_message(ctx, declaration, claim, other, link)
                yield Problem(claim.source, message, declaration.severity)


def holds(fact: Fact, condition: Condition) -> bool | None:
    """Whether ``fact`` meets ``condition`` (None: it cannot be judged — a value of another kind,
    a word not on the scale)."""
    value = fact.value
    if condition.is_:
        if isinstance(value, Quantity | dt.date):
            return None
        return _plain(str(value)) in {_plain(word) for word in condition.is_}
    bound = condition.at_least if condition.at_least is not None else condition.at_most
    position = _position(value, bound, condition.scale)
    if position is None:
        return None
    here, there = position
    return here >= there if condition.at_least is not None else here <= there


def _position(value: object, bound: Decimal | str | None,
              scale: Sequence[str]) -> tuple[Decimal, Decimal] | None:  # fmt: skip
    """The value and the bound as numbers to compare: a quantity in its base unit, a word by its
    place on the scale."""
    if isinstance(bound, str):
        words = [_plain(word) for word in scale]
        text = _plain(str(value)) if isinstance(value, str) else ""
        if text not in words:
            return None
        return Decimal(words.index(text)), Decimal(words.index(_plain(bound)))
    if isinstance(value, Quantity) and bound is not None:
        return value.base()[1], bound
    return None


def _plain(text: str) -> str:
    """A word as compared: bracketed remarks and spaces set aside (已办理（2023年9月）)."""
    return re.sub(r"\s+", "", _BRACKETED.sub("", text))


def _paired(ctx: Context, claim: Fact, subject: Entity,
            side: Side) -> list[tuple[Fact, Fact | None]]:  # fmt: skip
    """The statements of ``side`` that ``claim`` is about: of the same subject, those in the
    claim's document if it has any, else those for the claim's date (or all, for a figure that
    does not change); of a related subject, all of them."""
    found = side_facts(ctx, subject, side)
    if side.via:
        return found
    same_file = [(f, link) for f, link in found if f.source.path == claim.source.path]
    if same_file:
        return same_file
    if ctx.knowledge.attribute(side.attribute).changes:
        return [(f, link) for f, link in found if f.as_of == claim.as_of]
    return found


def _implication_message(ctx: Context, declaration: Implication, claim: Fact, other: Fact,
                         link: Fact | None) -> str:  # fmt: skip
    claimed = f"{label(ctx, claim.attribute)}为“{shown(claim.value)}”"
    return (
        f"此处{claimed}，但{_whose(ctx, other, link)}{label(ctx, other.attribute)}为"
        f"“{shown(other.value)}”（{place(other)}）：{declaration.name}；请核对两处"
    )


def _whose(ctx: Context, other: Fact, link: Fact | None) -> str:
    """The related subject a statement is about, with the place that names it as related (none
    for a relation the files' places give, such as a detailed plan resting on the master plan)."""
    if link is None:
        return ""
    name = ctx.facts.name(other.subject)
    shown_name = f"《{name}》" if other.subject.kind == "plan" else name
    cited = f"（引用见 {place(link)}）" if link.origin != "structure" else ""
    return f"{shown_name}{cited}的"


# -- order ----------------------------------------------------------------------------------------


@rule(
    "TP643",
    "fact-order",
    Severity.ERROR,
    "应在前（或较小）的日期、数字晚于（大于）应在后的（文中写明的截至日期晚于文件日期、本周完成投资大于累计等，"
    "按知识库的先后关系）",
)
def fact_order(ctx: Context) -> Iterator[Problem]:
    for declaration in ctx.knowledge.orders:
        for subject in town_subjects(ctx, declaration.subject):
            yield from _order(ctx, declaration, subject)


def _order(ctx: Context, declaration: Order, subject: Entity) -> Iterator[Problem]:
    for earlier, _ in side_facts(ctx, subject, declaration.earlier):
        for later, link in _paired(ctx, earlier, subject, declaration.later):
            after = _after(earlier.value, later.value)
            if after:
                yield Problem(earlier.source, _order_message(ctx, declaration, earlier, later, link),
                              declaration.severity)  # fmt: skip


def _after(one: object, other: object) -> bool:
    """Whether ``one`` is after (greater than) ``other``; False when they do not compare."""
    if isinstance(one, dt.date) and isinstance(other, dt.date):
        return one > other
    if isinstance(one, Quantity) and isinstance(other, Quantity):
        (dim_one, value_one), (dim_other, value_other) = one.base(), other.base()
        return dim_one == dim_other and value_one > value_other
    return False


def _order_message(ctx: Context, declaration: Order, earlier: Fact, later: Fact,
                   link: Fact | None) -> str:  # fmt: skip
    word = "晚于" if isinstance(earlier.value, dt.date) else "大于"
    whose = _whose(ctx, later, link)
    return (
        f"{label(ctx, earlier.attribute)} {shown(earlier.value)} {word}{whose}"
        f"{label(ctx, later.attribute)} {shown(later.value)}（{place(later)}）："
        f"{declaration.name}；请核对"
    )


# -- containment ----------------------------------------------------------------------------------


@rule(
    "TP644",
    "fact-within",
    Severity.ERROR,
    "日期或年限超出应包含它的年限（近期建设年限超出规划期限、详细规划期限超出总体规划期限等，按知识库的包含关系）",
)
def fact_within(ctx: Context) -> Iterator[Problem]:
    for declaration in ctx.knowledge.containments:
        for subject in town_subjects(ctx, declaration.subject):
            yield from _containment(ctx, declaration, subject)


def _containment(ctx: Context, declaration: Containment, subject: Entity) -> Iterator[Problem]:
    outers = side_facts(ctx, subject, declaration.outer)
    outer_fact = kept([f for f, _ in outers if period_of(f.value) is not None])
    if outer_fact is None:
        return
    link = next(link for f, link in outers if f is outer_fact)
    outer = period_of(outer_fact.value)
    assert outer is not None
    for inner_fact, _ in side_facts(ctx, subject, declaration.inner):
        inner = period_of(inner_fact.value)
        if inner is None or inner_fact is outer_fact or outer.contains(inner):
            continue
        whose = _whose(ctx, outer_fact, link)
        message = (
            f"{label(ctx, inner_fact.attribute)}“{shown(inner_fact.value)}”不在{whose}"
            f"{label(ctx, outer_fact.attribute)}“{shown(outer_fact.value)}”（{place(outer_fact)}）"
            f"之内：{declaration.name}；请核对"
        )
        yield Problem(inner_fact.source, message, declaration.severity)
