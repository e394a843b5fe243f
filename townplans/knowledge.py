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
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
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
from townplans.values import PARSERS

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
SHAPE = Keys(
    {
        "attributes": Named(ATTRIBUTE),
        "tables": Seq(TABLE),
        "patterns": Seq(PATTERN),
        "derivations": Seq(DERIVATION),
        "implications": Seq(IMPLICATION),
        "orders": Seq(ORDER),
        "containments": Seq(CONTAINMENT),
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


@dataclass(frozen=True)
class Knowledge:
    """Everything templates/knowledge/ declares, typed."""

    attributes: Mapping[str, Attribute] = field(default_factory=dict)
    tables: tuple[TableSpec, ...] = ()
    patterns: tuple[Pattern, ...] = ()
    derivations: tuple[Derivation, ...] = ()
    implications: tuple[Implication, ...] = ()
    orders: tuple[Order, ...] = ()
    containments: tuple[Containment, ...] = ()

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
        derivations=builder.derivations(sections.get("derivations", [])),
        implications=builder.implications(sections.get("implications", [])),
        orders=builder.orders(sections.get("orders", [])),
        containments=builder.containments(sections.get("containments", [])),
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
