"""``townplans init`` and ``townplans new``: write new content from templates/scaffold/.

Scaffolds are generated *from the profile*: every required field becomes a front-matter key with a
【待填写】 placeholder saying what to write, and every required heading becomes a section, so a
new document always has the structure the district asks for. Writing refuses to overwrite.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from townplans import templating
from townplans.fs import Kind, PathPolicyError, confine, kind, name_problem, shown
from townplans.model import SourceRef
from townplans.paths import WorkspacePaths, default_templates
from townplans.profile import DocumentType, FieldSpec, Profile, report_interval
from townplans.sources import parse_yaml, split_front_matter

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")
NUMERALS = "一二三四五六七八九十"
_EXAMPLES = {
    "money": "1200万元",
    "date": "2023-09-25",
    "percent": "30%",
    "area": "800㎡",
    "area_ha": "12.5公顷",
    "area_km2": "2.3平方公里",
    "per_capita_area": "8.5㎡/人",
    "number": "1",
    "count": "1个",
    "period": "2021—2035年",
    "names": "姓名",
}


_TYPE_NAMES = {
    "money": "金额", "date": "日期", "percent": "百分数", "area": "面积", "area_ha": "面积（公顷）",
    "area_km2": "面积（平方公里）", "per_capita_area": "人均面积", "number": "数值", "count": "数量",
    "period": "年限", "text": "文字", "names": "姓名", "list": "列表", "mapping": "映射",
}  # fmt: skip


def attachment_notes(doctype: DocumentType) -> list[str]:
    """The attachments a document needs, with their minimum counts, as a planner reads them."""
    notes = []
    for spec in doctype.attachments.values():
        where = f"{spec.folder}/" if spec.folder else spec.file or ""
        kinds = "、".join(spec.types)
        condition = f"（当 {spec.when} 时）" if spec.when is not None else ""
        count = f"至少 {spec.min} 个" if spec.folder else "须有"
        notes.append(f"附件 {where}：{spec.label}{count}{condition}，类型 {kinds}")
    return notes


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


class ScaffoldError(ValueError):
    """A scaffold cannot be written; the message (Chinese) says why and what to do."""


@dataclass(frozen=True, slots=True)
class Written:
    """Files a scaffold command created and a note for the user."""

    files: tuple[Path, ...]
    note: str = ""


def _confined(path: Path, root: Path) -> Path:
    try:
        return confine(path, root)
    except PathPolicyError as exc:
        raise ScaffoldError(str(exc)) from exc


def make_folders(root: Path, *folders: Path) -> None:
    """Create empty folders for content (photos, drawings …), never outside ``root``."""
    for folder in folders:
        _confined(folder, root).mkdir(parents=True, exist_ok=True)


def check_slug(slug: str, what: str) -> None:
    """A folder name a user typed: lower-case letters, digits and hyphens, and a name every system
    can create (``fs.name_problem``: not a Windows device name such as ``con``). The message shows
    the name with its control characters written out, never raw."""
    problem = name_problem(slug)
    if problem is not None or not SLUG.fullmatch(slug):
        why = f"{problem}；" if problem is not None else ""
        raise ScaffoldError(
            f"{what}文件夹名“{shown(slug)}”无效：{why}应为小写英文字母、数字和连字符"
            "（如 weicheng、binhe-road）"
        )


def placeholder(spec: FieldSpec, context: Mapping[str, str], year: int | None = None) -> Any:
    """The value a new document starts with: known facts from ``context``, else 【待填写】 with
    an example (dates in the plan ``year``)."""
    if spec.key in context:
        return context[spec.key]
    if spec.type == "list":
        if spec.items:
            return [{key: placeholder(item, {}, year) for key, item in spec.items.items()}]
        return [f"【待填写：{spec.label}】"]
    if spec.enum:
        return f"【待填写：{spec.label}，可选 {'/'.join(spec.enum)}】"
    example = spec.example or _example_of_type(spec)
    if example and spec.type == "date" and year is not None:
        example = f"{year}{example[4:]}"
    return f"【待填写：{spec.label}，如 {example}】" if example else f"【待填写：{spec.label}】"


def _example_of_type(spec: FieldSpec) -> str | None:
    """A value of the field's type, in its unit when the profile gives one (12 人, not 1个)."""
    if spec.type in ("count", "number") and spec.unit:
        return f"12{spec.unit}"
    return _EXAMPLES.get(spec.type)


