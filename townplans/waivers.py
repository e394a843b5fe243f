"""Waivers: an approved, reasoned, dated exception to a rule, for a file or a town.

Written in a document's front matter (``waivers:``, scope: that file), in
``towns/<town>/waivers.yaml`` (scope: the town folder unless ``scope`` narrows it) or, for the
whole district, in ``towns/waivers.yaml`` (scope: every town unless ``scope`` narrows it)::

    - code: TP401            # a code, or a prefix such as TP4
      scope: towns/beidu/town.yaml   # optional: a path or glob inside the workspace
      reason: 绿化带二期秋季栽植后达到30%
      approver: 区住建局 刘向东
      expires: 2023-12-31

A waiver without a reason or an approver does not waive anything and is itself a finding; so is an
expired one, and one that matched nothing. A town's waiver reaches that town only: a scope outside
the town folder (``towns/yaodian/…`` in beidu's file, ``*``) is refused, so ``check``, ``check
--town``, ``status``, ``build`` and ``package`` all make the same decisions. Pure functions:
parsing and matching only.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass

from townplans.model import District, Finding, Located, SourceRef, Town, Workspace
from townplans.values import ValueFormatError, parse_date

_CODE = re.compile(r"^TP[0-9]{1,3}$")


@dataclass(frozen=True, slots=True)
class Waiver:
    """One waiver as written, with what is wrong with it (if anything)."""

    code: str
    scope: str
    reason: str
    approver: str
    expires: dt.date | None
    ref: SourceRef
    problems: tuple[str, ...] = ()
    """Why it cannot be honoured as written (missing reason, bad code …)."""
    town: str | None = None
    """The town folder a town's waiver is confined to; None for a district waiver."""

    @property
    def complete(self) -> bool:
        return not self.problems

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and self.expires < today

    def covers(self, finding: Finding) -> bool:
        if not finding.code.startswith(self.code) or finding.code.startswith("TP9"):
            return False
        path = finding.ref.path
        if self.town is not None and not _under(path, self.town):
            return False
        scope = self.scope.rstrip("/")
        return path == scope or path.startswith(scope + "/") or fnmatch.fnmatch(path, self.scope)

    def describe(self) -> str:
        until = f"，有效期至 {self.expires}" if self.expires else ""
        return f"已豁免：{self.reason}（批准：{self.approver}{until}；{self.ref}）"


def town_waivers(town: Town) -> list[Waiver]:
    """Every waiver written for a town: waivers.yaml and the front matter of its documents."""
    waivers = [] if town.waivers is None else _parse(town.waivers, (), town.folder, town.folder)
    for markdown in town.markdown_files():
        if isinstance(markdown.meta.data, dict) and "waivers" in markdown.meta.data:
            waivers += _parse(markdown.meta, ("waivers",), markdown.ref.path, town.folder)
    return waivers


def district_waivers(district: District) -> list[Waiver]:
    """The district-wide waivers of towns/waivers.yaml."""
    if district.waivers is None:
        return []
    return _parse(district.waivers, (), "towns", None)


def all_waivers(workspace: Workspace, towns: Iterable[Town] | None = None) -> list[Waiver]:
    """The district's waivers and those of ``towns`` (default: every town)."""
    chosen = workspace.district.towns if towns is None else towns
    return [*district_waivers(workspace.district), *(w for t in chosen for w in town_waivers(t))]


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder + "/")  # as Town.holds, for a scope string


def _parse(
    located: Located, path: tuple[str | int, ...], default_scope: str, town: str | None
) -> list[Waiver]:
    container = located.data
    for part in path:
        container = container[part]  # the caller has seen the key (front matter's "waivers")
    if not isinstance(container, list):
        problem = (
            "豁免应写成列表：- {code: TP401, reason: 原因, approver: 批准人, expires: 2023-12-31}"
        )
        return [Waiver("", default_scope, "", "", None, located.ref_of(*path), (problem,), town)]
    return [
        _one(located, (*path, index), item, default_scope, town)
        for index, item in enumerate(container)
    ]


def _one(
    located: Located,
    path: tuple[str | int, ...],
    item: object,
    default_scope: str,
    town: str | None,
) -> Waiver:
    ref = located.ref_of(*path)
    if not isinstance(item, dict):
        return Waiver(
            "",
            default_scope,
            "",
            "",
            None,
            ref,
            ("豁免条目应为映射（code、reason、approver、expires）",),
            town,
        )
    problems = []
    code = str(item.get("code", "")).strip()
    if not _CODE.match(code):
        problems.append(f"豁免的规则编号“{code}”无效：应为 TP401 这样的编号或 TP4 这样的前缀")
    reason = str(item.get("reason") or "").strip()
    approver = str(item.get("approver") or "").strip()
    if not reason:
        problems.append("豁免没有写明原因 reason")
    if not approver:
        problems.append("豁免没有写明批准人 approver")
    expires = None
    if item.get("expires") is not None:
        try:
            expires = parse_date(item["expires"]).value
        except ValueFormatError as exc:
            problems.append(f"豁免的有效期 expires 无效：{exc}")
    scope = str(item.get("scope") or default_scope).strip()
    normal = posixpath.normpath(scope) if scope else default_scope
    if ".." in normal.split("/") or normal.startswith("/"):
        problems.append(f"豁免范围“{scope}”无效：应为工作区内的相对路径，不能含 ..")
    elif town is not None and not _under(normal, town):
        problems.append(
            f"豁免范围“{scope}”不在本镇 {town}/ 之内：镇的豁免只能用于本镇，"
            "全区性的豁免请写在 towns/waivers.yaml"
        )
    return Waiver(code, normal, reason, approver, expires, ref, tuple(problems), town)


def apply(
    findings: Iterable[Finding], waivers: Iterable[Waiver], today: dt.date
) -> tuple[list[Finding], set[int]]:
    """Mark findings covered by a complete, unexpired waiver; return them and the used waivers' ids."""
    usable = [w for w in waivers if w.complete and not w.expired(today)]
    used: set[int] = set()
    result = []
    for finding in findings:
        waiver = next((w for w in usable if w.covers(finding)), None)
        if waiver is not None:
            used.add(id(waiver))
            finding = Finding(
                finding.code,
                finding.severity,
                finding.message,
                finding.ref,
                finding.source,
                waiver.describe(),
            )
        result.append(finding)
    return result, used
