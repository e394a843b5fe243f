"""The declared shape of templates/profile.yaml: every section and key once, with its type.

``validate`` walks the parsed YAML against ``PROFILE``, reports each unknown (or misspelt) key,
each wrong type and each missing required key as a problem at its path, and returns a copy of the
data without the offending parts, so that the typed profile is built only from values of the
declared types (a user's edit can never make the builder raise). Shapes are small immutable
objects, as mkdocs declares its config keys: ``Keys`` (fixed keys), ``Named`` (keys the user
chooses: document types, indicators, fields), ``Seq``, ``Either`` and scalars.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from townplans.values import PARSERS

Path = tuple[str | int, ...]
Problem = tuple[Path, str]


class _Missing:
    """Marks a value dropped for being of the wrong type."""


MISSING: Any = _Missing()


class Shape(Protocol):
    """What a value at one place in the profile must look like."""

    @property
    def name(self) -> str:
        """How the expected value is called in a message (Chinese)."""
        ...

    def clean(self, value: Any, path: Path, problems: list[Problem]) -> Any:
        """``value`` without its wrong parts (or MISSING), noting each problem."""
        ...


def shown(value: Any) -> str:
    """A value as a message quotes it (short; a mapping or list by its kind)."""
    if isinstance(value, dict):
        return "键值映射"
    if isinstance(value, list):
        return "列表"
    if value is None:
        return "空值"
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return f"“{text[:30]}”"


@dataclass(frozen=True, slots=True)
class Scalar:
    """A single value of one of ``kinds`` (bool never counts as a number)."""

    kinds: tuple[type, ...]
    name: str
    choices: tuple[Any, ...] = ()

    def clean(self, value: Any, path: Path, problems: list[Problem]) -> Any:
        is_bool = isinstance(value, bool)
        if not isinstance(value, self.kinds) or (is_bool and bool not in self.kinds):
            problems.append((path, f"应为{self.name}，实为{shown(value)}"))
            return MISSING
        if self.choices and value not in self.choices:
            allowed = "、".join(map(str, self.choices))
            problems.append((path, f"应为 {allowed} 之一，实为{shown(value)}"))
            return MISSING
        return value


@dataclass(frozen=True, slots=True)
class Seq:
    """A list whose every item has ``item``'s shape; wrong items are dropped one by one."""

    item: Shape

    @property
    def name(self) -> str:
        return f"列表（每项为{self.item.name}）"

    def clean(self, value: Any, path: Path, problems: list[Problem]) -> Any:
        if not isinstance(value, list):
            problems.append((path, f"应为{self.name}，实为{shown(value)}"))
            return MISSING
        items = (self.item.clean(item, (*path, i), problems) for i, item in enumerate(value))
        return [item for item in items if item is not MISSING]


@dataclass(frozen=True, slots=True)
class Keys:
    """A mapping with fixed keys; ``required`` ones must be there (else the whole mapping is
    dropped), any other key is an error."""

    fields: Mapping[str, Shape]
    required: frozenset[str] = frozenset()
    name: str = "键值映射"

    def clean(self, value: Any, path: Path, problems: list[Problem]) -> Any:
        if not isinstance(value, dict):
            problems.append((path, f"应为{self.name}（{self._known()}），实为{shown(value)}"))
            return MISSING
        cleaned: dict[str, Any] = {}
        for key, item in value.items():
            shape = self.fields.get(key) if isinstance(key, str) else None
            if shape is None:
                problems.append(((*path, key), self._unknown(key)))
                continue
            kept = shape.clean(item, (*path, key), problems)
            if kept is not MISSING:
                cleaned[key] = kept
        for key in sorted(self.required - set(value)):
            problems.append((path, f"缺少必需的键“{key}”"))  # a mistyped one is already said
        return (
            MISSING if self.required - set(cleaned) else cleaned
        )  # an entry without its key or label is unusable

    def _known(self) -> str:
        return "可用键：" + "、".join(self.fields)

    def _unknown(self, key: Any) -> str:
        import difflib  # only for a key the rulebook does not know

        close = difflib.get_close_matches(str(key), list(self.fields), n=1, cutoff=0.6)
        hint = f"，是否应为“{close[0]}”？" if close else f"；{self._known()}"
        return f"未知的键“{key}”{hint}"


