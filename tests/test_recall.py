"""The recall harness itself (benchmarks/recall.py): a few generators run through it, so that what
`make recall` reports can be trusted. The whole harness is `make recall`, not part of the tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
import recall  # the benchmark is a script beside the package, not a module of it


def test_every_generator_plants_its_mistake_in_the_sample(tmp_path: Path) -> None:
    """Each generator's text is in the sample as committed (a generator that plants nothing would
    count as caught by nobody and as a miss for no reason)."""
    work, pristine = recall.make_workspace(tmp_path)
    site = recall.Site(work, pristine)
    broken = []
    for mistake in recall.MISTAKES:
        try:
            mistake.plant(site)
        except recall.PlantError as exc:
            broken.append(f"{mistake.key}: {exc}")
        assert site.planted or broken, mistake.key
        site.restore()
        site.planted = set()
    assert not broken
    assert len(recall.MISTAKES) >= 100
    assert {m.category for m in recall.MISTAKES} >= {
        "算术",
        "引用",
        "格式",
        "身份",
        "单位量级",
        "占位",
    }
    # restoring leaves the working copy as it was
    for path in (recall.PLAN, recall.PARCELS, recall.MARKET):
        assert (work / path).read_bytes() == (pristine / path).read_bytes()


def test_a_few_generators_are_judged_caught_missed_and_alarmed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Planted one by one and in one combination: caught when a new finding names the file with a
    fitting severity; a finding elsewhere is a false alarm; the clean copy has no new findings."""
    # A rewording no rule should object to: planted like a mistake, it must be judged missed.
    benign = recall.Mistake(
        "benign-rewording",
        "身份",
        recall.WARNING,
        "措辞调整（不是错误）",
        recall.edits((recall.GENERAL, "都市农业为主的", "都市农业为主导的")),
    )
    monkeypatch.setattr(recall, "MISTAKES", [*recall.MISTAKES, benign])
    keys = ["landuse-total-typo", "docnum-square", "xx-location", "per-capita-land", benign.key]
    results = recall.run(combinations=1, seed=7, only=keys)
    outcome = {o.mistake.key: o for o in results.singles}
    assert outcome["landuse-total-typo"].caught
    assert any(f.code == "TP620" for f in outcome["landuse-total-typo"].findings)
    assert outcome["docnum-square"].caught and outcome["xx-location"].caught
    # 人均建设用地 = 建设用地 ÷ 规划期末人口: the derivation engine (TP641) recomputes it.
    assert [f.code for f in outcome["per-capita-land"].findings] == ["TP641"]
    assert not outcome[benign.key].caught
    assert not outcome[benign.key].findings
    assert results.false_alarms() == []
    assert len(results.combinations) == 1 and len(results.combinations[0].planted) == 3


def test_severity_must_fit_and_other_files_are_false_alarms() -> None:
    """The judge: a warning does not catch an error-level mistake; a finding naming the file in
    its message counts; one naming neither is not."""
    from townplans.model import Finding, Severity, SourceRef

    mistake = next(m for m in recall.MISTAKES if m.key == "landuse-total-typo")
    files = (recall.LAND,)
    warning = Finding("TP620", Severity.WARNING, "合计不符", SourceRef(recall.LAND, 22))
    error = Finding("TP620", Severity.ERROR, "合计不符", SourceRef(recall.LAND, 22))
    elsewhere = Finding(
        "TP622", Severity.ERROR, f"与 {recall.LAND}:22 不符", SourceRef(recall.PLAN)
    )
    unrelated = Finding("TP622", Severity.ERROR, "不符", SourceRef(recall.PLAN))
    assert not recall.judge(mistake, files, [warning])
    assert recall.judge(mistake, files, [error])
    assert recall.judge(mistake, files, [elsewhere])
    assert not recall.judge(mistake, files, [unrelated])


@pytest.mark.parametrize("key", ["brief-deleted", "mayor-changed"])
def test_mistakes_visible_in_two_files_declare_both(key: str) -> None:
    mistake = next(m for m in recall.MISTAKES if m.key == key)
    assert mistake.also
