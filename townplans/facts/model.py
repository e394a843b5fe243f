"""The fact model: typed subjects and values, facts with their source and the date they speak for,
and the fact base that answers "what is said of this subject's attribute, and where"."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from townplans.model import SourceRef

SUBJECT_KINDS = (
    "district", "town", "plan", "parcel", "road", "zone", "project", "report", "photo",
    "drawing", "permit", "person", "place", "citation",
)  # fmt: skip
"""What a fact may be about (DESIGN §4.1)."""


@dataclass(frozen=True, slots=True, order=True)
class Entity:
    """A typed subject: ``Entity("project", "weicheng/binhe-road")``. The key is stable across
    files (a town's slug, a project's town/slug, a parcel's town/plan/id), so that two documents
    speaking of the same thing give facts about the same entity."""

    kind: str
    key: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"


UNITS: dict[str, tuple[str, Decimal]] = {
    "m2": ("面积", Decimal(1)),
    "ha": ("面积", Decimal(10000)),
    "km2": ("面积", Decimal(1000000)),
    "万元": ("金额", Decimal(1)),
    "亿元": ("金额", Decimal(10000)),
    "元": ("金额", Decimal("0.0001")),
    "人": ("人口", Decimal(1)),
    "万人": ("人口", Decimal(10000)),
    "m": ("长度", Decimal(1)),
    "米": ("长度", Decimal(1)),
    "km": ("长度", Decimal(1000)),
    "公里": ("长度", Decimal(1000)),
}
"""Units that convert into one another: their dimension and factor to its base unit."""


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number with its unit, as normalised (万元, %, m2, 人, 个, m2/人, 公里 …), and as written."""

    value: Decimal
    unit: str
    original: str

    def __str__(self) -> str:
        return self.original or f"{self.value}{self.unit}"

    def base(self) -> tuple[str, Decimal]:
        """The dimension and the value in its base unit (2.3 km2 -> 面积, 2300000); a unit that
        converts into no other is its own dimension."""
        dimension, factor = UNITS.get(self.unit, (self.unit, Decimal(1)))
        return dimension, self.value * factor

    def in_unit(self, unit: str) -> Decimal | None:
        """The value in ``unit`` (None when the two do not convert)."""
        dimension, value = self.base()
        target = UNITS.get(unit, (unit, Decimal(1)))
        return value / target[1] if target[0] == dimension else None


@dataclass(frozen=True, slots=True)
class Period:
    """A span of dates (a plan period 2023—2035, a report week); either end may be open."""

    start: dt.date | None
    end: dt.date | None
    original: str = ""

    def __str__(self) -> str:
        return self.original or f"{self.start or ''}—{self.end or ''}"

    def contains(self, other: Period | dt.date) -> bool:
        first, last = (other, other) if isinstance(other, dt.date) else (other.start, other.end)
        after_start = self.start is None or first is None or first >= self.start
        before_end = self.end is None or last is None or last <= self.end
        return after_start and before_end


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference to another entity (a project's zone, a report's project)."""

    entity: Entity
    original: str = ""

    def __str__(self) -> str:
        return self.original or self.entity.key


Value = Quantity | dt.date | Period | Ref | str
"""What a fact says: a quantity, a date or period, a reference, or text (an enum value is text)."""


@dataclass(frozen=True, slots=True)
class Fact:
    """One thing a document states, where it states it and for when."""

    subject: Entity
    attribute: str
    value: Value
    source: SourceRef
    as_of: dt.date | None = None
    """The date the fact speaks for: a report's date, a document's date, a stated data year."""
    origin: str = "field"
    """How it was read: field (front matter or YAML), table, text (an extraction pattern)."""

    @property
    def quantity(self) -> Quantity | None:
        return self.value if isinstance(self.value, Quantity) else None

    @property
    def date(self) -> dt.date | None:
        return self.value if isinstance(self.value, dt.date) else None

    @property
    def text(self) -> str:
        return self.value if isinstance(self.value, str) else str(self.value)


@dataclass(frozen=True)
class FactBase:
    """Every fact of a workspace, with indexes by subject, by attribute and by both."""

    facts: tuple[Fact, ...] = ()
    names: Mapping[Entity, str] = field(default_factory=dict)
    """What each entity is called (渭城镇, 滨河路道路改造工程), for messages."""
    _by_pair: dict[tuple[Entity, str], list[Fact]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _by_subject: dict[Entity, list[Fact]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _by_attribute: dict[str, list[Fact]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        pairs: dict[tuple[Entity, str], list[Fact]] = defaultdict(list)
        subjects: dict[Entity, list[Fact]] = defaultdict(list)
        attributes: dict[str, list[Fact]] = defaultdict(list)
        for fact in self.facts:
            pairs[(fact.subject, fact.attribute)].append(fact)
            subjects[fact.subject].append(fact)
            attributes[fact.attribute].append(fact)
        self._by_pair.update(pairs)
        self._by_subject.update(subjects)
        self._by_attribute.update(attributes)

    def __iter__(self) -> Iterator[Fact]:
        return iter(self.facts)

    def __len__(self) -> int:
        return len(self.facts)

    def of(self, subject: Entity, attribute: str) -> list[Fact]:
        """What is said of ``subject``'s ``attribute``, in reading order."""
        return list(self._by_pair.get((subject, attribute), ()))

    def first(self, subject: Entity, attribute: str) -> Fact | None:
        found = self._by_pair.get((subject, attribute))
        return found[0] if found else None

    def about(self, subject: Entity) -> list[Fact]:
        return list(self._by_subject.get(subject, ()))

    def with_attribute(self, attribute: str) -> list[Fact]:
        return list(self._by_attribute.get(attribute, ()))

    def subjects(self, kind: str | None = None) -> list[Entity]:
        """Every subject (of ``kind``), in the order first met."""
        return [s for s in self._by_subject if kind is None or s.kind == kind]

    def pairs(self) -> Iterator[tuple[tuple[Entity, str], list[Fact]]]:
        """Each (subject, attribute) with everything said of it."""
        return iter(self._by_pair.items())

    def name(self, subject: Entity) -> str:
        return self.names.get(subject, subject.key)


def merged(bases: Iterable[FactBase]) -> FactBase:
    """One base holding the facts and names of ``bases`` (a reloaded town's beside the rest)."""
    facts: list[Fact] = []
    names: dict[Entity, str] = {}
    for base in bases:
        facts += base.facts
        names.update(base.names)
    return FactBase(tuple(facts), names)
