"""The rules read each document once: what they share is worked out once per run and kept, and
keeping it changes no finding."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from townplans.check import run_rules
from townplans.fields import read_field
from townplans.load import load_workspace
from townplans.mdparser import tables
from townplans.model import Workspace
from townplans.profile import Profile
from townplans.rules import Context, fields
from townplans.rules.reading import lines, sections, yaml_strings

REPO = Path(__file__).resolve().parent.parent
TODAY = dt.date(2023, 9, 20)


def test_every_rule_of_a_pass_shares_one_context_per_town(
    profile: Profile, sample: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Five field rules and TP501 report the field issues of a town (and of district.yaml, for the
    # rules that check the district): worked out once per town and once for the district.
    worked_out: list[str | None] = []
    original = fields._field_issues

    def counted(ctx: Context) -> Iterator[fields.FieldIssue]:
        worked_out.append(ctx.town.slug if ctx.town is not None else None)
        return original(ctx)

    monkeypatch.setattr(fields, "_field_issues", counted)
    run_rules(sample, profile, sample.findings, today=TODAY)
    expected = [None, *(town.slug for town in sample.district.towns)]
    assert sorted(worked_out, key=str) == sorted(expected, key=str)


def test_what_is_read_from_a_document_is_kept_and_never_compared(profile: Profile) -> None:
    town = load_workspace(REPO, profile).district.towns[0]
    plan = town.construction_plan
    assert plan is not None and town.meta is not None
    assert lines(plan) is lines(plan) and tables(plan) is tables(plan)
    assert sections(plan) is sections(plan) and yaml_strings(town.meta) is yaml_strings(town.meta)
    assert plan == dataclasses.replace(plan) and not dataclasses.replace(plan).derived
    spec = profile.documents["town"].fields["name"]
    renamed = dataclasses.replace(spec, key="slug")  # the same key path, another spec
    assert read_field(town.meta, spec) is read_field(town.meta, spec)
    assert read_field(town.meta, renamed).spec is renamed
    copied = copy.deepcopy(town.meta)  # kept values come along, keyed by the old specs' ids
    copied.derived[("field", id(renamed), ())] = read_field(town.meta, spec)  # as if reused
    assert read_field(copied, renamed).spec is renamed


def test_findings_are_the_same_when_the_readings_are_already_kept(profile: Profile) -> None:
    workspace = load_workspace(REPO, profile)
    first = run_rules(workspace, profile, workspace.findings, today=TODAY)
    again = run_rules(workspace, profile, workspace.findings, today=TODAY)  # all kept by now
    fresh = load_workspace(REPO, profile)
    assert first.findings == again.findings
    assert run_rules(fresh, profile, fresh.findings, today=TODAY).findings == first.findings
