"""Read every stated fact of a loaded workspace into a ``FactBase``, once, for the rules and the
writers alike.

These kinds of statement become facts:

- **fields**: front matter and YAML (district.yaml, town.yaml, parcels.yaml, each document's
  front matter) read by the profile's field types through ``load.fields.read_field`` (one parser
  per kind of value: ``values``). A town's indicators become ``indicator.<key>`` (with its
  ``indicator.<key>.口径``), a brief's funding ``funding.<source>``, its permits
  ``permits.<key>``; a weekly report's project rows are facts about those projects as of the
  report's date.
- **tables**, through the header vocabulary of ``templates/knowledge/`` (``tables``): the row's
  subject is the entity its key column names (a project by its title, a parcel by its id).
- **text**, through the extraction patterns of ``templates/knowledge/`` (``patterns``): in body
  text, or in the text of a fact already read (a project's 形象进度 states its stage; an
  indicator's 口径 states the road area it was computed from). A pattern's ``as_of`` group gives
  the year a figure speaks for; a reference names another entity by its name.
- **structure**: what the files' places say (origin ``structure``): each project's ``town``, and
  each detailed plan's ``rests_on`` — the plan its text cites, else the town's master plan
  (城乡规划法 第二十条、第二十一条).
- **mentions** in text and fields: the standards and laws cited and the registry's places named
  (``facts.mentions``).

A value still to be written (【待填写】, 待定 …) is no fact: the field rules report it, once.

A value that cannot be read yields no fact (the field rules report it); reading never raises for
content. Subjects are keyed so that two documents speaking of the same thing meet: a town by its
slug, a project by ``town/slug``, a plan by ``town/<master-plan|construction-plan|plan slug>``, a
parcel by ``town/plan/id``, a report by ``town/date``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from townplans.facts import mentions
from townplans.facts.model import Entity, Fact, FactBase, Period, Quantity, Ref, Value
from townplans.facts.units import DocumentUnit, plan_type, town_documents
from townplans.fields import FieldValue, read_field
from townplans.knowledge import Knowledge, Pattern, TableSpec
from townplans.mdparser import Table, inline_text, name_key, tables
from townplans.model import District, Located, MarkdownFile, Project, SourceRef, Town
from townplans.profile import DocumentType, FieldSpec, Profile
from townplans.values import PARSERS, Parsed, ValueFormatError, is_placeholder

QUANTITY_TYPES = ("money", "percent", "area", "area_km2", "area_ha", "per_capita_area",
                  "number", "count")  # fmt: skip
"""Field types whose values are quantities."""

UNIT_OF_TYPE = {"money": "万元", "percent": "%", "area_km2": "km2", "area_ha": "ha",
                "area": "m2", "per_capita_area": "m2/人"}  # fmt: skip


def build_facts(district: District, profile: Profile, knowledge: Knowledge) -> FactBase:
    """Every fact the district's files state."""
    reader = _Reader(profile, knowledge)
    reader.district(district)
    for town in district.towns:
        reader.town(town)
    return FactBase(tuple(reader.facts), reader.names)


def town_facts(town: Town, profile: Profile, knowledge: Knowledge) -> FactBase:
    """The facts of one town's files (a town read again after an edit)."""
    reader = _Reader(profile, knowledge)
    reader.town(town)
    return FactBase(tuple(reader.facts), reader.names)


def value_of(parsed: Parsed, field_type: str, unit: str = "") -> Value:
    """A parsed field value as a fact's value."""
    if field_type == "date":
        assert isinstance(parsed.value, dt.date)
        return parsed.value
    if field_type == "period":
        start, end = parsed.value
        return Period(start, end, parsed.original)
    if field_type in QUANTITY_TYPES:
        chosen = parsed.unit or unit or UNIT_OF_TYPE.get(field_type, "")
        return Quantity(Decimal(parsed.value), chosen, parsed.original)
    return str(parsed.value)


def parse(raw: object, field_type: str, unit: str = "") -> Value | None:
    """``raw`` read as ``field_type`` (the profile's types); None when it cannot be read."""
    parser = PARSERS.get(field_type)
    if parser is None or raw is None or is_placeholder(raw):
        return None
    try:
        return value_of(parser(raw), field_type, unit)
    except (ValueFormatError, ArithmeticError):
        return None


