"""templates/knowledge/*.yaml → typed ``Knowledge``: what the fact engines know beyond the numbers.

Each file is a mapping of sections; sections of the same name in several files are joined (a
district adds a file, not code). Every key is declared once below (``SHAPE``, in the profile's
schema language) and validated like the profile: an unknown or mistyped key is a located TP905
finding and is left out, never a crash. Sections:

- ``attributes``: what each fact attribute is called, its unit and the tolerance within which two
  statements of it agree, whether it changes over time (then only statements for the same date
  are compared);
- ``tables``: the header vocabulary that turns table rows into facts (which column names the row's
  subject, which columns are which attributes);
- ``patterns``: extraction patterns that turn sentences of body text (or the text of a field,
  ``from``) into facts;
- ``derivations``: formulas that recompute a stated figure from its inputs (a count or a sum over
  the subject's children, a sum of the subject's own figures, an arithmetic formula);
- ``implications``: "when this holds of a subject, that holds of it (or of the subject it rests
  on)" (a stage word and the percentage, a permit and the stage, a plan's stage and its parent's);
- ``orders``: one figure or date is not greater than another (a date stated in a document and
  the document's own date);
- ``containments``: a date or period lies within a period (the near term within the plan period,
  a detailed plan's period within its parent's).

Relations name their subject's kind and may reach a related subject through reference facts
(``via: rests_on``; a child's reference to its parent is named after the parent's kind:
a project's ``town``). Every declaration carries its ``source``.

and the registries a reviewer knows the documents against, every entry with its ``source``:

- ``citations``: standards and laws by number and title, with their status (现行, 被代替, 废止),
  what replaced them and from when;
- ``places``: each town's villages, 社区, streets and roads, as its own files name them;
- ``hierarchy``: the bodies a town's 公文 may be addressed to and issued by;
- ``permits``: when a permit is required (thresholds of investment and floor area, the funding
  that brings a project into compulsory tendering) and which permits must come before it;
- ``indicators``: each district indicator's definition (口径) and the indicators it is
  mistaken for, with the standard defining each.
- ``patterns``: extraction patterns that turn sentences of body text into facts;
- ``geography``: a registry of where the district and its towns are (a centre and a radius that
  holds the whole of it), each entry with its source, so that a photo's GPS position can be
  judged against the project's place (TP332). A place that cannot be confirmed is left out.
"""

from __future__ import annotations

import ast
import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from townplans import errortext
from townplans.model import Finding, Located, Severity, SourceRef
from townplans.profile_schema import (
    BOOL,
    MISSING,
    NUMBER,
    TEXT,
    TEXTS,
    Either,
    Keys,
    Named,
    Problem,
    Scalar,
    Seq,
)
from townplans.sources import parse_yaml, read_text
from townplans.values import PARSERS, ValueFormatError, parse_area, parse_date, parse_money

VALUE_TYPES = (*PARSERS, "reference")
"""How a table cell or a pattern's captured text is read (the profile's field types)."""

SUBJECT = Scalar((str,), "主体类别", ("district", "town", "plan", "parcel", "project", "report"))
TYPE = Scalar((str,), "值的类型", VALUE_TYPES)
SEVERITY = Scalar((str,), "级别", ("error", "warning", "info"))
DERIVATION_RULES = ("TP641", "TP205", "TP407")
"""The rules that report derivations: TP641, and the two figures that had rules of their own before
the engine (TP205 资金来源合计, TP407 人口增长率) and keep their codes."""

ATTRIBUTE = Keys(
    {
        "label": TEXT,
        "unit": TEXT,
        "tolerance": NUMBER,
        "relative": NUMBER,
        "changes": BOOL,
        "as_of": TEXT,
        "compared": BOOL,
        "source": TEXT,
    },
    frozenset({"label"}),
)
COLUMN = Keys(
    {"header": TEXTS, "attribute": TEXT, "type": TYPE, "unit": TEXT},
    frozenset({"header", "attribute", "type"}),
)
TABLE = Keys(
    {
        "name": TEXT,
        "documents": TEXTS,
        "subject": SUBJECT,
        "key": TEXTS,
        "columns": Seq(COLUMN),
        "source": TEXT,
    },
    frozenset({"name", "documents", "subject", "key", "columns"}),
)
PATTERN = Keys(
    {
        "name": TEXT,
        "documents": TEXTS,
        "subject": SUBJECT,
        "from": TEXT,
        "attribute": TEXT,
        "pattern": TEXT,
        "type": TYPE,
        "unit": TEXT,
        "refers": SUBJECT,
        "source": TEXT,
    },
    frozenset({"name", "subject", "attribute", "pattern", "type"}),
)

