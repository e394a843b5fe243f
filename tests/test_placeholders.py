"""A town whose check has no errors has no 【缺 in any of its outputs: the fixed forms show the
fields that apply, "—" for an optional one left empty, and 【缺：…】 only where the checker
reports a missing required field as an error. Asserted for the sample towns that check clean and
for a town scaffolded with ``townplans init`` / ``new`` and filled, from the profile's declared
types, until ``check`` has no errors."""

from __future__ import annotations

import datetime as dt
import random
import re
import subprocess
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import docx
import pytest
import yaml
from click.testing import CliRunner
from docx.oxml.ns import qn
from PIL import Image, ImageDraw

from tests.conftest import copy_workspace
from townplans import pipeline
from townplans.check import Selection
from townplans.cli import cli
from townplans.model import Finding, Severity
from townplans.profile import Condition, DocumentType, FieldSpec, Profile, load_profile

PLACEHOLDER = "【待填写"
MISSING = "【缺"


# -- reading every output back -------------------------------------------------------------------


def docx_text(path: Path) -> str:
    """Every text of a Word document: body, tables, headers and footers (python-docx)."""
    document = docx.Document(str(path))
    parts = [document.element.body]
    for section in document.sections:
        parts += [section.header._element, section.footer._element]
        parts += [section.even_page_footer._element, section.first_page_footer._element]
    return "".join(node.text or "" for part in parts for node in part.iter(qn("w:t")))


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def outputs(folder: Path) -> Iterator[tuple[Path, str]]:
    """(file, text without white space) of every document and album in a town's build folder."""
    for path in sorted(folder.iterdir()):
        if path.suffix == ".docx":
            yield path, "".join(docx_text(path).split())
        elif path.suffix == ".pdf":
            yield path, "".join(pdf_text(path).split())


def missing_marks(folder: Path) -> dict[str, list[str]]:
    """Each output holding a 【缺…】 mark, with the marks it holds."""
    found = {}
    for path, text in outputs(folder):
        marks = re.findall(r"【缺[^】]{0,40}】?", text)
        if marks:
            found[path.name] = marks
    return found


def errors(findings: tuple[Finding, ...] | list[Finding]) -> list[str]:
    return [str(f) for f in findings if f.severity is Severity.ERROR]


# -- the sample towns ----------------------------------------------------------------------------


@pytest.mark.slow
def test_clean_sample_towns_print_no_missing_marks(built_district: Path) -> None:
    """The sample as built once per test run (read only)."""
    root = built_district
    _, result = pipeline.run_check(root, Selection(), dt.date(2023, 9, 20))
    towns = sorted(p.name for p in (root / "towns").iterdir() if p.is_dir())
    dirty = {f.ref.path.split("/")[1] for f in result.findings if f.severity is Severity.ERROR}
    clean = [town for town in towns if town not in dirty]
    assert clean == ["dizhang", "weicheng", "zhengyang", "zhouling"]  # towns/README.md
    for town in clean:
        folder = root / "build" / town
        assert len(list(folder.glob("*.docx"))) >= 6 and len(list(folder.glob("*.pdf"))) >= 6
        assert missing_marks(folder) == {}, town


def _form(root: Path, slug: str) -> dict[str, Any]:
    from townplans.load import load_workspace
    from townplans.render import documents

    profile = load_profile(root / "templates/profile.yaml", root).profile
    assert profile is not None
    workspace = load_workspace(root, profile)
    templates = documents.Templates(root / "templates/documents")
    assembler = documents.Assembler(root, profile, templates, workspace.district)
    town = workspace.town("weicheng")
    assert town is not None
    project = next(p for p in town.projects if p.slug == slug)
    return assembler._brief_form(town, project, None)


