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
- ``patterns``: extraction patterns that turn sentences of body text into facts.

and the registries a reviewer knows the documents against, every entry with its ``source``:

- ``citations``: standards and laws by number and title, with their status (现行, 被代替, 废止),
  what replaced them and from when;
- ``places``: each town's villages, 社区, streets and roads, as its own files name them;
- ``hierarchy``: the bodies a town's 公文 may be addressed to and issued by;
- ``permits``: when a permit is required (thresholds of investment and floor area, the funding
  that brings a project into compulsory tendering) and which permits must come before it;
- ``indicators``: each district indicator's definition (口径) and the indicators it is
  mistaken for, with the standard defining each.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
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

ATTRIBUTE = Keys(
    {
        "label": TEXT,
        "unit": TEXT,
        "tolerance": NUMBER,
        "relative": NUMBER,
        "changes": BOOL,
        "as_of": TEXT,
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
        "attribute": TEXT,
        "pattern": TEXT,
        "type": TYPE,
        "unit": TEXT,
        "source": TEXT,
    },
    frozenset({"name", "documents", "subject", "attribute", "pattern", "type"}),
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
    {"name": TEXT, "aliases": TEXTS, "note": TEXT, "source": TEXT},
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
    """A sentence shape in ``documents``' body text whose ``value`` group states ``attribute``."""

    name: str
    documents: tuple[str, ...]
    subject: str
    attribute: str
    regex: re.Pattern[str]
    type: str
    unit: str
    ref: SourceRef


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
            _error(ref.at(1), "知识库文件应为键值映射（attributes、tables、patterns …）")
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
                regex = self._regex(spec["pattern"], ref)
                if regex is not None:
                    made.append(Pattern(spec["name"], tuple(spec["documents"]), spec["subject"],
                                        spec["attribute"], regex, spec["type"],
                                        spec.get("unit", ""), ref))  # fmt: skip
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
        addressing: list[Addressing] = []
        for located, section in parts:
            for key, spec in section["bodies"].items():
                bodies[key] = Body(key, spec["name"], spec["source"],
                                   tuple(spec.get("aliases", ())), spec.get("note", ""))  # fmt: skip
            for document, fields in section["documents"].items():
                for name, spec in fields.items():
                    ref = located.ref_of("hierarchy", "documents", document, name)
                    addressing.append(Addressing(document, name, tuple(spec["bodies"]),
                                                 tuple(spec.get("related", ())), spec["source"],
                                                 ref))  # fmt: skip
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
