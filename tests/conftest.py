"""Shared fixtures: the repository's sample workspace, copies of it to break, the shared corpora."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from townplans.load import load_workspace
from townplans.model import Workspace
from townplans.profile import Profile, load_profile

_SLOW_IS_FINE = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
settings.register_profile(
    "townplans", max_examples=150, deadline=None, derandomize=True,
    suppress_health_check=_SLOW_IS_FINE,
)  # fmt: skip
"""``make test``: the same examples on every run, so CI fails only for a change, never by chance."""
settings.register_profile(
    "fuzz", max_examples=3000, deadline=None, suppress_health_check=_SLOW_IS_FINE
)
"""``make fuzz``: thousands of fresh examples; what fails is kept in .hypothesis and replayed."""
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "townplans"))

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TOWNPLANS_SHARED", REPO.parent / "shared"))
"""The shared corpora: beside the repository, as on the developers' machines and in CI."""


def require_corpora() -> None:
    """Skip when the shared corpora are not beside the repository, except in CI, where they are
    always laid out and a missing folder must fail rather than quietly skip."""
    if (SHARED / "corpora").is_dir():
        return
    message = f"找不到共享语料 {SHARED}/corpora（可用 TOWNPLANS_SHARED 指定）"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared() -> Path:
    """The shared corpora beside the repository (CI lays them out the same way)."""
    require_corpora()
    return SHARED


@pytest.fixture(scope="session")
def profile() -> Profile:
    result = load_profile(REPO / "templates" / "profile.yaml", REPO)
    assert result.profile is not None, result.findings
    return result.profile


@pytest.fixture(scope="session")
def sample(profile: Profile) -> Workspace:
    """The sample district as committed in towns/."""
    return load_workspace(REPO, profile)


def copy_workspace(target: Path, towns: tuple[str, ...] = (), *, list_all: bool = False) -> Path:
    """A copy of the sample workspace (templates and towns, optionally only some towns).

    With only some towns, district.yaml lists just those (as a district of those towns would):
    a listed town without its folder is a district-level error (TP006), which fails ``check`` and
    refuses every town's package. ``list_all`` keeps the sample's full list."""
    shutil.copytree(REPO / "templates", target / "templates")
    (target / "towns").mkdir(parents=True)
    district = (REPO / "towns" / "district.yaml").read_text(encoding="utf-8")
    if towns and not list_all:
        lines = district.splitlines(keepends=True)
        district = "".join(line for line in lines if not _lists_other_town(line, towns))
    (target / "towns" / "district.yaml").write_text(district, encoding="utf-8")
    for town in towns or tuple(p.name for p in (REPO / "towns").iterdir() if p.is_dir()):
        shutil.copytree(REPO / "towns" / town, target / "towns" / town)
    return target


def _lists_other_town(line: str, towns: tuple[str, ...]) -> bool:
    """Whether a line of district.yaml's towns list names a town not in ``towns``."""
    return "{slug: " in line and line.split("{slug: ", 1)[1].split(",", 1)[0] not in towns


@pytest.fixture(scope="session")
def built_district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole sample district built once per test process, for tests that only read outputs
    (a test that changes files makes its own copy)."""
    from townplans import pipeline

    root = copy_workspace(tmp_path_factory.mktemp("built") / "ws")
    outcome = pipeline.run_build(root, jobs=2)
    assert not outcome.failed, [str(f) for f in outcome.findings]
    assert not [f for f in outcome.findings if f.code.startswith("TP7")], outcome.findings
    return root


@pytest.fixture
def workspace_copy(tmp_path: Path) -> Callable[..., Path]:
    """Factory: ``workspace_copy("weicheng", "beidu")`` copies those towns into tmp_path."""

    def make(*towns: str) -> Path:
        return copy_workspace(tmp_path / "ws", towns)

    return make