STATUS = Scalar((str,), "状态", ("现行", "被代替", "废止"))
CITATION = Keys(
    {
        "number": TEXT,
        "numbers": TEXTS,
        "title": TEXT,
        "aliases": TEXTS,
        "kind": TEXT,
        "status": STATUS,
        "issued": TEXT,
        "in_force": TEXT,
        "replaced_by": TEXT,
        "replaced_on": TEXT,
        "amended": TEXTS,
        "source": TEXT,
    },
    frozenset({"title", "status", "source"}),
)
PLACE = Keys({"name": TEXT, "kind": TEXT, "source": TEXT}, frozenset({"name", "kind", "source"}))
PLACES = Keys(
    {"towns": Named(Seq(PLACE)), "neighbour_words": TEXT, "source": TEXT},
)
BODY = Keys(
    {"name": TEXT, "aliases": TEXTS, "note": TEXT, "host": TEXT, "source": TEXT},
    frozenset({"name", "source"}),
)
ADDRESSING = Keys(
    {"bodies": TEXTS, "related": TEXTS, "source": TEXT},
    frozenset({"bodies", "source"}),
)
HIERARCHY = Keys(
    {"bodies": Named(BODY), "documents": Named(Named(ADDRESSING))},
    frozenset({"bodies", "documents"}),
)
PREREQUISITE = Keys({"permit": TEXT, "source": TEXT}, frozenset({"permit", "source"}))
LIMITS = Keys({"investment": TEXT, "floor_area": TEXT})
SCOPE = Keys(
    {"funding": TEXTS, "at_least": TEXT, "share": NUMBER, "source": TEXT},
    frozenset({"funding", "at_least", "share", "source"}),
)
PERMIT = Keys(
    {
        "label": TEXT,
        "exempt_at_most": LIMITS,
        "required_at_least": LIMITS,
        "scope": SCOPE,
        "claims": TEXTS,
        "exemptions": TEXTS,
        "exemptions_source": TEXT,
        "requires": Seq(PREREQUISITE),
        "before_start": TEXT,
        "source": TEXT,
    },
    frozenset({"label", "source"}),
)
CONFUSION = Keys(
    {"name": TEXT, "definition": TEXT, "numerator": TEXT, "unless": TEXT, "source": TEXT},
    frozenset({"name", "definition", "numerator", "source"}),
)
DEFINITION = Keys(
    {"name": TEXT, "definition": TEXT, "source": TEXT, "confused_with": Seq(CONFUSION)},
    frozenset({"name", "definition", "source"}),
)
VIA = Either((TEXT, TEXTS))
SIDE = Either((TEXT, Keys({"attribute": TEXT, "via": VIA}, frozenset({"attribute"}))))
"""One end of a relation: an attribute of the subject, or of the subject reached ``via`` references."""
INPUT = Either((TEXT, Keys({"attribute": TEXT, "when": Scalar((str,), "时点", ("latest",))},
                           frozenset({"attribute"}))))  # fmt: skip
DERIVATION = Keys(
    {
        "name": TEXT,
        "subject": SUBJECT,
        "stated": TEXT,
        "count": SUBJECT,
        "sum": TEXT,
        "over": SUBJECT,
        "formula": TEXT,
        "inputs": Named(INPUT),
        "unit": TEXT,
        "tolerance": NUMBER,
        "severity": SEVERITY,
        "rule": Scalar((str,), "规则代码", DERIVATION_RULES),
        "source": TEXT,
    },
    frozenset({"name", "subject", "stated", "source"}),
)
CONDITION = Keys(
    {
        "attribute": TEXT,
        "via": VIA,
        "is": TEXTS,
        "at_least": Either((NUMBER, TEXT)),
        "at_most": Either((NUMBER, TEXT)),
        "scale": TEXTS,
    },
    frozenset({"attribute"}),
)
IMPLICATION = Keys(
    {"name": TEXT, "subject": SUBJECT, "if": CONDITION, "then": CONDITION,
     "severity": SEVERITY, "source": TEXT},
    frozenset({"name", "subject", "if", "then", "source"}),
)  # fmt: skip
ORDER = Keys(
    {"name": TEXT, "subject": SUBJECT, "earlier": SIDE, "later": SIDE, "severity": SEVERITY,
     "source": TEXT},
    frozenset({"name", "subject", "earlier", "later", "source"}),
)  # fmt: skip
CONTAINMENT = Keys(
    {"name": TEXT, "subject": SUBJECT, "inner": SIDE, "outer": SIDE, "severity": SEVERITY,
     "source": TEXT},
    frozenset({"name", "subject", "inner", "outer", "source"}),
)  # fmt: skip
LOCATION = Keys(
    {
        "name": TEXT,
        "kind": Scalar((str,), "地点类别", ("district", "town")),
        "aliases": TEXTS,
        "lat": NUMBER,
        "lon": NUMBER,
        "radius_km": NUMBER,
        "source": TEXT,
    },
    frozenset({"name", "kind", "lat", "lon", "radius_km", "source"}),
)
SHAPE = Keys(
    {
        "attributes": Named(ATTRIBUTE),
        "tables": Seq(TABLE),
        "patterns": Seq(PATTERN),
        "citations": Seq(CITATION),
        "places": PLACES,
        "hierarchy": HIERARCHY,
        "permits": Named(PERMIT),
        "indicators": Named(DEFINITION),
        "derivations": Seq(DERIVATION),
        "implications": Seq(IMPLICATION),
        "orders": Seq(ORDER),
        "containments": Seq(CONTAINMENT),
        "geography": Seq(LOCATION),
    }
)
"""Every section and key of a knowledge file."""


@dataclass(frozen=True, slots=True)
class Attribute:
    """One fact attribute: its Chinese name, unit, and when two statements of it agree."""

    key: str
    label: str
    unit: str = ""
    tolerance: Decimal = Decimal(0)
    """Absolute difference (in ``unit``) still counted as the same figure (rounding)."""
    relative: Decimal = Decimal(0)
    """Relative difference (0.005 = 0.5 %) still counted as the same figure."""
    changes: bool = False
    """The figure changes over time (progress, cumulative investment): statements are compared
    only when they speak for the same date."""
    as_of: str = ""
    """The sibling field giving the date a front-matter value speaks for (progress_date)."""
    compared: bool = True
    """Whether the agreement engine compares two statements of it (false: another rule does, or
    the attribute is declared only for its name)."""


@dataclass(frozen=True, slots=True)
class Column:
    header: tuple[str, ...]
    attribute: str
    type: str
    unit: str = ""


