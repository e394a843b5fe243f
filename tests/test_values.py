"""Value parsing as offices write it: every format, with good and bad examples and their messages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from townplans.values import (
    ValueFormatError,
    normalise_text,
    parse_area,
    parse_date,
    parse_money,
    parse_number,
    parse_per_capita_area,
    parse_percent,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1200, Decimal(1200)),
        ("1200", Decimal(1200)),
        ("1200万元", Decimal(1200)),
        ("1200 万元", Decimal(1200)),
        ("1200万", Decimal(1200)),
        ("1.2亿元", Decimal(12000)),
        ("12,000,000元", Decimal(1200)),
        ("１２００万元", Decimal(1200)),  # full-width digits
        ("0.5万元", Decimal("0.5")),
        (12.5, Decimal("12.5")),
    ],
)
def test_money_formats_normalise_to_wan_yuan(raw: object, expected: Decimal) -> None:
    parsed = parse_money(raw)
    assert parsed.value == expected
    assert parsed.unit == "万元"
    assert parsed.original == str(raw).strip()


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("一千二百万元", "不是金额"),
        ("1200美元", "万元、亿元或元"),
        ("-50万元", "不能为负"),
        ("", "不是金额"),
        (True, "不是金额"),
        ("12,00.0.1万元", "不是金额"),
    ],
)
def test_bad_money_says_what_was_expected(raw: object, fragment: str) -> None:
    with pytest.raises(ValueFormatError, match=fragment):
        parse_money(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("30%", Decimal(30)),
        ("30", Decimal(30)),
        (30, Decimal(30)),
        ("33.5％", Decimal("33.5")),
        ("１００%", Decimal(100)),
    ],
)
def test_percent(raw: object, expected: Decimal) -> None:
    assert parse_percent(raw).value == expected


@pytest.mark.parametrize("raw", ["百分之三十", "30‰", "很高", None])
def test_bad_percent(raw: object) -> None:
    with pytest.raises(ValueFormatError, match="不是百分数"):
        parse_percent(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "2023-09-25",
        "2023年9月25日",
        "2023/9/25",
        "2023.9.25",
        "2023年09月25日",
        "２０２３年９月２５日",
        "2023年9月25号",
    ],
)
def test_dates_in_office_formats(raw: str) -> None:
    parsed = parse_date(raw)
    assert parsed.value == dt.date(2023, 9, 25)
    assert parsed.original == raw


def test_date_objects_are_accepted() -> None:
    assert parse_date(dt.date(2023, 7, 25)).value == dt.date(2023, 7, 25)


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("2023年2月30日", "2023年2月只有28天，实为30日"),
        ("2023-09-31", "2023年9月只有30天，实为31日"),
        ("2024-02-30", "2024年2月只有29天"),
        ("2023-13-01", "月份应为 1–12，实为 13"),
        ("2023-00-10", "月份应为 1–12"),
        ("9月25日", "应写作 2023-09-25"),
        ("下周五", "不是日期"),
    ],
)
def test_impossible_dates_are_errors_never_rolled_over(raw: str, fragment: str) -> None:
    with pytest.raises(ValueFormatError, match=fragment):
        parse_date(raw)


@given(st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_every_real_date_reads_back_in_each_format(day: dt.date) -> None:
    for text in (
        day.isoformat(),
        f"{day.year}年{day.month}月{day.day}日",
        f"{day.year}/{day.month}/{day.day}",
    ):
        assert parse_date(text).value == day


@given(st.integers(min_value=1950, max_value=2100), st.integers(1, 12), st.integers(29, 40))
def test_days_beyond_the_month_always_fail(year: int, month: int, day: int) -> None:
    try:
        real = dt.date(year, month, day)
    except ValueError:
        with pytest.raises(ValueFormatError, match="只有"):
            parse_date(f"{year}-{month}-{day}")
    else:
        assert parse_date(f"{year}-{month}-{day}").value == real


@pytest.mark.parametrize(
    ("raw", "unit", "expected"),
    [
        ("800㎡", "m2", Decimal(800)),
        ("800m²", "m2", Decimal(800)),
        ("800平方米", "m2", Decimal(800)),
        ("800 m2", "m2", Decimal(800)),
        ("1.5公顷", "m2", Decimal(15000)),
        ("15公顷", "km2", Decimal("0.15")),
        ("2.3km²", "km2", Decimal("2.3")),
        ("2.3平方公里", "km2", Decimal("2.3")),
        ("205公顷", "km2", Decimal("2.05")),
        ("3亩", "m2", Decimal(2000)),
        ("12.5", "ha", Decimal("12.5")),  # bare number: already in the wanted unit
        ("２.３平方公里", "km2", Decimal("2.3")),
    ],
)
def test_areas_convert_between_units(raw: str, unit: str, expected: Decimal) -> None:
    parsed = parse_area(raw, unit)
    assert parsed.value == expected
    assert parsed.unit == unit


@pytest.mark.parametrize(
    ("raw", "fragment"), [("12平方英尺", "单位“平方英尺”无法识别"), ("很大", "不是面积")]
)
def test_bad_areas(raw: str, fragment: str) -> None:
    with pytest.raises(ValueFormatError, match=fragment):
        parse_area(raw)


@pytest.mark.parametrize("raw", ["8", "8.5㎡/人", "8平方米/人", "8 m²/人"])
def test_per_capita_area(raw: str) -> None:
    assert parse_per_capita_area(raw).unit == "m2/人"


def test_per_capita_area_rejects_plain_area_units() -> None:
    with pytest.raises(ValueFormatError, match="㎡/人"):
        parse_per_capita_area("8公顷")


def test_counts_accept_listed_units_only() -> None:
    assert parse_number("2个", ("个",)).value == 2
    with pytest.raises(ValueFormatError, match="单位：个"):
        parse_number("2吨", ("个",))


def test_full_width_text_is_normalised() -> None:
    assert normalise_text("１２３．５％") == "123.5%"
    assert normalise_text("㎡") == "m2"


@given(st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False))
def test_money_in_yuan_and_wan_yuan_agree(amount: Decimal) -> None:
    yuan = amount * 10000
    assert parse_money(f"{yuan:,.2f}元").value == parse_money(f"{amount}万元").value
