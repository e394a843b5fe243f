"""Registry of compliance rules: stable codes (TP101 …), one module per family, rules are pure.

A rule is a function of a ``Context`` (the profile, the loaded workspace and, for town rules, one
town) that yields ``Problem``s. It is registered with ``@rule`` under a code that never changes
meaning (retire a code, never renumber), a slug, a default severity, a one-line Chinese summary and
what it rests on (the source plan with R-numbers, a standard, or common practice). The checker
turns problems into findings; rules never read files, print or import the renderers.

Families: TP0xx loading, TP1xx structure, TP2xx fields, TP3xx attachments and references, TP4xx
indicators, TP5xx dates, TP6xx consistency, TP9xx meta.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from townplans.facts import FactBase
from townplans.knowledge import Knowledge
from townplans.model import Finding, Severity, SourceRef, Town, Workspace
from townplans.profile import Profile
from townplans.progress import Progress, build_progress

CODE_PATTERN = re.compile(r"^TP[0-9]{3}$")
Scope = Literal["town", "district"]
FAMILIES = {
    "0": "读取",
    "1": "完整性（结构）",
    "2": "规范性（字段）",
    "3": "附件与引用",
    "4": "指标符合性",
    "5": "时效性（日期）",
    "6": "一致性",
    "7": "成果自检",
    "9": "元规则",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """What a rule found: where, what was expected and what was found (Chinese)."""

    ref: SourceRef
    message: str
    severity: Severity | None = None
    """Overrides the rule's default severity for this one problem."""
    refs: tuple[str, ...] = ()
    """Requirement numbers (R01–R41) this problem rests on, beyond the rule's own."""


@dataclass(frozen=True, slots=True)
class Context:
    """Everything a rule may look at; nothing it may change."""

    profile: Profile
    workspace: Workspace
    town: Town | None
    loaded: tuple[Finding, ...]
    """Findings of loading the workspace and the profile (the TP0xx/TP901 rules surface them)."""
    today: dt.date = field(default_factory=dt.date.today)
    """The date waivers expire against (fixed in tests)."""
    used_waivers: frozenset[str] = frozenset()
    """Locations of the waivers that covered a finding (for the rules that run after the others)."""
    selected: frozenset[str] = frozenset()
    """Codes of the rules this run checks (a waiver for an unselected rule is not "unused")."""
    memo: dict[str, object] = field(default_factory=dict)
    """Work several rules share (e.g. every field issue of a town), computed once per context:
    the checker gives every rule of a pass the same context for a town."""
    partial: bool = False
    """Only some towns are checked (a district waiver unused here may be used by another town)."""
    facts: FactBase = field(default_factory=FactBase)
    """Every fact the workspace states (``townplans.facts``): what the fact engines judge."""
    knowledge: Knowledge = field(default_factory=Knowledge)
    """What templates/knowledge/ declares: attributes, vocabulary, relations, registries."""
    progress: Progress | None = None
    """The weekly progress model (``townplans.progress``), built once per check."""

    @property
    def the_progress(self) -> Progress:
        """The progress model: the checker's, or built here (and kept) for a context made alone."""
        if self.progress is not None:
            return self.progress
        built = self.memo.get("progress")
        if not isinstance(built, Progress):
            built = self.memo["progress"] = build_progress(self.workspace, self.profile)
        return built

    @property
    def the_town(self) -> Town:
        assert self.town is not None, "town rule called without a town"
        return self.town


RuleCheck = Callable[[Context], Iterator[Problem]]


@dataclass(frozen=True, slots=True)
class Rule:
    """A registered rule and its metadata."""

    code: str
    slug: str
    severity: Severity
    summary: str
    basis: str
    """``plan``, ``standard`` or ``practice``."""
    refs: tuple[str, ...]
    standard: str
    scope: Scope
    check: RuleCheck
    after_others: bool = False
    """Runs once the other rules' findings and the waivers are known (the waiver rules)."""

    @property
    def family(self) -> str:
        return FAMILIES.get(self.code[2], "其他")

    def source(self, extra_refs: tuple[str, ...] = ()) -> str:
        """ "plan R29,R39" / "standard GB/T 9704-2012 7.2.5" / "practice"."""
        refs = tuple(dict.fromkeys((*self.refs, *extra_refs)))
        if self.basis == "plan" and refs:
            return f"plan {','.join(refs)}"
        if self.basis == "standard" and self.standard:
            return f"standard {self.standard}"
        return self.basis

    def finding(self, problem: Problem) -> Finding:
        return Finding(
            self.code,
            problem.severity or self.severity,
            problem.message,
            problem.ref,
            self.source(problem.refs),
        )


REGISTRY: dict[str, Rule] = {}


def rule(
    code: str,
    slug: str,
    severity: Severity,
    summary: str,
    basis: str = "practice",
    refs: tuple[str, ...] = (),
    standard: str = "",
    scope: Scope = "town",
    after_others: bool = False,
) -> Callable[[RuleCheck], RuleCheck]:
    """Register ``check`` under ``code``; codes are unique and never reused."""
    if not CODE_PATTERN.match(code):
        raise ValueError(f"rule code {code!r} does not match TPnnn")
    if code in REGISTRY:
        raise ValueError(f"rule code {code} registered twice")

    def register(check: RuleCheck) -> RuleCheck:
        REGISTRY[code] = Rule(
            code, slug, severity, summary, basis, refs, standard, scope, check, after_others
        )
        return check

    return register


def all_rules() -> list[Rule]:
    """Every rule, in code order (importing the family modules registers them)."""
    from townplans.rules import (  # noqa: F401 - imported for their registrations
        agreement,
        anywhere,
        arithmetic,
        attachments,
        consistency,
        dates,
        derivation,
        fields,
        formats,
        identity,
        indicators,
        loading,
        magnitude,
        markup,
        media,
        meta,
        parcels,
        placeholders,
        references,
        registries,
        relations,
        structure,
    )

    return [REGISTRY[code] for code in sorted(REGISTRY)]