@dataclass(frozen=True, slots=True)
class TableSpec:
    """Which tables become facts: found in ``documents`` by a header cell naming ``key``."""

    name: str
    documents: tuple[str, ...]
    subject: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    ref: SourceRef


@dataclass(frozen=True, slots=True)
class Pattern:
    """A sentence shape whose ``value`` group states ``attribute``: in ``documents``' body text,
    or (``source``) in the text of each fact of that attribute. An ``as_of`` group gives the
    year or date the figure speaks for (至2035年3.8万人); a ``reference`` names an entity of kind
    ``refers`` by its name (《渭城镇总体规划（2021—2035年）》)."""

    name: str
    documents: tuple[str, ...]
    subject: str
    attribute: str
    regex: re.Pattern[str]
    type: str
    unit: str
    ref: SourceRef
    source: str = ""
    """The attribute whose text facts the pattern reads (empty: body text)."""
    refers: str = ""


@dataclass(frozen=True, slots=True)
class Side:
    """One end of a relation: ``attribute`` of the subject, or of the subject reached through the
    reference facts named in ``via`` (a plan's ``rests_on``; a project's ``town``)."""

    attribute: str
    via: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Input:
    """A formula's input: an attribute of the subject; ``latest``: the statement for the latest
    date (a plan's population at the end of its period)."""

    attribute: str
    latest: bool = False


class Formula:
    """An arithmetic formula over named inputs (+ − × ÷, brackets, numbers), compiled once; it
    evaluates in Decimal and is never ``eval``'d."""

    def __init__(self, text: str, tree: ast.expr) -> None:
        self.text = text
        self._tree = tree

    def __repr__(self) -> str:
        return f"Formula({self.text!r})"

    def __call__(self, values: Mapping[str, Decimal]) -> Decimal | None:
        """The formula's value (None when it divides by zero)."""
        try:
            return _evaluate(self._tree, values)
        except (ArithmeticError, KeyError):
            return None

    def names(self) -> set[str]:
        return {node.id for node in ast.walk(self._tree) if isinstance(node, ast.Name)}


_OPERATORS: dict[type, Callable[[Decimal, Decimal], Decimal]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}


def _evaluate(node: ast.expr, values: Mapping[str, Decimal]) -> Decimal:
    if isinstance(node, ast.BinOp):
        operator = _OPERATORS[type(node.op)]
        return operator(_evaluate(node.left, values), _evaluate(node.right, values))
    if isinstance(node, ast.UnaryOp):
        value = _evaluate(node.operand, values)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Name):
        return values[node.id]
    assert isinstance(node, ast.Constant)  # compile_formula admits nothing else
    return Decimal(str(node.value))


def compile_formula(text: str) -> Formula | str:
    """``text`` compiled, or what is wrong with it (Chinese)."""
    try:
        tree = ast.parse(text.replace("×", "*").replace("÷", "/"), mode="eval").body
    except SyntaxError:
        return "公式无法解析：只能用 + - * / 、括号、数字和输入名"
    for node in ast.walk(tree):
        allowed = isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Name, ast.Load)) or (
            isinstance(node, ast.Constant) and type(node.value) in (int, float)
        )
        if isinstance(node, ast.BinOp) and type(node.op) not in _OPERATORS:
            allowed = False
        if isinstance(node, ast.UnaryOp) and not isinstance(node.op, (ast.USub, ast.UAdd)):
            allowed = False
        if not allowed and not isinstance(node, ast.operator | ast.unaryop):
            return "公式只能用 + - * / 、括号、数字和输入名"
    return Formula(text, tree)


@dataclass(frozen=True, slots=True)
class Derivation:
    """``stated`` of each ``subject`` recomputed: the number of its children of kind ``count``,
    the sum of ``sum`` over its children of kind ``over`` (or over its own attributes matching
    ``sum``, ``funding.*``), or ``formula`` over ``inputs``."""

    name: str
    subject: str
    stated: str
    ref: SourceRef
    count: str = ""
    sum: str = ""
    over: str = ""
    formula: Formula | None = None
    inputs: Mapping[str, Input] = field(default_factory=dict)
    unit: str = ""
    tolerance: Decimal = Decimal(0)
    """Beyond rounding (half a unit of the last place written, of the stated figure and of each
    input), the difference still accepted."""
    severity: Severity | None = None
    rule: str = "TP641"
    source: str = ""


@dataclass(frozen=True, slots=True)
class Condition:
    """What a relation asks of one attribute: its text is one of ``is``; its value is at least or
    at most a number (in the attribute's base unit: 万元, %, ㎡, 人) or a word of ``scale``."""

    side: Side
    is_: tuple[str, ...] = ()
    at_least: Decimal | str | None = None
    at_most: Decimal | str | None = None
    scale: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Implication:
    name: str
    subject: str
    when: Condition
    then: Condition
    ref: SourceRef
    severity: Severity | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class Order:
    """``earlier`` is not after (not greater than) ``later``."""

    name: str
    subject: str
    earlier: Side
    later: Side
    ref: SourceRef
    severity: Severity | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class Containment:
    """``inner`` (a date or period) lies within the period ``outer``."""

    name: str
    subject: str
    inner: Side
    outer: Side
    ref: SourceRef
    severity: Severity | None = None
    source: str = ""


# -- registries ------------------------------------------------------------------------------------

_DASHES = str.maketrans({"—": "-", "–": "-", "－": "-", "―": "-", "‐": "-", "／": "/"})


def citation_key(number: str) -> str:
    """A standard's or an order's number in one spelling, for looking it up: ``GB50188—2007``,
    ``GB 50188-2007`` and ``ＧＢ 50188－2007`` are one key; spaces carry no meaning."""
    text = unicodedata.normalize("NFKC", number).translate(_DASHES)
    return re.sub(r"\s+", "", text).upper()


