"""Property tests over front matter and YAML values (issue 9): whatever a town writes in its YAML,
loading, every rule, the status matrix and the Word and HTML writers never raise, and no rule
fails unexpectedly (no TP990 guard finding).

Each example replaces one file's content in an already loaded two-town workspace (so an example
costs the loader, the rules and the writers, not a full workspace load). ``make fuzz`` raises the
number of examples (``HYPOTHESIS_PROFILE=fuzz``, see tests/conftest.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import copy_workspace
from townplans.check import Selection, run_rules
from townplans.load import load_workspace
from townplans.load.markdown import load_markdown
from townplans.model import Located, SourceRef, Town, Workspace
from townplans.profile import Profile
from townplans.render import documents
from townplans.render.style import load_style
from townplans.sources import parse_yaml
from townplans.status import district_status

FUZZ = settings(
    # An example here costs the loader, every rule and two writers: a sixth of the profile's
    # budget (16 in ``make test``, 500 per property in ``make fuzz``).
    max_examples=max(10, settings.default.max_examples // 6),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
BRIEF = "towns/weicheng/projects/binhe-road/brief.md"
TODAY = dt.date(2023, 9, 20)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, profile: Profile) -> Workspace:
    root = copy_workspace(tmp_path_factory.mktemp("fuzz") / "ws", ("weicheng", "zhouling"))
    return load_workspace(root, profile)


# -- strategies -------------------------------------------------------------------------------------

_OFFICE_TEXTS = [
    "1200万元", "１２００万元", "1.2亿元", "-5万元", "1e309", "NaN", "０", "30%", "３０％", "百分之三十",
    "2023-02-30", "2023年9月31日", "9999-12-31", "0000-00-00", "2023/13/01", "—", "【待填写】",
    "12345678901234567890123456789万元", "2.3平方公里", "-3公顷", "8.5㎡/人", "27600人", "abc人",
    "__class__", "{{ 7*7 }}", "<script>x</script>", "*强调*", "\\newpage", "\u202e翻转", "😀",
]  # fmt: skip
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
    st.text(max_size=40),
    st.sampled_from(_OFFICE_TEXTS),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _keys(profile: Profile, document: str) -> list[str]:
    doctype = profile.documents[document]
    return [*doctype.fields, *(spec.label for spec in doctype.fields.values()), "waivers", "x"]


def front_matter(profile: Profile, document: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(_keys(profile, document)), values, max_size=12)


def as_yaml(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


yaml_texts = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.sampled_from(list("-:[]{}&*!|>'\"#% \n\t\u3000：，abc1")), max_size=200),
)


# -- helpers -------------------------------------------------------------------------------------------


def _with_town(workspace: Workspace, town: Town) -> Workspace:
    towns = tuple(town if t.slug == town.slug else t for t in workspace.district.towns)
    return dataclasses.replace(
        workspace, district=dataclasses.replace(workspace.district, towns=towns)
    )


def _everything_survives(
    workspace: Workspace, profile: Profile, loaded_findings: list[Any]
) -> None:
    result = run_rules(workspace, profile, loaded_findings, Selection(), TODAY)
    guards = [str(f) for f in result.findings if f.code == "TP990"]
    assert not guards, guards
    district_status(workspace, profile, result)
    root = Path(workspace.root)
    assembler = documents.Assembler(
        root, profile, documents.Templates(root / "templates/documents"), workspace.district
    )
    style = load_style(root / "templates/style.yaml")
    town = workspace.district.towns[0]
    for spec in assembler.town_documents(town):
        if spec.name.endswith("项目简介汇编"):  # the document made from front-matter values
            documents.to_docx(spec, style, root, dt.datetime(2023, 9, 20))
            documents.to_html(spec, style, root)


# -- the properties --------------------------------------------------------------------------------------


@FUZZ
@given(data=st.data())
def test_any_brief_front_matter(data: st.DataObject, loaded: Workspace, profile: Profile) -> None:
    meta = data.draw(front_matter(profile, "project_brief"))
    root = Path(loaded.root)
    path = root / BRIEF
    body = path.read_text(encoding="utf-8").split("\n---\n", 1)[1]
    path.write_text(f"---\n{as_yaml(meta)}---\n{body}", encoding="utf-8")
    brief, findings = load_markdown(path, root, profile.documents["project_brief"].alias_map())
    town = loaded.district.towns[0]
    projects = tuple(
        dataclasses.replace(p, brief=brief) if p.folder.endswith("binhe-road") else p
        for p in town.projects
    )
    _everything_survives(
        _with_town(loaded, dataclasses.replace(town, projects=projects)), profile, findings
    )


@FUZZ
@given(data=st.data())
def test_any_town_yaml(data: st.DataObject, loaded: Workspace, profile: Profile) -> None:
    if data.draw(st.booleans()):
        text = as_yaml(data.draw(front_matter(profile, "town")))
    else:
        text = data.draw(yaml_texts)
    meta, findings = parse_yaml(text, SourceRef("towns/weicheng/town.yaml"))
    town = dataclasses.replace(loaded.district.towns[0], meta=meta)
    _everything_survives(_with_town(loaded, town), profile, findings)


@FUZZ
@given(data=st.data())
def test_any_district_yaml(data: st.DataObject, loaded: Workspace, profile: Profile) -> None:
    district = data.draw(front_matter(profile, "district"))
    if data.draw(st.booleans()):
        district["phases"] = data.draw(
            st.lists(
                st.dictionaries(st.sampled_from(["key", "label", "start", "end"]), values),
                max_size=4,
            )
        )
    meta, findings = parse_yaml(as_yaml(district), SourceRef("towns/district.yaml"))
    workspace = dataclasses.replace(
        loaded, district=dataclasses.replace(loaded.district, meta=meta)
    )
    _everything_survives(workspace, profile, findings)


@FUZZ
@given(items=st.lists(values, max_size=6))
def test_any_parcels_yaml(items: list[Any], loaded: Workspace, profile: Profile) -> None:
    parcels, findings = parse_yaml(
        as_yaml(items), SourceRef("towns/weicheng/detailed-plans/center/parcels.yaml")
    )
    town = loaded.district.towns[0]
    plans = tuple(dataclasses.replace(p, parcels=parcels) for p in town.detailed_plans)
    _everything_survives(
        _with_town(loaded, dataclasses.replace(town, detailed_plans=plans)), profile, findings
    )


@FUZZ
@given(text=yaml_texts)
def test_any_yaml_text_parses_or_is_a_finding(text: str) -> None:
    located, findings = parse_yaml(text, SourceRef("x.yaml"))
    assert located is not None or findings
    assert all(f.ref.path == "x.yaml" for f in findings)
    if located is not None:
        assert isinstance(located, Located)
