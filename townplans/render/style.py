"""templates/style.yaml -> a typed ``Style`` and the CSS generated from it.

One typographic source for both outputs: the DOCX writer reads the same ``Style`` the CSS is made
from, so Word and PDF agree on page, margins, fonts and sizes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from townplans import errortext
from townplans.model import Severity, SourceRef
from townplans.render.layout import (
    CELL_BORDER_PT,
    CELL_LINE,
    CELL_PADDING_PT,
    CELL_PADDING_Y_PT,
    LATIN_GAP_EM,
    TABLE_GAP_PT,
)
from townplans.sources import parse_yaml, read_text

FANDOL_FANG_SPACE_EM = 0.333
"""The advance of FandolFang's space (333 units of 1000; ``templates/fonts``): the ``.gap``
space is set in that face, its word spacing making it ``LATIN_GAP_EM`` wide."""

ROLES = (
    "body", "title", "heading1", "heading2", "heading3", "heading4", "table", "caption", "code",
    "page_number",
)  # fmt: skip
OPTIONAL_ROLES = {
    "chapter": "heading1",
    "section": "heading2",
    "article": "heading3",
    "toc": "body",
    "signer": "heading2",
}
"""Roles a style.yaml from before they existed may lack, and the role each then falls back to
(the 签发人's name, ``signer``, to heading2's 楷体 without its bold)."""
ALIGNMENTS = ("left", "center")


class StyleError(ValueError):
    """style.yaml is missing or malformed; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class FontRole:
    """The fonts and size for one role (body, heading1 …)."""

    east_asian: str
    latin: str
    pdf: tuple[str, ...]
    size: float
    bold: bool = False


@dataclass(frozen=True, slots=True)
class GongwenStyle:
    """Measures of the 公文's 版头, seal, 版记 and page numbers (GB/T 9704-2012 defaults);
    ``style.yaml``'s optional ``gongwen`` section changes them. Lengths in mm, sizes in pt."""

    mark_top_mm: float = 35.0
    """发文机关标志: its top edge below the top of the 版心 (7.2.4)."""
    mark_size: float = 42.0
    """发文机关标志: the largest size (初号, a character under 15 mm); a long name is set smaller so
    that it fits the 版心's width."""
    red: str = "C00000"
    """The red of the 发文机关标志 and the separator under the 版头 (5.2.4)."""
    rule_gap_mm: float = 4.0
    """The red separator: this far below the 发文字号 (7.2.7)."""
    rule_mm: float = 0.5
    """The red separator's thickness."""
    seal_mm: float = 42.0
    """The seal's diameter: the 署名 and 成文日期 leave room for it above them (7.3.5.1)."""
    page_number_gap_mm: float = 7.0
    """The page number's dashes (一字线) below the bottom of the 版心 (7.5)."""
    imprint_size: float = 14.0
    """版记 (抄送, 印发机关, 印发日期): 4号 (7.4.2–7.4.3)."""
    imprint_thick_mm: float = 0.35
    """版记: its first and last separators (7.4.1)."""
    imprint_thin_mm: float = 0.25
    """版记: the separators between its elements."""


@dataclass(frozen=True, slots=True)
class WatermarkStyle:
    """The stage watermark (征求意见稿, 送审稿, 报批稿) a plan before its final stage carries on
    every page, in Word and PDF: light, diagonal, behind the text. ``style.yaml``'s optional
    ``watermark`` section changes it; ``enabled: false`` leaves it out."""

    enabled: bool = True
    color: str = "C0C0C0"
    """Its grey, six hex digits."""
    opacity: float = 0.35
    """0 (invisible) to 1 (solid): light enough that the text over it reads as before."""
    size: float = 72.0
    """The height of its characters, pt."""


@dataclass(frozen=True, slots=True)
class HeadingLevel:
    """One rank of a plan text's hierarchy (章, 节, 条): how a heading is recognised and looks."""

    name: str
    pattern: re.Pattern[str]
    """Matched at the start of the heading's text (第一章 总则)."""
    font: str
    """The font role (``chapter``, ``section``, ``article``)."""
    align: str = "left"
    indent_chars: float = 0.0
    space_before_lines: float = 0.0


