"""TP4xx indicators (指标符合性): each town's value against the district target, with comparator and
unit conversion; every value needs its 口径 and source; an unknown target is never guessed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from townplans.comparators import holds
from townplans.model import Located, Severity
from townplans.profile import Indicator
from townplans.rules import Context, Problem, rule
from townplans.rules.derivation import derived
from townplans.values import PARSERS, Parsed, ValueFormatError, is_placeholder

DEFINITION_KEYS = ("口径", "definition", "统计口径")
SOURCE_KEYS = ("source", "来源", "数据来源")
_COMPARATOR_TEXT = {">=": "不低于", "<=": "不高于", "==": "等于", ">": "高于", "<": "低于"}


@dataclass(frozen=True, slots=True)
class Reported:
    """One indicator as a town reports it."""

    indicator: Indicator
    path: tuple[str | int, ...]
    raw_value: Any
    entry: dict[str, Any]
    parsed: Parsed | None
    error: str | None


def _indicators(ctx: Context) -> tuple[Located, dict[str, Any]] | None:
    meta = ctx.the_town.meta
    if meta is None or not isinstance(meta.data, dict):
        return None
    indicators = meta.get("indicators")
    return (meta, indicators) if isinstance(indicators, dict) else None


def reported(ctx: Context) -> Iterator[Reported]:
    """The town's value for every indicator of the profile that it reports."""
    found = _indicators(ctx)
    if found is None:
        return
    _, values = found
    for key, indicator in ctx.profile.indicators.items():
        if key not in values:
            continue
        entry = values[key] if isinstance(values[key], dict) else {"value": values[key]}
        raw = entry.get("value")
        path: tuple[str | int, ...] = (
            ("indicators", key, "value") if isinstance(values[key], dict) else ("indicators", key)
        )
        if is_placeholder(raw):
            yield Reported(indicator, path, raw, entry, None, f"尚未填写，仍是模板占位文字“{raw}”")
            continue
        try:
            parsed, error = PARSERS[indicator.type](raw), None
        except ValueFormatError as exc:
            parsed, error = None, str(exc)
        if parsed is not None and (problem := _out_of_range(parsed, indicator)) is not None:
            parsed, error = None, problem
        yield Reported(indicator, path, raw, entry, parsed, error)


def _out_of_range(parsed: Parsed, indicator: Indicator) -> str | None:
    """Why a value cannot be right (a rate over 100 %, a negative area), or None."""
    low, high = indicator.range
    value = parsed.value
    if not isinstance(value, Decimal):
        return None
    if (low is not None and value < low) or (high is not None and value > high):
        low_text = f"{low}" if low is not None else "−∞"
        high_text = f"{high}" if high is not None else "∞"
        return (
            f"“{parsed.original}”超出合理范围 {low_text}–{high_text}{indicator.unit}："
            "请检查数值或单位（不作达标判断）"
        )
    return None


def _reported_at(ctx: Context) -> Iterator[tuple[Located, Reported]]:
    """Each reported indicator with town.yaml, for locating it."""
    found = _indicators(ctx)
    if found is None:
        return
    meta, _ = found
    for item in reported(ctx):
        yield meta, item


def _target_text(indicator: Indicator) -> str:
    inferred = "（原文为“达到”，按不低于理解）" if indicator.comparator_inferred else ""
    return f"{_COMPARATOR_TEXT[indicator.comparator]} {indicator.target}{indicator.unit}{inferred}"


def _shown(parsed: Parsed, indicator: Indicator) -> str:
    """The value as written, with its conversion when the unit differs (205公顷 → 2.05km²)."""
    normalised = f"{parsed.value}{indicator.unit}"
    same = parsed.original.replace(" ", "") in (normalised, str(parsed.value))
    return parsed.original if same else f"{parsed.original}（折合 {normalised}）"


def _meets(value: Decimal, indicator: Indicator) -> bool:
    target = indicator.target
    assert target is not None
    return holds(value, indicator.comparator, target)