@dataclass(frozen=True, slots=True)
class Named:
    """A mapping whose keys the user names (document types, fields …), each value ``value``."""

    value: Shape
    name: str = "键值映射"

    def clean(self, value: Any, path: Path, problems: list[Problem]) -> Any:
        if not isinstance(value, dict):
            problems.append((path, f"应为{self.name}（名称: 定义），实为{shown(value)}"))
            return MISSING
        cleaned: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str) or not key:
                problems.append(((*path, key), f"名称应为文字，实为{shown(key)}"))
                continue
            kept = self.value.clean(item, (*path, key), problems)
            if kept is not MISSING:
                cleaned[key] = kept
        return cleaned


@dataclass(frozen=True, slots=True)
class Either:
    """The first of ``options`` the value fits; otherwise one problem naming all of them."""

    options: tuple[Shape, ...]

    @property
    def name(self) -> str:
        return "或".join(option.name for option in self.options)

    def clean(self, value: Any, path: Path, problems: list[Problem]) -> Any:
        for option in self.options:
            scratch: list[Problem] = []
            kept = option.clean(value, path, scratch)
            if not scratch:
                return kept
        problems.append((path, f"应为{self.name}，实为{shown(value)}"))
        return MISSING


@dataclass(frozen=True, slots=True)
class Later:
    """A shape defined after its first use (a field's ``items`` are fields again)."""

    get: Callable[[], Shape] = field(repr=False)

    @property
    def name(self) -> str:
        return self.get().name

    def clean(self, value: Any, path: Path, problems: list[Problem]) -> Any:
        return self.get().clean(value, path, problems)


TEXT = Scalar((str,), "文字")
INT = Scalar((int,), "整数")
NUMBER = Scalar((int, float), "数字")
BOOL = Scalar((bool,), "true 或 false")
NULL = Scalar((type(None),), "null")
TEXTS = Seq(TEXT)
REFS = Either((TEXT, TEXTS))
"""R-numbers: one or a list (their form R01–R41 is checked by the builder)."""
BASIS = Scalar((str,), "依据类别", ("plan", "standard", "practice"))
COMPARATOR = Scalar((str,), "比较符", (">=", "<=", "==", ">", "<"))
RANGE = Seq(NUMBER)
CONDITION = Keys(
    {"field": TEXT, "op": COMPARATOR, "value": NUMBER}, frozenset({"field", "op", "value"})
)

_CITED: dict[str, Shape] = {
    "ref": REFS,
    "basis": BASIS,
    "standard": TEXT,
    "source_text": TEXT,
    "note": TEXT,
}
"""What any rule may carry to say what it rests on."""


def _cited(fields: Mapping[str, Shape], required: frozenset[str] = frozenset()) -> Keys:
    return Keys({**fields, **_CITED}, required)


STRUCTURED_TYPES = ("list", "mapping")
FIELD_TYPES = (*PARSERS, *STRUCTURED_TYPES)
"""A field's type: one of the value parsers', or a list or mapping of further fields."""

FIELD: Shape = _cited(
    {
        "label": TEXT,
        "type": Scalar((str,), "字段类型", FIELD_TYPES),
        "unit": TEXT,
        "enum": TEXTS,
        "enum_from": TEXT,
        "range": RANGE,
        "required": BOOL,
        "when": CONDITION,
        "aliases": TEXTS,
        "example": Either((TEXT, NUMBER)),
        "together": TEXTS,
        "items": Named(Later(lambda: FIELD)),
    }
)
HEADING = _cited({"title": TEXT, "synonyms": TEXTS, "scaffold": TEXT}, frozenset({"title"}))
ATTACHMENT = _cited(
    {"label": TEXT, "folder": TEXT, "file": TEXT, "min": INT, "types": TEXTS, "when": CONDITION}
)
PERMIT_ITEM = Keys({"key": TEXT, "label": TEXT, "when": CONDITION}, frozenset({"key", "label"}))
DOCUMENT = _cited(
    {
        "label": TEXT,
        "location": TEXT,
        "count": Keys({"min": INT, "max": INT}),
        "fields": Named(FIELD),
        "headings": Keys({"ordered": BOOL, "items": Seq(HEADING)}),
        "attachments": Named(ATTACHMENT),
        "parcel_fields": Named(FIELD),
        "permit_items": Seq(PERMIT_ITEM),
        "permit_status": TEXTS,
        "table_captions": BOOL,
    },
    frozenset({"label"}),
)
INDICATOR = _cited(
    {
        "label": TEXT,
        "type": Scalar((str,), "指标类型", tuple(PARSERS)),
        "unit": TEXT,
        "comparator": COMPARATOR,
        "comparator_inferred": BOOL,
        "target": Either((NUMBER, NULL)),
        "status": TEXT,
        "range": RANGE,
    },
    frozenset({"label"}),
)
PHASE = _cited(
    {"key": TEXT, "label": TEXT, "start": Either((TEXT, NULL)), "end": Either((TEXT, NULL)),
     "status": TEXT},
    frozenset({"key", "label"}),
)  # fmt: skip
SCORING_MEASURES = ("materials", "indicators", "schedule", "reporting", "inspection")
"""How a 考核评分 criterion is measured (``scoring`` knows each)."""
CRITERION = _cited(
    {
        "key": TEXT,
        "label": TEXT,
        "measure": Scalar((str,), "评分方法", SCORING_MEASURES),
        "weight": NUMBER,
    },
    frozenset({"key", "label", "measure", "weight"}),
)
LABELLED = _cited({"key": TEXT, "label": TEXT}, frozenset({"key", "label"}))

