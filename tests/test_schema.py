"""`townplans schema`: JSON Schemas generated from the profile accept the sample and catch mistakes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from click.testing import CliRunner

from townplans.cli import cli
from townplans.sources import split_front_matter


def _schemas(repo: Path, tmp_path: Path) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["--root", str(repo), "schema", "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    return {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in tmp_path.glob("*.schema.json")
    }


def _front_matter(path: Path) -> Any:
    yaml_text, _, _ = split_front_matter(path.read_text(encoding="utf-8"))
    return yaml.load(yaml_text or "", Loader=yaml.BaseLoader)  # strings, as an editor sees them


def test_schemas_are_valid_and_accept_the_sample(repo: Path, tmp_path: Path) -> None:
    schemas = _schemas(repo, tmp_path)
    assert {
        "district.schema.json",
        "town.schema.json",
        "project_brief.schema.json",
        "weekly_report.schema.json",
    } <= set(schemas)
    for schema in schemas.values():
        jsonschema.Draft202012Validator.check_schema(schema)
    briefs = sorted((repo / "towns").glob("*/projects/*/brief.md"))
    validator = jsonschema.Draft202012Validator(schemas["project_brief.schema.json"])
    complete = [brief for brief in briefs if "beidu-market" not in str(brief)]
    for brief in complete:
        assert not list(validator.iter_errors(_front_matter(brief))), brief
    missing = list(
        validator.iter_errors(_front_matter(repo / "towns/beidu/projects/beidu-market/brief.md"))
    )
    assert missing and "funding" in str(missing[0].message) + str(missing[0].schema)
    town = jsonschema.Draft202012Validator(schemas["town.schema.json"])
    for path in sorted((repo / "towns").glob("*/town.yaml")):
        assert not list(
            town.iter_errors(yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader))
        ), path


def test_schema_catches_enum_and_unknown_keys(repo: Path, tmp_path: Path) -> None:
    schema = _schemas(repo, tmp_path)["project_brief.schema.json"]
    document = _front_matter(repo / "towns/weicheng/projects/binhe-road/brief.md")
    document["zone"] = "商业区"
    document["natrue"] = "改扩建"
    messages = " ".join(
        e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(document)
    )
    assert "商业区" in messages and "natrue" in messages
    assert schema["properties"]["投资规模"]["description"] == "investment 的中文名称"
    assert "R29" in schema["properties"]["investment"]["description"]


def test_schema_to_stdout(repo: Path) -> None:
    result = CliRunner().invoke(cli, ["--root", str(repo), "schema"])
    data = json.loads(result.output)
    assert (
        data["town.schema.json"]["properties"]["indicators"]["properties"]["greening_coverage"][
            "title"
        ]
        == "镇区绿化覆盖率"
    )