@rule(
    "TP401", "indicator-below-target", Severity.ERROR, "指标未达到区级目标", "plan", ("R02", "R12")
)
def below_target(ctx: Context) -> Iterator[Problem]:
    for meta, item in _reported_at(ctx):
        indicator = item.indicator
        if item.parsed is None or indicator.target is None or _meets(item.parsed.value, indicator):
            continue
        quote = f"；源方案：“{indicator.source_text}”" if indicator.source_text else ""
        message = f"{indicator.label}为 {_shown(item.parsed, indicator)}，未达到区级目标：{_target_text(indicator)}{quote}"
        yield Problem(meta.ref_of(*item.path), message, refs=indicator.refs)


@rule(
    "TP402",
    "indicator-missing",
    Severity.ERROR,
    "town.yaml 缺少规则文件要求填报的指标",
    "plan",
    ("R02",),
)
def indicator_missing(ctx: Context) -> Iterator[Problem]:
    found = _indicators(ctx)
    meta = ctx.the_town.meta
    if meta is None or not isinstance(meta.data, dict):
        return
    values = found[1] if found is not None else {}
    for key, indicator in ctx.profile.indicators.items():
        if key not in values:
            message = f"未填报指标“{indicator.label}”（indicators.{key}）：应写 value（数值和单位）、口径和 source"
            yield Problem(meta.ref_of("indicators"), message, refs=indicator.refs)


def _has(entry: dict[str, Any], keys: tuple[str, ...]) -> bool:
    return any(str(entry.get(key) or "").strip() for key in keys)


@rule(
    "TP403", "indicator-no-definition", Severity.WARNING, "指标值没有写明统计口径", "plan", ("R16",)
)
def no_definition(ctx: Context) -> Iterator[Problem]:
    for meta, item in _reported_at(ctx):
        if not _has(item.entry, DEFINITION_KEYS):
            message = f"{item.indicator.label}没有写明口径（统计范围、时点、计算方法）：不同口径的数值无法比较"
            yield Problem(meta.ref_of(*item.path), message, refs=item.indicator.refs)


@rule("TP404", "indicator-no-source", Severity.WARNING, "指标值没有写明数据来源")
def no_source(ctx: Context) -> Iterator[Problem]:
    for meta, item in _reported_at(ctx):
        if not _has(item.entry, SOURCE_KEYS):
            yield Problem(
                meta.ref_of(*item.path), f"{item.indicator.label}没有写明数据来源（source）"
            )


@rule(
    "TP405",
    "indicator-unreadable",
    Severity.ERROR,
    "指标值无法读取（数值或单位有误），或仍是【待填写】",
)
def unreadable(ctx: Context) -> Iterator[Problem]:
    for meta, item in _reported_at(ctx):
        if item.error is not None:
            unit = "" if is_placeholder(item.raw_value) else f"（应以 {item.indicator.unit} 计）"
            message = f"{item.indicator.label}：{item.error}{unit}"
            yield Problem(meta.ref_of(*item.path), message, refs=item.indicator.refs)


@rule(
    "TP406",
    "target-unconfirmed",
    Severity.INFO,
    "源方案目标值无法辨认，需区住建局确认",
    "plan",
    ("R04", "R08"),
)
def target_unconfirmed(ctx: Context) -> Iterator[Problem]:
    for meta, item in _reported_at(ctx):
        indicator = item.indicator
        if indicator.target is not None or is_placeholder(item.raw_value):
            continue  # a value still to be filled in is TP405's, once
        value = item.parsed.original if item.parsed else str(item.raw_value)
        message = (
            f"{indicator.label}：源方案原文“{indicator.source_text}”中的目标值无法辨认，不作达标判断；"
            f"本镇填报 {value}，请区住建局确认目标值后写入规则文件"
        )
        yield Problem(meta.ref_of(*item.path), message, refs=indicator.refs)


@rule("TP407", "population-growth", Severity.ERROR, "人口增长率与两年人口数不符", "plan", ("R03",))
def population_growth(ctx: Context) -> Iterator[Problem]:
    """A declaration of the derivation engine (templates/knowledge/relations.yaml: growth =
    (population − last year's) ÷ last year's) that keeps the code it had before the engine."""
    yield from derived(ctx, "TP407")
