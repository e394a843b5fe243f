"""TP211–TP213: what a 控规's parcel figures allow together, read from the fact base: a floor-area
ratio the density and the height limit cannot reach, a parcel taller than the height its own plan
caps every parcel at, and a 修规 larger than the parcels it says it lies on.

These relate different figures of one parcel or plan (not the same figure written twice, which is
the agreement engine's, TP640), each by a rule of geometry a reviewer applies in the head."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from townplans.facts import Entity, Fact, FactBase, Quantity
from townplans.model import Severity
from townplans.rules import Context, Problem, rule
from townplans.values import cell_number

MIN_STOREY_M = Decimal("2.8")
"""The lowest storey a building may have (GB 50096-2011 5.5.1: 住宅层高宜为2.80m), so that
height ÷ 2.8 m, rounded down, is the most storeys a height limit leaves room for."""

_CAP = re.compile(
    r"建筑(?:控制)?高度(?:统一|一律|均)?(?:控制在|不超过|不得超过|不大于)(?P<m>[0-9]+(?:\.[0-9]+)?)\s*(?:米|m)(?:以下|以内)?"
)


def _number(fact: Fact | None) -> Decimal | None:
    return fact.value.value if fact is not None and isinstance(fact.value, Quantity) else None


def _written(fact: Fact) -> str:
    return fact.value.original if isinstance(fact.value, Quantity) else str(fact.value)


def _parcel_figure(facts: FactBase, parcel: Entity, attribute: str) -> tuple[Decimal, Fact] | None:
    """A parcel's figure as parcels.yaml states it (else as the plan's table does)."""
    stated = facts.of(parcel, attribute)
    chosen = next((f for f in stated if f.source.path.endswith("parcels.yaml")), None)
    chosen = chosen or next(iter(stated), None)
    value = _number(chosen)
    return (value, chosen) if value is not None and chosen is not None else None


def _parcels(ctx: Context) -> Iterator[Entity]:
    prefix = ctx.the_town.slug + "/"
    yield from (s for s in ctx.facts.subjects("parcel") if s.key.startswith(prefix))


@rule(
    "TP211",
    "parcel-far-height",
    Severity.ERROR,
    "地块容积率超过建筑密度和限高所能达到的上限（容积率 ≤ 建筑密度 × 限高所容层数）",
    "standard",
    standard="住建部令第7号 第十条（控规规定容积率、建筑密度、建筑高度）；GB 50096-2011 5.5.1（层高）",
)
def parcel_far_height(ctx: Context) -> Iterator[Problem]:
    for parcel in _parcels(ctx):
        far = _parcel_figure(ctx.facts, parcel, "far")
        density = _parcel_figure(ctx.facts, parcel, "density")
        height = _parcel_figure(ctx.facts, parcel, "height")
        if far is None or density is None or height is None or height[0] <= 0:
            continue
        storeys = max(int(height[0] // MIN_STOREY_M), 1)
        reachable = density[0] / 100 * storeys
        if far[0] > reachable + Decimal("0.05"):  # beyond the rounding of a ratio to 0.1
            ident = parcel.key.rsplit("/", 1)[-1]
            message = (
                f"地块 {ident} 容积率 {_written(far[1])}，但建筑密度 {density[0]}%、建筑控制高度"
                f" {height[0]} 米（至多 {storeys} 层，按最低层高 2.8 米）只能达到约 {reachable:.1f}"
                f"（{height[1].source}）：三项指标不能同时满足，请核对"
            )
            yield Problem(far[1].source, message)


@rule(
    "TP212",
    "parcel-height-cap",
    Severity.ERROR,
    "地块建筑控制高度超过本规划文本统一规定的限高",
    "standard",
    standard="住建部令第7号 第十条；文物保护单位建设控制地带的高度控制",
)
def parcel_height_cap(ctx: Context) -> Iterator[Problem]:
    town = ctx.the_town
    for plan in town.detailed_plans:
        if plan.text is None:
            continue
        text = plan.text.text
        cap = _CAP.search(text)
        limit = cell_number(cap.group("m")) if cap is not None else None
        if cap is None or limit is None:
            continue
        line = text[: cap.start()].count("\n") + 1
        sentence = re.split(r"[。\n]", text[: cap.start()])[-1] + cap.group(0)
        named = set(re.findall(r"[A-Z]{1,3}-[0-9]{1,3}", sentence))
        if not named and not re.search(r"全部|所有|各地块|统一|一律", sentence):
            continue  # a cap for some place the sentence does not tie to parcels
        for parcel in _parcels(ctx):
            ident = parcel.key.rsplit("/", 1)[-1]
            if not parcel.key.startswith(f"{town.slug}/{plan.slug}/") or (
                named and ident not in named
            ):
                continue
            height = _parcel_figure(ctx.facts, parcel, "height")
            if height is not None and height[0] > limit:
                message = (
                    f"地块 {ident} 建筑控制高度 {height[0]} 米，超过本规划"
                    f"“{cap.group(0)}”（{plan.text.ref.path}:{line}）：请核对"
                )
                yield Problem(height[1].source, message)


@rule(
    "TP213",
    "site-plan-area-parcels",
    Severity.ERROR,
    "修规的规划用地面积大于它所在的控规地块面积之和",
    "standard",
    standard="城乡规划法 第二十一条（修建性详细规划应当符合控制性详细规划）",
)
def site_plan_area(ctx: Context) -> Iterator[Problem]:
    town = ctx.the_town
    for plan in town.detailed_plans:
        subject = Entity("plan", f"{town.slug}/{plan.slug}")
        area = _number(ctx.facts.first(subject, "area"))
        parent = ctx.facts.first(subject, "rests_on")
        if area is None or plan.text is None or parent is None:
            continue
        named = _lies_on(ctx, plan.text.text, parent)
        if not named:
            continue
        total = sum((a for _, a, _ in named), Decimal(0))
        if area > total * Decimal("1.02"):  # 2 %: what rounding each figure to 0.1 ha allows
            listed = "、".join(f"{i} {a}公顷" for i, a, _ in named)
            fact = ctx.facts.first(subject, "area")
            assert fact is not None
            message = (
                f"规划用地面积 {area}公顷，大于所在的控规地块 {listed} 之和 {total}公顷"
                f"（{named[0][2]}）：修规范围应在控规地块之内，请核对面积或地块"
            )
            yield Problem(fact.source, message)


def _lies_on(ctx: Context, text: str, parent: Fact) -> list[tuple[str, Decimal, str]]:
    """The parent plan's parcels ``text`` names, with their areas and where they are stated."""
    value = parent.value
    key = getattr(getattr(value, "entity", None), "key", "")
    if not key:
        return []
    found = []
    for parcel in ctx.facts.subjects("parcel"):
        ident = parcel.key.rsplit("/", 1)[-1]
        if parcel.key.startswith(key + "/") and re.search(
            rf"(?<![A-Za-z0-9]){re.escape(ident)}(?![0-9])", text
        ):
            area = _parcel_figure(ctx.facts, parcel, "area")
            if area is not None:
                found.append((ident, area[0], str(area[1].source)))
    return found
