"""Errors a user reads are Chinese (issue 19): an internal error, a failed output, a broken template,
a YAML mistake, a damaged package or style file never puts an exception's English text (or its
class) in front of the planner; ``--debug`` adds both, with the traceback, for a bug report."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import jinja2
import pytest
from click.testing import CliRunner

from townplans import build, errortext, pipeline, reproducible, templating
from townplans.cli import cli
from townplans.model import SourceRef
from townplans.package import verify
from townplans.profile import load_profile
from townplans.render.style import StyleError, load_style
from townplans.sources import internal_error, parse_yaml

ENGLISH = re.compile(r"[A-Za-z]+,? [a-z]+ [a-z]+")
"""Three English words in a row: a sentence of an exception (``maximum recursion depth``,
``access to attribute``, ``did not find``); names in a message (YAML, Python, a key) are single."""


FOREIGN: list[Exception] = [
    RecursionError("maximum recursion depth exceeded while calling a Python object"),
    OverflowError("date value out of range"),
    ZeroDivisionError("division by zero"),
    KeyError("missing"),
]


@pytest.fixture(autouse=True)
def no_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start without ``--debug``. The CLI sets TOWNPLANS_DEBUG in this process when it is given;
    ``setenv`` first makes monkeypatch record the variable, so it is removed again after the test
    (``delenv`` of an unset variable records nothing, and the CLI's value would leak into every
    later test of this worker, and into the commands they run)."""
    monkeypatch.setenv("TOWNPLANS_DEBUG", "")
    monkeypatch.delenv("TOWNPLANS_DEBUG")


def _english(text: str) -> list[str]:
    return ENGLISH.findall(text)


def _raising(exc: BaseException) -> Callable[..., object]:
    def fail(*args: object, **kwargs: object) -> object:
        raise exc

    return fail


