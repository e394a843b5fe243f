"""The 考核评分: each town scored on the profile's criteria (``scoring``), with the points behind
every score, and the towns ranked.

Pure: it reads each town's deliverables complete (counted by the caller from the status
matrix: ``Materials``; scoring sits below the checker so the renderers may print its tables), the
towns' indicators, the progress
model at one week (滞后, reports on time, 未报) and the inspection's result where town.yaml records
one. A criterion's points are its weight times the share the town achieved, rounded to 0.1; the
reason is printed beside them ("齐全7项/共8项"). While no town has an inspection result, that
criterion is scored for nobody and the table's maximum is the other weights' sum.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from townplans.comparators import holds
from townplans.model import District, Town
from townplans.profile import Criterion, Profile
from townplans.progress import Progress, Week
from townplans.values import PARSERS, ValueFormatError

TENTH = Decimal("0.1")

Materials = Mapping[str, tuple[int, int]]
"""Per town slug: (deliverables present, deliverables required), from the status matrix."""


@dataclass(frozen=True, slots=True)
class Item:
    """One criterion of one town: the points it earned and why."""

    criterion: Criterion
    points: Decimal | None
    """None when the criterion is not scored (no inspection recorded for any town)."""
    basis: str


@dataclass(frozen=True, slots=True)
class TownScore:
    town: str
    name: str
    items: tuple[Item, ...]
    total: Decimal
    rank: int


@dataclass(frozen=True, slots=True)
class Scores:
    """The ranked table: towns best first; ``maximum`` is the points a town could earn."""

    week: Week | None
    criteria: tuple[Criterion, ...]
    scored: tuple[bool, ...]
    """Per criterion: whether it is scored at all."""
    towns: tuple[TownScore, ...]
    maximum: Decimal


def score(
    district: District,
    profile: Profile,
    progress: Progress,
    materials: Materials,
    week: Week | None = None,
) -> Scores:
    """The towns scored at ``week`` (the latest reported week by default), best first; equal
    totals share a rank and keep the district's order."""
    week = week or progress.latest_week()
    criteria = profile.scoring
    inspected = any(_inspection(t) is not None for t in district.towns)
    scored = tuple(c.measure != "inspection" or inspected for c in criteria)
    rows = []
    for town in district.towns:
        items = tuple(
            _item(c, town, profile, progress, materials.get(town.slug, (0, 0)), week, on)
            for c, on in zip(criteria, scored, strict=True)
        )
        total = sum((i.points for i in items if i.points is not None), Decimal(0))
        rows.append((town, items, total))
    ordered = sorted(rows, key=lambda row: -row[2])
    ranked: list[TownScore] = []
    for index, (town, items, total) in enumerate(ordered):
        previous = ranked[-1] if ranked else None
        rank = previous.rank if previous is not None and previous.total == total else index + 1
        ranked.append(TownScore(town.slug, town.name, items, total, rank))
    maximum = sum((c.weight for c, on in zip(criteria, scored, strict=True) if on), Decimal(0))
    return Scores(week, criteria, scored, tuple(ranked), maximum)


def points(weight: Decimal, achieved: int | Decimal, possible: int | Decimal) -> Decimal:
    """``weight`` × achieved ÷ possible, to 0.1 (half up); full points when nothing is possible
    (a town with no project cannot be behind)."""
    if not possible:
        return weight.quantize(TENTH)
    return (weight * Decimal(achieved) / Decimal(possible)).quantize(TENTH, ROUND_HALF_UP)


def _item(
    criterion: Criterion,
    town: Town,
    profile: Profile,
    progress: Progress,
    material: tuple[int, int],
    week: Week | None,
    scored: bool,
) -> Item:
    measure, weight = criterion.measure, criterion.weight
    if measure == "materials":
        done, required = material
        return Item(criterion, points(weight, done, required), f"齐全{done}项/共{required}项")
    if measure == "indicators":
        met, judged = _indicators(town, profile)
        return Item(criterion, points(weight, met, judged), f"达标{met}项/可考核{judged}项")
    if measure == "schedule":
        return _schedule(criterion, town, progress, week)
    if measure == "reporting":
        return _reporting(criterion, town, progress, week)
    if not scored:
        return Item(criterion, None, "各镇均未记录观摩评比结果，本项暂不计分")
    result = _inspection(town)
    if result is None:
        return Item(criterion, Decimal(0).quantize(TENTH), "未记录观摩评比结果")
    return Item(criterion, points(weight, result, 100), f"观摩评比得分{_plain(result)}分（百分制）")


def _schedule(criterion: Criterion, town: Town, progress: Progress, week: Week | None) -> Item:
    projects = [p for p in progress.projects.values() if p.town == town.slug]
    if week is None or not projects:
        return Item(criterion, points(criterion.weight, 0, 0), "无可考核项目")
    behind = len([p for p in projects if p.lagging(week.end, progress.tolerance)])
    kept = len(projects) - behind
    return Item(criterion, points(criterion.weight, kept, len(projects)),
                f"按期{kept}项/共{len(projects)}项，滞后{behind}项")  # fmt: skip


def _reporting(criterion: Criterion, town: Town, progress: Progress, week: Week | None) -> Item:
    """Each week up to ``week`` counts the share of the town's projects its report covers when
    the report came on time, nothing when it came late or not at all."""
    weeks = [w for w in progress.weeks if week is None or w.end <= week.end]
    if not weeks:
        return Item(criterion, points(criterion.weight, 0, 0), "无报送周期")
    achieved, on_time, omitted = Decimal(0), 0, 0
    for each in weeks:
        found = progress.town_week(town.slug, each)
        expected = len(found.entries) + len(found.missing)
        omitted += len(found.missing)
        if found.on_time:
            on_time += 1
            achieved += Decimal(len(found.entries)) / expected if expected else Decimal(1)
    basis = f"按时报送{on_time}期/共{len(weeks)}期"
    if omitted:
        basis += f"，漏报项目{omitted}项次"
    return Item(criterion, points(criterion.weight, achieved, len(weeks)), basis)


def _indicators(town: Town, profile: Profile) -> tuple[int, int]:
    """How many of the indicators that have a district target the town meets, of how many; a
    value missing or unreadable counts as not met (the checker reports it)."""
    values = town.meta.get("indicators") if town.meta is not None else None
    met = judged = 0
    for key, indicator in profile.indicators.items():
        if indicator.target is None:
            continue
        judged += 1
        entry = values.get(key) if isinstance(values, dict) else None
        raw = entry.get("value") if isinstance(entry, dict) else entry
        if raw is None:
            continue
        try:
            parsed = PARSERS[indicator.type](raw)
        except ValueFormatError:
            continue
        met += 1 if holds(parsed.value, indicator.comparator, indicator.target) else 0
    return met, judged


def _inspection(town: Town) -> Decimal | None:
    raw = town.meta.get("inspection_score") if town.meta is not None else None
    if raw is None or isinstance(raw, bool):
        return None
    try:
        value = PARSERS["number"](raw).value
    except ValueFormatError:
        return None
    return value if 0 <= value <= 100 else None


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"
