"""The comparators on and around their target (issue 20): a value exactly on its target meets
``>=``, ``<=`` and ``==`` and fails ``>`` and ``<``, in ``comparators.holds`` and everywhere it
decides something: TP401, the district summary's ✗ and a profile condition."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from townplans.comparators import COMPARATORS, holds
from townplans.facts.extract import build_facts
from townplans.knowledge import Knowledge
from townplans.model import Workspace
from townplans.profile import Condition, Indicator, Profile
from townplans.render.documents import indicator_cell
from townplans.rules import Context
from townplans.rules.indicators import below_target

TARGET = Decimal(30)
BELOW, ON, ABOVE = Decimal("29.9"), Decimal("30.0"), Decimal("30.1")

EXPECTED = {
    ">=": (False, True, True),
    "<=": (True, True, False),
    "==": (False, True, False),
    ">": (False, False, True),
    "<": (True, False, False),
}
"""(below, exactly on, above) the target, for each comparator."""


def test_every_comparator_of_the_profile_is_judged() -> None:
    assert set(EXPECTED) == set(COMPARATORS)


@pytest.mark.parametrize("comparator", COMPARATORS)
def test_a_comparator_below_on_and_above_its_target(comparator: str) -> None:
    judged = tuple(holds(value, comparator, TARGET) for value in (BELOW, ON, ABOVE))
    assert judged == EXPECTED[comparator]


def test_an_unknown_comparator_is_never_judged_true() -> None:
    with pytest.raises(KeyError):
        holds(ON, "=>", TARGET)


@pytest.mark.parametrize("comparator", COMPARATORS)
def test_a_condition_on_its_value(comparator: str) -> None:
    condition = Condition("investment", comparator, TARGET)
    assert tuple(condition.holds(v) for v in (BELOW, ON, ABOVE)) == EXPECTED[comparator]


# 渭城镇 reports 镇区绿化覆盖率 33.5% (towns/weicheng/town.yaml); the district target is moved
# onto, just below and just above it.
KEY, REPORTED = "greening_coverage", Decimal("33.5")


def _with_target(profile: Profile, comparator: str, target: Decimal) -> Indicator:
    return dataclasses.replace(profile.indicators[KEY], comparator=comparator, target=target)


def _tp401(profile: Profile, sample: Workspace, indicator: Indicator) -> list[str]:
    changed = dataclasses.replace(profile, indicators={**profile.indicators, KEY: indicator})
    town = sample.town("weicheng")
    context = Context(changed, sample, town, ())
    return [p.message for p in below_target(context) if p.message.startswith(indicator.label)]


@pytest.mark.parametrize("comparator", COMPARATORS)
@pytest.mark.parametrize("offset", [Decimal("0.1"), Decimal(0), Decimal("-0.1")])
def test_tp401_and_the_summary_cell_judge_a_value_on_its_target(
    profile: Profile, sample: Workspace, comparator: str, offset: Decimal
) -> None:
    """The town's value is below the target (offset +0.1), on it, or above it (offset −0.1)."""
    indicator = _with_target(profile, comparator, REPORTED + offset)
    where = {Decimal("0.1"): 0, Decimal(0): 1, Decimal("-0.1"): 2}[offset]
    meets = EXPECTED[comparator][where]
    findings = _tp401(profile, sample, indicator)
    assert len(findings) == (0 if meets else 1), findings
    assert all("为 33.5%，未达到区级目标" in message for message in findings)
    town = sample.town("weicheng")
    assert town is not None
    facts = build_facts(sample.district, profile, Knowledge())
    assert indicator_cell(town, KEY, indicator, facts) == ("33.5%" if meets else "33.5%（未达标）")
