"""JSON Schema (draft 2020-12) for district.yaml, town.yaml and each document type's front matter,
generated from the profile, so editors complete and validate fields as people type.

The schemas accept what the checker accepts: office-style values (``1200万元``, ``2023年9月25日``)
as strings, plain numbers where a number is meant, and the Chinese labels as aliases of the keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from townplans.profile import DocumentType, FieldSpec, Profile

DRAFT = "https://json-schema.org/draft/2020-12/schema"
_DATE = r"^\s*\d{4}(-\d{1,2}-\d{1,2}|/\d{1,2}/\d{1,2}|\.\d{1,2}\.\d{1,2}|\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*[日号])\s*$"
_EXAMPLES = {
    "money": ["1200万元", "1.2亿元", "12,000,000元", 1200],
    "percent": ["30%", 30],
    "date": ["2023-09-25", "2023年9月25日", "2023/9/25"],
    "area": ["800㎡", "1.5公顷"],
    "area_ha": ["12.5公顷", "8万平方米"],
    "area_km2": ["2.3平方公里", "230公顷"],
    "per_capita_area": ["8.5㎡/人", 8.5],
    "count": ["1个", 1],
    "number": [1.5],
    "period": ["2021—2035年", "至2025年"],
    "names": ["冯涛", ["冯涛", "李明"]],
}


def field_schema(spec: FieldSpec) -> dict[str, Any]:
    """The schema of one field, with its Chinese label and requirement numbers as documentation."""
    refs = f"（{'、'.join(spec.refs)}）" if spec.refs else ""
    unit = f"，单位 {spec.unit}" if spec.unit else ""
    schema: dict[str, Any] = {"title": spec.label, "description": f"{spec.label}{unit}{refs}"}
    if spec.type == "text":
        schema["type"] = "string"
        if spec.enum:
            schema["enum"] = list(spec.enum)
    elif spec.type == "date":
        schema["type"] = "string"
        schema["pattern"] = _DATE
    elif spec.type == "list":
        schema["type"] = "array"
        if spec.items:
            schema["items"] = _object(spec.items, closed=False)
    elif spec.type == "mapping":
        schema["type"] = "object"
    elif spec.type == "names":
        name = {"type": "string", "minLength": 1}
        schema["anyOf"] = [name, {"type": "array", "items": name, "minItems": 1}]
    else:
        schema["type"] = ["string", "number"]
    if spec.type in _EXAMPLES:
        schema["examples"] = _EXAMPLES[spec.type]
    return schema


def _object(fields: Mapping[str, FieldSpec], closed: bool = True) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    requirements: list[dict[str, Any]] = []
    for spec in fields.values():
        properties[spec.key] = field_schema(spec)
        names = [spec.key]
        for alias in (spec.label, *spec.aliases):
            if alias != spec.key:
                properties[alias] = {**field_schema(spec), "description": f"{spec.key} 的中文名称"}
                names.append(alias)
        if spec.required and spec.when is None:
            requirements.append(
                {"anyOf": [{"required": [name]} for name in names]}
                if len(names) > 1
                else {"required": names}
            )
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if requirements:
        schema["allOf"] = requirements
    if closed:
        properties["waivers"] = {
            "type": "array",
            "description": "豁免：code、scope、reason、approver、expires",
        }
        schema["additionalProperties"] = False
    return schema


def document_schema(doctype: DocumentType, profile: Profile) -> dict[str, Any]:
    schema = _object(doctype.fields)
    schema["$schema"] = DRAFT
    schema["title"] = f"townplans {doctype.label}（规则文件 {profile.version}）"
    schema["description"] = f"{doctype.label}：{doctype.location}"
    if doctype.key == "town":
        _town_details(schema, profile)
    return schema


def _town_details(schema: dict[str, Any], profile: Profile) -> None:
    properties = schema["properties"]
    properties["indicators"] = {
        "type": "object",
        "title": "建设指标",
        "properties": {
            key: {
                "type": "object",
                "title": indicator.label,
                "description": f"目标：{indicator.comparator} {indicator.target if indicator.target is not None else '待确认'} {indicator.unit}（{'、'.join(indicator.refs)}）",
                "properties": {
                    "value": {"type": ["string", "number"]},
                    "口径": {"type": "string"},
                    "source": {"type": "string"},
                },
                "required": ["value", "口径", "source"],
            }
            for key, indicator in profile.indicators.items()
        },
    }
    statuses = list(profile.lists.get("facility_status", ()))
    properties["facilities"] = {
        "type": "object",
        "title": "设施配套",
        "properties": {
            key: {
                "type": "object",
                "title": label,
                "properties": {"status": {"enum": statuses}, "name": {"type": "string"}},
                "required": ["status"],
            }
            for key, label in profile.facilities.items()
        },
    }


def schema_file_name(doctype: DocumentType) -> str:
    return f"{doctype.key}.schema.json"


def all_schemas(profile: Profile) -> dict[str, dict[str, Any]]:
    """File name -> schema, for every document type that has fields."""
    return {
        schema_file_name(doctype): document_schema(doctype, profile)
        for doctype in profile.documents.values()
        if doctype.fields
    }
