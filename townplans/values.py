"""Read values the way Chinese offices write them: money, percentages, dates, areas, counts.

Every parser takes the raw value (a YAML scalar or a string), returns a ``Parsed`` holding the
normalised value *and* the original text, and raises ``ValueFormatError`` with a Chinese message
saying what was expected. Nothing here knows about files; callers add the location.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from townplans.limits import MAX_NUMBER_DIGITS, MAX_YEAR, MIN_YEAR


class ValueFormatError(ValueError):
    """A value that cannot be read; the message (Chinese) says what was expected."""


@dataclass(frozen=True, slots=True)
class Parsed:
    """A normalised value next to the text it was read from."""

    value: Any
    unit: str | None
    original: str


def normalise_text(raw: object) -> str:
    """Return ``raw`` as text with full-width digits, letters and punctuation made half-width.

    NFKC also turns ``㎡`` into ``m2`` and ``m²`` into ``m2``, which the unit tables rely on.
    """
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    # NFKC leaves these common office variants alone.
    return text.replace("—", "-").replace("～", "~").replace("〇", "0")


def _decimal(text: str, what: str, original: str) -> Decimal:
    cleaned = text.replace(",", "").replace(" ", "")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", cleaned):
        raise ValueFormatError(f"“{original}”不是{what}：应为数字，可带单位")
    digits = sum(char.isdigit() for char in cleaned)
    if digits > MAX_NUMBER_DIGITS:
        raise ValueFormatError(
            f"“{original}”的数字有 {digits} 位，超过 {MAX_NUMBER_DIGITS} 位的上限：请检查是否多打了数字"
        )
    try:
        return Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only valid decimals
        raise ValueFormatError(f"“{original}”不是{what}") from exc


def split_number_unit(text: str) -> tuple[str, str]:
    """``1,850 万元`` -> (``1,850``, ``万元``); ("", text) when it does not start with a number."""
    match = re.fullmatch(r"\s*([+-]?[\d,]*\.?\d+)\s*(.*?)\s*", text)
    if match is None:
        return "", text
    return match.group(1), match.group(2)


# -- money ------------------------------------------------------------------------------------

MONEY_UNITS: dict[str, Decimal] = {
    "万元": Decimal(1),
    "万": Decimal(1),
    "亿元": Decimal(10000),
    "亿": Decimal(10000),
    "元": Decimal("0.0001"),
    "千元": Decimal("0.1"),
}
"""Factors to 万元, the unit planning documents use for investment."""


def parse_money(raw: object, default_unit: str = "万元") -> Parsed:
    """Read an amount of money into 万元: ``1200``, ``1200万元``, ``1.2亿元``, ``12,000,000元``."""
    original = str(raw).strip()
    if isinstance(raw, bool) or raw is None or original == "":
        raise ValueFormatError(f"“{original}”不是金额：应为数字加单位，如 1200万元")
    number, unit = split_number_unit(normalise_text(raw))
    unit = unit or default_unit
    if not number or unit not in MONEY_UNITS:
        raise ValueFormatError(
            f"“{original}”不是金额：应为数字加单位（万元、亿元或元），如 1200万元、1.2亿元"
        )
    amount = _decimal(number, "金额", original)
    if amount < 0:
        raise ValueFormatError(f"“{original}”是负数：金额不能为负")
    return Parsed(_tidy(amount * MONEY_UNITS[unit]), "万元", original)


def _tidy(value: Decimal) -> Decimal:
    """Drop trailing zeros without switching to exponent notation (1.20E+3 -> 1200)."""
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral() else normal


# -- percentages --------------------------------------------------------------------------------


def parse_percent(raw: object) -> Parsed:
    """Read a percentage as a number of percent: ``30%``, ``30``, ``百分之三十`` is not accepted."""
    original = str(raw).strip()
    if isinstance(raw, bool) or raw is None or original == "":
        raise ValueFormatError(f"“{original}”不是百分数：应为如 30% 的数值")
    text = normalise_text(raw)
    number, unit = split_number_unit(text)
    if not number or unit not in ("%", "", "percent"):
        raise ValueFormatError(f"“{original}”不是百分数：应为如 30% 或 30 的数值")
    return Parsed(_tidy(_decimal(number, "百分数", original)), "%", original)


# -- dates -----------------------------------------------------------------------------------------

_DATE_PATTERNS = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})"),
    re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]"),
)


def parse_date(raw: object) -> Parsed:
    """Read a calendar date: ``2023-09-25``, ``2023年9月25日``, ``2023/9/25``.

    An impossible date (``2023年2月30日``) is an error naming the month's length; it is never
    rolled over into the next month.
    """
    if isinstance(raw, dt.date):
        given = raw.date() if isinstance(raw, dt.datetime) else raw
        shown = raw.isoformat()
        return Parsed(_valid_date(given.year, given.month, given.day, shown), None, shown)
    original = str(raw).strip()
    text = normalise_text(raw)
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            year, month, day = (int(part) for part in match.groups())
            return Parsed(_valid_date(year, month, day, original), None, original)
    raise ValueFormatError(f"“{original}”不是日期：应写作 2023-09-25、2023年9月25日 或 2023/9/25")


def _valid_date(year: int, month: int, day: int, original: str) -> dt.date:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueFormatError(
            f"“{original}”的年份 {year} 不在 {MIN_YEAR}–{MAX_YEAR} 年之间：请检查是否打错"
        )
    if not 1 <= month <= 12:
        raise ValueFormatError(f"“{original}”不是有效日期：月份应为 1–12，实为 {month}")
    days_in_month = _days_in_month(year, month)
    if not 1 <= day <= days_in_month:
        raise ValueFormatError(
            f"“{original}”不是有效日期：{year}年{month}月只有{days_in_month}天，实为{day}日"
        )
    return dt.date(year, month, day)


_YEAR = r"(\d{4})\s*年?"
_PERIOD = re.compile(rf"(?:{_YEAR}\s*(?:-|~|至|到)\s*)?(?:至\s*)?{_YEAR}")


def parse_period(raw: object) -> Parsed:
    """Read a span of years: ``2021—2035年``, ``2021-2035``, ``2023至2025年``, ``至2025年`` (an
    open start). The value is (first day of the first year or None, last day of the last year)."""
    original = str(raw).strip()
    text = normalise_text(raw)
    match = _PERIOD.fullmatch(text.replace(" ", ""))
    if match is None:
        raise ValueFormatError(f"“{original}”不是年限：应写作 2021—2035年 或 至2025年")
    first, last = (int(part) if part else None for part in match.groups())
    for year in (first, last):
        if year is not None and not MIN_YEAR <= year <= MAX_YEAR:
            raise ValueFormatError(
                f"“{original}”的年份 {year} 不在 {MIN_YEAR}–{MAX_YEAR} 年之间：请检查是否打错"
            )
    assert last is not None  # the pattern's second year is not optional
    if first is not None and first > last:
        raise ValueFormatError(f"“{original}”的起始年份晚于结束年份")
    start = dt.date(first, 1, 1) if first is not None else None
    return Parsed((start, dt.date(last, 12, 31)), None, original)


def _days_in_month(year: int, month: int) -> int:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return (following - dt.timedelta(days=1)).day


# -- quantities with units -----------------------------------------------------------------------

AREA_UNITS: dict[str, tuple[str, Decimal]] = {
    "m2": ("m2", Decimal(1)),
    "平方米": ("m2", Decimal(1)),
    "平米": ("m2", Decimal(1)),
    "ha": ("m2", Decimal(10000)),
    "hm2": ("m2", Decimal(10000)),
    "公顷": ("m2", Decimal(10000)),
    "亩": ("m2", Decimal(10000) / Decimal(15)),
    "km2": ("m2", Decimal(1000000)),
    "平方公里": ("m2", Decimal(1000000)),
    "平方千米": ("m2", Decimal(1000000)),
    "万m2": ("m2", Decimal(10000)),
    "万平方米": ("m2", Decimal(10000)),
}
"""Area units (after NFKC: ``㎡``/``m²`` -> ``m2``) and their factor to square metres."""

AREA_TARGET_UNITS: dict[str, Decimal] = {
    "m2": Decimal(1),
    "ha": Decimal(10000),
    "km2": Decimal(1000000),
}

AREA_LABELS = {"m2": "㎡", "ha": "公顷", "km2": "km²"}


def parse_area(raw: object, unit: str = "m2") -> Parsed:
    """Read an area into ``unit`` (``m2``, ``ha`` or ``km2``): ``2.3 km²``, ``15公顷``, ``800㎡``.

    A bare number is taken to be in ``unit`` already.
    """
    original = str(raw).strip()
    if isinstance(raw, bool) or raw is None or original == "":
        raise ValueFormatError(f"“{original}”不是面积：应为数字加单位，如 2.3平方公里")
    number, written_unit = split_number_unit(normalise_text(raw))
    written_unit = written_unit.replace(" ", "")
    if not number:
        raise ValueFormatError(f"“{original}”不是面积：应为数字加单位，如 2.3平方公里、15公顷")
    value = _decimal(number, "面积", original)
    if value < 0:
        raise ValueFormatError(f"“{original}”是负数：面积不能为负")
    if written_unit == "":
        return Parsed(_tidy(value), unit, original)
    if written_unit not in AREA_UNITS:
        raise ValueFormatError(
            f"“{original}”的面积单位“{written_unit}”无法识别：应为 ㎡、m²、平方米、公顷、亩 或 km²"
        )
    square_metres = value * AREA_UNITS[written_unit][1]
    return Parsed(_tidy(square_metres / AREA_TARGET_UNITS[unit]), unit, original)


PER_CAPITA_UNITS = {"m2/人", "平方米/人", "m2/cap"}


def parse_per_capita_area(raw: object) -> Parsed:
    """Read an area per person in m²/人: ``8``, ``8.5㎡/人``, ``8平方米/人``."""
    original = str(raw).strip()
    number, unit = split_number_unit(normalise_text(raw))
    unit = unit.replace(" ", "")
    if not number or (unit and unit not in PER_CAPITA_UNITS):
        raise ValueFormatError(f"“{original}”不是人均面积：应为数字，单位 ㎡/人，如 8.5㎡/人")
    value = _decimal(number, "人均面积", original)
    if value < 0:
        raise ValueFormatError(f"“{original}”是负数：人均面积不能为负")
    return Parsed(_tidy(value), "m2/人", original)


def parse_number(raw: object, allowed_units: tuple[str, ...] = ()) -> Parsed:
    """Read a plain number, optionally followed by one of ``allowed_units`` (e.g. 个、座、人)."""
    original = str(raw).strip()
    if isinstance(raw, bool) or raw is None:
        raise ValueFormatError(f"“{original}”不是数值")
    number, unit = split_number_unit(normalise_text(raw))
    if not number or (unit and unit not in allowed_units):
        expected = "、".join(allowed_units) if allowed_units else "无单位"
        raise ValueFormatError(f"“{original}”不是数值：应为数字（单位：{expected}）")
    return Parsed(_tidy(_decimal(number, "数值", original)), unit or None, original)


def parse_count(raw: object) -> Parsed:
    """Read a count (people, households, items) with an optional unit such as 人、个; never negative."""
    parsed = parse_number(raw, COUNT_UNITS)
    if parsed.value < 0:
        raise ValueFormatError(f"“{parsed.original}”是负数：数量不能为负")
    return parsed


def parse_text(raw: object) -> Parsed:
    """Accept any non-empty scalar as text."""
    if raw is None or isinstance(raw, (dict, list)) or not str(raw).strip():
        raise ValueFormatError("应为非空文字")
    return Parsed(str(raw).strip(), None, str(raw))


def names_of(raw: object) -> tuple[str, ...]:
    """The names a field lists: one name (``signer: 冯涛``) or a list of them
    (``signer: [冯涛, 李明]``), each stripped; empty when there are none."""
    items = raw if isinstance(raw, list) else [raw]
    return tuple(
        str(item).strip()
        for item in items
        if item is not None and not isinstance(item, (dict, list)) and str(item).strip()
    )


def parse_names(raw: object) -> Parsed:
    """Accept one name or a list of names (签发人); the value is the names joined by “、”."""
    names = names_of(raw)
    if isinstance(raw, dict) or not names or (isinstance(raw, list) and len(names) != len(raw)):
        raise ValueFormatError("应为一个姓名或姓名列表（每项以“- ”开头）")
    return Parsed("、".join(names), None, "、".join(names))


COUNT_UNITS = ("个", "座", "处", "家", "所", "条", "人", "户", "盏", "株", "栋", "块", "辆")
"""Units a count may carry (1个、27600人、108盏)."""

PARSERS: dict[str, Callable[[object], Parsed]] = {
    "money": parse_money,
    "percent": parse_percent,
    "date": parse_date,
    "area": parse_area,
    "area_km2": lambda raw: parse_area(raw, "km2"),
    "area_ha": lambda raw: parse_area(raw, "ha"),
    "per_capita_area": parse_per_capita_area,
    "number": parse_number,
    "count": parse_count,
    "text": parse_text,
    "names": parse_names,
    "period": parse_period,
}
"""Field types a profile may name, and the parser for each."""


# -- placeholders ----------------------------------------------------------------------------------

PLACEHOLDER = "【待填写"
"""The scaffold's mark for a value still to be written (【待填写：联系电话，如 029-33210000】)."""