PARCEL_ID = re.compile(r"(?<![A-Za-z0-9])([A-Z]{1,3}-?[0-9]{1,3}(?:-[0-9]{1,2})?)(?![A-Za-z0-9])")
"""A 控规 parcel id as the sample's plans write them (WC-02, DZ-01)."""


@dataclass
class _Reader:
    profile: Profile
    knowledge: Knowledge
    facts: list[Fact] = field(default_factory=list)
    names: dict[Entity, str] = field(default_factory=dict)

    def add(self, subject: Entity, attribute: str, value: Value, source: SourceRef,
            as_of: dt.date | None = None, origin: str = "field") -> None:  # fmt: skip
        self.facts.append(Fact(subject, attribute, value, source, as_of, origin))

    def name(self, subject: Entity, name: str) -> None:
        if name and subject not in self.names:
            self.names[subject] = name

    # -- the district and towns ---------------------------------------------------------------------

    def district(self, district: District) -> None:
        subject = Entity("district", "district")
        self.name(subject, district.name)
        doctype = self.profile.documents.get("district")
        if district.meta is not None and doctype is not None:
            self.fields(subject, district.meta, doctype.fields)

    def town(self, town: Town) -> None:
        first = len(self.facts)
        subject = Entity("town", town.slug)
        self.name(subject, town.name)
        doctype = self.profile.documents.get("town")
        if town.meta is not None and doctype is not None:
            self.fields(subject, town.meta, doctype.fields)
            self.indicators(subject, town.meta)
            self.zones(town, town.meta)
            self.facts += mentions.in_fields(subject, town.meta, self.knowledge, None)
        for project in town.projects:
            self.name(Entity("project", f"{town.slug}/{project.slug}"), project.name)
        units = list(town_documents(town, self.profile))
        for unit in units:  # every document's name first: a sentence may cite a later one
            self.subject_of(town, unit)
        for unit in units:
            self.document(town, unit)
        for plan in town.detailed_plans:
            doctype = plan_type(self.profile, plan.kind)
            if plan.parcels is not None and doctype is not None:
                self.parcels(town, plan.slug, plan.parcels, doctype)
        self.structure(town, first)
        self.restated(town, first)

    def indicators(self, town: Entity, meta: Located) -> None:
        """``indicators.<key>``: the value (by the indicator's type), its 口径 and source."""
        found = meta.get("indicators")
        if not isinstance(found, dict):
            return
        for key, indicator in self.profile.indicators.items():
            entry = found.get(key)
            if entry is None or isinstance(entry, list):
                continue
            if not isinstance(
                entry, dict
            ):  # a bare value (greening_coverage: 33.5%), as TP4xx read it
                value = parse(entry, indicator.type, indicator.unit)
                if value is not None:
                    self.add(town, f"indicator.{key}", value, meta.ref_of("indicators", key))
                continue
            value = parse(entry.get("value"), indicator.type, indicator.unit)
            if value is not None:
                self.add(town, f"indicator.{key}", value, meta.ref_of("indicators", key, "value"))
            for part in ("口径", "source"):
                text = entry.get(part)
                if isinstance(text, str) and text.strip():
                    ref = meta.ref_of("indicators", key, part)
                    self.add(town, f"indicator.{key}.{part}", text.strip(), ref)

    def zones(self, town: Town, meta: Located) -> None:
        zones = meta.get("zones")
        if not isinstance(zones, list):
            return
        for index, zone in enumerate(zones):
            if not isinstance(zone, dict) or not isinstance(zone.get("name"), str):
                continue
            subject = Entity("zone", f"{town.slug}/{zone['name'].strip()}")
            self.name(subject, zone["name"].strip())
            area = parse(zone.get("area"), "area_ha")
            if area is not None:
                self.add(subject, "area", area, meta.ref_of("zones", index, "area"))

    def structure(self, town: Town, first: int) -> None:
        """What the places of the files say: each project belongs to its town; each detailed
        plan rests on the plan its text cites, else on the plan whose parcels it says it lies on
        (a 修规 "位于控规DZ-01、DZ-02地块"), else on the town's master plan."""
        subject = Entity("town", town.slug)
        for project in town.projects:
            where = (
                project.brief.ref.at(1) if project.brief is not None else SourceRef(project.folder)
            )
            child = Entity("project", f"{town.slug}/{project.slug}")
            self.add(child, "town", Ref(subject, town.name), where, origin="structure")
        master = Entity("plan", f"{town.slug}/master-plan")
        if town.master_plan is None or not town.master_plan.chapters:
            return
        cited = {f.subject for f in self.facts[first:] if f.attribute == "rests_on"}
        owners = self.parcel_plans(town, first)
        for plan in town.detailed_plans:
            entity = Entity("plan", f"{town.slug}/{plan.slug}")
            if plan.text is None or entity in cited:
                continue
            named = {owners[i] for i in PARCEL_ID.findall(plan.text.text) if i in owners}
            named.discard(plan.slug)
            parent = Entity("plan", f"{town.slug}/{named.pop()}") if len(named) == 1 else master
            ref = Ref(parent, self.names.get(parent, ""))
            self.add(entity, "rests_on", ref, plan.text.meta.ref_of("kind"), origin="structure")

    def parcel_plans(self, town: Town, first: int) -> dict[str, str]:
        """Each parcel id of the town and the slug of the plan whose parcels.yaml lists it."""
        owners: dict[str, str] = {}
        for fact in self.facts[first:]:
            if fact.subject.kind == "parcel" and fact.subject.key.startswith(town.slug + "/"):
                _, plan, ident = fact.subject.key.split("/", 2)
                owners.setdefault(ident, plan)
        return owners

    def restated(self, town: Town, first: int) -> None:
        """Facts stated inside the text of the town's other facts (patterns with ``from``)."""
        patterns = [p for p in self.knowledge.patterns if p.source]
        read = self.facts[first:]
        for pattern in patterns:
            for fact in read:
                if fact.attribute == pattern.source and isinstance(fact.value, str):
                    self.matches(town, pattern, fact.value, fact.subject, fact.source, fact.as_of)

    # -- documents ------------------------------------------------------------------------------------

    def document(self, town: Town, unit: DocumentUnit) -> None:
        subject, as_of = self.subject_of(town, unit)
        meta = unit.meta
        self.fields(subject, meta, unit.doctype.fields, as_of)
        if unit.doctype.key == "weekly_report":
            self.report_rows(town, meta, as_of)
        for markdown in unit.files:
            self.tables(town, unit.doctype.key, markdown, as_of)
            self.text(town, subject, unit.doctype.key, markdown, as_of)
            self.facts += mentions.in_fields(subject, markdown.meta, self.knowledge, as_of)
            self.facts += mentions.in_text(subject, markdown, self.knowledge, as_of)

    def subject_of(self, town: Town, unit: DocumentUnit) -> tuple[Entity, dt.date | None]:
        """The entity a document's front matter speaks of, and the date it speaks for."""
        key, first = unit.doctype.key, unit.files[0]
        if key == "project_brief":
            project = next(p for p in town.projects if p.brief is first)
            subject = Entity("project", f"{town.slug}/{project.slug}")
        elif key == "weekly_report":
            report = next(r for r in town.reports if r.doc is first)
            subject = Entity("report", f"{town.slug}/{report.date_text}")
            self.name(subject, f"{town.name}{report.date_text}周报")
        elif key in ("regulatory_plan", "site_plan"):
            plan = next(p for p in town.detailed_plans if p.text is first)
            subject = Entity("plan", f"{town.slug}/{plan.slug}")
        else:
            subject = Entity("plan", f"{town.slug}/{key.replace('_', '-')}")
        title = first.meta.get("title")
        if isinstance(title, str) and title.strip():
            self.name(subject, title.strip())
        return subject, _date(first.meta.get("date"))

    def fields(self, subject: Entity, meta: Located, specs: Mapping[str, FieldSpec],
               as_of: dt.date | None = None, *path: str | int) -> None:  # fmt: skip
        """Each field the profile types, as a fact; lists of (text, amount) pairs and mappings
        of statuses as one fact per entry."""
        for spec in specs.values():
            found = read_field(meta, spec, *path)
            if not found.present or is_placeholder(found.raw):
                continue
            if spec.type == "list":
                self.pairs(subject, meta, spec, found, as_of, path)
            elif spec.type == "mapping":
                self.statuses(subject, meta, spec, found, path)
            elif found.parsed is not None:
                value = value_of(found.parsed, spec.type, spec.unit or "")
                when = _date(meta.get(self.knowledge.attribute(spec.key).as_of)) or as_of
                self.add(subject, spec.key, value, found.ref, when)

    def pairs(self, subject: Entity, meta: Located, spec: FieldSpec, found: FieldValue,
              as_of: dt.date | None, path: tuple[str | int, ...]) -> None:  # fmt: skip
        """A list of mappings with one text and one quantity field (funding: source, amount) as
        ``<list>.<text>`` = quantity."""
        texts = [s for s in spec.items.values() if s.type == "text"]
        amounts = [s for s in spec.items.values() if s.type in QUANTITY_TYPES]
        if len(texts) != 1 or len(amounts) != 1 or not isinstance(found.raw, list):
            return
        read: list[tuple[str, Value, SourceRef]] = []
        for index, item in enumerate(found.raw):
            name = item.get(texts[0].key) if isinstance(item, dict) else None
            value = (
                parse(item.get(amounts[0].key), amounts[0].type, amounts[0].unit or "")
                if isinstance(item, dict)
                else None
            )
            if (
                not isinstance(name, str)
                or is_placeholder(name)
                or not name.strip()
                or value is None
            ):
                return  # a list is read whole or not at all: a sum over part of it would mislead
            read.append((name.strip(), value, meta.ref_of(*path, spec.key, index, amounts[0].key)))
        for name, value, ref in read:
            self.add(subject, f"{spec.key}.{name}", value, ref, as_of)

    def statuses(self, subject: Entity, meta: Located, spec: FieldSpec, found: FieldValue,
                 path: tuple[str | int, ...]) -> None:  # fmt: skip
        """A mapping of short texts (permits: approval: 已办理) as ``<mapping>.<key>`` = text;
        nested mappings with a ``status`` (facilities) likewise."""
        if not isinstance(found.raw, dict) or spec.key == "indicators":
            return
        for key, item in found.raw.items():
            text = item.get("status") if isinstance(item, dict) else item
            if is_placeholder(text):
                continue
            if isinstance(key, str) and isinstance(text, str | int) and str(text).strip():
                ref = meta.ref_of(*path, spec.key, key)
                self.add(subject, f"{spec.key}.{key}", str(text).strip(), ref)

    def report_rows(self, town: Town, meta: Located, as_of: dt.date | None) -> None:
        """A weekly report's project rows: facts about each project as of the report's date."""
        rows = meta.get("projects")
        doctype = self.profile.documents["weekly_report"]
        spec = doctype.fields.get("projects")
        if not isinstance(rows, list) or spec is None:
            return
        for index, row in enumerate(rows):
            slug = row.get("project") if isinstance(row, dict) else None
            if not isinstance(slug, str) or not slug.strip():
                continue
            subject = Entity("project", f"{town.slug}/{slug.strip()}")
            for item in spec.items.values():
                if item.key == "project":
                    continue
                found = read_field(meta, item, "projects", index)
                if found.parsed is not None:
                    value = value_of(found.parsed, item.type, item.unit or "")
                    self.add(subject, item.key, value, found.ref, as_of, "report")

    def parcels(self, town: Town, plan: str, parcels: Located, doctype: DocumentType) -> None:
        items = parcels.get("parcels") if isinstance(parcels.data, dict) else parcels.data
        if not isinstance(items, list):
            return
        path: tuple[str | int, ...] = ("parcels",) if isinstance(parcels.data, dict) else ()
        for index, item in enumerate(items):
            ident = item.get("id") if isinstance(item, dict) else None
            if not isinstance(ident, str | int):
                continue
            subject = Entity("parcel", f"{town.slug}/{plan}/{str(ident).strip()}")
            self.name(subject, f"地块 {str(ident).strip()}")
            self.fields(subject, parcels, doctype.parcel_fields, None, *path, index)

    # -- tables and text ------------------------------------------------------------------------------

    def tables(self, town: Town, doctype: str, markdown: MarkdownFile,
               as_of: dt.date | None) -> None:  # fmt: skip
        specs = [s for s in self.knowledge.tables if doctype in s.documents]
        if not specs:
            return
        for table in tables(markdown):
            for spec in specs:
                key = table.column(*spec.key)
                if key is not None:
                    self.table_rows(town, markdown, table, spec, key, as_of)
                    break

    def table_rows(self, town: Town, markdown: MarkdownFile, table: Table, spec: TableSpec,
                   key: int, as_of: dt.date | None) -> None:  # fmt: skip
        columns = [(c, table.column(*c.header)) for c in spec.columns]
        for row in table.rows:
            if key >= len(row.cells):
                continue
            subject = self.row_subject(town, markdown, spec.subject, row.cells[key])
            if subject is None:
                continue
            for column, index in columns:
                if index is None or index >= len(row.cells) or index == key:
                    continue
                value = parse(row.cells[index], column.type, column.unit)
                if value is not None:
                    self.add(subject, column.attribute, value, row.ref, as_of, "table")

    def row_subject(self, town: Town, markdown: MarkdownFile, kind: str,
                    cell: str) -> Entity | None:  # fmt: skip
        """The entity a row's key cell names: a project of the town by its title, a parcel of
        the plan the table is in by its id; None when the cell names none (a 合计 row)."""
        if kind == "project":
            project = _project_named(town.projects, cell)
            return Entity("project", f"{town.slug}/{project.slug}") if project else None
        if kind == "parcel":
            plan = next((p for p in town.detailed_plans if p.text is markdown), None)
            ident = cell.strip()
            return Entity("parcel", f"{town.slug}/{plan.slug}/{ident}") if plan and ident else None
        return None

    def text(self, town: Town, document: Entity, doctype: str, markdown: MarkdownFile,
             as_of: dt.date | None) -> None:  # fmt: skip
        patterns = [p for p in self.knowledge.patterns if doctype in p.documents]
        if not patterns:
            return
        for ref, text in _lines(markdown):
            for pattern in patterns:
                subject = _pattern_subject(pattern, town, document)
                self.matches(town, pattern, text, subject, ref, as_of)

    def matches(self, town: Town, pattern: Pattern, text: str, subject: Entity, ref: SourceRef,
                as_of: dt.date | None) -> None:  # fmt: skip
        """The facts ``pattern`` reads in ``text``."""
        for found in pattern.regex.finditer(text):
            raw = found.group("value")
            if pattern.type == "reference":
                value: Value | None = self.reference(town, pattern.refers, raw, subject)
            else:
                value = parse(raw, pattern.type, pattern.unit)
            when = _as_of(found) if "as_of" in pattern.regex.groupindex else as_of
            if value is not None:
                self.add(subject, pattern.attribute, value, ref, when, "text")

    def reference(self, town: Town, kind: str, text: str, subject: Entity) -> Ref | None:
        """The entity of ``kind`` in ``town`` that ``text`` names (by its name, exactly once
        spaces and full-width forms are set aside), or None."""
        wanted = name_key(text)
        prefix = f"{town.slug}/"
        for entity, name in self.names.items():
            ours = entity.kind == kind and entity.key.startswith(prefix) and entity != subject
            if ours and wanted and name_key(name) == wanted:
                return Ref(entity, text.strip())
        return None


