"""templates/profile.yaml -> a typed, validated ``Profile``.

Profile mistakes (an unknown field type, a reference to a list that does not exist, a misspelt key,
a phase date that cannot be) are collected as TP901 findings with the profile's path and line;
the parts that are valid are still used, so one typo does not stop a whole district. The file's
shape (every key and its type) is declared once in ``profile_schema``; the builder here reads only
values that passed it, and nothing else reads profile.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from townplans import errortext
from townplans.comparators import COMPARATORS, holds
from townplans.model import Finding, Located, Severity, SourceRef
from townplans.profile_schema import FIELD_TYPES, STRUCTURED_TYPES, validate
from townplans.sources import parse_yaml, read_text
from townplans.values import ValueFormatError, parse_date

__all__ = ["FIELD_TYPES", "STRUCTURED_TYPES", "Profile", "load_profile"]

BASES = ("plan", "standard", "practice")
REF_PATTERN = re.compile(r"^R(0[1-9]|[1-3][0-9]|4[01])$")
"""R01–R41: the requirements of the source plan (shared/reference/plan-requirements.md)."""


@dataclass(frozen=True, slots=True)
class Condition:
    """``field op value``: when an attachment or field becomes required."""

    field: str
    op: str
    value: Decimal

    def holds(self, actual: Decimal) -> bool:
        return holds(actual, self.op, self.value)

    def __str__(self) -> str:
        return f"{self.field} {self.op} {self.value}"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One front-matter (or YAML) field a document type declares."""

    key: str
    label: str
    type: str
    unit: str | None = None
    enum: tuple[str, ...] = ()
    range: tuple[Decimal, Decimal] | None = None
    required: bool = False
    when: Condition | None = None
    aliases: tuple[str, ...] = ()
    refs: tuple[str, ...] = ()
    basis: str = "practice"
    items: Mapping[str, FieldSpec] = field(default_factory=dict)
    example: str = ""
    together: tuple[str, ...] = ()
    """Fields that must be given whenever this one is (印发机关 with 印发日期: GB/T 9704 7.4.3)."""
    """A value a planner may write (shown by the scaffolds: 【待填写：…，如 example】)."""


@dataclass(frozen=True, slots=True)
class HeadingSpec:
    """A required heading: its title, accepted synonyms (``{…}`` matches any text)."""

    title: str
    synonyms: tuple[str, ...] = ()
    refs: tuple[str, ...] = ()
    basis: str = "practice"
    scaffold: str = ""
    """What ``townplans new`` writes under the heading (e.g. the project table's skeleton)."""


@dataclass(frozen=True, slots=True)
class AttachmentSpec:
    """Files a document needs beside it: a folder with a minimum count, or one named file."""

    key: str
    label: str
    folder: str | None
    file: str | None
    min: int
    types: tuple[str, ...]
    when: Condition | None = None
    refs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PermitItem:
    """One 报建手续 item; ``when`` says when it applies (竣工验收 only once complete)."""

    key: str
    label: str
    when: Condition | None = None


@dataclass(frozen=True, slots=True)
class DocumentType:
    """A kind of document the district requires, where it lives and what it must contain."""

    key: str
    label: str
    location: str
    count_min: int
    count_max: int | None
    fields: Mapping[str, FieldSpec]
    headings: tuple[HeadingSpec, ...]
    headings_ordered: bool
    attachments: Mapping[str, AttachmentSpec]
    refs: tuple[str, ...]
    ref: SourceRef
    parcel_fields: Mapping[str, FieldSpec] = field(default_factory=dict)
    """For 控规: the columns of parcels.yaml (地块指标一览表)."""
    permit_items: tuple[PermitItem, ...] = ()
    """For 项目简介: the 报建手续 a project must account for (R32/R35)."""
    permit_status: tuple[str, ...] = ()
    table_captions: bool = False
    """Every table of the document gets a number and title (表 1  地块指标一览表), not only the
    tables whose caption is written out (“表：标题”)."""

    def alias_map(self) -> dict[str, str]:
        """Chinese label or alias -> English key, for reading front matter."""
        aliases: dict[str, str] = {}
        for spec in self.fields.values():
            aliases[spec.label] = spec.key
            for alias in spec.aliases:
                aliases[alias] = spec.key
        return aliases