_PLACEHOLDER_TEXT = re.compile(
    r"^\s*(【[^】]*】|待补充|待填写|待填|待定|待确认|暂无|略|TODO|TBD|FIXME|[XＸ]{2,}|[×x]{2,}|…+|\.{3,}|—+|-+|/)\s*[。.]?\s*$",
    re.IGNORECASE,
)
"""Values offices leave where a fact should be: a scaffold's 【待填写】, 待补充, 待定, XX, ……"""


def is_placeholder(raw: object) -> bool:
    """A value that stands where a fact should be (it counts as empty): the scaffold's 【待填写…】
    anywhere in it, or a value that is nothing but 待补充, 待定, XX, ……, TODO and the like. It is
    reported once, as not filled in (TP202, TP405); no rule reads it as a value."""
    if not isinstance(raw, str):
        return False
    return PLACEHOLDER in raw or bool(_PLACEHOLDER_TEXT.match(raw))


# -- lenient readers: a value or None ---------------------------------------------------------------


def money_or_none(raw: object) -> Decimal | None:
    """An amount in 万元 (``1850万元``, ``1.2亿元``, ``1,850``, ``1，850万元``), or None."""
    try:
        value = parse_money(str(raw).replace("，", ","), "万元").value
    except ValueFormatError:
        return None
    return value if isinstance(value, Decimal) else None