def _pattern_subject(pattern: Pattern, town: Town, document: Entity) -> Entity:
    """What a sentence speaks of: the town, or the document it is written in."""
    return Entity("town", town.slug) if pattern.subject == "town" else document


def _as_of(found: re.Match[str]) -> dt.date | None:
    """The date an ``as_of`` group gives: a year speaks for its last day (至2035年)."""
    raw = found.group("as_of")
    if raw is None:
        return None
    year = re.fullmatch(r"\s*(\d{4})\s*年?\s*", raw)
    if year is not None:
        return _date(f"{year.group(1)}-12-31")
    return _date(raw)


def _lines(markdown: MarkdownFile) -> Iterator[tuple[SourceRef, str]]:
    """Each inline token's text with its line."""
    for token in markdown.tokens:
        if token.type == "inline" and token.map is not None:
            yield markdown.ref.at(token.map[0] + 1), inline_text(token)


def _project_named(projects: Iterable[Project], text: str) -> Project | None:
    wanted = name_key(text)
    return next((p for p in projects if wanted and name_key(p.name) == wanted), None)


def _date(raw: Any) -> dt.date | None:
    value = parse(raw, "date") if raw is not None else None
    return value if isinstance(value, dt.date) else None


__all__ = ["Period", "Ref", "build_facts", "parse", "town_facts", "value_of"]
