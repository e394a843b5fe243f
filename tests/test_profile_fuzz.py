"""The rulebook never crashes: random mutations of the shipped profile.yaml (types swapped, keys
misspelt, lists for maps) load without raising, and each yields a located TP901 finding; a check
run with a mutated profile finishes too."""

from __future__ import annotations

import copy
import shutil
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import REPO, copy_workspace
from townplans import pipeline
from townplans.profile import load_profile
from townplans.profile_schema import Either, Keys, Later, Scalar, shape_at

SHIPPED: Any = yaml.safe_load((REPO / "templates/profile.yaml").read_text(encoding="utf-8"))

Path_ = tuple[str | int, ...]


def _nodes(value: Any, path: Path_ = ()) -> list[tuple[Path_, Any]]:
    """Every node below the root with its path."""
    found: list[tuple[Path_, Any]] = [(path, value)] if path else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _nodes(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _nodes(item, (*path, index))
    return found


NODES = _nodes(SHIPPED)
MISSPELLABLE = [
    (path, key)
    for path, node in [((), SHIPPED), *NODES]
    if isinstance(node, dict) and isinstance(shape_at(path), Keys)
    for key in node
]


def _misspelt(key: str, known: set[str]) -> str:
    for candidate in (key[:-1], key + key[-1], key[1:] + key[0], key + "s"):
        if candidate and candidate not in known:
            return candidate
    return key + "_x"


def _mutate(data: Any, kind: str, choice: int) -> tuple[Any, str]:
    """A deep copy of ``data`` with one mutation of ``kind``; the description says which."""
    data = copy.deepcopy(data)
    if kind == "misspell":
        path, key = MISSPELLABLE[choice % len(MISSPELLABLE)]
        parent = _at(data, path)
        shape = shape_at(path)
        assert isinstance(shape, Keys)
        new = _misspelt(key, set(shape.fields))
        parent[new] = parent.pop(key)
        return data, f"{path}: {key} -> {new}"
    path, node = NODES[choice % len(NODES)]
    parent, last = _at(data, path[:-1]), path[-1]
    if isinstance(node, dict):
        parent[last] = [node]  # a list where a map belongs
    elif isinstance(node, list):
        parent[last] = "一"
    elif isinstance(node, str):
        parent[last] = [1]
    elif node is None or isinstance(node, (bool, int, float)):
        # text where a number belongs; where text is welcome too (an ``example`` is either), a map
        parent[last] = {"一": 1} if _takes_text(shape_at(path)) else "一"
    return data, f"{path}: {node!r} -> {parent[last]!r}"


def _takes_text(shape: object) -> bool:
    """Whether a value of ``shape`` may be text (``make fuzz`` retyped a number to text where
    the profile accepts either, and called the loader wrong for accepting it)."""
    if isinstance(shape, Later):
        shape = shape.get()
    if isinstance(shape, Either):
        return any(_takes_text(option) for option in shape.options)
    return isinstance(shape, Scalar) and str in shape.kinds


def _at(data: Any, path: Path_) -> Any:
    for part in path:
        data = data[part]
    return data


@given(
    kind=st.sampled_from(["misspell", "retype"]),
    choice=st.integers(min_value=0, max_value=10_000),
)
def test_a_mutated_profile_loads_and_says_where(
    kind: str, choice: int, tmp_path_factory: Any
) -> None:
    mutated, what = _mutate(SHIPPED, kind, choice)
    folder = tmp_path_factory.mktemp("profile")
    path = folder / "profile.yaml"
    path.write_text(yaml.safe_dump(mutated, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = load_profile(path, folder)
    located = [f for f in result.findings if f.code == "TP901" and f.ref.line is not None]
    assert located, what


@pytest.mark.slow
@settings(max_examples=12, deadline=None)
@given(
    kind=st.sampled_from(["misspell", "retype"]),
    choice=st.integers(min_value=0, max_value=10_000),
)
def test_a_check_with_a_mutated_profile_finishes(
    kind: str, choice: int, tmp_path_factory: Any
) -> None:
    mutated, what = _mutate(SHIPPED, kind, choice)
    root = tmp_path_factory.mktemp("ws")
    shutil.rmtree(root)
    copy_workspace(root, ("weicheng",))
    (root / "templates/profile.yaml").write_text(
        yaml.safe_dump(mutated, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    try:
        _session, checked = pipeline.run_check(root)
    except pipeline.ToolError as error:  # the profile is refused as a whole: said, not raised
        assert "规则文件" in str(error), what
        return
    assert any(f.code == "TP901" for f in checked.findings), what


def test_the_shipped_profile_has_no_unread_keys() -> None:
    """Every key of the shipped profile is declared (and so read by the typed profile)."""
    result = load_profile(REPO / "templates/profile.yaml", REPO)
    assert result.findings == ()
    for path, _node in NODES:
        assert shape_at(path) is not None, path


def test_mutations_cover_every_key_kind() -> None:
    kinds = {type(node).__name__ for _path, node in NODES}
    assert {"dict", "list", "str", "int", "bool", "NoneType"} <= kinds
    assert len(MISSPELLABLE) > 500