def _optional_example(spec: FieldSpec, year: int) -> str:
    """What an optional field's comment shows as its value: the profile's example, else one of
    its type (a date in the plan year), else its first allowed value."""
    example = str(spec.example) or (spec.enum[0] if spec.enum else _EXAMPLES.get(spec.type, ""))
    if spec.type == "date" and example:
        example = f"{year}{example[4:]}"
    return example or "…"


def _optional_note(spec: FieldSpec) -> str:
    """“版本号（可选，文字）”, or with the allowed values: “成果阶段（可选：征求意见稿/送审稿/…）”."""
    if spec.enum:
        return f"{spec.label}（可选：{'/'.join(spec.enum)}）"
    return f"{spec.label}（可选，{_TYPE_NAMES.get(spec.type, '文字')}）"


def _optional_list(spec: FieldSpec, year: int) -> list[str]:
    """An optional list of mappings (a plan's ``revisions``) as comment lines: one example item,
    each key with its label, its allowed values and whether it may be left out."""
    lines = [f"# {spec.key}:  # {spec.label}（可选，列表，每项一行一组）"]
    for index, item in enumerate(spec.items.values()):
        lead = "  - " if index == 0 else "    "
        note = item.label if item.required else f"{item.label}，可不填"
        if item.enum:
            note += f"：{'/'.join(item.enum)}"
        lines.append(f"# {lead}{item.key}: {_optional_example(item, year)}  # {note}")
    return lines


class Scaffolder:
    """Renders scaffold templates for one workspace and profile."""

    def __init__(self, paths: WorkspacePaths, profile: Profile) -> None:
        self.paths = paths
        self.profile = profile
        folder = paths.templates / "scaffold"
        self.env = templating.environment(folder)  # YAML and Markdown out: not escaped

    def front_matter(self, doctype: DocumentType, context: Mapping[str, Any]) -> str:
        """Every field of the document type: required ones with a 【待填写】 value saying the type
        and an example, optional ones as comments to uncomment; the attachments it needs (with
        their minimum counts) as comments on top."""
        lines = [
            f"# {doctype.label}：把【待填写】换成实际内容；以 # 开头的是可选字段，需要时去掉 #"
        ]
        lines += [f"# {line}" for line in attachment_notes(doctype)]
        data: dict[str, Any] = {}
        year = self.plan_year()
        for spec in doctype.fields.values():
            if spec.required or spec.key in context:
                data[spec.key] = placeholder(spec, context, year)
        if "permits" in data:
            items = doctype_permits(self.profile)
            data["permits"] = {
                item: "【待填写：已办理/办理中/未办理/不适用（写明原因）】" for item in items
            }
        lines.append(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000).rstrip())
        for spec in doctype.fields.values():  # a value filled in for the planner: the others
            if spec.enum and spec.key in context:
                lines.append(f"# {spec.key}（{spec.label}）可选：{'/'.join(spec.enum)}")
        for spec in doctype.fields.values():
            if spec.key in data:
                continue
            if spec.type == "list" and spec.items:
                lines += _optional_list(spec, year)
            elif spec.type not in ("list", "mapping"):
                lines.append(
                    f"# {spec.key}: {_optional_example(spec, year)}  # {_optional_note(spec)}"
                )
        return "\n".join(lines) + "\n"

    def document(self, doctype_key: str, context: Mapping[str, Any], preface: str = "") -> str:
        doctype = self.profile.documents[doctype_key]
        year = self.plan_year()
        headings = [
            {
                "number": f"{NUMERALS[index]}、" if index < len(NUMERALS) else "",
                "title": spec.title,
                "body": spec.scaffold.replace("{year}", str(year)).rstrip()
                if spec.scaffold
                else f"【待填写：{spec.title}】",
            }
            for index, spec in enumerate(doctype.headings)
        ]
        return self.render(
            "document.md.j2",
            front_matter=self.front_matter(doctype, context),
            headings=headings,
            preface=preface,
        )

    def plan_year(self) -> int:
        """The district's plan year (district.yaml), else this year."""
        located, _ = parse_yaml(
            _read(self.paths.towns / "district.yaml"), SourceRef("towns/district.yaml")
        )
        value = located.get("plan_year") if located is not None else None
        return value if isinstance(value, int) else dt.date.today().year

    def town_yaml(self, name: str, still: Sequence[str] = ()) -> str:
        doctype = self.profile.documents["town"]
        scalar_fields = {
            key: spec
            for key, spec in doctype.fields.items()
            if spec.type not in ("mapping", "list")
        }
        fields = yaml.safe_dump(
            {
                key: placeholder(spec, {"name": name, "status": "镇"})
                for key, spec in scalar_fields.items()
            },
            allow_unicode=True,
            sort_keys=False,
            width=1000,
        )
        indicators = [
            {
                "key": indicator.key,
                "label": indicator.label,
                "target_text": f"{indicator.comparator} {indicator.target}{indicator.unit}"
                if indicator.target is not None
                else "待确认（原方案目标值不可读）",
                "refs": "、".join(indicator.refs),
                "example": _EXAMPLES.get(indicator.type, "1"),
            }
            for indicator in self.profile.indicators.values()
        ]
        return self.render(
            "town.yaml.j2",
            name=name,
            still=still,
            fields=fields.rstrip("\n"),
            indicators=indicators,
            facilities=list(self.profile.facilities.items()),
            zones=self.profile.lists.get("zones", ()),
        )

    def render(self, template: str, **context: Any) -> str:
        try:
            return templating.render(
                self.env, template, f"templates/scaffold/{template}", **context
            )
        except templating.TemplateError as exc:
            where = f"{exc.path}:{exc.line}" if exc.line else exc.path
            raise ScaffoldError(f"{where}：{exc.message}") from exc