def test_the_brief_form_shows_what_applies_and_marks_only_required_gaps(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    brief = root / "towns/weicheng/projects/market-upgrade/brief.md"  # 70 %
    text = brief.read_text(encoding="utf-8")
    for line in (
        "nature: 改扩建\n",
        "phone: 029-33216533\n",
        "  tender: 已办理\n",
    ):
        assert line in text
        text = text.replace(line, "")
    brief.write_text(text.replace("owner: 渭城镇农贸市场管理有限公司\n", ""), encoding="utf-8")
    form = _form(root, "market-upgrade")
    values = {row["label"]: row["value"] for row in form["form"]}
    assert values["建设性质"] == "—" and values["联系电话"] == "—"  # optional, left empty
    assert values["建设单位"] == "【缺：建设单位】"  # required: the checker's TP201 error
    permits = {row["label"]: row["status"] for row in form["permits"]}
    assert permits["招投标"] == "未说明"  # applies, not stated: TP305 warns
    assert "竣工验收" not in permits  # 70 %: does not apply yet
    brief.write_text(re.sub(r"permits:\n(  .*\n)+", "", text), encoding="utf-8")
    permits = {row["label"]: row["status"] for row in _form(root, "market-upgrade")["permits"]}
    assert permits["立项批复或备案"] == "【缺：立项批复或备案】"  # no permits at all: TP201
    assert "竣工验收" not in permits


# -- a scaffolded town, filled from the profile ------------------------------------------------------

SAMPLE_TEXT = {
    "money": "300万元", "percent": "60%", "number": "1.2", "count": "12000人", "area": "800㎡",
    "area_ha": "12公顷", "area_km2": "2.3平方公里", "per_capita_area": "8.5㎡/人",
}  # fmt: skip
"""A value of each declared type, as an office writes it."""


def sample_value(spec: FieldSpec | None, key: str, on: dt.date) -> Any:
    """A value for a field from its declared type (an enum's first choice, a date ``on``)."""
    if spec is None:
        return f"{key}说明"
    if spec.enum:
        return spec.enum[0]
    if spec.type == "date":
        return on.isoformat()
    if spec.type in SAMPLE_TEXT:
        return SAMPLE_TEXT[spec.type]
    return f"{spec.label}说明"


def filled(data: Any, fields: Mapping[str, FieldSpec], on: dt.date) -> Any:
    """``data`` with every 【待填写…】 value replaced by a value of its field's declared type."""
    if isinstance(data, dict):
        result = {}
        for key, value in data.items():
            spec = fields.get(str(key))
            if isinstance(value, (dict, list)):
                items = spec.items if spec is not None else {}
                result[key] = filled(value, items, on)
            elif isinstance(value, str) and PLACEHOLDER in value:
                result[key] = sample_value(spec, str(key), on)
            else:
                result[key] = value
        return result
    if isinstance(data, list):
        return [filled(item, fields, on) for item in data]
    return data


def picture(size: tuple[int, int], seed: str) -> Image.Image:
    """A picture with something in it, its own for each ``seed``: a shaded ground and shapes, as a
    drawing or a photo has. ``townplans new`` only makes the folders; a flat colour would be the
    placeholder TP331 rejects (an error: it shows nothing), not the planner's picture."""
    draw_random = random.Random(seed)
    width, height = size
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    top = [draw_random.randrange(60, 200) for _ in range(3)]
    bottom = [draw_random.randrange(60, 200) for _ in range(3)]
    for y in range(height):  # a vertical shade: many grey levels, none covering the picture
        mix = y / max(height - 1, 1)
        draw.line(
            [(0, y), (width, y)],
            fill=tuple(round(a + (b - a) * mix) for a, b in zip(top, bottom, strict=True)),
        )
    for _ in range(12):
        x, y = draw_random.randrange(width), draw_random.randrange(height)
        w, h = (
            draw_random.randrange(width // 10, width // 3),
            draw_random.randrange(height // 10, height // 3),
        )
        colour = tuple(draw_random.randrange(256) for _ in range(3))
        shape = draw.rectangle if draw_random.random() < 0.5 else draw.ellipse
        shape([x, y, x + w, y + h], fill=colour, outline=(0, 0, 0), width=3)
    return image


class Filler:
    """Fills a scaffolded town as a planner would: every placeholder from the field's declared
    type, the facts that must agree across documents made to agree, sections written, drawings
    and photos put in their folders."""

    def __init__(self, root: Path, profile: Profile, town: str) -> None:
        self.root, self.profile, self.town = root, profile, root / "towns" / town
        phases = yaml.safe_load((root / "towns/district.yaml").read_text(encoding="utf-8"))
        by_key = {phase["key"]: phase for phase in phases["phases"]}
        self.start, self.end = by_key["implement"]["start"], by_key["implement"]["end"]
        self.submitted = by_key["define"]["end"]  # briefs are due when the projects are fixed

    def doctype(self, key: str) -> DocumentType:
        return self.profile.documents[key]

    def front_matter(self, path: Path, key: str, **facts: Any) -> dict[str, Any]:
        """Fill a Markdown file: front matter from the types (``facts`` win), every empty section
        written; returns the front matter."""
        text = path.read_text(encoding="utf-8")
        _, head, body = text.split("---\n", 2)
        data = filled(yaml.safe_load(head), self.doctype(key).fields, self.start)
        data.update(facts)
        body = re.sub(r"【待填写：([^】]*)】", r"\1的具体安排见本节，已按要求编制。", body)
        path.write_text(
            "---\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False) + "---\n" + body,
            encoding="utf-8",
        )
        return data

    def district(self) -> None:
        path = self.root / "towns/district.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data = filled(data, {}, self.start)
        data["lead_office"] = "区小城镇建设工作领导小组办公室"
        data["report_weekday"] = "星期五"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")

    def town_yaml(self) -> None:
        path = self.town / "town.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        fields = self.doctype("town").fields
        data = filled(data, fields, self.start)
        data["phone"] = self.profile.review.phone_example  # the format the profile fixes
        data["built_up_population_last_year"] = "10000人"
        data["built_up_population"] = "10400人"  # 4 % more: the growth indicator agrees
        for key, indicator in self.profile.indicators.items():
            target = indicator.target if indicator.target is not None else Decimal(95)
            value = SAMPLE_TEXT.get(indicator.type, "1")
            number = re.sub(r"^[0-9.]+", format(target.normalize(), "f"), value)
            unit = {"count": indicator.unit}.get(indicator.type)
            data["indicators"][key] = {
                "value": f"{format(target.normalize(), 'f')}{unit}" if unit else number,
                "口径": "镇区建成区，2024年6月底",
                "source": "镇统计站",
            }
        status = self.profile.lists["facility_status"][0]
        for facility in data["facilities"].values():
            facility["status"] = status
        attributes = list(self.profile.market_attributes)
        data["facilities"]["market"]["attributes"] = attributes
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")

    def drawings(self, folder: Path, count: int, size: tuple[int, int] = (1000, 750)) -> list[str]:
        """``count`` drawings in ``folder``; the Markdown lines that show them."""
        folder.mkdir(parents=True, exist_ok=True)
        lines = []
        for number in range(1, count + 1):
            picture(size, f"{folder}/{number}").save(folder / f"{number:02d}.png")
            lines.append(f"![第{number}号规划图](drawings/{number:02d}.png)")
        return lines

    def photos(self, folder: Path, count: int) -> None:
        """Distinct photos (a colour per stage and number) dated as a camera would date them."""
        folder.mkdir(parents=True, exist_ok=True)
        stage = ("before", "progress", "after").index(folder.name)
        taken = ("2024:07:20 09:30:00", "2024:08:05 10:00:00", "2024:08:10 16:00:00")[stage]
        for number in range(1, count + 1):
            exif = Image.Exif()
            exif.get_ifd(0x8769)[0x9003] = taken  # DateTimeOriginal
            picture((800, 600), f"{folder}/{number}").save(
                folder / f"{folder.name}-{number}.jpg", quality=80, exif=exif
            )

    def plan(self, text: Path, key: str, **facts: Any) -> None:
        minimum = self.doctype(key).attachments["drawings"].min
        shown = self.drawings(text.parent / "drawings", minimum)
        self.front_matter(text, key, **facts)
        body = text.read_text(encoding="utf-8")
        heading = next(h for h in self.doctype(key).headings if h.title == "图纸目录")
        body = re.sub(
            rf"(# [^\n]*{heading.title}\n\n)[^\n]*\n",
            lambda m: m.group(1) + "\n\n".join(shown) + "\n",
            body,
        )
        text.write_text(body, encoding="utf-8")

    def parcels(self, path: Path) -> None:
        fields = self.doctype("regulatory_plan").parcel_fields
        data = filled(yaml.safe_load(path.read_text(encoding="utf-8")), fields, self.start)
        data[0].update(id="A-01", area="12公顷", far="1.2", density="30%", height="18")
        data[0].update(use=min(self.profile.review.land_use_classes))  # a class of the standard
        data[0].update(green_ratio="35%")
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
        text = path.parent / "plan.md"
        table = (
            "| 地块编号 | 用地面积（公顷） | 容积率 | 建筑密度（%） | 建筑控制高度（米） | 绿地率（%） |\n"
            "|---|---:|---:|---:|---:|---:|\n| A-01 | 12 | 1.2 | 30 | 18 | 35 |\n"
        )
        body = text.read_text(encoding="utf-8")
        body = re.sub(
            r"(# [^\n]*地块控制指标\n\n[^\n]*\n)", lambda m: m.group(1) + "\n" + table, body
        )
        text.write_text(body, encoding="utf-8")

    def project(self, brief: Path, percent: int) -> dict[str, Any]:
        """A brief at ``percent`` complete, with the photos, drawing and board it then needs."""
        doctype = self.doctype("project_brief")
        folder = brief.parent
        statuses = self.doctype("project_brief").permit_status
        permits = {  # an item that does not apply yet (竣工验收 before completion) is left out
            key: statuses[0]
            for key, when in _permit_keys(self.profile)
            if when is None or when.holds(Decimal(percent))
        }
        source = self.profile.lists["funding_sources"][0]
        facts = self.front_matter(
            brief, "project_brief", progress_percent=f"{percent}%",
            funding=[{"source": source, "amount": SAMPLE_TEXT["money"]}],
            deadline=self.end.isoformat(), submitted=self.submitted.isoformat(), permits=permits,
        )  # fmt: skip
        for spec in doctype.attachments.values():
            if spec.folder is None or spec.min == 0:
                continue
            applies = spec.when is None or spec.when.holds(Decimal(percent))
            if not applies:
                continue
            if spec.folder.startswith("photos/"):
                self.photos(folder / spec.folder, spec.min)
            else:
                self.drawings(folder / spec.folder, spec.min)
        return facts

    def construction_plan(self, briefs: list[dict[str, Any]]) -> None:
        path = self.town / "construction-plan.md"
        # the recipient the hierarchy registry names (TP324): the district's leading group
        self.front_matter(path, "construction_plan", doc_number="河政发〔2024〕1号",
                          recipient="区小城镇建设工作领导小组")  # fmt: skip
        rows = "".join(
            f"| {n} | {b['title']} | {b['zone']} | 300 | {self.end.isoformat()} | {b['leader']} |\n"
            for n, b in enumerate(briefs, 1)
        )
        table = (
            "| 序号 | 项目名称 | 功能区 | 总投资（万元） | 完成时限 | 责任领导 |\n"
            "|---|---|---|---:|---|---|\n" + rows
        )
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        text = "".join(line for line in lines if not line.startswith("|"))  # the scaffold's rows
        text = re.sub(r"(# [^\n]*项目安排\n\n[^\n]*\n)", lambda m: m.group(1) + "\n" + table, text)
        path.write_text(text, encoding="utf-8")

    def reports(self, percents: Mapping[str, int]) -> None:
        for number, report in enumerate(sorted((self.town / "reports").glob("*.md")), 1):
            text = report.read_text(encoding="utf-8")
            _, head, _ = text.split("---\n", 2)
            projects = [
                {
                    "project": item["project"],
                    "progress_percent": f"{percents[item['project']]}%",
                    "week_investment": "50万元",
                    "cumulative_investment": f"{50 * number}万元",
                }
                for item in yaml.safe_load(head)["projects"]
            ]
            self.front_matter(report, "weekly_report", projects=projects)


def _permit_keys(profile: Profile) -> list[tuple[str, Condition | None]]:
    """(key, the condition under which it applies) of each permit item."""
    return [(item.key, item.when) for item in profile.documents["project_brief"].permit_items]


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.slow
def test_a_new_town_filled_until_it_checks_clean_prints_no_missing_marks(tmp_path: Path) -> None:
    """The scaffold writes the required fields only; the optional ones (建设性质, 开工日期, 联系人,
    联系电话) stay empty and the forms print "—" for them; 累计完成投资, also left empty, is the
    weekly report's; nothing prints 【缺."""
    root = tmp_path / "district"
    _run("init", str(root), "--name", "测试区", "--year", "2024")
    at = ("--root", str(root))
    projects = {"main-road": 100, "market": 60, "park": 60}
    _run(*at, "new", "town", "hexi", "--name", "河西镇")
    for slug in projects:
        _run(*at, "new", "project", "hexi", slug, "--name", f"河西{slug}项目")
    _run(
        *at,
        "new",
        "plan",
        "hexi",
        "river-street",
        "--name",
        "滨河街修建性详细规划",
        "--kind",
        "site",
    )
    # Every week from the implementation phase's first reporting day (26 July 2024, a Friday:
    # 第1期) has its report, or TP521 says which week has none.
    _run(*at, "new", "report", "hexi", "--date", "2024-07-26")
    _run(*at, "new", "report", "hexi", "--date", "2024-08-02")
    _run(*at, "new", "report", "hexi", "--date", "2024-08-09")
    _gaps_are_said_once_in_fill_order(root)
    profile = load_profile(root / "templates/profile.yaml", root).profile
    assert profile is not None
    town = root / "towns/hexi"
    fill = Filler(root, profile, "hexi")
    fill.district()
    fill.town_yaml()
    briefs = [fill.project(town / f"projects/{slug}/brief.md", p) for slug, p in projects.items()]
    fill.construction_plan(briefs)
    fill.plan(town / "master-plan/01-general.md", "master_plan")
    fill.plan(town / "detailed-plans/center/plan.md", "regulatory_plan")
    fill.parcels(town / "detailed-plans/center/parcels.yaml")
    fill.plan(town / "detailed-plans/river-street/plan.md", "site_plan")
    fill.reports(projects)
    _, result = pipeline.run_check(root, Selection(), dt.date(2024, 8, 12))
    left = [str(f) for f in result.findings if f.severity is not Severity.INFO]
    assert not left, "\n".join(left)  # no error and no warning: the newcomer's path ends clean
    outcome = pipeline.run_build(root)
    assert not outcome.failed
    brief = "".join(docx_text(root / "build/hexi/河西镇小城镇建设项目简介汇编.docx").split())
    for label in ("建设性质", "开工日期", "联系人", "联系电话"):
        assert brief.count(f"{label}—") == len(projects), label
    # 累计完成投资 left out of the briefs is the weekly report's as of their 进度截至日期 (one
    # source for progress), naming that report.
    shown = brief.replace("\u2060", "")
    assert shown.count("累计完成投资50万元（据2024年7月26日周报）") == len(projects)
    assert brief.count("竣工验收已办理") == 1  # only the finished project lists it
    assert missing_marks(root / "build/hexi") == {}


def _gaps_are_said_once_in_fill_order(root: Path) -> None:
    """A freshly scaffolded town: each gap once (no two findings on one place saying the same),
    and the town's files in the order a planner fills them (town.yaml, the construction plan,
    the master plan, the detailed plans, the projects, the reports)."""
    _, result = pipeline.run_check(root, Selection(), dt.date(2024, 8, 12))
    town = [f for f in result.findings if f.ref.path.startswith("towns/hexi/")]
    places = [(f.ref.path, f.ref.line, f.code, f.message) for f in town]
    assert len(places) == len(set(places))
    assert {"TP202", "TP104", "TP301"} <= {f.code for f in town}
    ranks = [_fill_rank(f.ref.path) for f in town]
    assert ranks == sorted(ranks), [f.ref.path for f in town]


def _fill_rank(path: str) -> int:
    part = path.split("/")[2] if path.count("/") >= 2 else ""
    order = ["town.yaml", "construction-plan.md", "master-plan", "detailed-plans", "projects"]
    return order.index(part) if part in order else len(order)
