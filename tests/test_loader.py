"""The loader over the sample district and over broken copies of it."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import copy_workspace
from townplans.fs import Kind, PathJudge, kind
from townplans.load import load_workspace
from townplans.model import Severity, Workspace
from townplans.profile import Profile

TOWNS = ("weicheng", "yaodian", "zhengyang", "dizhang", "zhouling", "beidu")


def test_sample_district_loads_six_towns_in_district_order(sample: Workspace) -> None:
    assert tuple(town.slug for town in sample.district.towns) == TOWNS
    assert [town.name for town in sample.district.towns] == [
        "渭城镇",
        "窑店镇",
        "正阳镇",
        "底张镇",
        "周陵镇",
        "北杜镇",
    ]


def test_sample_district_has_only_the_documented_load_finding(sample: Workspace) -> None:
    # towns/README.md: 窑店镇's master plan names a roads drawing that is not there.
    assert [(f.code, str(f.ref)) for f in sample.findings] == [
        ("TP005", "towns/yaodian/master-plan/03-facilities.md:31:14")
    ]


def test_every_town_has_all_parts(sample: Workspace) -> None:
    for town in sample.district.towns:
        assert town.meta is not None and town.construction_plan is not None
        assert town.master_plan is not None and town.master_plan.chapters
        assert {plan.kind for plan in town.detailed_plans} == {"regulatory", "site"}
        assert 3 <= len(town.projects) <= 5
        assert len(town.reports) >= 2
        assert all(project.brief is not None for project in town.projects)


def test_master_plan_chapters_are_ordered_by_file_name(sample: Workspace) -> None:
    plan = sample.district.towns[0].master_plan
    assert plan is not None
    names = [chapter.ref.path.rsplit("/", 1)[1] for chapter in plan.chapters]
    assert names == sorted(names) and len(names) == 4


def test_single_file_master_plan_is_supported(sample: Workspace) -> None:
    plan = sample.town("zhengyang").master_plan
    assert plan is not None and len(plan.chapters) == 1
    assert len([h for h in plan.chapters[0].headings if h.level == 1]) == 10


def test_headings_carry_file_lines(sample: Workspace, repo: Path) -> None:
    plan = sample.town("weicheng").construction_plan
    assert plan is not None
    lines = (repo / plan.ref.path).read_text(encoding="utf-8").splitlines()
    for heading in plan.headings:
        assert heading.ref.line is not None
        assert lines[heading.ref.line - 1].lstrip("#").strip() == heading.text


def test_token_maps_are_file_lines_including_front_matter(sample: Workspace, repo: Path) -> None:
    brief = sample.town("weicheng").projects[0].brief
    assert brief is not None
    lines = (repo / brief.ref.path).read_text(encoding="utf-8").splitlines()
    first_heading = next(t for t in brief.tokens if t.type == "heading_open")
    assert first_heading.map is not None
    assert lines[first_heading.map[0]].startswith("# 一、项目概况")


def test_chinese_labels_are_aliases_for_english_keys(
    tmp_path: Path, profile: Profile, workspace_copy: Callable[..., Path]
) -> None:
    root = workspace_copy("weicheng")
    brief = root / "towns/weicheng/projects/binhe-road/brief.md"
    text = brief.read_text(encoding="utf-8").replace(
        "\ninvestment: 1850万元", "\n投资规模: 1850万元", 1
    )
    brief.write_text(text, encoding="utf-8")
    workspace = load_workspace(root, profile)
    loaded = workspace.district.towns[0].projects[0].brief
    assert loaded is not None
    assert loaded.meta.get("investment") == "1850万元"
    assert loaded.meta.line_of("investment") == 9
    assert not [f for f in workspace.findings if f.code in ("TP004", "TP008")]


def test_same_field_in_both_languages_is_reported(
    profile: Profile, workspace_copy: Callable[..., Path]
) -> None:
    root = workspace_copy("weicheng")
    brief = root / "towns/weicheng/projects/binhe-road/brief.md"
    text = brief.read_text(encoding="utf-8").replace(
        "\ninvestment: 1850万元", "\ninvestment: 1850万元\n总投资: 1800万元", 1
    )
    brief.write_text(text, encoding="utf-8")
    findings = load_workspace(root, profile).findings
    [finding] = [f for f in findings if f.code == "TP004"]
    assert finding.ref.line == 10 and "同一个字段" in finding.message


def test_unknown_front_matter_key_is_a_warning_with_the_known_keys(
    profile: Profile, workspace_copy: Callable[..., Path]
) -> None:
    root = workspace_copy("weicheng")
    brief = root / "towns/weicheng/projects/binhe-road/brief.md"
    brief.write_text(
        brief.read_text(encoding="utf-8").replace("nature: 改扩建", "natrue: 改扩建"),
        encoding="utf-8",
    )
    [finding] = [f for f in load_workspace(root, profile).findings if f.code == "TP008"]
    assert finding.severity is Severity.WARNING
    assert finding.ref.line == 7 and "natrue" in finding.message and "investment" in finding.message


def test_broken_files_are_located_findings_and_other_towns_still_load(
    profile: Profile, workspace_copy: Callable[..., Path]
) -> None:
    """Acceptance: malformed YAML, a GB18030 Markdown file and a missing image, each located."""
    root = workspace_copy()
    (root / "towns/weicheng/town.yaml").write_text(
        "name: 渭城镇\nindicators:\n  built_up_area: [3.12\nmayor: 王\n", encoding="utf-8"
    )
    brief = root / "towns/zhengyang/projects/street-park/brief.md"
    brief.write_bytes(brief.read_text(encoding="utf-8").encode("gb18030"))
    (root / "towns/dizhang/master-plan/drawings/04-land-use.png").unlink()

    workspace = load_workspace(root, profile)
    by_code = {f.code: f for f in workspace.findings}
    yaml_error = by_code["TP002"]
    assert yaml_error.ref.path == "towns/weicheng/town.yaml" and yaml_error.ref.line in (3, 4)
    assert "YAML 格式错误" in yaml_error.message
    encoding = by_code["TP003"]
    assert (
        encoding.ref.path == "towns/zhengyang/projects/street-park/brief.md"
        and encoding.ref.line == 2
    )
    assert "GB18030" in encoding.message
    missing = [f for f in workspace.findings if f.code == "TP005" and "dizhang" in f.ref.path]
    assert [str(f.ref) for f in missing] == ["towns/dizhang/master-plan/02-systems.md:33:14"]
    assert "04-land-use.png" in missing[0].message and "不存在" in missing[0].message
    # Everything else still loads: all six towns, the GB18030 brief decoded.
    assert len(workspace.district.towns) == 6
    park = next(p for p in workspace.town("zhengyang").projects if p.slug == "street-park")
    assert park.brief is not None and park.brief.title == "正阳街心公园建设项目"
    assert workspace.town("weicheng").meta is None
    assert workspace.town("beidu").construction_plan is not None


def test_unclosed_front_matter(profile: Profile, workspace_copy: Callable[..., Path]) -> None:
    root = workspace_copy("weicheng")
    path = root / "towns/weicheng/construction-plan.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("---\n\n为贯彻", "\n为贯彻", 1), encoding="utf-8"
    )
    [finding] = [f for f in load_workspace(root, profile).findings if f.code == "TP007"]
    assert finding.ref.path.endswith("construction-plan.md") and finding.ref.line == 1


def test_links_outside_the_workspace_and_remote_images_are_refused(
    profile: Profile, workspace_copy: Callable[..., Path]
) -> None:
    root = workspace_copy("weicheng")
    chapter = root / "towns/weicheng/master-plan/04-implementation.md"
    chapter.write_text(
        chapter.read_text(encoding="utf-8")
        + "\n![外部](../../../../etc/hostname)\n\n![网络](https://example.com/a.png)\n",
        encoding="utf-8",
    )
    refused = [f for f in load_workspace(root, profile).findings if f.code == "TP009"]
    assert len(refused) == 2
    assert "工作区以外" in refused[0].message and "不联网" in refused[1].message


def test_path_judge_answers_as_kind_does_for_every_kind_of_entry(tmp_path: Path) -> None:
    # The loader's PathJudge resolves each folder once; what it says of each path must be what
    # the full kind() says, above all for links out of the workspace met inside judged folders.
    root, outside = tmp_path / "ws", tmp_path / "outside"
    (root / "towns/a/sub").mkdir(parents=True)
    (outside / "sub").mkdir(parents=True)
    for path in ("towns/a/file.md", "towns/a/sub/deep.png"):
        (root / path).write_text("x", encoding="utf-8")
    (outside / "secret.md").write_text("secret", encoding="utf-8")
    (outside / "sub/x.md").write_text("secret", encoding="utf-8")
    towns = root / "towns"
    (towns / "inlink").symlink_to("a")
    (towns / "outdir").symlink_to(outside)
    (towns / "a/outfile.md").symlink_to(outside / "secret.md")
    (towns / "a/uplink.md").symlink_to("../a/file.md")
    (towns / "dangling.md").symlink_to(towns / "nothing.md")
    (towns / "loop1").symlink_to("loop2")
    (towns / "loop2").symlink_to("loop1")
    os.mkfifo(towns / "a/pipe.md")
    expected = {
        ".": Kind.DIR, "..": Kind.OUTSIDE, "towns": Kind.DIR, "towns/a": Kind.DIR, "towns/a/file.md": Kind.FILE,
        "towns/a/sub": Kind.DIR, "towns/a/sub/deep.png": Kind.FILE, "towns/inlink": Kind.DIR,
        "towns/inlink/file.md": Kind.FILE, "towns/inlink/sub/deep.png": Kind.FILE,
        "towns/inlink/outfile.md": Kind.OUTSIDE, "towns/outdir": Kind.OUTSIDE,
        "towns/outdir/secret.md": Kind.OUTSIDE, "towns/outdir/sub/x.md": Kind.OUTSIDE,
        "towns/a/outfile.md": Kind.OUTSIDE, "towns/a/uplink.md": Kind.FILE,
        "towns/a/../a/outfile.md": Kind.OUTSIDE, "towns/a/sub/../../outdir/sub": Kind.OUTSIDE,
        "towns/dangling.md": Kind.BROKEN, "towns/loop1": Kind.LOOP, "towns/loop1/x.md": Kind.LOOP,
        "towns/a/pipe.md": Kind.SPECIAL, "towns/a/missing.md": Kind.MISSING,
        "towns/missing/x.md": Kind.MISSING, "towns/a/file.md/x": Kind.MISSING,
    }  # fmt: skip
    judge = PathJudge(root)
    for relative, wanted in expected.items():  # folders first, so their entries take the quick way
        target = root / relative
        assert (judge.kind(target), kind(target, root)) == (wanted, wanted), relative
    (towns / "a/sub/deep.png").unlink()
    (towns / "a/sub/deep.png").symlink_to(outside / "secret.md")
    assert PathJudge(root).kind(towns / "inlink/sub/deep.png") is Kind.OUTSIDE  # a new run sees it


def test_town_folders_and_district_list_are_reconciled(profile: Profile, tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng", "beidu"), list_all=True)
    shutil.copytree(root / "towns/beidu", root / "towns/newtown")
    findings = [f for f in load_workspace(root, profile).findings if f.code == "TP006"]
    listed_missing = [f for f in findings if f.severity is Severity.ERROR]
    assert len(listed_missing) == 4  # yaodian, zhengyang, dizhang, zhouling
    assert listed_missing[0].ref.path == "towns/district.yaml" and listed_missing[0].ref.line == 12
    [unlisted] = [f for f in findings if f.severity is Severity.WARNING]
    assert "newtown" in unlisted.message


def test_report_file_names_must_be_valid_dates(
    profile: Profile, workspace_copy: Callable[..., Path]
) -> None:
    root = workspace_copy("weicheng")
    reports = root / "towns/weicheng/reports"
    shutil.copy(reports / "2023-09-08.md", reports / "2023-09-31.md")
    shutil.copy(reports / "2023-09-08.md", reports / "第9期.md")
    findings = [f for f in load_workspace(root, profile).findings if f.code == "TP010"]
    messages = sorted(f.message for f in findings)
    assert any("9月只有30天" in m for m in messages)
    assert any("YYYY-MM-DD.md" in m for m in messages)


def test_missing_towns_folder_is_one_finding(tmp_path: Path, profile: Profile) -> None:
    workspace = load_workspace(tmp_path, profile)
    assert [f.code for f in workspace.findings] == ["TP001"]
    assert workspace.district.towns == ()


def test_probe_cache_reuses_unchanged_images_and_reprobes_edited_ones(tmp_path: Path) -> None:
    from PIL import Image

    from townplans.load.images import ProbeCache, probe_all

    picture = tmp_path / "before.png"
    Image.new("RGB", (40, 30), "white").save(picture)
    cache = ProbeCache()
    first = probe_all([picture], cache=cache)[picture]
    assert (first.width, first.height) == (40, 30)

    reloaded = ProbeCache.from_json(cache.to_json())
    assert reloaded.get(picture) == first  # survives the round trip through build/.cache
    assert probe_all([picture], cache=reloaded)[picture] == first
    assert not reloaded.changed  # nothing was probed again

    Image.new("RGB", (80, 20), "white").save(picture)  # edited in place: new size and ctime
    assert reloaded.get(picture) is None
    second = probe_all([picture], cache=reloaded)[picture]
    assert (second.width, second.height) == (80, 20)
    assert second.sha256 != first.sha256


def test_unreadable_probe_cache_is_empty_not_an_error(tmp_path: Path) -> None:
    from townplans.load.images import ProbeCache

    picture = tmp_path / "x.png"
    picture.write_bytes(b"not an image")
    assert ProbeCache.from_json("{broken").get(picture) is None
    assert ProbeCache.from_json(json.dumps({str(picture): {"stat": 1}})).get(picture) is None
    assert ProbeCache.from_json("[]").get(picture) is None


def test_probe_cache_round_trip_keeps_exif_dates_and_gps(repo: Path) -> None:
    from townplans.load.images import ProbeCache, probe_all

    photos = sorted((repo / "towns").rglob("*.jpg"))[:20]
    cache = ProbeCache()
    probed = probe_all(photos, cache=cache)
    assert any(info.taken and info.gps for info in probed.values())
    assert probe_all(photos, cache=ProbeCache.from_json(cache.to_json())) == probed


# -- root cause first (issue 11) ------------------------------------------------------------------


def _findings(root: Path) -> list[str]:
    from townplans import pipeline
    from townplans.check import Selection

    _, result = pipeline.run_check(root, Selection(towns=("weicheng",)), dt.date(2023, 9, 20))
    return [str(f) for f in result.findings if f.ref.path.startswith("towns/weicheng")]


@pytest.mark.parametrize(
    ("old", "new", "root_cause"),
    [
        (
            "investment: 1850万元",
            "投资：1850万元",
            "brief.md:9: TP002 错误 这一行“投资：1850万元”用了全角冒号“：”",
        ),
        ("---\ntitle: 滨河路道路改造工程", "title: 滨河路道路改造工程", "brief.md:1: TP018"),
        ("permits:\n", "permits:\n---\n", "brief.md:1: TP007"),
    ],
)
def test_a_file_that_fails_to_load_gives_its_one_finding_first(
    tmp_path: Path, old: str, new: str, root_cause: str
) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    brief = root / "towns/weicheng/projects/binhe-road/brief.md"
    text = brief.read_text(encoding="utf-8")
    if old == "permits:\n":  # an unclosed front matter: drop the closing ---
        text = text.replace("\n---\n\n# 一、项目概况", "\n\n# 一、项目概况")
    else:
        text = text.replace(old, new, 1)
    brief.write_text(text, encoding="utf-8")
    found = _findings(root)
    about_brief = [f for f in found if "binhe-road/brief.md" in f]
    assert root_cause in about_brief[0], about_brief
    assert [f.split(": ")[1].split(" ")[0] for f in about_brief] == [
        about_brief[0].split(": ")[1].split(" ")[0],
        "TP019",
    ]
    assert not [f for f in found if re.search(r": TP[26]\d\d ", f)], found  # no cascade


def test_a_town_yaml_that_fails_to_parse_is_not_also_missing(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    town = root / "towns/weicheng/town.yaml"
    town.write_text(
        town.read_text(encoding="utf-8").replace("mayor: 王立新", "mayor: [王立新"),
        encoding="utf-8",
    )
    found = _findings(root)
    assert any(" TP002 " in f for f in found) and not any(" TP101 " in f for f in found), found


# -- long lists are cut where they are read (MAX_LIST_ITEMS, MAX_PROJECTS, MAX_REPORTS) -------------------


def _revisions(count: int) -> str:
    return "revisions:\n" + "".join(
        f"  - {{version: v{n}.0, date: 2023-04-20, status: 征求意见稿, summary: 第{n}次}}\n"
        for n in range(count)
    )


def test_a_yaml_list_over_the_cap_is_cut_at_its_first_item_left_out() -> None:
    from townplans.limits import MAX_LIST_ITEMS
    from townplans.model import SourceRef
    from townplans.sources import parse_yaml

    text = "title: 某规划\n" + _revisions(MAX_LIST_ITEMS + 250)
    located, findings = parse_yaml(text, SourceRef("towns/x/plan.md"), line_offset=1)
    assert located is not None
    assert len(located.get("revisions")) == MAX_LIST_ITEMS
    assert located.get("revisions")[-1]["version"] == f"v{MAX_LIST_ITEMS - 1}.0"
    # line 1 is the ---, line 2 the title, line 3 "revisions:", item n on line 4 + n
    [cut] = findings
    assert (cut.code, cut.severity, str(cut.ref)) == (
        "TP013",
        Severity.ERROR,
        f"towns/x/plan.md:{4 + MAX_LIST_ITEMS}",
    )
    assert f"列表“revisions”有 {MAX_LIST_ITEMS + 250} 项" in cut.message
    assert "250 项未读取" in cut.message
    # the items left out were never read: nothing in the document has a line past the cut
    assert max(located.lines.values()) == 3 + MAX_LIST_ITEMS


def test_a_yaml_list_at_the_cap_is_read_whole() -> None:
    from townplans.limits import MAX_LIST_ITEMS
    from townplans.model import SourceRef
    from townplans.sources import parse_yaml

    located, findings = parse_yaml(_revisions(MAX_LIST_ITEMS), SourceRef("x.yaml"))
    assert located is not None and not findings
    assert len(located.get("revisions")) == MAX_LIST_ITEMS


def test_a_plans_revisions_over_the_cap_reach_no_rule_or_document(
    profile: Profile, workspace_copy: Callable[..., Path]
) -> None:
    from townplans.limits import MAX_LIST_ITEMS

    root = workspace_copy("weicheng")
    chapter = root / "towns/weicheng/master-plan/01-general.md"
    text = chapter.read_text(encoding="utf-8")
    chapter.write_text(text.replace("revisions:\n", _revisions(10_000), 1), encoding="utf-8")
    workspace = load_workspace(root, profile)
    town = workspace.district.towns[0]
    assert town.master_plan is not None
    assert len(town.master_plan.chapters[0].meta.get("revisions")) == MAX_LIST_ITEMS
    [cut] = [f for f in workspace.findings if f.code == "TP013"]
    assert cut.ref.path == "towns/weicheng/master-plan/01-general.md"
    lines = chapter.read_text(encoding="utf-8").splitlines()
    assert f"v{MAX_LIST_ITEMS}.0," in lines[cut.ref.line - 1]


def test_project_folders_and_reports_over_their_caps_are_cut_by_name(
    profile: Profile, workspace_copy: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from townplans.load import workspace as loader

    root = workspace_copy("weicheng")
    town = root / "towns/weicheng"
    for number in range(3):
        shutil.copytree(town / "projects/binhe-road", town / f"projects/zz-{number}")
        shutil.copy(town / "reports/2023-09-15.md", town / f"reports/2023-10-0{number + 1}.md")
    monkeypatch.setattr(loader, "MAX_PROJECTS", 5)  # 4 in the sample, 3 more: 2 left out
    monkeypatch.setattr(loader, "MAX_REPORTS", 10)  # 8 in the sample, 3 more: 1 left out
    workspace = load_workspace(root, profile)
    [loaded] = workspace.district.towns
    assert [p.slug for p in loaded.projects][-2:] == ["sewage-network", "zz-0"]
    assert len(loaded.projects) == 5
    assert [r.date_text for r in loaded.reports][-1] == "2023-10-02"
    cuts = sorted((f.ref.path, f.message) for f in workspace.findings if f.code == "TP013")
    assert [path for path, _ in cuts] == [
        "towns/weicheng/projects/zz-1",
        "towns/weicheng/reports/2023-10-03.md",
    ]
    assert "项目文件夹有 7 个，超过 5 个的上限" in cuts[0][1]
    assert "周报文件有 11 个，超过 10 个的上限" in cuts[1][1]