def doctype_permits(profile: Profile) -> list[str]:
    brief = profile.documents.get("project_brief")
    return [item.key for item in brief.permit_items] if brief is not None else []


def write_new(files: Mapping[Path, str], root: Path) -> tuple[Path, ...]:
    """Write files that do not exist yet, all inside ``root``; refuse (writing nothing) if any
    exists or would land outside ``root`` (the path policy: ``fs.confine``)."""
    for path in files:
        _confined(path, root)
    existing = [path for path in files if path.exists() or path.is_symlink()]
    if existing:
        raise ScaffoldError(
            f"文件已存在，未做任何修改：{existing[0]}（townplans new 不会覆盖已有文件）"
        )
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tuple(files)


# -- commands ----------------------------------------------------------------------------------


def init_workspace(target: Path, district_name: str, plan_year: int) -> Written:
    """A new workspace: a copy of the default templates, towns/district.yaml, .gitignore."""
    if (target / "templates").exists() or (target / "towns").exists():
        raise ScaffoldError(
            f"{shown(str(target))} 已有 templates/ 或 towns/：townplans init 只在新文件夹中创建工作区"
        )
    _check_new_folders(target)
    from townplans.profile import load_profile

    target.mkdir(parents=True, exist_ok=True)
    shutil.copytree(default_templates(), target / "templates")
    paths = WorkspacePaths(target)
    profile = load_profile(paths.profile, target).profile
    if profile is None:  # pragma: no cover - the shipped profile is tested
        raise ScaffoldError("默认规则文件无法读取，townplans 安装不完整")
    scaffolder = Scaffolder(paths, profile)
    phases = [
        {
            "key": phase.key,
            "label": phase.label,
            "start": _phase_date(plan_year, phase.start),
            "end": _phase_date(plan_year, phase.end),
        }
        for phase in profile.phases
    ]
    district = scaffolder.render(
        "district.yaml.j2",
        name=district_name,
        plan_year=plan_year,
        plan_title=re.sub(
            r"^\d{4}", str(plan_year), profile.source_plan.title or "小城镇建设实施方案"
        ),
        phases=phases,
    )
    files = write_new(
        {
            target / "towns" / "district.yaml": district,
            target / ".gitignore": "build/\n.venv/\n",
        },
        target,
    )
    return Written(
        (target / "templates", *files), "下一步：townplans new town <文件夹名> --name <镇名>"
    )


def _check_new_folders(target: Path) -> None:
    """Each folder ``init`` is about to create has a name every system can create
    (``fs.name_problem``): a workspace called ``con`` could not be copied to Windows."""
    for folder in (target, *target.parents):
        if folder.exists() or folder.is_symlink():
            return
        if problem := name_problem(folder.name):
            raise ScaffoldError(
                f"文件夹名“{shown(folder.name)}”无效：{problem}；请换一个文件夹名（如 weicheng-2024）"
            )


def _phase_date(year: int, month_day: tuple[int, int] | None) -> str:
    return "null" if month_day is None else dt.date(year, *month_day).isoformat()


