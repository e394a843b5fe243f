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
- ``patterns``: extraction patterns that turn sentences of body text into facts;
- ``places``: a registry of where the district and its towns are (a centre and a radius that
  holds the whole of it), each entry with its source, so that a photo's GPS position can be
  judged against the project's place (TP332). A place that cannot be confirmed is left out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
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
from townplans.values import PARSERS

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
PLACE = Keys(
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
        "places": Seq(PLACE),
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


@dataclass(frozen=True, slots=True)
class Place:
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
    places: tuple[Place, ...] = ()

    def place(self, kind: str, names: Iterable[str]) -> Place | None:
        """The registered ``kind`` place called by any of ``names`` (its name or an alias)."""
        wanted = {name.strip() for name in names if name.strip()}
        return next(
            (p for p in self.places if p.kind == kind and wanted.intersection(p.names())), None
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
        places=builder.places(sections.get("places", [])),
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
            _error(ref.at(1), "知识库文件应为键值映射（attributes、tables、patterns、places …）")
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

    def places(self, parts: list[tuple[Located, Any]]) -> tuple[Place, ...]:
        made = []
        for located, section in parts:
            for index, spec in enumerate(section):
                ref = located.ref_of("places", index)
                lat, lon, radius = float(spec["lat"]), float(spec["lon"]), float(spec["radius_km"])
                if not (-90 <= lat <= 90 and -180 <= lon <= 180 and 0 < radius <= 1000):
                    message = (
                        f"地点“{spec['name']}”的坐标或半径无效：纬度应在 -90～90、经度应在"
                        f" -180～180 之间，半径应为 0～1000 公里，实为 {lat}、{lon}、{radius}"
                    )
                    self.findings.append(_error(ref, message))
                    continue
                aliases = tuple(spec.get("aliases", ()))
                made.append(Place(spec["name"], spec["kind"], aliases, lat, lon, radius,
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
