"""Which face each font role of style.yaml gets in the PDF, and whether it is of the role's design.

GB/T 9704 names its faces by design: 仿宋 for the body, 小标宋 (a heavy 宋体) for the title and the
发文机关标志, 黑体 and 楷体 for the first and second level headings. A role's ``east_asian`` name
says which design it wants; its ``pdf`` list is tried in order, and the first family that is there
(a font in templates/fonts/, or one fontconfig has under that very name) is the face WeasyPrint
sets it in. ``townplans doctor`` reports a role whose face is of another design (a 仿宋 body set
in a 宋体), which a reviewer would send back.

The DOCX names the ``east_asian`` faces, which a machine without them (Linux, a print shop, CI)
does not have: LibreOffice then asks fontconfig, which gives one CJK face for all of them. A
fontconfig configuration made here (``fontconfig_conf``) adds templates/fonts/ and maps each
``east_asian`` name to the family the PDF sets it in, so that LibreOffice's pages are set in the
PDF's faces (LibreOffice reads no ``w:altName`` from the DOCX's font table, so the DOCX itself
cannot say it).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from townplans.paths import WorkspacePaths
from townplans.render.html import font_files
from townplans.render.style import FontRole, Style, load_style

DESIGNS = (
    # 仿宋 before 宋体: "仿宋" holds "宋", "FangSong" holds "Song".
    ("仿宋", ("仿宋", "fang")),
    ("楷体", ("楷", "kai")),
    ("黑体", ("黑", "hei", "sans", "gothic")),
    ("宋体", ("宋", "明", "song", "sun", "serif", "ming")),
)
"""Designs by the words in a family's name, the first that matches."""

GONGWEN_ROLES = ("body", "title", "heading1", "heading2", "heading3", "heading4", "table")
"""The roles a 公文 is set in (正文, 标题 and 发文机关标志, 一至四级标题, 附件's table)."""


def design(name: str) -> str | None:
    """The design a font name says (仿宋, 楷体, 黑体, 宋体), or None (a monospace or Latin face)."""
    folded = name.casefold()
    for found, words in DESIGNS:
        if any(word in folded for word in words):
            return found
    return None


@dataclass(frozen=True, slots=True)
class Face:
    """What one role gets: its wanted design, the family it is set in (None: no listed family is
    there, fontconfig picks any) and that family's design."""

    role: str
    name: str
    """The role's ``east_asian`` font (仿宋_GB2312), what Word sets it in."""
    wanted: str | None
    family: str | None
    found: str | None

    @property
    def matches(self) -> bool:
        return self.wanted is None or (self.family is not None and self.found == self.wanted)


def fontconfig_has(name: str) -> bool:
    """Whether fontconfig has a font of family ``name`` itself (``fc-match`` names it back), not a
    substitute it would give for any name."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return False
    result = subprocess.run(
        [fc_match, "-f", "%{family}", name], capture_output=True, text=True, check=False
    )
    families = {family.strip().casefold() for family in result.stdout.split(",")}
    return name.casefold() in families


def faces(
    style: Style,
    fonts: Path,
    roles: Iterable[str] = GONGWEN_ROLES,
    installed: Callable[[str], bool] = fontconfig_has,
) -> list[Face]:
    """The face each of ``roles`` is set in: fonts in ``fonts`` (templates/fonts/) first, as
    WeasyPrint finds them through their @font-face rules, then what ``installed`` has."""
    shipped = {family.casefold() for _, family, _ in font_files(fonts)}
    result = []
    for name in roles:
        role: FontRole = style.fonts[name]
        family = next(
            (f for f in role.pdf if f.casefold() in shipped or installed(f)),
            None,
        )
        result.append(
            Face(
                name,
                role.east_asian,
                design(role.east_asian),
                family,
                design(family) if family else None,
            )
        )
    return result


ROLE_NAMES = {
    "body": "正文",
    "title": "标题",
    "heading1": "一级标题",
    "heading2": "二级标题",
    "heading3": "三级标题",
    "heading4": "四级标题",
    "table": "表格",
}


def describe(face: Face) -> str:
    """One role in the doctor's words: "正文（仿宋_GB2312）→ FandolFang"."""
    label = f"{ROLE_NAMES.get(face.role, face.role)}（{face.name}）"
    if face.family is None:
        return f"{label} → 所列字体都没有，由系统任选"
    if face.matches:
        return f"{label} → {face.family}"
    return f"{label} → {face.family}（{face.found or '其他字形'}，不是{face.wanted}）"


def aliases(
    style: Style, fonts: Path, installed: Callable[[str], bool] = fontconfig_has
) -> dict[str, str]:
    """Each ``east_asian`` name of the style → the family the PDF sets it in: the face of the
    first role (in style.yaml's order) that names it, as 仿宋_GB2312 → the body's face. (The
    ``latin`` names keep fontconfig's own substitute: mapping Times New Roman to the body's face,
    as the PDF sets digits without it, widens the space in LibreOffice's cells enough that
    pdftotext parts “3 号” from its cell; the two towns' and the summary's pages are the same
    without it.)"""
    found: dict[str, str] = {}
    for face in faces(style, fonts, style.fonts, installed):
        if face.family is not None:
            found.setdefault(face.name, face.family)
    return found


def fontconfig_conf(
    style: Style, fonts: Path, cache: Path, installed: Callable[[str], bool] = fontconfig_has
) -> str:
    """A fontconfig configuration (for FONTCONFIG_FILE) that is the system's, plus the fonts in
    ``fonts`` and, for each ``east_asian`` name, its PDF family in its place (``aliases``).
    ``cache`` comes before the system's cache folders, so that fontconfig writes its cache of
    ``fonts`` there (the first writable one), not into the system's."""
    matches = "".join(
        f"""  <match target="pattern">
    <test name="family"><string>{escape(name)}</string></test>
    <edit name="family" mode="assign" binding="strong"><string>{escape(family)}</string></edit>
  </match>
"""
        for name, family in aliases(style, fonts, installed).items()
    )
    return f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<!-- townplans: LibreOffice sets the DOCX's Chinese in the faces of the PDF (style.yaml pdf) -->
<fontconfig>
  <cachedir>{escape(str(cache.resolve()))}</cachedir>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>{escape(str(fonts.resolve()))}</dir>
{matches}</fontconfig>
"""


def write_fontconfig(root: Path, target: Path) -> Path:
    """``fontconfig_conf`` of the workspace at ``root`` (its style.yaml and fonts folder, or the
    shipped ones) written to ``target``, its cache beside it in ``<target>.cache``: the file to
    point FONTCONFIG_FILE at when LibreOffice converts the workspace's DOCX."""
    paths = WorkspacePaths(root)
    target.parent.mkdir(parents=True, exist_ok=True)
    cache = target.with_name(f"{target.name}.cache")
    conf = fontconfig_conf(load_style(paths.style), paths.fonts, cache)
    target.write_text(conf, encoding="utf-8")
    return target