@pytest.mark.parametrize("exc", FOREIGN, ids=lambda e: type(e).__name__)
def test_an_internal_error_is_chinese_and_english_only_with_debug(
    exc: BaseException, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(pipeline, "run_check", _raising(exc))
    result = CliRunner().invoke(cli, ["--root", str(tmp_path), "check"])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("townplans: ") and "--debug" in result.output
    assert re.search(r"[\u4e00-\u9fff]", result.output.splitlines()[0]), result.output
    assert not _english(result.output) and type(exc).__name__ not in result.output, result.output
    debug = CliRunner().invoke(cli, ["--root", str(tmp_path), "--debug", "check"])
    assert debug.exit_code == 2 and type(exc).__name__ in debug.output, debug.output
    assert "Traceback" in debug.output and debug.output.startswith("townplans: ")


def test_recursion_is_told_as_nesting_too_deep(monkeypatch: pytest.MonkeyPatch) -> None:
    said = errortext.unexpected(RecursionError("maximum recursion depth exceeded"))
    assert "嵌套层数过多" in said and not _english(said)


@pytest.mark.parametrize("exc", FOREIGN, ids=lambda e: type(e).__name__)
def test_a_failed_output_and_a_failed_town_name_no_english(
    exc: Exception, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = build.Target(
        "渭城镇总体规划.docx", Path("build/x.docx"), (), lambda: build.Made(b""), SourceRef("t")
    )
    findings = [build.failure_finding(target, exc), internal_error(exc, SourceRef("t"), "读取")]
    for finding in findings:
        assert "程序内部错误" in finding.message or "嵌套" in finding.message
        assert not _english(finding.message) and type(exc).__name__ not in finding.message
    monkeypatch.setenv("TOWNPLANS_DEBUG", "1")
    for finding in (build.failure_finding(target, exc), internal_error(exc, SourceRef("t"), "读")):
        assert type(exc).__name__ in finding.message and str(exc.args[0]) in finding.message


@pytest.mark.parametrize(
    ("template", "chinese"),
    [
        ("{{ cycler.__init__.__globals__ }}", "不安全"),
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "不安全"),
        ("{% for x in %}", "缺少表达式"),
        ("{% if 1 %}", "模板意外结束"),
        ("{% nosuch %}", "未知的标记 nosuch"),
        ("{{ x | nosuchfilter }}", "没有名为 nosuchfilter 的过滤器"),
        ("{{ nosuchname }}", "未定义的名称 nosuchname"),
        ("{{ values.nosuchkey }}", "不存在的属性或键 nosuchkey"),
        ("{{ 1 + 'a' }}", "类型不对"),
        ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "嵌套层数过多"),
    ],
)
def test_template_errors_are_chinese_at_their_line(
    template: str, chinese: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = templating.environment()
    env.loader = jinja2.DictLoader({"t.md.j2": "第一行\n" + template})

    def render() -> templating.TemplateError:
        with pytest.raises(templating.TemplateError) as raised:
            templating.render(env, "t.md.j2", "templates/documents/t.md.j2", values={})
        return raised.value

    error = render()
    assert chinese in error.message and not _english(error.message), error.message
    assert error.line == 2 and error.path == "templates/documents/t.md.j2"
    monkeypatch.setenv("TOWNPLANS_DEBUG", "1")
    assert "（调试信息）" in render().message


@pytest.mark.parametrize(
    "text",
    ["a: [b\n", "a: 'b\n", "a:\n  - b\n c: d\n", "a: b: c\n", "? [a\n", "a: @b\n", 'a: "\\q"\n'],
)
def test_yaml_mistakes_are_chinese(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _, findings = parse_yaml(text, SourceRef("towns/x/town.yaml"))
    messages = [f.message for f in findings]
    assert messages and all(not _english(m) for m in messages), messages
    monkeypatch.setenv("TOWNPLANS_DEBUG", "1")
    _, findings = parse_yaml(text, SourceRef("towns/x/town.yaml"))
    assert any(_english(f.message) for f in findings), [f.message for f in findings]


def test_a_damaged_package_is_told_in_chinese(tmp_path: Path) -> None:
    package = tmp_path / "p.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("manifest.json", "{not json")
    problems = verify(package).problems
    assert any("manifest.json 无法读取" in p for p in problems), problems
    assert not any(_english(p) for p in problems), problems
    truncated = tmp_path / "t.zip"
    truncated.write_bytes(package.read_bytes()[:-30])
    problems = verify(truncated).problems
    assert problems and not any(_english(p) for p in problems), problems


@pytest.mark.parametrize(
    ("edit", "chinese"),
    [
        (("page:\n", "page: 纸张\nold_page:\n"), "结构不对"),
        (
            ("pdf: [FangSong, FandolFang, Noto Serif CJK SC], size: 16}", "pdf: 5, size: 16}"),
            "结构不对",
        ),
        (
            ("plan_headings:\n", "plan_headings:\n  - {name: 坏, pattern: '[第', font: body}\n"),
            "方括号 [ 没有闭合",
        ),
    ],
)
def test_a_broken_style_file_is_told_in_chinese(
    edit: tuple[str, str], chinese: str, repo: Path, tmp_path: Path
) -> None:
    text = (repo / "templates/style.yaml").read_text(encoding="utf-8")
    assert edit[0] in text, edit[0]
    style = tmp_path / "style.yaml"
    style.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(StyleError) as raised:
        load_style(style)
    message = str(raised.value)
    assert chinese in message and not _english(message), message


def test_an_invalid_profile_pattern_says_where_in_chinese(repo: Path, tmp_path: Path) -> None:
    text = (repo / "templates/profile.yaml").read_text(encoding="utf-8")
    match = re.search(r"pattern: (\S+)", text)
    assert match is not None
    (tmp_path / "profile.yaml").write_text(
        text.replace(match.group(0), "pattern: '(第'", 1), encoding="utf-8"
    )
    result = load_profile(tmp_path / "profile.yaml", tmp_path)
    said = [f.message for f in result.findings if "正则表达式" in f.message]
    assert said and "第 1 个字符处圆括号 ( 没有闭合" in said[0], said
    assert not _english(said[0]), said


def test_source_stamp_never_overflows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "253402300800")
    assert reproducible.source_stamp(dt.date(2023, 9, 15)) == dt.datetime(2023, 9, 15)