def series_key(number: str) -> str:
    """A standard's number without its year (``GB50188`` for ``GB 50188-2007``): an undated
    reference means the edition in force."""
    return re.sub(r"-\d{2,4}$", "", citation_key(number))


def title_key(title: str) -> str:
    """A cited title as compared: without spaces and book-title marks."""
    return re.sub(r"[\s《》〈〉]", "", unicodedata.normalize("NFKC", title))


@dataclass(frozen=True, slots=True)
class CitedDocument:
    """A standard or a law a document may cite, with its status and what replaced it."""

    title: str
    status: str
    """现行, 被代替 (a newer edition or another standard replaced it) or 废止 (repealed)."""
    source: str
    ref: SourceRef
    number: str = ""
    numbers: tuple[str, ...] = ()
    """Other spellings of the number (住建部令第7号 for 住房和城乡建设部令第7号)."""
    aliases: tuple[str, ...] = ()
    kind: str = ""
    in_force: dt.date | None = None
    replaced_by: str = ""
    replaced_on: dt.date | None = None
    """When the replacement took effect (the old one stopped applying)."""

    @property
    def shown(self) -> str:
        """How a message names it: 《镇规划标准》（GB 50188-2007）."""
        return f"《{self.title}》" + (f"（{self.number}）" if self.number else "")