@dataclass(frozen=True, slots=True)
class Indicator:
    """A district indicator with its target; ``target`` None means the plan does not give one."""

    key: str
    label: str
    type: str
    unit: str
    comparator: str
    target: Decimal | None
    comparator_inferred: bool
    status: str | None
    refs: tuple[str, ...]
    basis: str
    source_text: str
    note: str
    range: tuple[Decimal | None, Decimal | None] = (Decimal(0), None)
    """Plausible values (min, max; None: open): a percentage defaults to 0–100, anything else to
    not negative. A value outside is unreadable (TP405), never compared with the target."""


DEFAULT_RANGES: dict[str, tuple[Decimal | None, Decimal | None]] = {
    "percent": (Decimal(0), Decimal(100)),
}


@dataclass(frozen=True, slots=True)
class Phase:
    """A phase window as month/day pairs; the year comes from the district's plan year."""

    key: str
    label: str
    start: tuple[int, int] | None
    end: tuple[int, int] | None
    status: str | None
    refs: tuple[str, ...]
    source_text: str


@dataclass(frozen=True, slots=True)
class Deliverable:
    """A column of the status matrix."""

    key: str
    label: str
    document: str


@dataclass(frozen=True, slots=True)
class Deadline:
    """A deadline of the source plan: a month-day (year from the plan year) or an interval."""

    key: str
    label: str
    month_day: tuple[int, int] | None = None
    to: str = ""
    """Whom it is handed to (R30: 区小城镇建设领导小组办公室)."""
    interval_days: int | None = None


@dataclass(frozen=True, slots=True)
class SourcePlan:
    """The district plan the profile encodes."""

    title: str
    issuer: str
    plan_year: int | None


@dataclass(frozen=True, slots=True)
class OutputSpec:
    """A kind of output the district expects; ``built`` says whether townplans makes it."""

    key: str
    label: str
    built: bool
    refs: tuple[str, ...]


Range = tuple[Decimal, Decimal]


@dataclass(frozen=True, slots=True)
class Criterion:
    """One criterion of the 考核评分 (profile ``scoring``): its weight in points and how it is
    measured (``profile_schema.SCORING_MEASURES``)."""

    key: str
    label: str
    measure: str
    weight: Decimal
    refs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ProgressSettings:
    """How weekly progress is judged (R40): a project is 滞后 when its 形象进度 trails the straight
    line from its start to its deadline by more than ``lag_tolerance`` percentage points."""

    lag_tolerance: Decimal = Decimal(10)
    refs: tuple[str, ...] = ("R40",)
    source_text: str = ""


@dataclass(frozen=True, slots=True)
class Review:
    """What a reviewer knows (profile ``review``): placeholder words, the land-use class lists
    of the standards, the formats of 发文字号, phone numbers and 成文日期, plausible magnitudes
    and the words that show a project's category."""

    placeholder_words: tuple[str, ...] = ()
    placeholder_patterns: tuple[re.Pattern[str], ...] = ()
    land_use_standard: str = ""
    land_use_classes: frozenset[str] = frozenset()
    other_land_use_standard: str = ""
    other_land_use_classes: frozenset[str] = frozenset()
    land_use_names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Major class letter -> words its names contain (居住 for R)."""
    doc_number: re.Pattern[str] | None = None
    doc_number_example: str = ""
    phone: re.Pattern[str] | None = None
    phone_area_code: str = ""
    phone_example: str = ""
    date_style: str = "arabic"
    investment_ranges: Mapping[str, Range] = field(default_factory=dict)
    """Project category label -> plausible investment (万元)."""
    plan_area_range: Range | None = None
    parcel_area_range: Range | None = None
    zone_area_range: Range | None = None
    category_words: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Profile:
    """The district's rulebook, typed."""

    version: str
    path: str
    documents: Mapping[str, DocumentType]
    indicators: Mapping[str, Indicator]
    phases: tuple[Phase, ...]
    deliverables: tuple[Deliverable, ...]
    lists: Mapping[str, tuple[str, ...]]
    """Named value lists: zones, project_categories, funding_sources, facility_status …"""
    facilities: Mapping[str, str]
    deadlines: Mapping[str, Deadline] = field(default_factory=dict)
    market_attributes: tuple[str, ...] = ()
    """What a market must have (R28)."""
    source_plan: SourcePlan = SourcePlan("", "", None)
    outputs: tuple[OutputSpec, ...] = ()
    review: Review = Review()
    scoring: tuple[Criterion, ...] = ()
    """The 考核评分's criteria, in the order the table prints them (their weights sum to 100)."""
    progress: ProgressSettings = ProgressSettings()

    def document(self, key: str) -> DocumentType:
        return self.documents[key]

    def deadline(self, key: str) -> Deadline:
        """A deadline by key; an absent one has no date (its rule then has nothing to judge)."""
        return self.deadlines.get(key) or Deadline(key, key)


