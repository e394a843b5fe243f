"""The rulebook's comparators: the one place a value is judged against a target.

``>=``, ``<=``, ``==``, ``>`` and ``<`` appear in the profile (an indicator's ``comparator``, a
condition's ``op``) and decide whether a town meets its district target (TP401, the summary's 未达标)
and whether a field or an attachment becomes required. Every such judgement calls ``holds``, so a
value exactly on its target is judged the same everywhere.
"""

from __future__ import annotations

from decimal import Decimal

COMPARATORS = (">=", "<=", "==", ">", "<")
"""The comparators a profile may name, as written there."""


def holds(actual: Decimal, comparator: str, target: Decimal) -> bool:
    """Whether ``actual comparator target`` is true (``KeyError`` for an unknown comparator: the
    profile's schema admits only ``COMPARATORS``)."""
    return {
        ">=": actual >= target,
        "<=": actual <= target,
        "==": actual == target,
        ">": actual > target,
        "<": actual < target,
    }[comparator]