@dataclass(frozen=True)
class Citations:
    """The cited-document registry, indexed by number, by the number's series and by title."""

    entries: tuple[CitedDocument, ...] = ()
    _numbers: dict[str, CitedDocument] = field(default_factory=dict, init=False, repr=False)
    _series: dict[str, list[CitedDocument]] = field(default_factory=dict, init=False, repr=False)
    _titles: dict[str, list[CitedDocument]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for entry in self.entries:
            for number in (entry.number, *entry.numbers):
                if number:
                    self._numbers.setdefault(citation_key(number), entry)
            if entry.number:
                self._series.setdefault(series_key(entry.number), []).append(entry)
            for title in (entry.title, *entry.aliases):
                self._titles.setdefault(title_key(title), []).append(entry)

    def by_number(self, number: str) -> CitedDocument | None:
        return self._numbers.get(citation_key(number))

    def series(self, number: str) -> list[CitedDocument]:
        """Every edition of the standard ``number`` names (with or without its year)."""
        return list(self._series.get(series_key(number), ()))

    def by_title(self, title: str) -> list[CitedDocument]:
        return list(self._titles.get(title_key(title), ()))

    def replacement(self, entry: CitedDocument) -> CitedDocument | None:
        """The entry that replaced ``entry`` (by its number, else its title)."""
        if not entry.replaced_by:
            return None
        found = self.by_number(entry.replaced_by)
        return found or next(iter(self.by_title(entry.replaced_by)), None)

    def titled(self, entry: CitedDocument, title: str) -> bool:
        """Whether ``title`` is one of ``entry``'s names."""
        wanted = title_key(title)
        return any(title_key(t) == wanted for t in (entry.title, *entry.aliases))


@dataclass(frozen=True, slots=True)
class Place:
    """A village, 社区, street or road of one town, as that town's own files name it."""

    name: str
    kind: str
    town: str
    source: str
    ref: SourceRef


@dataclass(frozen=True)
class Places:
    """The place registry: each name and the towns it belongs to, and one pattern finding any
    of the names in a text (longest first, so 窑店老街 wins over 老街)."""

    entries: tuple[Place, ...] = ()
    neighbour_words: re.Pattern[str] | None = None
    """Words before a name that make it a neighbour (通往, 东邻), not a place of the document."""
    _names: dict[str, list[Place]] = field(default_factory=dict, init=False, repr=False)
    _pattern: list[re.Pattern[str]] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        for place in self.entries:
            self._names.setdefault(place.name, []).append(place)
        if self._names:
            names = sorted(self._names, key=len, reverse=True)
            self._pattern.append(re.compile("|".join(re.escape(n) for n in names)))

    @property
    def pattern(self) -> re.Pattern[str] | None:
        return self._pattern[0] if self._pattern else None

    def named(self, name: str) -> list[Place]:
        return list(self._names.get(name, ()))


@dataclass(frozen=True, slots=True)
class Body:
    """An office a 公文 may go to or come from; ``{town}`` and ``{district}`` in a name stand for
    the town and the district (so that the registry serves any district)."""

    key: str
    name: str
    source: str
    aliases: tuple[str, ...] = ()
    note: str = ""
    host: str = ""
    """The body (key) an office is set up in (the leading group's office in the housing bureau)."""

    def names(self, town: str = "", district: str = "") -> tuple[str, ...]:
        """Its names for ``town`` in ``district`` (``{town}``, ``{district}`` filled in)."""
        return tuple(
            n.replace("{town}", town).replace("{district}", district)
            for n in (self.name, *self.aliases)
        )


@dataclass(frozen=True, slots=True)
class Addressing:
    """Who a document's ``field`` (recipient, issuer) must name: one of ``bodies``; one of
    ``related`` is the right office's host, not the office (a warning)."""

    document: str
    field: str
    bodies: tuple[str, ...]
    related: tuple[str, ...]
    source: str
    ref: SourceRef


@dataclass(frozen=True)
class Hierarchy:
    bodies: Mapping[str, Body] = field(default_factory=dict)
    addressing: tuple[Addressing, ...] = ()


@dataclass(frozen=True, slots=True)
class Prerequisite:
    permit: str
    source: str


@dataclass(frozen=True, slots=True)
class PermitRule:
    """When a permit is required and what must come before it (national rules, with sources)."""

    key: str
    label: str
    source: str
    ref: SourceRef
    exempt_investment: Decimal | None = None
    """Investment (万元) at or below which the permit may be left out."""
    exempt_floor_area: Decimal | None = None
    """Floor area (㎡) at or below which the permit may be left out (either limit suffices)."""
    required_investment: Decimal | None = None
    """Investment (万元) from which the permit is required (tendering: a construction contract)."""
    scope_funding: tuple[str, ...] = ()
    scope_at_least: Decimal | None = None
    scope_share: Decimal | None = None
    scope_source: str = ""
    claims: tuple[re.Pattern[str], ...] = ()
    """What a 不适用 reason says when it claims the project is under the limit."""
    exemptions: tuple[str, ...] = ()
    exemptions_source: str = ""
    requires: tuple[Prerequisite, ...] = ()
    before_start: str = ""
    """Where the rule says work may not start without the permit (empty: no such rule)."""


@dataclass(frozen=True, slots=True)
class Confusion:
    """An indicator one is mistaken for, recognised by the numerator its 口径 states."""

    name: str
    definition: str
    numerator: re.Pattern[str]
    unless: re.Pattern[str] | None
    source: str


@dataclass(frozen=True, slots=True)
class IndicatorDefinition:
    key: str
    name: str
    definition: str
    source: str
    ref: SourceRef
    confused_with: tuple[Confusion, ...] = ()


@dataclass(frozen=True, slots=True)
class Location:
    """Where a district or town is: every point of it lies within ``radius_km`` of the centre."""

    name: str
    kind: str
    """``district`` or ``town``."""
    aliases: tuple[str, ...]
    lat: float
    lon: float
    radius_km: float
    source: str
    ref: SourceRef

    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def distance_km(self, lat: float, lon: float) -> float:
        """Great-circle distance from the centre (haversine on the mean Earth radius)."""
        phi1, phi2 = math.radians(self.lat), math.radians(lat)
        dphi, dlam = phi2 - phi1, math.radians(lon - self.lon)
        a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
        return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG)."""


@dataclass(frozen=True)
class Knowledge:
    """Everything templates/knowledge/ declares, typed."""

    attributes: Mapping[str, Attribute] = field(default_factory=dict)
    tables: tuple[TableSpec, ...] = ()
    patterns: tuple[Pattern, ...] = ()
    citations: Citations = field(default_factory=Citations)
    places: Places = field(default_factory=Places)
    hierarchy: Hierarchy = field(default_factory=Hierarchy)
    permits: Mapping[str, PermitRule] = field(default_factory=dict)
    indicators: Mapping[str, IndicatorDefinition] = field(default_factory=dict)
    derivations: tuple[Derivation, ...] = ()
    implications: tuple[Implication, ...] = ()
    orders: tuple[Order, ...] = ()
    containments: tuple[Containment, ...] = ()
    geography: tuple[Location, ...] = ()

    def location(self, kind: str, names: Iterable[str]) -> Location | None:
        """Where the ``kind`` place called by any of ``names`` (its name or an alias) is."""
        wanted = {name.strip() for name in names if name.strip()}
        return next(
            (p for p in self.geography if p.kind == kind and wanted.intersection(p.names())), None
        )

    def declared(self, key: str) -> Attribute | None:
        """The declaration of ``key`` (``funding.上级补助`` by ``funding.*``), or None."""
        found = self.attributes.get(key)
        if found is None and "." in key:
            found = self.attributes.get(key.split(".", 1)[0] + ".*")
        return found

    def attribute(self, key: str) -> Attribute:
        """The declaration of ``key``; an undeclared attribute is named by its key, exact."""
        return self.declared(key) or Attribute(key, key)


@dataclass(frozen=True, slots=True)
class KnowledgeResult:
    knowledge: Knowledge
    findings: tuple[Finding, ...]


def load_knowledge(folder: Path, root: Path) -> KnowledgeResult:
    """Every ``*.yaml`` of ``folder`` (in name order), validated and joined; a missing folder is
    no knowledge (the engines then have nothing to declare)."""
    findings: list[Finding] = []
    sections: dict[str, list[tuple[Located, Any]]] = {}
    if folder.is_dir():
        for path in sorted(folder.glob("*.yaml")):
            ref = SourceRef(_relative(path, root))
            located, problems = _read(path, ref)
            findings += problems
            if located is None:
                continue
            cleaned, shape_problems = _validate(located.data)
            findings += [_problem(located, p) for p in shape_problems]
            for name, value in cleaned.items():
                sections.setdefault(name, []).append((located, value))
    builder = _Builder(findings)
    knowledge = Knowledge(
        attributes=builder.attributes(sections.get("attributes", [])),
        tables=builder.tables(sections.get("tables", [])),
        patterns=builder.patterns(sections.get("patterns", [])),
        citations=builder.citations(sections.get("citations", [])),
        places=builder.places(sections.get("places", [])),
        hierarchy=builder.hierarchy(sections.get("hierarchy", [])),
        permits=builder.permits(sections.get("permits", [])),
        indicators=builder.indicators(sections.get("indicators", [])),
        derivations=builder.derivations(sections.get("derivations", [])),
        implications=builder.implications(sections.get("implications", [])),
        orders=builder.orders(sections.get("orders", [])),
        containments=builder.containments(sections.get("containments", [])),
        geography=builder.geography(sections.get("geography", [])),
    )
    return KnowledgeResult(knowledge, tuple(findings))


def _read(path: Path, ref: SourceRef) -> tuple[Located | None, list[Finding]]:
    read = read_text(path, ref)
    if read.text is None:
        return None, list(read.findings)
    located, findings = parse_yaml(read.text, ref)
    findings = [*read.findings, *findings]
    if located is not None and not isinstance(located.data, dict):
        findings.append(
            _error(
                ref.at(1),
                "知识库文件应为键值映射（attributes、tables、patterns、places、geography …）",
            )
        )
        return None, findings
    return located, findings


def _validate(data: Any) -> tuple[dict[str, Any], list[Problem]]:
    problems: list[Problem] = []
    cleaned = SHAPE.clean(data, (), problems)
    return ({} if cleaned is MISSING else cleaned), problems


def _problem(located: Located, problem: Problem) -> Finding:
    path, message = problem
    line = None
    for depth in range(len(path), 0, -1):
        line = located.line_of(*path[:depth])
        if line is not None:
            break
    return _error(located.ref.at(line or 1), f"{_dotted(path)}：{message}")


class _Builder:
    """Typed declarations from cleaned sections; a value that cannot be used (a pattern that
    does not compile, without a ``value`` group) is a finding and is left out."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings

    def attributes(self, parts: list[tuple[Located, Any]]) -> dict[str, Attribute]:
        made: dict[str, Attribute] = {}
        for _, section in parts:
            for key, spec in section.items():
                made[key] = Attribute(
                    key,
                    spec["label"],
                    spec.get("unit", ""),
                    _decimal(spec.get("tolerance", 0)),
                    _decimal(spec.get("relative", 0)),
                    bool(spec.get("changes", False)),
                    spec.get("as_of", ""),
                    bool(spec.get("compared", True)),
                )
        return made

    def tables(self, parts: list[tuple[Located, Any]]) -> tuple[TableSpec, ...]:
        made = []
        for located, section in parts:
            for index, spec in enumerate(section):
                columns = tuple(
                    Column(tuple(c["header"]), c["attribute"], c["type"], c.get("unit", ""))
                    for c in spec["columns"]
                )
                ref = located.ref_of("tables", index)
                made.append(TableSpec(spec["name"], tuple(spec["documents"]), spec["subject"],
                                      tuple(spec["key"]), columns, ref))  # fmt: skip
        return tuple(made)

    def patterns(self, parts: list[tuple[Located, Any]]) -> tuple[Pattern, ...]:
        made = []
        for located, section in parts:
            for index, spec in enumerate(section):
                ref = located.ref_of("patterns", index, "pattern")
                where = located.ref_of("patterns", index)
                if ("documents" in spec) == ("from" in spec):
                    self._error(
                        where, "提取模式应写 documents（读正文）或 from（读某属性的文字）之一"
                    )
                    continue
                if (spec["type"] == "reference") != ("refers" in spec):
                    self._error(
                        where, "type: reference 的提取模式应写 refers（所指主体类别），其他类型不写"
                    )
                    continue
                regex = self._regex(spec["pattern"], ref)
                if regex is not None:
                    made.append(Pattern(spec["name"], tuple(spec.get("documents", ())),
                                        spec["subject"], spec["attribute"], regex, spec["type"],
                                        spec.get("unit", ""), ref, spec.get("from", ""),
                                        spec.get("refers", "")))  # fmt: skip
        return tuple(made)

    def derivations(self, parts: list[tuple[Located, Any]]) -> tuple[Derivation, ...]:
        made = []
        for located, section in parts:
            for index, spec in enumerate(section):
                ref = located.ref_of("derivations", index)
                kinds = [key for key in ("count", "sum", "formula") if key in spec]
                if len(kinds) != 1:
                    self._error(ref, "推导应写 count、sum、formula 三者之一")
                    continue
                formula = self._formula(spec, located.ref_of("derivations", index, "formula"))
                if "formula" in spec and formula is None:
                    continue
                inputs = {
                    name: Input(item) if isinstance(item, str)
                    else Input(item["attribute"], item.get("when") == "latest")
                    for name, item in spec.get("inputs", {}).items()
                }  # fmt: skip
                made.append(Derivation(
                    spec["name"], spec["subject"], spec["stated"], ref, spec.get("count", ""),
                    spec.get("sum", ""), spec.get("over", ""), formula, inputs,
                    spec.get("unit", ""), _decimal(spec.get("tolerance", 0)),
                    _severity(spec), spec.get("rule", "TP641"), spec["source"],
                ))  # fmt: skip
        return tuple(made)

    def _formula(self, spec: dict[str, Any], ref: SourceRef) -> Formula | None:
        """The compiled formula (None when there is none or it is unusable: a finding)."""
        if "formula" not in spec:
            return None
        compiled = compile_formula(spec["formula"])
        if isinstance(compiled, str):
            self._error(ref, compiled)
            return None
        unknown = sorted(compiled.names() - set(spec.get("inputs", {})))
        if unknown:
            self._error(ref, f"公式中的“{'、'.join(unknown)}”不在 inputs 中")
            return None
        return compiled

    def implications(self, parts: list[tuple[Located, Any]]) -> tuple[Implication, ...]:
        made = []
        for located, section in parts:
            for index, spec in enumerate(section):
                ref = located.ref_of("implications", index)
                when = self._condition(spec["if"], located.ref_of("implications", index, "if"))
                then = self._condition(spec["then"], located.ref_of("implications", index, "then"))
                if when is not None and then is not None:
                    made.append(Implication(spec["name"], spec["subject"], when, then, ref,
                                            _severity(spec), spec["source"]))  # fmt: skip
        return tuple(made)

    def _condition(self, spec: dict[str, Any], ref: SourceRef) -> Condition | None:
        tests = [key for key in ("is", "at_least", "at_most") if key in spec]
        if len(tests) != 1:
            self._error(ref, "条件应写 is、at_least、at_most 三者之一")
            return None
        bound = spec.get("at_least", spec.get("at_most"))
        scale = tuple(spec.get("scale", ()))
        if isinstance(bound, str) and bound not in scale:
            self._error(ref, f"“{bound}”不在 scale（{'、'.join(scale) or '未写'}）中")
            return None
        value = _bound(bound)
        side = Side(spec["attribute"], _via(spec.get("via")))
        return Condition(
            side,
            tuple(spec.get("is", ())),
            value if "at_least" in spec else None,
            value if "at_most" in spec else None,
            scale,
        )

    def orders(self, parts: list[tuple[Located, Any]]) -> tuple[Order, ...]:
        return tuple(
            Order(spec["name"], spec["subject"], _side(spec["earlier"]), _side(spec["later"]),
                  located.ref_of("orders", index), _severity(spec), spec["source"])
            for located, section in parts
            for index, spec in enumerate(section)
        )  # fmt: skip

    def containments(self, parts: list[tuple[Located, Any]]) -> tuple[Containment, ...]:
        return tuple(
            Containment(spec["name"], spec["subject"], _side(spec["inner"]), _side(spec["outer"]),
                        located.ref_of("containments", index), _severity(spec), spec["source"])
            for located, section in parts
            for index, spec in enumerate(section)
        )  # fmt: skip

    def _error(self, ref: SourceRef, message: str) -> None:
        self.findings.append(_error(ref, message))

    def geography(self, parts: list[tuple[Located, Any]]) -> tuple[Location, ...]:
        made = []
        for located, section in parts:
            for index, spec in enumerate(section):
                ref = located.ref_of("geography", index)
                lat, lon, radius = float(spec["lat"]), float(spec["lon"]), float(spec["radius_km"])
                if not (-90 <= lat <= 90 and -180 <= lon <= 180 and 0 < radius <= 1000):
                    message = (
                        f"地点“{spec['name']}”的坐标或半径无效：纬度应在 -90～90、经度应在"
                        f" -180～180 之间，半径应为 0～1000 公里，实为 {lat}、{lon}、{radius}"
                    )
                    self.findings.append(_error(ref, message))
                    continue
                aliases = tuple(spec.get("aliases", ()))
                made.append(Location(spec["name"], spec["kind"], aliases, lat, lon, radius,
                                  spec["source"], ref))  # fmt: skip
        return tuple(made)

    def _regex(self, text: str, ref: SourceRef) -> re.Pattern[str] | None:
        try:
            regex = re.compile(text)
        except re.error as exc:
            self.findings.append(_error(ref, f"正则表达式无效：{errortext.regex_problem(exc)}"))
            return None
        if "value" not in regex.groupindex:
            self.findings.append(_error(ref, "正则表达式应有名为 value 的分组：(?P<value>…)"))
            return None
        return regex

    # -- registries -------------------------------------------------------------------------------

    def citations(self, parts: list[tuple[Located, Any]]) -> Citations:
        made = []
        for located, section in parts:
            for index, spec in zip(_positions(located, section, "citations"), section, strict=True):
                ref = located.ref_of("citations", index)
                dates = {k: self._date(spec.get(k), located.ref_of("citations", index, k))
                         for k in ("in_force", "replaced_on")}  # fmt: skip
                if spec["status"] == "被代替" and not spec.get("replaced_by"):
                    self.findings.append(_error(ref, "状态为“被代替”的条目应写明 replaced_by"))
                    continue
                made.append(CitedDocument(
                    spec["title"], spec["status"], spec["source"], ref, spec.get("number", ""),
                    tuple(spec.get("numbers", ())), tuple(spec.get("aliases", ())),
                    spec.get("kind", ""), dates["in_force"], spec.get("replaced_by", ""),
                    dates["replaced_on"],
                ))  # fmt: skip
        return Citations(tuple(made))

    def places(self, parts: list[tuple[Located, Any]]) -> Places:
        made: list[Place] = []
        near: re.Pattern[str] | None = None
        for located, section in parts:
            if "neighbour_words" in section:
                ref = located.ref_of("places", "neighbour_words")
                near = self._compiled(section["neighbour_words"], ref)
            for town, entries in section.get("towns", {}).items():
                positions = _positions(located, entries, "places", "towns", town)
                for index, spec in zip(positions, entries, strict=True):
                    ref = located.ref_of("places", "towns", town, index)
                    made.append(
                        Place(spec["name"].strip(), spec["kind"], town, spec["source"], ref)
                    )
        return Places(tuple(made), near)

    def hierarchy(self, parts: list[tuple[Located, Any]]) -> Hierarchy:
        bodies: dict[str, Body] = {}
        hosted: dict[str, tuple[Body, SourceRef]] = {}
        addressing: list[Addressing] = []
        for located, section in parts:
            for key, spec in section["bodies"].items():
                bodies[key] = Body(key, spec["name"], spec["source"],
                                   tuple(spec.get("aliases", ())), spec.get("note", ""),
                                   spec.get("host", ""))  # fmt: skip
                if bodies[key].host:
                    hosted[key] = (bodies[key], located.ref_of("hierarchy", "bodies", key, "host"))
            for document, fields in section["documents"].items():
                for name, spec in fields.items():
                    ref = located.ref_of("hierarchy", "documents", document, name)
                    addressing.append(Addressing(document, name, tuple(spec["bodies"]),
                                                 tuple(spec.get("related", ())), spec["source"],
                                                 ref))  # fmt: skip
        for key, (body, ref) in hosted.items():
            if body.host not in bodies:
                self.findings.append(
                    _error(ref, f"机关“{key}”的 host“{body.host}”未定义（应在 bodies 中）")
                )
        for rule in addressing:
            for key in (*rule.bodies, *rule.related):
                if key not in bodies:
                    self.findings.append(_error(rule.ref, f"未定义的机关“{key}”（应在 bodies 中）"))
        return Hierarchy(bodies, tuple(addressing))

    def permits(self, parts: list[tuple[Located, Any]]) -> dict[str, PermitRule]:
        made: dict[str, PermitRule] = {}
        for located, section in parts:
            for key, spec in section.items():
                made[key] = self._permit(located, key, spec)
        return made

    def _permit(self, located: Located, key: str, spec: dict[str, Any]) -> PermitRule:
        def at(*path: str | int) -> SourceRef:
            return located.ref_of("permits", key, *path)

        exempt, required = spec.get("exempt_at_most", {}), spec.get("required_at_least", {})
        scope = spec.get("scope", {})
        claims = (self._compiled(c, at("claims", i)) for i, c in enumerate(spec.get("claims", ())))
        return PermitRule(
            key, spec["label"], spec["source"], at(),
            self._amount(exempt.get("investment"), at("exempt_at_most", "investment")),
            self._area(exempt.get("floor_area"), at("exempt_at_most", "floor_area")),
            self._amount(required.get("investment"), at("required_at_least", "investment")),
            tuple(scope.get("funding", ())),
            self._amount(scope.get("at_least"), at("scope", "at_least")),
            _decimal(scope["share"]) if "share" in scope else None,
            scope.get("source", ""),
            tuple(c for c in claims if c is not None),
            tuple(spec.get("exemptions", ())), spec.get("exemptions_source", ""),
            tuple(Prerequisite(r["permit"], r["source"]) for r in spec.get("requires", ())),
            spec.get("before_start", ""),
        )  # fmt: skip

    def indicators(self, parts: list[tuple[Located, Any]]) -> dict[str, IndicatorDefinition]:
        made: dict[str, IndicatorDefinition] = {}
        for located, section in parts:
            for key, spec in section.items():
                confusions = []
                items = spec.get("confused_with", [])
                positions = _positions(located, items, "indicators", key, "confused_with")
                for index, item in zip(positions, items, strict=True):
                    ref = located.ref_of("indicators", key, "confused_with", index)
                    numerator = self._compiled(item["numerator"], ref)
                    unless = self._compiled(item["unless"], ref) if "unless" in item else None
                    if numerator is not None:
                        confusions.append(Confusion(item["name"], item["definition"], numerator,
                                                    unless, item["source"]))  # fmt: skip
                made[key] = IndicatorDefinition(key, spec["name"], spec["definition"],
                                                spec["source"], located.ref_of("indicators", key),
                                                tuple(confusions))  # fmt: skip
        return made

    def _compiled(self, text: str, ref: SourceRef) -> re.Pattern[str] | None:
        try:
            return re.compile(text)
        except re.error as exc:
            self.findings.append(_error(ref, f"正则表达式无效：{errortext.regex_problem(exc)}"))
            return None

    def _date(self, raw: str | None, ref: SourceRef) -> dt.date | None:
        if raw is None:
            return None
        try:
            value = parse_date(raw).value
        except ValueFormatError as exc:
            self.findings.append(_error(ref, str(exc)))
            return None
        return value if isinstance(value, dt.date) else None

    def _amount(self, raw: str | None, ref: SourceRef) -> Decimal | None:
        return self._quantity(raw, ref, parse_money)

    def _area(self, raw: str | None, ref: SourceRef) -> Decimal | None:
        return self._quantity(raw, ref, parse_area)

    def _quantity(self, raw: str | None, ref: SourceRef, parser: Any) -> Decimal | None:
        if raw is None:
            return None
        try:
            return Decimal(parser(raw).value)
        except (ValueFormatError, ArithmeticError) as exc:
            self.findings.append(_error(ref, str(exc)))
            return None