def hectares_or_none(raw: object) -> Decimal | None:
    """An area in 公顷 as written anywhere (12.5公顷, 8万平方米, 0.2平方公里), or None."""
    if raw is None:
        return None
    try:
        value = parse_area(raw, "ha").value
    except ValueFormatError:
        return None
    return value if isinstance(value, Decimal) else None


def date_or_none(raw: object) -> dt.date | None:
    """A date from any raw value (YAML outside the profile's typed fields), or None."""
    if raw is None:
        return None
    try:
        value = parse_date(raw).value
    except ValueFormatError:
        return None
    return value if isinstance(value, dt.date) else None


def unit_factor(unit: str, field_type: str) -> Decimal | None:
    """What one ``unit`` is in the unit ``field_type`` reads into (亿元 as money: 10000 万元; 平方公里
    as area_ha: 100 公顷); None for a unit that kind does not know."""
    try:
        value = PARSERS[field_type](f"1{unit}").value
    except ValueFormatError:
        return None
    return value if isinstance(value, Decimal) else None


# -- figures in running text and table cells -----------------------------------------------------------

MONEY_FIGURE = r"([0-9][0-9,.]*)\s*(万元|亿元)"
"""An amount written in a sentence: groups (number, unit); read it with ``money_or_none``."""

MONEY_FIGURE_LOOSE = r"([0-9０-９.,，]+)\s*(万元|亿元|万|亿)"
"""An amount as a brief's text may write it (full-width digits, 万 for 万元)."""