@dataclass(frozen=True, slots=True)
class Style:
    """Page geometry and fonts, GB/T 9704 defaults."""

    width_mm: float
    height_mm: float
    margin_top_mm: float
    margin_bottom_mm: float
    margin_left_mm: float
    margin_right_mm: float
    lines_per_page: int
    chars_per_line: int
    fonts: Mapping[str, FontRole]
    first_line_indent_chars: float
    line_spacing_pt: float
    gongwen: GongwenStyle = GongwenStyle()
    watermark: WatermarkStyle = WatermarkStyle()
    plan_headings: tuple[HeadingLevel, ...] = ()
    toc_levels: int = 3
    toc_indent_chars: float = 2.0

    def plan_rank(self, text: str, level: int) -> int:
        """The rank (1 = 章) of a plan text's heading: by its numbering when it has one (第一条
        is a 条 whatever its Markdown level), else its Markdown level."""
        stripped = text.strip()
        for rank, heading in enumerate(self.plan_headings, 1):
            if heading.pattern.match(stripped):
                return rank
        return level

    def plan_level(self, rank: int) -> HeadingLevel | None:
        """The look of a plan heading of ``rank``, or None beyond the declared ranks."""
        return self.plan_headings[rank - 1] if 0 < rank <= len(self.plan_headings) else None

    @property
    def text_width_mm(self) -> float:
        return self.width_mm - self.margin_left_mm - self.margin_right_mm

    @property
    def text_height_mm(self) -> float:
        return self.height_mm - self.margin_top_mm - self.margin_bottom_mm

    @property
    def landscape_text_width_mm(self) -> float:
        """The text block's width on a landscape page of the PDF (the portrait margins turned
        with the page: ``@page landscape`` in ``css``)."""
        return self.height_mm - self.margin_top_mm - self.margin_bottom_mm


def load_style(path: Path) -> Style:
    """Read style.yaml; raise ``StyleError`` naming the key when something is missing."""
    shown = f"templates/{path.name}"
    read = read_text(path, SourceRef(shown))
    located, findings = (
        parse_yaml(read.text, SourceRef(shown)) if read.text is not None else (None, [])
    )
    problems = [str(f) for f in (*read.findings, *findings) if f.severity is Severity.ERROR]
    if located is None or problems:
        raise StyleError("无法读取样式文件：" + "；".join(problems or [f"{shown} 不是有效的 YAML"]))
    data = located.data
    try:
        page, fonts, paragraph = data["page"], data["fonts"], data["paragraph"]
        style = Style(
            width_mm=_number(page, "width_mm", 50, 2000),
            height_mm=_number(page, "height_mm", 50, 2000),
            margin_top_mm=_number(page, "margin_top_mm", 0, 200),
            margin_bottom_mm=_number(page, "margin_bottom_mm", 0, 200),
            margin_left_mm=_number(page, "margin_left_mm", 0, 200),
            margin_right_mm=_number(page, "margin_right_mm", 0, 200),
            lines_per_page=int(_number(page, "lines_per_page", 1, 100)),
            chars_per_line=int(_number(page, "chars_per_line", 1, 100)),
            fonts=_fonts(fonts),
            first_line_indent_chars=_number(paragraph, "first_line_indent_chars", 0, 10),
            line_spacing_pt=_number(paragraph, "line_spacing_pt", 4, 100),
            gongwen=_gongwen(data.get("gongwen") or {}),
            watermark=_watermark(data.get("watermark") or {}),
            plan_headings=tuple(_heading(spec) for spec in data.get("plan_headings") or ()),
            toc_levels=int(_number(data.get("toc") or {"levels": 3}, "levels", 1, 9)),
            toc_indent_chars=_number(data.get("toc") or {"indent_chars": 2}, "indent_chars", 0, 10),
        )
    except _BadValueError as exc:
        raise StyleError(f"{shown}: {exc}：请对照默认 templates/style.yaml") from exc
    except KeyError as exc:
        raise StyleError(
            f"{shown}: 样式文件缺少或写错了键 {exc.args[0]}：请对照默认 templates/style.yaml"
        ) from exc
    except (TypeError, ValueError, OverflowError, AttributeError) as exc:
        # Python's own words ("string indices must be integers") only for --debug
        raise StyleError(
            f"{shown}: 样式文件的结构不对（page、fonts、paragraph 等应为映射，字体的 pdf 应为列表，"
            f"数值应为数字）：请对照默认 templates/style.yaml{errortext.detail(exc, trace=False)}"
        ) from exc
    if style.text_width_mm < 20 or style.text_height_mm < 20:
        raise StyleError(f"{shown}: 页边距过大，版心不足 20 毫米：请检查 page 中的尺寸")
    return style