def _positions(located: Located, cleaned: list[Any], *path: str) -> list[int]:
    """Where each item of a cleaned list stood in the file: validation drops a wrong item, so
    the cleaned index of the items after it is not their place."""
    raw: Any = located.data
    for part in path:
        raw = raw.get(part) if isinstance(raw, dict) else None
    items = raw if isinstance(raw, list) else []
    found, start = [], 0
    for item in cleaned:
        index = next((i for i in range(start, len(items)) if _kept(items[i], item)), start)
        found.append(index)
        start = index + 1
    return found


def _kept(raw: Any, cleaned: Any) -> bool:
    """Whether ``cleaned`` is ``raw`` with its wrong parts left out."""
    if not isinstance(raw, dict) or not isinstance(cleaned, dict):
        return bool(raw == cleaned)
    return all(raw.get(k) == v for k, v in cleaned.items() if not isinstance(v, dict | list))


def _side(spec: str | dict[str, Any]) -> Side:
    if isinstance(spec, str):
        return Side(spec)
    return Side(spec["attribute"], _via(spec.get("via")))


def _via(spec: str | list[str] | None) -> tuple[str, ...]:
    if spec is None:
        return ()
    return (spec,) if isinstance(spec, str) else tuple(spec)


def _bound(value: object) -> Decimal | str | None:
    if value is None or isinstance(value, str):
        return value
    return _decimal(value)


def _severity(spec: dict[str, Any]) -> Severity | None:
    return Severity(spec["severity"]) if "severity" in spec else None


def _decimal(value: object) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return Decimal(0)


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _dotted(path: tuple[str | int, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part + 1}]" if isinstance(part, int) else ("." if text else "") + str(part)
    return text or "知识库文件"


def _error(ref: SourceRef, message: str) -> Finding:
    return Finding("TP905", Severity.ERROR, message, ref, "practice")