@dataclass(frozen=True, slots=True)
class ProfileResult:
    """A loaded profile (None when it could not be read at all) and its problems."""

    profile: Profile | None
    findings: tuple[Finding, ...]


def report_interval(profile: Profile) -> int:
    """Days between weekly reports (R40: weekly); a configured 1–31 days is honoured."""
    configured = profile.deadline("weekly_report").interval_days
    return configured if configured is not None and 1 <= configured <= 31 else 7


def load_profile(path: Path, root: Path) -> ProfileResult:
    """Read and validate a profile file; ``root`` is the workspace root for relative paths."""
    ref = SourceRef(_relative(path, root))
    if not path.is_file():
        return ProfileResult(None, (_error(ref, f"找不到规则文件 {ref.path}：应为 YAML 文件"),))
    read = read_text(path, ref)
    if read.text is None:
        return ProfileResult(None, read.findings)
    located, findings = parse_yaml(read.text, ref)
    if located is None or not isinstance(located.data, dict):
        findings = [*read.findings, *findings]
        if located is not None:
            findings.append(
                _error(ref.at(1), "规则文件应为键值映射（profile、version、documents …）")
            )
        return ProfileResult(None, tuple(findings))
    builder = _Builder(located)
    profile = builder.build(ref.path)
    return ProfileResult(profile, (*read.findings, *findings, *builder.findings))


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _error(ref: SourceRef, message: str) -> Finding:
    return Finding("TP901", Severity.ERROR, message, ref, "practice")


def _dotted(path: tuple[str | int, ...]) -> str:
    """``documents.town.fields.name`` (list items as ``[2]``), for a message."""
    text = ""
    for part in path:
        text += f"[{part + 1}]" if isinstance(part, int) else ("." if text else "") + str(part)
    return text or "规则文件"