RANGES = Keys(
    {"investment": Named(RANGE), "plan_area": RANGE, "parcel_area": RANGE, "zone_area": RANGE}
)
REVIEW = Keys(
    {
        "placeholders": _cited({"words": TEXTS, "patterns": TEXTS}),
        "land_use": Keys(
            {
                "standard": TEXT,
                "classes": TEXTS,
                "other_standard": TEXT,
                "other_classes": TEXTS,
                "names": Named(TEXTS),
            }
        ),
        "formats": Keys(
            {
                "doc_number": _cited({"pattern": TEXT, "example": TEXT}),
                "phone": _cited({"pattern": TEXT, "area_code": TEXT, "example": TEXT}),
                "document_date": _cited(
                    {"style": Scalar((str,), "成文日期写法", ("arabic", "hanzi"))}
                ),
            }
        ),
        "ranges": RANGES,
        "category_words": Named(TEXTS),
    }
)
"""What a reviewer knows: placeholder words, land-use class lists, formats, plausible ranges."""

PROFILE = Keys(
    {
        "profile": TEXT,
        "version": TEXT,
        "source_plan": Keys(
            {
                "title": TEXT,
                "issuer": TEXT,
                "plan_year": INT,
                "file": TEXT,
                "defects": Seq(_cited({"text": TEXT})),
            }
        ),
        "zones": _cited({"required": Seq(LABELLED)}),
        "project_categories": Seq(LABELLED),
        "funding_sources": _cited({"allowed": TEXTS}),
        "vocabulary": TEXTS,
        "phases": Seq(PHASE),
        "deadlines": Keys(
            {
                "brief_submission": _cited({"label": TEXT, "date": TEXT, "to": TEXT}),
                "weekly_report": _cited({"label": TEXT, "interval_days": INT}),
            }
        ),
        "indicators": Named(INDICATOR),
        "facility_status": TEXTS,
        "facilities": Named(_cited({"label": TEXT})),
        "market_attributes": _cited({"required": TEXTS}),
        "deliverables": Seq(
            Keys({"key": TEXT, "label": TEXT, "document": TEXT}, frozenset({"key", "document"}))
        ),
        "documents": Named(DOCUMENT),
        "outputs": Seq(_cited({"key": TEXT, "label": TEXT, "built": BOOL})),
        "review": REVIEW,
        "scoring": _cited({"criteria": Seq(CRITERION)}),
        "progress": _cited({"lag_tolerance": NUMBER}),
    },
)
"""templates/profile.yaml, every key of it."""


def validate(data: Any) -> tuple[Any, list[Problem]]:
    """``data`` cleaned to the declared shape, and the problems found on the way."""
    problems: list[Problem] = []
    cleaned = PROFILE.clean(data, (), problems)
    return ({} if cleaned is MISSING else cleaned), problems


def shape_at(path: Path) -> Shape | None:
    """The shape declared for ``path`` (list indices as any int), or None where none is."""
    shape: Shape = PROFILE
    for part in path:
        while isinstance(shape, Later):
            shape = shape.get()
        if isinstance(shape, Keys) and isinstance(part, str):
            found = shape.fields.get(part)
        elif isinstance(shape, Named):
            found = shape.value
        elif isinstance(shape, Seq) and isinstance(part, int):
            found = shape.item
        elif isinstance(shape, Either) and isinstance(part, int):
            found = next((s.item for s in shape.options if isinstance(s, Seq)), None)
        else:
            found = None
        if found is None:
            return None
        shape = found
    while isinstance(shape, Later):
        shape = shape.get()
    return shape
