"""Reading files: YAML keeps lines, bad YAML and non-UTF-8 text become located Chinese findings."""

from __future__ import annotations

from pathlib import Path

from townplans.model import SourceRef
from townplans.sources import parse_yaml, read_text, split_front_matter

REF = SourceRef("towns/x/town.yaml")


def test_yaml_records_the_line_of_every_key_and_item() -> None:
    located, findings = parse_yaml(
        "name: 渭城镇\nzones:\n  - name: 产业发展区\n    area: 68公顷\n", REF
    )
    assert findings == []
    assert located is not None
    assert located.line_of("name") == 1
    assert located.line_of("zones", 0, "area") == 4
    assert located.ref_of("zones", 0, "area") == SourceRef("towns/x/town.yaml", 4)


def test_line_offset_is_added_for_front_matter() -> None:
    located, _ = parse_yaml("title: 标题\ndate: 2023-09-25\n", REF, line_offset=1)
    assert located is not None
    assert located.line_of("date") == 3


def test_dates_stay_as_written_even_when_impossible() -> None:
    # PyYAML would raise on 2023-02-30 and turn 2023-09-25 into a date, losing the text.
    located, findings = parse_yaml("a: 2023-09-25\nb: 2023-02-30\n", REF)
    assert findings == []
    assert located is not None
    assert located.data == {"a": "2023-09-25", "b": "2023-02-30"}


def test_bad_yaml_is_a_finding_with_line_column_and_chinese_advice() -> None:
    located, findings = parse_yaml("name: 渭城镇\nindicators:\n  area: [1, 2\nmayor: 王\n", REF)
    assert located is None
    [finding] = findings
    assert finding.code == "TP002"
    assert finding.ref.path == REF.path
    assert finding.ref.line is not None and finding.ref.line >= 3
    assert "YAML 格式错误" in finding.message and "缩进" in finding.message


def test_tab_indentation_is_explained() -> None:
    _, findings = parse_yaml("a:\n\tb: 1\n", REF)
    assert "制表符" in findings[0].message
    assert findings[0].ref.line == 2


def test_duplicate_keys_are_reported_not_silently_overwritten() -> None:
    located, findings = parse_yaml("mayor: 甲\nphone: 1\nmayor: 乙\n", REF)
    assert located is not None and located.data["mayor"] == "乙"
    [finding] = findings
    assert finding.code == "TP004"
    assert finding.ref.line == 3
    assert "第一次在第 1 行" in finding.message


def test_gb18030_text_is_read_but_reported_with_the_first_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "brief.md"
    path.write_bytes("# 项目概况\n\n渭城镇滨河路改造。\n".encode("gb18030"))
    read = read_text(path, SourceRef("brief.md"))
    assert read.text is not None and "滨河路" in read.text
    [finding] = read.findings
    assert finding.code == "TP003"
    assert finding.ref.line == 1
    assert "GB18030" in finding.message and "UTF-8" in finding.message


def test_gb18030_first_bad_byte_line_is_exact(tmp_path: Path) -> None:
    path = tmp_path / "plan.md"
    path.write_bytes(b"---\ntitle: x\n---\n" + "第三行以后才有中文".encode("gb18030"))
    finding = read_text(path, SourceRef("plan.md")).findings[0]
    assert finding.ref.line == 4


def test_utf8_bom_is_accepted_silently(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_bytes("\ufeff# 标题\n".encode())
    read = read_text(path, SourceRef("a.md"))
    assert read.findings == () and read.text == "# 标题\n"


def test_undecodable_binary_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(b"\xff\xfe\xfa\x80\x81\xfe")
    read = read_text(path, SourceRef("a.md"))
    assert read.text is None
    assert read.findings[0].code == "TP003"


def test_front_matter_split_keeps_file_line_numbers() -> None:
    yaml_text, first, body = split_front_matter("---\ntitle: 标题\n---\n# 第一章\n正文\n")
    assert yaml_text == "title: 标题\n"
    assert first == 1
    assert body.splitlines()[3] == "# 第一章"


def test_text_without_front_matter_is_all_body() -> None:
    assert split_front_matter("# 标题\n") == (None, 0, "# 标题\n")


def test_unsafe_tags_are_never_constructed() -> None:
    located, findings = parse_yaml(
        "a: !!python/object/apply:os.system ['echo hi']\nb: !!python/name:os.system x\n", REF
    )
    assert located is not None
    assert located.data["b"] == "x"
    assert any("不支持的 YAML 标签" in f.message and f.ref.line == 2 for f in findings)
    assert any("python/object/apply" in f.message and f.ref.line == 1 for f in findings)
    assert located.data["a"] == ["echo hi"]


def test_alias_bombs_are_stopped() -> None:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [{', '.join(['*a' + str(i - 1)] * 10)}]" for i in range(1, 9)]
    located, findings = parse_yaml("\n".join(lines) + "\n", REF)
    assert located is None
    assert findings[0].code == "TP013" and "过大" in findings[0].message