def new_town(paths: WorkspacePaths, profile: Profile, slug: str, name: str) -> Written:
    check_slug(slug, "镇")
    folder = paths.towns / slug
    if folder.exists():
        raise ScaffoldError(f"{folder} 已存在：请换一个文件夹名，或直接编辑已有内容")
    scaffolder = Scaffolder(paths, profile)
    plan = _plan_files(
        scaffolder,
        folder / "detailed-plans" / "center",
        "regulatory",
        f"{name}中心区控制性详细规划",
    )
    still = still_needed(profile, slug)
    year = scaffolder.plan_year()
    files = write_new(
        {
            folder / "town.yaml": scaffolder.town_yaml(name, still),
            folder / "construction-plan.md": scaffolder.document(
                "construction_plan",
                {"title": f"{name}{year}年小城镇建设计划", "issuer": f"{name}人民政府"},
            ),
            folder / "master-plan" / "01-general.md": scaffolder.document(
                "master_plan", {"title": f"{name}总体规划（2021—2035年）", "status": "征求意见稿"}
            ),
            **plan,
        },
        paths.towns,
    )
    make_folders(
        paths.towns,
        folder / "detailed-plans" / "center" / "drawings",
        folder / "master-plan" / "drawings",
        folder / "projects",
        folder / "reports",
    )
    note = _register_town(paths.towns / "district.yaml", slug, name)
    return Written(files, "\n".join([note, "接下来还需：", *(f"  {line}" for line in still)]))


_NEW_COMMANDS = {
    "site_plan": "townplans new plan {town} <文件夹名> --name <规划名称> --kind site",
    "regulatory_plan": "townplans new plan {town} <文件夹名> --name <规划名称> --kind regulatory",
    "project_brief": "townplans new project {town} <文件夹名> --name <项目名称>",
    "weekly_report": "townplans new report {town} --date <报送日期>",
}
_SCAFFOLDED = {"town", "construction_plan", "master_plan", "regulatory_plan", "district"}
"""Document types ``new town`` writes itself (one of each)."""


def still_needed(profile: Profile, town: str) -> list[str]:
    """What a new town must still add, with the minimum counts from the profile and the command
    that scaffolds each."""
    lines = []
    for key, doctype in profile.documents.items():
        command = _NEW_COMMANDS.get(key)
        if key in _SCAFFOLDED or command is None or doctype.count_min < 1:
            continue
        lines.append(f"{doctype.label}至少 {doctype.count_min} 份：{command.format(town=town)}")
    return lines


def _plan_files(scaffolder: Scaffolder, folder: Path, kind: str, title: str) -> dict[Path, str]:
    doctype = "regulatory_plan" if kind == "regulatory" else "site_plan"
    files = {folder / "plan.md": scaffolder.document(doctype, {"title": title, "kind": kind})}
    if kind == "regulatory":
        files[folder / "parcels.yaml"] = scaffolder.render("parcels.yaml.j2")
    return files


def _register_town(district_file: Path, slug: str, name: str) -> str:
    """Add the town to district.yaml's ``towns:`` list, keeping the file's comments and layout."""
    entry = f"  - {{slug: {slug}, name: {name}}}"
    if not district_file.is_file():
        return f"请在 towns/district.yaml 的 towns 中加入：{entry.strip()}"
    lines = district_file.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        if line.rstrip() == "towns:":
            end = index + 1
            while end < len(lines) and lines[end].startswith(("  -", "    ")):
                end += 1
            lines.insert(end, entry)
            district_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
            return f"已在 towns/district.yaml 中登记 {name}（{slug}）"
    return f"请在 towns/district.yaml 的 towns 中加入：{entry.strip()}"


def town_folder(paths: WorkspacePaths, town: str) -> Path:
    """An existing town folder named by a user: a slug, inside towns/, a real folder."""
    check_slug(town, "镇")
    folder = paths.towns / town
    if kind(folder, paths.towns) is not Kind.DIR:
        raise ScaffoldError(
            f"找不到镇文件夹 towns/{town}/：先运行 townplans new town {town} --name <镇名>"
        )
    return folder


def new_project(
    paths: WorkspacePaths, profile: Profile, town: str, slug: str, name: str
) -> Written:
    check_slug(slug, "项目")
    folder = town_folder(paths, town) / "projects" / slug
    if folder.exists():
        raise ScaffoldError(f"{folder} 已存在")
    scaffolder = Scaffolder(paths, profile)
    files = write_new(
        {folder / "brief.md": scaffolder.document("project_brief", {"title": name})}, paths.towns
    )
    subfolders = (
        "photos/before",
        "photos/progress",
        "photos/after",
        "drawings",
        "boards",
        "permits",
    )
    make_folders(paths.towns, *(folder / sub for sub in subfolders))
    return Written(files, "照片按阶段放入 photos/before、photos/progress、photos/after")