class _BadValueError(ValueError):
    """A style value that is present but wrong; the message (Chinese) names the key."""


def _number(section: Mapping[str, Any], key: str, low: float, high: float) -> float:
    """A style number within a sane range (a typo such as 1600 for 160 would wreck every page)."""
    value = section[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise _BadValueError(f"{key} 应为 {low}–{high} 之间的数字，实为 {value!r}")
    return float(value)


_GONGWEN_RANGES = {
    "mark_top_mm": (0, 200), "mark_size": (8, 100), "rule_gap_mm": (0, 50), "rule_mm": (0.05, 5),
    "seal_mm": (0, 100), "page_number_gap_mm": (0, 50), "imprint_size": (4, 40),
    "imprint_thick_mm": (0.05, 5), "imprint_thin_mm": (0.05, 5),
}  # fmt: skip


def _gongwen(section: Mapping[str, Any]) -> GongwenStyle:
    """The optional ``gongwen`` section: each key it has, checked; the others keep their defaults
    (a style.yaml from before the section existed still loads)."""
    if not isinstance(section, Mapping):
        raise _BadValueError("gongwen 应为映射（mark_top_mm、mark_size …）")
    unknown = sorted(set(section) - {*_GONGWEN_RANGES, "red"})
    if unknown:
        raise KeyError(f"gongwen.{unknown[0]}")
    values: dict[str, Any] = {
        key: _number(section, key, *limits)
        for key, limits in _GONGWEN_RANGES.items()
        if key in section
    }
    if "red" in section:
        values["red"] = _hex_color(section["red"], "red", "C00000")
    return GongwenStyle(**values)


def _watermark(section: Mapping[str, Any]) -> WatermarkStyle:
    """The optional ``watermark`` section: each key it has, checked; the others keep their
    defaults (a style.yaml from before the section existed still loads)."""
    if not isinstance(section, Mapping):
        raise _BadValueError("watermark 应为映射（enabled、color、opacity、size）")
    unknown = sorted(set(section) - {"enabled", "color", "opacity", "size"})
    if unknown:
        raise KeyError(f"watermark.{unknown[0]}")
    values: dict[str, Any] = {}
    if "enabled" in section:
        if not isinstance(section["enabled"], bool):
            raise _BadValueError(f"enabled 应为 true 或 false，实为 {section['enabled']!r}")
        values["enabled"] = section["enabled"]
    if "color" in section:
        values["color"] = _hex_color(section["color"], "color", "C0C0C0")
    if "opacity" in section:
        values["opacity"] = _number(section, "opacity", 0.05, 1)
    if "size" in section:
        values["size"] = _number(section, "size", 12, 200)
    return WatermarkStyle(**values)


def _hex_color(raw: object, key: str, example: str) -> str:
    color = str(raw).lstrip("#")
    if not re.fullmatch(r"[0-9A-Fa-f]{6}", color):
        raise _BadValueError(f"{key} 应为六位十六进制颜色（如 {example}），实为 {raw!r}")
    return color.upper()


def _fonts(fonts: Mapping[str, Any]) -> dict[str, FontRole]:
    roles = {role: _font(fonts[role]) for role in ROLES}
    for role, fallback in OPTIONAL_ROLES.items():
        roles[role] = _font(fonts[role]) if role in fonts else roles[fallback]
    if "signer" not in fonts:
        roles["signer"] = replace(roles["signer"], bold=False)
    return roles


def _heading(spec: Mapping[str, Any]) -> HeadingLevel:
    align = str(spec.get("align", "left"))
    if align not in ALIGNMENTS:
        raise _BadValueError(f"plan_headings 的 align 应为 left 或 center，实为 {align!r}")
    font = str(spec["font"])
    if font not in (*ROLES, *OPTIONAL_ROLES):
        raise _BadValueError(f"plan_headings 的 font 应为 fonts 中的角色，实为 {font!r}")
    try:
        pattern = re.compile(str(spec["pattern"]))
    except re.error as exc:
        problem = errortext.regex_problem(exc)
        raise _BadValueError(
            f"plan_headings 的 pattern “{spec['pattern']}”无效：{problem}"
        ) from exc
    return HeadingLevel(
        name=str(spec["name"]),
        pattern=pattern,
        font=font,
        align=align,
        indent_chars=_number(spec, "indent_chars", 0, 10) if "indent_chars" in spec else 0.0,
        space_before_lines=(
            _number(spec, "space_before_lines", 0, 10) if "space_before_lines" in spec else 0.0
        ),
    )


def _font(spec: Mapping[str, Any]) -> FontRole:
    return FontRole(
        east_asian=str(spec["east_asian"]),
        latin=str(spec["latin"]),
        pdf=tuple(str(name) for name in spec["pdf"]),
        size=_number(spec, "size", 4, 100),
        bold=bool(spec.get("bold", False)),
    )


def family(role: FontRole) -> str:
    """A role's CSS ``font-family`` list (what the 公文's own CSS sets its elements in)."""
    return _family(role)


def _family(role: FontRole) -> str:
    # Latin font first so digits and letters use it; CJK families follow for Chinese glyphs.
    names = [role.latin, *role.pdf]
    return ", ".join(f'"{name}"' for name in names) + ", serif"


def _rgb(color: str) -> str:
    """Six hex digits as CSS ``r, g, b``."""
    return ", ".join(str(int(color[i : i + 2], 16)) for i in (0, 2, 4))


def plan_css(style: Style) -> str:
    """The look of a plan text's 章 / 节 / 条 (``plan_headings``): a page whose body has the class
    ``plan`` gives its headings of rank 1, 2, 3 (h1, h2, h3) these rules."""
    rules = []
    for rank, heading in enumerate(style.plan_headings, 1):
        role = style.fonts[heading.font]
        rules.append(
            f".plan h{rank} {{ font-family: {_family(role)}; font-size: {role.size}pt; "
            f"font-weight: {'bold' if role.bold else 'normal'}; text-align: {heading.align}; "
            f"text-indent: {heading.indent_chars}em; "
            f"margin-top: {heading.space_before_lines * style.line_spacing_pt:.2f}pt; }}"
        )
    return "\n".join(rules)


def css(style: Style, font_faces: str = "") -> str:
    """The print stylesheet for WeasyPrint, generated from ``style`` (GB/T 9704 defaults)."""
    fonts = style.fonts
    body = fonts["body"]
    number = fonts["page_number"]
    margin = f"{style.margin_top_mm}mm {style.margin_right_mm}mm {style.margin_bottom_mm}mm {style.margin_left_mm}mm"
    headings = "\n".join(
        f"h{level} {{ font-family: {_family(fonts[f'heading{min(level, 4)}'])}; "
        f"font-size: {fonts[f'heading{min(level, 4)}'].size}pt; "
        f"font-weight: {'bold' if fonts[f'heading{min(level, 4)}'].bold else 'normal'}; "
        f"margin: 0; line-height: {style.line_spacing_pt}pt; text-indent: {style.first_line_indent_chars}em; "
        "page-break-after: avoid; }"
        for level in range(1, 7)
    )
    # The number's line top below the text block: its dashes, in the middle of the line,
    # page_number_gap_mm (7 mm) below it, as in a 公文 (GB/T 9704 7.5) and in the Word document.
    gap = style.gongwen.page_number_gap_mm * 72 / 25.4 - number.size / 2
    page_number = (
        f"font-family: {_family(number)}; font-size: {number.size}pt; vertical-align: top;"
        f" padding-top: {gap:.3f}pt; line-height: {number.size}pt; height: {number.size}pt;"
    )
    mark = style.watermark
    toc_levels = "\n".join(
        f".toc li.toc-{level} {{ padding-left: {(level - 1) * style.toc_indent_chars}em; }}"
        for level in range(2, style.toc_levels + 1)
    )
    return f"""{font_faces}
@page {{
  size: {style.width_mm}mm {style.height_mm}mm;
  margin: {margin};
  @top-center {{ content: string(doctitle); font-family: {_family(fonts["caption"])}; font-size: 9pt; color: #555; }}
}}
@page :right {{ @bottom-right {{ content: "— " counter(page) " —"; {page_number} margin-right: 1em; }} }}
@page :left {{ @bottom-left {{ content: "— " counter(page) " —"; {page_number} margin-left: 1em; }} }}
@page :first {{ @top-center {{ content: none; }} @bottom-right {{ content: none; }} @bottom-left {{ content: none; }} }}
@page coverless:first {{ @bottom-right {{ content: "— " counter(page) " —"; {page_number} margin-right: 1em; }} }}
@page landscape:first {{ @bottom-right {{ content: "— " counter(page) " —"; {page_number} margin-right: 1em; }} }}
body.coverless {{ page: coverless; }}
@page landscape {{ size: {style.height_mm}mm {style.width_mm}mm; margin: {style.margin_left_mm}mm {style.margin_top_mm}mm {style.margin_right_mm}mm {style.margin_bottom_mm}mm; }}
html {{ font-family: {_family(body)}; font-size: {body.size}pt; line-height: {style.line_spacing_pt}pt; }}
body {{ margin: 0; overflow-wrap: anywhere; --tp-justify: inter-character; }}
table, pre, .toc {{ --tp-justify: none; }}
.running-title {{ string-set: doctitle content(); display: block; position: absolute; height: 0; overflow: hidden; font-size: 0; }}
p {{ margin: 0; text-indent: {style.first_line_indent_chars}em; text-align: justify; }}
li p, td p, th p, blockquote p {{ text-indent: 0; }}
{headings}
{plan_css(style)}
.cover {{ text-align: center; page-break-after: always; padding-top: 40mm; }}
.cover .title, .doc-title {{ font-family: {_family(fonts["title"])}; font-size: {fonts["title"].size}pt;
  font-weight: {"bold" if fonts["title"].bold else "normal"}; line-height: 1.5; text-indent: 0; text-align: center; bookmark-level: none; }}
.doc-title {{ margin-bottom: {style.line_spacing_pt}pt; }}
.cover .meta {{ margin-top: 60mm; }}
.cover p {{ text-indent: 0; text-align: center; }}
.front {{ page-break-after: always; }}
.watermark {{ position: fixed; z-index: -1; left: 0; right: 0; top: 50%; margin-top: -{mark.size * 0.72:g}pt;
  line-height: {mark.size * 1.44:g}pt; font-size: {mark.size:g}pt; text-indent: 0; text-align: center;
  white-space: nowrap; font-family: {_family(fonts["heading1"])}; color: rgba({_rgb(mark.color)}, {mark.opacity:g});
  transform: rotate(-45deg); bookmark-level: none; }}
.toc {{ page-break-after: always; }}
.toc-title {{ font-family: {_family(fonts["heading1"])}; text-align: center; text-indent: 0; bookmark-level: none; }}
.toc ul {{ list-style: none; padding: 0; margin: 0; }}
.toc li {{ text-indent: 0; padding-left: 0; font-family: {_family(fonts["toc"])}; font-size: {fonts["toc"].size}pt; }}
{toc_levels}
.toc a {{ color: inherit; text-decoration: none; }}
s {{ text-decoration: line-through; }}
ins {{ text-decoration: underline; }}
.toc a::after {{ content: leader(".") target-counter(attr(href), page); }}
table {{ border-collapse: collapse; table-layout: fixed; width: 100%; margin: {TABLE_GAP_PT:g}pt 0; font-family: {_family(fonts["table"])};
  font-size: {fonts["table"].size}pt; line-height: {CELL_LINE:g}; }}
th, td {{ border: {CELL_BORDER_PT:g}pt solid black; padding: {CELL_PADDING_Y_PT:g}pt {CELL_PADDING_PT:g}pt; vertical-align: middle; }}
.nobr {{ white-space: nowrap; --tp-justify: none; }}
.hang {{ margin-right: -1em; }}
.gap {{ font-family: "FandolFang"; word-spacing: {LATIN_GAP_EM - FANDOL_FANG_SPACE_EM:.3f}em; letter-spacing: normal; }}
.table-caption {{ font-family: {_family(fonts["caption"])}; font-size: {fonts["caption"].size}pt; text-indent: 0;
  text-align: center; margin-top: 6pt; break-after: avoid; white-space: pre-wrap; }}
.table-label {{ break-after: avoid; }}
.table-note {{ break-before: avoid; }}
.table-caption + table {{ margin-top: 2pt; }}
thead {{ display: table-header-group; }}
th {{ font-weight: bold; }}
.align-left {{ text-align: left; }}
.align-center {{ text-align: center; }}
.align-right {{ text-align: right; }}
tr {{ page-break-inside: avoid; }}
tr.keep {{ break-before: avoid; }}
img {{ max-width: 100%; max-height: {style.text_height_mm * 0.75:.0f}mm; display: block; margin: 0 auto; }}
p img {{ display: inline; max-height: 3em; }}
figure {{ margin: 6pt 0; text-align: center; page-break-inside: avoid; }}
figcaption {{ font-family: {_family(fonts["caption"])}; font-size: {fonts["caption"].size}pt; text-indent: 0; white-space: pre-wrap; }}
figure.drawing {{ margin: 0; break-before: page; break-after: page; }}
figure.drawing img {{ max-width: none; max-height: none; }}
.drawing-head, .plan .drawing-head {{ break-before: page; margin-top: 0; }}
.drawing-head + figure.drawing {{ break-before: avoid; }}
.drawing-landscape {{ page: landscape; }}
pre, code {{ font-family: {_family(fonts["code"])}; font-size: {fonts["code"].size}pt; }}
pre {{ white-space: pre-wrap; line-height: 1.4; border-left: 2pt solid #999; padding-left: 4pt; margin: 4pt 0; }}
.raw-html {{ white-space: pre-wrap; text-indent: 0; }}
blockquote {{ margin: 0 0 0 2em; }}
ul, ol {{ margin: 0; padding-left: 0; list-style: none; }}
li {{ padding-left: 2em; text-indent: -1.5em; text-align: justify; }}
li > p:first-child {{ text-indent: -1.5em; }}
li li {{ padding-left: 2em; }}
.marker {{ display: inline-block; min-width: 1.5em; text-indent: 0; line-height: 0; }}
hr {{ border: none; border-top: 0.5pt solid black; }}
.landscape {{ page: landscape; }}
.attachment {{ break-before: page; }}
.attachment > p:first-child {{ font-family: {_family(fonts["heading1"])}; text-indent: 0; }}
.attachment h1 {{ font-family: {_family(fonts["title"])}; font-size: {fonts["title"].size}pt; text-align: center; text-indent: 0; }}
.signature p {{ text-align: right; text-indent: 0; padding-right: 4em; }}
.center p {{ text-align: center; text-indent: 0; }}
.note {{ font-size: {fonts["caption"].size}pt; }}
.pagebreak {{ break-before: page; }}
.redhead {{ border-bottom: 1pt solid #c00; padding-bottom: 4mm; margin-bottom: {style.line_spacing_pt * 2}pt; }}
.redhead p {{ text-align: center; text-indent: 0; }}
.redhead > p:first-child {{ color: #c00; font-family: {_family(fonts["title"])}; font-size: 26pt; line-height: 1.6; margin-top: 10mm; bookmark-level: none; }}
.redhead .signed {{ display: flex; justify-content: flex-end; padding: 0 1em; }}
.redhead .signed p {{ margin: 0; white-space: nowrap; }}
.redhead .signed p:nth-last-child(3) {{ margin-right: auto; }}
.redhead .signed p:last-child {{ font-family: {_family(fonts["signer"])}; }}
.title p {{ font-family: {_family(fonts["title"])}; font-size: {fonts["title"].size}pt; text-align: center; text-indent: 0; line-height: 1.5; margin-bottom: {style.line_spacing_pt}pt; }}
.footnotes {{ font-size: {fonts["caption"].size}pt; }}
"""
