"""templates/profile.yaml -> a typed, validated ``Profile``.

Profile mistakes (an unknown field type, a reference to a list that does not exist, a misspelt key,
a phase date that cannot be) are collected as TP901 findings with the profile's path and line;
the parts that are valid are still used, so one typo does not stop a whole district.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from townplans.load.sources import parse_yaml, read_text
from townplans.load.values import PARSERS, ValueFormatError, parse_date
from townplans.model import Finding, Located, Severity, SourceRef

STRUCTURED_TYPES = ("list", "mapping")
FIELD_TYPES = (*PARSERS, *STRUCTURED_TYPES)
COMPARATORS = (">=", "<=", "==", ">", "<")
BASES = ("plan", "standard", "practice")
REF_PATTERN = re.compile(r"^R(0[1-9]|[1-3][0-9]|4[01])$")
"""R01–R41: the requirements of the source plan (shared/reference/plan-requirements.md)."""

_FIELD_KEYS = {
    "label", "type", "unit", "enum", "enum_from", "range", "required", "when", "aliases",
    "ref", "basis", "standard", "items", "source_text", "note",
}  # fmt: skip
_ATTACHMENT_KEYS = {
    "label", "folder", "file", "min", "types", "when", "ref", "basis", "standard", "source_text",
    "note",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Condition:
    """``field op value``: when an attachment or field becomes required."""

    field: str
    op: str
    value: Decimal

    def holds(self, actual: Decimal) -> bool:
        return _compare(actual, self.op, self.value)

    def __str__(self) -> str:
        return f"{self.field} {self.op} {self.value}"


def _compare(actual: Decimal, op: str, target: Decimal) -> bool:
    return {
        ">=": actual >= target,
        "<=": actual <= target,
        "==": actual == target,
        ">": actual > target,
        "<": actual < target,
    }[op]


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


@dataclass(frozen=True, slots=True)
class HeadingSpec:
    """A required heading: its title, accepted synonyms (``{…}`` matches any text)."""

    title: str
    synonyms: tuple[str, ...] = ()
    refs: tuple[str, ...] = ()
    basis: str = "practice"


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
    raw: Located

    def document(self, key: str) -> DocumentType:
        return self.documents[key]

    def setting(self, *keys: str) -> Mapping[str, Any]:
        """The mapping at ``keys`` in profile.yaml, or an empty one when a step is missing or not a
        mapping (a mistyped section is TP901's to report, never a crash)."""
        node: Any = self.raw.data
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
        return node if isinstance(node, dict) else {}

    def setting_list(self, *keys: str) -> list[Any]:
        """The list at ``keys`` in profile.yaml, or an empty one (see ``setting``)."""
        *parents, last = keys
        value = self.setting(*parents).get(last)
        return value if isinstance(value, list) else []


@dataclass(frozen=True, slots=True)
class ProfileResult:
    """A loaded profile (None when it could not be read at all) and its problems."""

    profile: Profile | None
    findings: tuple[Finding, ...]


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


def _refs(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(str(item) for item in value)
    return (str(value),)


class _Builder:
    """Build typed profile parts from the located YAML, noting every mistake with its line."""

    def __init__(self, located: Located) -> None:
        self.doc = located
        self.findings: list[Finding] = []

    def problem(self, path: tuple[str | int, ...], message: str) -> None:
        self.findings.append(_error(self.doc.ref_of(*path), message))

    def mapping(self, path: tuple[str | int, ...], required: bool = True) -> dict[str, Any]:
        value: Any = self.doc.data
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, dict):
            return value
        if required or value is not None:
            self.problem(path, f"“{'.'.join(map(str, path))}”应为键值映射")
        return {}

    def build(self, path: str) -> Profile:
        version = self.doc.get("version")
        if not isinstance(version, str) or not version.strip():
            self.problem(("version",), '缺少规则版本号 version（如 "2023.1"），版本用于追溯')
        lists = self._lists()
        documents: dict[str, DocumentType] = {}
        for key, spec in self.mapping(("documents",)).items():
            if isinstance(spec, dict):
                documents[key] = self._document(key, spec, lists)
            else:
                self.problem(("documents", key), f"文档类型“{key}”的定义应为映射")
        profile = Profile(
            version=str(version or "unknown"),
            path=path,
            documents=documents,
            indicators=self._indicators(),
            phases=self._phases(),
            deliverables=self._deliverables(documents),
            lists=lists,
            facilities={
                key: str(spec.get("label", key)) if isinstance(spec, dict) else str(key)
                for key, spec in self.mapping(("facilities",), required=False).items()
            },
            raw=self.doc,
        )
        self._check_refs((), self.doc.data)
        return profile

    # -- named lists --------------------------------------------------------------------------

    def _lists(self) -> dict[str, tuple[str, ...]]:
        lists: dict[str, tuple[str, ...]] = {}
        zones = self.mapping(("zones",), required=False).get("required", [])
        lists["zones"] = tuple(str(z.get("label")) for z in zones if isinstance(z, dict))
        categories = self.doc.get("project_categories", []) or []
        lists["project_categories"] = tuple(
            str(c.get("label")) for c in categories if isinstance(c, dict)
        )
        funding = self.mapping(("funding_sources",), required=False).get("allowed", [])
        lists["funding_sources"] = tuple(str(item) for item in funding)
        lists["facility_status"] = tuple(str(s) for s in self.doc.get("facility_status", []) or [])
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
            table_captions=self._flag((*path, "table_captions"), spec.get("table_captions")),
        )

    def _flag(self, path: tuple[str | int, ...], value: Any) -> bool:
        """A yes/no setting (absent: no); anything but true or false is a TP901 at its line."""
        if value is None or isinstance(value, bool):
            return bool(value)
        self.problem(path, f"“{'.'.join(map(str, path))}”应为 true 或 false，实为 {value!r}")
        return False

    def _field(
        self,
        path: tuple[str | int, ...],
        key: str,
        spec: Any,
        lists: Mapping[str, tuple[str, ...]],
    ) -> FieldSpec:
        if not isinstance(spec, dict):
            self.problem(path, f"字段“{key}”的定义应为映射（label、type …）")
            return FieldSpec(key, key, "text")
        for unknown in sorted(set(spec) - _FIELD_KEYS):
            self.problem(
                (*path, unknown), f"字段“{key}”有未知属性“{unknown}”：可用 {sorted(_FIELD_KEYS)}"
            )
        field_type = str(spec.get("type", "text"))
        if field_type not in FIELD_TYPES:
            self.problem(
                (*path, "type"),
                f"字段“{key}”的类型“{field_type}”未知：应为 {', '.join(FIELD_TYPES)}",
            )
            field_type = "text"
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

    def _heading(self, path: tuple[str | int, ...], item: Any) -> HeadingSpec:
        if not isinstance(item, dict) or not isinstance(item.get("title"), str):
            self.problem(path, "必备标题应写作 {title: 标题, synonyms: [同义标题]}")
            return HeadingSpec("?")
        return HeadingSpec(
            title=item["title"],
            synonyms=tuple(str(s) for s in item.get("synonyms") or ()),
            refs=_refs(item.get("ref")),
            basis=self._basis(
                (*path, "basis"), item.get("basis", "plan" if "ref" in item else "practice")
            ),
        )

    def _attachment(
        self,
        path: tuple[str | int, ...],
        key: str,
        item: Any,
        fields: Mapping[str, FieldSpec],
    ) -> AttachmentSpec:
        if not isinstance(item, dict):
            self.problem(path, f"附件“{key}”的定义应为映射（folder、min、types …）")
            return AttachmentSpec(key, key, None, None, 0, ())
        for unknown in sorted(set(item) - _ATTACHMENT_KEYS):
            self.problem((*path, unknown), f"附件“{key}”有未知属性“{unknown}”")
        if ("folder" in item) == ("file" in item):
            self.problem(path, f"附件“{key}”应给出 folder（文件夹）或 file（单个文件）之一")
        when = self._condition((*path, "when"), item.get("when"))
        if when is not None and when.field not in fields:
            self.problem((*path, "when"), f"附件“{key}”的条件引用了未定义的字段“{when.field}”")
        minimum = item.get("min", 1)
        if not isinstance(minimum, int) or minimum < 0:
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
        for key, spec in self.mapping(("indicators",)).items():
            path: tuple[str | int, ...] = ("indicators", key)
            if not isinstance(spec, dict):
                self.problem(path, f"指标“{key}”的定义应为映射")
                continue
            indicator = self._indicator(path, key, spec)
            if indicator is not None:
                indicators[key] = indicator
        return indicators

    def _indicator(
        self, path: tuple[str | int, ...], key: str, spec: dict[str, Any]
    ) -> Indicator | None:
        comparator = str(spec.get("comparator", ">="))
        if comparator not in COMPARATORS:
            self.problem(
                (*path, "comparator"),
                f"指标“{key}”的比较符“{comparator}”应为 {', '.join(COMPARATORS)}",
            )
            return None
        kind = str(spec.get("type", "number"))
        if kind not in PARSERS:
            self.problem((*path, "type"), f"指标“{key}”的类型“{kind}”未知")
            return None
        target = spec.get("target")
        if target is not None and not isinstance(target, (int, float)):
            self.problem(
                (*path, "target"),
                f"指标“{key}”的目标值应为数字或 null（原文未给出时），实为 {target!r}",
            )
            return None
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

    def _phases(self) -> tuple[Phase, ...]:
        phases = []
        for index, item in enumerate(self.doc.get("phases", []) or []):
            path: tuple[str | int, ...] = ("phases", index)
            if not isinstance(item, dict):
                self.problem(path, '阶段应写作 {key, label, start: "07-18", end: "07-25"}')
                continue
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

    def _deliverables(self, documents: Mapping[str, DocumentType]) -> tuple[Deliverable, ...]:
        deliverables = []
        for index, item in enumerate(self.doc.get("deliverables", []) or []):
            path: tuple[str | int, ...] = ("deliverables", index)
            if not isinstance(item, dict) or item.get("document") not in documents:
                self.problem(path, f"交付成果应引用 documents 中已定义的文档类型，实为 {item!r}")
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