def new_plan(
    paths: WorkspacePaths, profile: Profile, town: str, slug: str, name: str, kind: str
) -> Written:
    check_slug(slug, "规划")
    if kind not in ("regulatory", "site"):
        raise ScaffoldError(f"规划类型“{kind}”无效：应为 regulatory（控规）或 site（修规）")
    folder = town_folder(paths, town) / "detailed-plans" / slug
    if folder.exists():
        raise ScaffoldError(f"{folder} 已存在")
    files = write_new(_plan_files(Scaffolder(paths, profile), folder, kind, name), paths.towns)
    make_folders(paths.towns, folder / "drawings")
    return Written(files, "图纸放入 drawings/")


def new_report(
    paths: WorkspacePaths,
    profile: Profile,
    town: str,
    date: dt.date | None,
    project_slugs: Sequence[str],
) -> Written:
    """A weekly report that continues the last one: its period starts the day after the previous
    period ended, its date defaults to one interval after the previous report, and each project
    starts from the previous cumulative investment and progress (this week's figures to fill)."""
    folder = town_folder(paths, town) / "reports"
    previous = _previous_report(folder, date)
    interval = report_interval(profile)
    if date is None:
        date = previous.date + dt.timedelta(days=interval) if previous else dt.date.today()
    start = (
        previous.period_end + dt.timedelta(days=1)
        if previous
        else date - dt.timedelta(days=interval - 1)
    )
    if start > date:
        raise ScaffoldError(
            f"报送日期 {date} 早于上一期周报的报告期（至 {start - dt.timedelta(days=1)}）"
        )
    context: dict[str, Any] = {
        "period_start": start.isoformat(),
        "period_end": date.isoformat(),
        "date": date.isoformat(),
    }
    scaffolder = Scaffolder(paths, profile)
    items = profile.documents["weekly_report"].fields["projects"].items
    year = scaffolder.plan_year()
    carried = previous.projects if previous else {}
    context.update(previous.heading if previous else {})
    if project_slugs:
        context["projects"] = [
            {
                key: (
                    slug
                    if key == "project"
                    else carried.get(slug, {}).get(key) or placeholder(spec, {}, year)
                )
                for key, spec in items.items()
            }
            for slug in project_slugs
        ]
    files = write_new(
        {folder / f"{date.isoformat()}.md": scaffolder.document("weekly_report", context)},
        paths.towns,
    )
    note = f"报告期 {start} 至 {date}" + (
        f"，接续 {previous.date} 的周报并带入各项目的累计数" if previous else ""
    )
    return Written(files, note)


_CARRIED = ("cumulative_investment", "progress_percent")
"""What a new weekly report takes over from the previous one (the week's own figures are new)."""


@dataclass(frozen=True, slots=True)
class _Previous:
    date: dt.date
    period_end: dt.date
    projects: dict[str, dict[str, Any]]
    heading: dict[str, str]
    """Who reports (reporter, signer, contact) and the next issue's title (第8期 → 第9期)."""


def _previous_report(folder: Path, before: dt.date | None) -> _Previous | None:
    """The latest report in ``folder`` (before ``before`` when given), as far as it reads."""
    dated = []
    for path in folder.glob("*.md") if folder.is_dir() else ():
        try:
            day = dt.date.fromisoformat(path.stem)
        except ValueError:
            continue
        if before is None or day < before:
            dated.append((day, path))
    if not dated:
        return None
    day, path = max(dated)
    yaml_text, _, _ = split_front_matter(_read(path))
    located, _ = parse_yaml(yaml_text or "", SourceRef(path.name))
    meta = located.data if located is not None and isinstance(located.data, dict) else {}
    try:
        end = dt.date.fromisoformat(str(meta.get("period_end")))
    except ValueError:
        end = day
    projects = {
        str(item.get("project")): {key: item[key] for key in _CARRIED if item.get(key) is not None}
        for item in meta.get("projects") or ()
        if isinstance(item, dict)
    }
    heading = {key: str(meta[key]) for key in ("reporter", "signer", "contact") if meta.get(key)}
    title = str(meta.get("title") or "")
    issue = re.search(r"第\s*(\d+)\s*期", title)
    if issue:
        heading["title"] = (
            title[: issue.start()] + f"第{int(issue.group(1)) + 1}期" + title[issue.end() :]
        )
    return _Previous(day, end, projects, heading)