AREA_FIGURE = r"([0-9]+(?:\.[0-9]+)?)\s*(平方公里|平方千米|公顷|㎡|平方米|亩)"
"""An area written in a sentence: groups (number, unit); read it with ``hectares_or_none``."""

_CELL_NUMBER = re.compile(r"^[+-]?\d[\d,]*(?:\.\d+)?$|^[+-]?\.\d+$")
_CELL_UNITS = re.compile(
    r"\s*(%|％|万元|亿元|元|公顷|ha|平方公里|km2|㎡|m2|平方米|米|m|个|人|盏|处|座)$"
)


def cell_number(text: str) -> Decimal | None:
    """A plain number written in a table cell or text (``1,850``, ``37.1``, ``37.1%``, ``**12**``),
    its unit dropped (a column's unit is its header's), decimal places kept; else None."""
    normal = unicodedata.normalize("NFKC", text).strip().strip("*").strip()
    normal = _CELL_UNITS.sub("", normal)
    if not _CELL_NUMBER.match(normal):
        return None
    try:
        return Decimal(normal.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        return None


def decimals(value: Decimal) -> int:
    """How many decimal places a written number has (``37.10`` -> 2)."""
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


_FULL_DATE = re.compile(
    r"(?<!\d)(\d{4})(?:\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]|([-/.])(\d{1,2})\4(\d{1,2})(?!\d))"
)
_DIGIT = re.compile(r"\d")
_MONTH_DAY = re.compile(r"(?<![\d年])(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")
_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
"""Days in each month, February counted as 29 (a month and day without a year)."""


def impossible_dates(text: str) -> Iterator[str]:
    """Why each date written in ``text`` cannot exist (``parse_date``'s words)."""
    normal = unicodedata.normalize("NFKC", text)
    if not _DIGIT.search(normal):
        return  # both patterns need a digit; most strings have none
    for match in _FULL_DATE.finditer(normal):
        try:
            parse_date(match.group(0))
        except ValueFormatError as exc:
            yield str(exc)
    for match in _MONTH_DAY.finditer(_FULL_DATE.sub(" ", normal)):
        month, day = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            yield f"“{match.group(0)}”不是有效日期：月份应为 1–12，实为 {month}"
        elif not 1 <= day <= _DAYS[month - 1]:
            yield f"“{match.group(0)}”不是有效日期：{month}月只有{_DAYS[month - 1]}天，实为{day}日"


# -- figures as written (for printing) -----------------------------------------------------------------


def written(raw: object) -> Decimal:
    """The number at the start of ``raw`` as written (full-width digits and thousands separators
    read, decimal places kept): ``2.0`` -> 2.0, ``1,850万元`` -> 1850; 0 when there is none."""
    number, _ = split_number_unit(normalise_text(raw))
    try:
        return Decimal(number.replace(",", "")) if number else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


class Written(Protocol):
    """A value read from text that keeps the text: a ``Parsed``, a fact's ``Quantity``."""

    @property
    def value(self) -> Any: ...

    @property
    def original(self) -> str: ...


def as_written(parsed: Written) -> Decimal:
    """A parsed number with the decimal places it was written with, when it was written in the
    unit it is shown in (``2.0`` -> 2.0, ``12.60公顷`` -> 12.60); a converted value (``1.2亿元``
    in 万元) as computed (12000); 0 for a value that is no number."""
    value = parsed.value
    if not isinstance(value, Decimal):
        return Decimal(0)
    shown = written(parsed.original)
    return shown if shown == value else value