def _refs(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(str(item) for item in value)
    return (str(value),)


class _Builder:
    """Build typed profile parts from the located YAML, noting every mistake with its line."""

    def __init__(self, located: Located) -> None:
        cleaned, problems = validate(located.data)
        self.doc = Located(cleaned, located.lines, located.ref)
        self.findings: list[Finding] = [
            _error(located.ref_of(*path), f"{_dotted(path)}：{message}")
            for path, message in problems
        ]
        for section in ("documents", "indicators"):
            if section not in located.data:
                self.problem((), f"缺少 {section} 部分（规则文件的必备部分）")

    def problem(self, path: tuple[str | int, ...], message: str) -> None:
        self.findings.append(_error(self.doc.ref_of(*path), message))

    def mapping(self, *path: str) -> dict[str, Any]:
        """The mapping at ``path``; the schema has reported it if it is absent or mistyped."""
        value: Any = self.doc.data
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        return value if isinstance(value, dict) else {}

    def build(self, path: str) -> Profile:
        version = self.doc.get("version")
        if not isinstance(version, str) or not version.strip():
            self.problem(("version",), '缺少规则版本号 version（如 "2023.1"），版本用于追溯')
        lists = self._lists()
        documents: dict[str, DocumentType] = {}
        for key, spec in self.mapping("documents").items():
            documents[key] = self._document(key, spec, lists)
        profile = Profile(
            version=str(version or "unknown"),
            path=path,
            documents=documents,
            indicators=self._indicators(),
            phases=self._phases(),
            deliverables=self._deliverables(documents),
            lists=lists,
            facilities={
                key: str(spec.get("label", key)) for key, spec in self.mapping("facilities").items()
            },
            deadlines=self._deadlines(),
            market_attributes=tuple(self.mapping("market_attributes").get("required", ())),
            source_plan=SourcePlan(
                title=str(self.mapping("source_plan").get("title", "")),
                issuer=str(self.mapping("source_plan").get("issuer", "")),
                plan_year=self.mapping("source_plan").get("plan_year"),
            ),
            outputs=tuple(
                OutputSpec(
                    str(item.get("key", "")),
                    str(item.get("label", "")),
                    bool(item.get("built", False)),
                    _refs(item.get("ref")),
                )
                for item in self.doc.get("outputs", ())
            ),
            review=self._review(),
            scoring=self._scoring(),
            progress=self._progress(),
        )
        self._check_refs((), self.doc.data)
        return profile

    def _progress(self) -> ProgressSettings:
        settings = self.mapping("progress")
        tolerance = settings.get("lag_tolerance", 10)
        if not 0 <= tolerance <= 100:
            self.problem(
                ("progress", "lag_tolerance"),
                f"滞后容差 lag_tolerance 为 {tolerance}，应为 0 到 100 之间的百分点数",
            )
            tolerance = 10
        return ProgressSettings(
            lag_tolerance=Decimal(str(tolerance)),
            refs=_refs(settings.get("ref")) or ("R40",),
            source_text=str(settings.get("source_text", "")),
        )

    # -- review --------------------------------------------------------------------------------

    def _review(self) -> Review:
        review = self.mapping("review")
        path: tuple[str | int, ...] = ("review",)
        placeholders = review.get("placeholders") or {}
        land_use = review.get("land_use") or {}
        formats = review.get("formats") or {}
        ranges = review.get("ranges") or {}
        doc_number = formats.get("doc_number") or {}
        phone = formats.get("phone") or {}
        patterns = (
            self._pattern((*path, "placeholders", "patterns", index), text)
            for index, text in enumerate(placeholders.get("patterns") or ())
        )
        return Review(
            placeholder_words=tuple(placeholders.get("words") or ()),
            placeholder_patterns=tuple(p for p in patterns if p is not None),
            land_use_standard=str(land_use.get("standard", "")),
            land_use_classes=frozenset(land_use.get("classes") or ()),
            other_land_use_standard=str(land_use.get("other_standard", "")),
            other_land_use_classes=frozenset(land_use.get("other_classes") or ()),
            land_use_names={k: tuple(v) for k, v in (land_use.get("names") or {}).items()},
            doc_number=self._pattern(
                (*path, "formats", "doc_number", "pattern"), doc_number.get("pattern")
            ),
            doc_number_example=str(doc_number.get("example", "")),
            phone=self._pattern((*path, "formats", "phone", "pattern"), phone.get("pattern")),
            phone_area_code=str(phone.get("area_code", "")),
            phone_example=str(phone.get("example", "")),
            date_style=str((formats.get("document_date") or {}).get("style", "arabic")),
            investment_ranges={
                str(key): r
                for key, value in (ranges.get("investment") or {}).items()
                if (r := self._range((*path, "ranges", "investment", key), value)) is not None
            },
            plan_area_range=self._range((*path, "ranges", "plan_area"), ranges.get("plan_area")),
            parcel_area_range=self._range(
                (*path, "ranges", "parcel_area"), ranges.get("parcel_area")
            ),
            zone_area_range=self._range((*path, "ranges", "zone_area"), ranges.get("zone_area")),
            category_words={k: tuple(v) for k, v in (review.get("category_words") or {}).items()},
        )

    def _pattern(self, path: tuple[str | int, ...], text: Any) -> re.Pattern[str] | None:
        if text is None:
            return None
        try:
            return re.compile(str(text))
        except re.error as exc:
            self.problem(path, f"正则表达式“{text}”无效：{errortext.regex_problem(exc)}")
            return None

    # -- named lists --------------------------------------------------------------------------

    def _lists(self) -> dict[str, tuple[str, ...]]:
        lists: dict[str, tuple[str, ...]] = {}
        zones = self.mapping("zones").get("required", [])
        lists["zones"] = tuple(str(z.get("label")) for z in zones if isinstance(z, dict))
        categories = self.doc.get("project_categories", []) or []
        lists["project_categories"] = tuple(
            str(c.get("label")) for c in categories if isinstance(c, dict)
        )
        funding = self.mapping("funding_sources").get("allowed", [])
        lists["funding_sources"] = tuple(str(item) for item in funding)
        lists["facility_status"] = tuple(str(s) for s in self.doc.get("facility_status", []) or [])
        vocabulary = self.doc.get("vocabulary", []) or []
        lists["vocabulary"] = tuple(str(word) for word in vocabulary if isinstance(word, str))
        return lists

    # -- documents --------------------------------------------------------------------------------

    def _document(
        self, key: str, spec: dict[str, Any], lists: Mapping[str, tuple[str, ...]]
    ) -> DocumentType:
        path: tuple[str | int, ...] = ("documents", key)
        count = spec.get("count") or {}
        fields = {
            name: self._field((*path, "fields", name), name, field_spec, lists)
            for name, field_spec in (spec.get("fields") or {}).items()
        }
        headings_spec = spec.get("headings") or {}
        return DocumentType(
            key=key,
            label=str(spec.get("label", key)),
            location=str(spec.get("location", "")),
            count_min=int(count.get("min", 0)),
            count_max=int(count["max"]) if "max" in count else None,
            fields=fields,
            headings=tuple(
                self._heading((*path, "headings", "items", index), item)
                for index, item in enumerate(headings_spec.get("items") or [])
            ),
            headings_ordered=bool(headings_spec.get("ordered", False)),
            attachments={
                name: self._attachment((*path, "attachments", name), name, item, fields)
                for name, item in (spec.get("attachments") or {}).items()
            },
            refs=_refs(spec.get("ref")),
            ref=self.doc.ref_of(*path),
            parcel_fields={
                name: self._field((*path, "parcel_fields", name), name, item, lists)
                for name, item in (spec.get("parcel_fields") or {}).items()
            },
            permit_items=tuple(
                PermitItem(
                    str(item["key"]),
                    str(item["label"]),
                    self._condition((*path, "permit_items", index, "when"), item.get("when")),
                )
                for index, item in enumerate(spec.get("permit_items") or ())
            ),
            permit_status=tuple(spec.get("permit_status") or ()),
            table_captions=bool(spec.get("table_captions")),
        )

    def _field(
        self,
        path: tuple[str | int, ...],
        key: str,
        spec: dict[str, Any],
        lists: Mapping[str, tuple[str, ...]],
    ) -> FieldSpec:
        field_type = str(spec.get("type", "text"))
        enum = tuple(str(item) for item in spec.get("enum") or ())
        if "enum_from" in spec:
            source = str(spec["enum_from"])
            if source not in lists or not lists[source]:
                self.problem((*path, "enum_from"), f"字段“{key}”引用的列表“{source}”不存在或为空")
            enum = lists.get(source, ())
        items = spec.get("items") or {}
        return FieldSpec(
            key=key,
            label=str(spec.get("label", key)),
            type=field_type,
            unit=spec.get("unit"),
            enum=enum,
            range=self._range((*path, "range"), spec.get("range")),
            required=bool(spec.get("required", False)),
            when=self._condition((*path, "when"), spec.get("when")),
            aliases=tuple(str(alias) for alias in spec.get("aliases") or ()),
            refs=_refs(spec.get("ref")),
            basis=self._basis(
                (*path, "basis"), spec.get("basis", "plan" if "ref" in spec else "practice")
            ),
            items={
                name: self._field((*path, "items", name), name, item, lists)
                for name, item in items.items()
            },
            example=str(spec.get("example", "")),
            together=tuple(spec.get("together") or ()),
        )

    def _range(self, path: tuple[str | int, ...], value: Any) -> tuple[Decimal, Decimal] | None:
        if value is None:
            return None
        if (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, (int, float)) for v in value)
            and value[0] <= value[1]
        ):
            return Decimal(str(value[0])), Decimal(str(value[1]))
        self.problem(path, f"range 应为 [最小值, 最大值]，实为 {value!r}")
        return None

    def _condition(self, path: tuple[str | int, ...], value: Any) -> Condition | None:
        if value is None:
            return None
        if (
            isinstance(value, dict)
            and {"field", "op", "value"} <= set(value)
            and value["op"] in COMPARATORS
            and isinstance(value["value"], (int, float))
        ):
            return Condition(str(value["field"]), str(value["op"]), Decimal(str(value["value"])))
        self.problem(path, f"when 应为 {{field: 字段, op: >=, value: 数值}}，实为 {value!r}")
        return None

    def _basis(self, path: tuple[str | int, ...], value: Any) -> str:
        if value in BASES:
            return str(value)
        self.problem(path, f"basis 应为 {', '.join(BASES)} 之一，实为 {value!r}")
        return "practice"

    def _heading(self, path: tuple[str | int, ...], item: dict[str, Any]) -> HeadingSpec:
        return HeadingSpec(
            title=item["title"],
            synonyms=tuple(str(s) for s in item.get("synonyms") or ()),
            refs=_refs(item.get("ref")),
            basis=self._basis(
                (*path, "basis"), item.get("basis", "plan" if "ref" in item else "practice")
            ),
            scaffold=str(item.get("scaffold") or ""),
        )

    def _attachment(
        self,
        path: tuple[str | int, ...],
        key: str,
        item: dict[str, Any],
        fields: Mapping[str, FieldSpec],
    ) -> AttachmentSpec:
        if ("folder" in item) == ("file" in item):
            self.problem(path, f"附件“{key}”应给出 folder（文件夹）或 file（单个文件）之一")
        when = self._condition((*path, "when"), item.get("when"))
        if when is not None and when.field not in fields:
            self.problem((*path, "when"), f"附件“{key}”的条件引用了未定义的字段“{when.field}”")
        minimum = item.get("min", 1)
        if minimum < 0:
            self.problem((*path, "min"), f"min 应为非负整数，实为 {minimum!r}")
            minimum = 1
        return AttachmentSpec(
            key=key,
            label=str(item.get("label", key)),
            folder=item.get("folder"),
            file=item.get("file"),
            min=minimum,
            types=tuple(str(t).lower() for t in item.get("types") or ()),
            when=when,
            refs=_refs(item.get("ref")),
        )

    # -- indicators, phases, deliverables -------------------------------------------------------------

    def _indicators(self) -> dict[str, Indicator]:
        indicators: dict[str, Indicator] = {}
        for key, spec in self.mapping("indicators").items():
            path: tuple[str | int, ...] = ("indicators", key)
            indicator = self._indicator(path, key, spec)
            if indicator is not None:
                indicators[key] = indicator
        return indicators

    def _indicator(
        self, path: tuple[str | int, ...], key: str, spec: dict[str, Any]
    ) -> Indicator | None:
        comparator = str(spec.get("comparator", ">="))
        kind = str(spec.get("type", "number"))
        target = spec.get("target")
        if target is None and not spec.get("status"):
            self.problem(
                (*path, "target"), f"指标“{key}”没有目标值：请用 status 说明原因（如 garbled）"
            )
        return Indicator(
            key=key,
            label=str(spec.get("label", key)),
            type=kind,
            unit=str(spec.get("unit", "")),
            comparator=comparator,
            target=Decimal(str(target)) if target is not None else None,
            comparator_inferred=bool(spec.get("comparator_inferred", False)),
            status=spec.get("status"),
            refs=_refs(spec.get("ref")),
            basis=self._basis((*path, "basis"), spec.get("basis", "plan")),
            source_text=str(spec.get("source_text", "")),
            note=str(spec.get("note", "")),
            range=self._indicator_range((*path, "range"), kind, spec.get("range")),
        )

    def _indicator_range(
        self, path: tuple[str | int, ...], kind: str, value: Any
    ) -> tuple[Decimal | None, Decimal | None]:
        default = DEFAULT_RANGES.get(kind, (Decimal(0), None))
        if value is None:
            return default
        given = self._range(path, value)
        return given if given is not None else default

    def _scoring(self) -> tuple[Criterion, ...]:
        """The criteria; a duplicate key, a weight not above 0 or weights not summing to 100 is
        a problem at its line (the scores would not add up to the points the table shows)."""
        criteria: list[Criterion] = []
        items = self.mapping("scoring").get("criteria") or []
        for index, item in enumerate(items):
            path: tuple[str | int, ...] = ("scoring", "criteria", index)
            key, weight = str(item["key"]), Decimal(str(item["weight"]))
            if any(c.key == key for c in criteria):
                self.problem(path, f"scoring.criteria 中评分项 {key} 重复")
                continue
            if weight <= 0:
                self.problem((*path, "weight"), f"评分项 {key} 的分值应大于 0，实为 {weight}")
                continue
            criteria.append(Criterion(key, str(item["label"]), str(item["measure"]), weight,
                                      _refs(item.get("ref"))))  # fmt: skip
        total = sum((c.weight for c in criteria), Decimal(0))
        if criteria and total != 100:
            self.problem(
                ("scoring", "criteria"),
                f"scoring.criteria 各项分值之和应为 100，实为 {total.normalize():f}",
            )
        return tuple(criteria)

    def _phases(self) -> tuple[Phase, ...]:
        phases = []
        for index, item in enumerate(self.doc.get("phases", []) or []):
            path: tuple[str | int, ...] = ("phases", index)
            phases.append(
                Phase(
                    key=str(item.get("key", index)),
                    label=str(item.get("label", "")),
                    start=self._month_day((*path, "start"), item.get("start")),
                    end=self._month_day((*path, "end"), item.get("end")),
                    status=item.get("status"),
                    refs=_refs(item.get("ref")),
                    source_text=str(item.get("source_text", "")),
                )
            )
        return tuple(phases)

    def _month_day(self, path: tuple[str | int, ...], value: Any) -> tuple[int, int] | None:
        if value is None:
            return None
        match = re.fullmatch(r"(\d{1,2})-(\d{1,2})", str(value))
        if match is None:
            self.problem(path, f'阶段日期应写作“月-日”（如 "07-18"），实为 {value!r}')
            return None
        month, day = int(match.group(1)), int(match.group(2))
        try:
            parse_date(f"2023-{month}-{day}")
        except ValueFormatError as exc:
            self.problem(path, str(exc))
            return None
        return month, day

    def _deadlines(self) -> dict[str, Deadline]:
        deadlines = {}
        for key, item in self.mapping("deadlines").items():
            path: tuple[str | int, ...] = ("deadlines", key)
            date = item.get("date")
            deadlines[key] = Deadline(
                key=key,
                label=str(item.get("label", key)),
                month_day=self._month_day((*path, "date"), date) if date else None,
                to=str(item.get("to", "")),
                interval_days=item.get("interval_days"),
            )
        return deadlines

    def _deliverables(self, documents: Mapping[str, DocumentType]) -> tuple[Deliverable, ...]:
        if not documents:
            return ()  # the missing or mistyped documents section is the one finding to give
        deliverables = []
        for index, item in enumerate(self.doc.get("deliverables", []) or []):
            path: tuple[str | int, ...] = ("deliverables", index)
            if item["document"] not in documents:
                self.problem(
                    (*path, "document"),
                    f"交付成果应引用 documents 中已定义的文档类型，实为“{item['document']}”",
                )
                continue
            deliverables.append(
                Deliverable(
                    str(item["key"]), str(item.get("label", item["key"])), str(item["document"])
                )
            )
        return tuple(deliverables)

    def _check_refs(self, path: tuple[str | int, ...], value: Any) -> None:
        """Every ``ref`` anywhere must name a requirement R01–R41."""
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "ref":
                    for ref in _refs(item):
                        if not REF_PATTERN.match(ref):
                            self.problem(
                                (*path, key), f"ref“{ref}”不是源方案要求编号：应为 R01–R41"
                            )
                else:
                    self._check_refs((*path, key), item)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self._check_refs((*path, index), item)
