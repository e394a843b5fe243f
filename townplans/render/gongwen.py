"""The 公文 page (GB/T 9704-2012): where its elements go, in measures both writers share, and the
print CSS that puts them there in the PDF.

A 公文 is set on a grid of 22 lines × 28 characters that fills the 版心 (5.2.3): one *line* (一行)
is the body's line pitch, one *character* (一字) is the 版心's width over 28. The body's 3号
characters (16 pt) are a little wider than a grid character (156 mm / 28 = 15.79 pt), so the PDF
sets them with a small negative letter-spacing and the Word document uses a character grid
(``w:docGrid`` linesAndChars): either way 28 characters fill a line. The 版头 (发文机关标志 35 mm
below the top of the 版心, 发文字号 two lines below it, the red separator 4 mm below that), the
title two lines lower and the 主送机关 one line below the title, the room left for the seal above
the 署名 and 成文日期, the 版记 on the foot of the last page and the page numbers 7 mm below the
版心 are all measured here from ``Style`` (``style.yaml``, its ``gongwen`` section).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from townplans.render.layout import (
    DATE_INDENT_CHARS,
    ISSUER_INDENT_CHARS,
    issuer_flush_right,
    text_width,
)
from townplans.render.style import Style, family

MM = 72 / 25.4
"""Points in a millimetre."""


MAX_TITLE_SHIFT_MM = 1.2
"""The most the title moves off its place two lines below the separator to sit on the grid."""


@dataclass(frozen=True, slots=True)
class Geometry:
    """The grid and the elements' places of a 公文 set in ``style``; lengths in pt."""

    style: Style

    @property
    def line(self) -> float:
        """一行: the body's line pitch (225 mm / 22)."""
        return self.style.line_spacing_pt

    @property
    def char(self) -> float:
        """一字: the 版心's width over its characters per line (156 mm / 28)."""
        return self.style.text_width_mm * MM / self.style.chars_per_line

    @property
    def body_size(self) -> float:
        return self.style.fonts["body"].size

    @property
    def letter_spacing(self) -> float:
        """What each body character gives up (or gains) to take one grid character: a hair less
        than the difference, so that rounding never pushes the 28th character to the next line."""
        return self.char - self.body_size - 0.001

    def mark_size(self, mark: str) -> float:
        """The 发文机关标志's size: ``mark_size`` (初号), smaller when the name would not fit across
        the 版心."""
        characters = max(text_width(mark) / 2, 1.0)
        return min(self.style.gongwen.mark_size, self.style.text_width_mm * MM / characters)

    @property
    def mark_top(self) -> float:
        return self.style.gongwen.mark_top_mm * MM

    def mark_padding(self, mark: str) -> float:
        """The space above the 标志's line box that puts the top of its characters, not of its
        line, 35 mm below the 版心: a Chinese character's ink starts about a tenth of an em
        below the top of its em box (FandolSong Bold 0.13 em, whose line is its em box)."""
        return max(self.mark_top - 0.1 * self.mark_size(mark), 0.0)

    @property
    def rule_gap(self) -> float:
        """From the foot of the 发文字号's line to the red separator: 4 mm below its characters,
        which sit in the middle of their line."""
        return self.style.gongwen.rule_gap_mm * MM - (self.line - self.body_size) / 2

    def title_shift(
        self, mark: str, rule_gap: float | None = None, mark_top: float | None = None
    ) -> float:
        """What the space above the title changes by (points, most often a little less) so that
        the title, and every body line after it, lies on the 22-line grid of the pages after the
        first: the 版头 above it (the space above the mark's line, ``mark_top`` in Word and
        ``mark_padding`` in the PDF; the mark's line, the 发文字号 two lines below, the red
        separator ``rule_gap`` under it) is no whole number of lines, and a first page whose
        lines sit off the grid holds one line fewer than 22 (GB/T 9704 5.2.3)."""
        gap = self.rule_gap if rule_gap is None else rule_gap
        top = self.mark_top if mark_top is None else mark_top
        rule = self.style.gongwen.rule_mm * MM
        over = (top + self.mark_size(mark) + 3 * self.line + gap + rule) % self.line
        shift = -over if over <= self.line / 2 else self.line - over
        # The title stays two lines below the separator (7.3.1) first: a shift beyond 1 mm (a
        # 标志 made smaller to fit, whose head is far off the grid) is not made, and the first
        # page then holds a line fewer.
        return shift if abs(shift) <= MAX_TITLE_SHIFT_MM * MM else 0.0

    @property
    def seal_lines(self) -> int:
        """Blank lines above the 署名: the seal is centred on the top of the 署名's line, so the
        署名 and 成文日期 lie in its lower half, and its top comes within one line of the text
        above (GB/T 9704 7.3.5.1)."""
        return max(1, math.ceil(self.style.gongwen.seal_mm * MM / 2 / self.line))

    def date_indent(self) -> float:
        """成文日期 right-indented four characters (7.3.5.1)."""
        return DATE_INDENT_CHARS * self.char

    def issuer_indent(self, issuer: str, date: str) -> float:
        """The 署名's right indent that centres it over the 成文日期, estimated from the texts
        (a Chinese character one grid character, a digit half of one): what the Word document
        uses; the PDF centres the two exactly. A 署名 too long for that (``issuer_flush_right``)
        is ``ISSUER_INDENT_CHARS`` in from the right, in both."""
        if issuer_flush_right(issuer, date):
            return ISSUER_INDENT_CHARS * self.char
        issuer_chars, date_chars = text_width(issuer) / 2, text_width(date) / 2
        return max(self.date_indent() + (date_chars - issuer_chars) / 2 * self.char, 0.0)

    @property
    def page_number_size(self) -> float:
        return self.style.fonts["page_number"].size

    @property
    def page_number_gap(self) -> float:
        """The page number's line top below the 版心: its dashes (一字线), in the middle of the
        line, 7 mm below (7.5)."""
        return self.style.gongwen.page_number_gap_mm * MM - self.page_number_size / 2

    @property
    def text_width(self) -> float:
        return self.style.text_width_mm * MM

    @property
    def text_height(self) -> float:
        return self.style.text_height_mm * MM


def css(style: Style, mark: str) -> str:
    """The 公文's print CSS, after the documents' own (``style.css``): the grid, the 版头, title,
    主送机关, 附件说明, 署名 and 成文日期, 附件 pages, 版记, page numbers on every page (on landscape
    附件 pages where a portrait page has them) and no running header."""
    g = Geometry(style)
    return "\n".join(
        (
            _page_css(g),
            _grid_css(g),
            _head_css(g, mark),
            _closing_css(g),
            _attachment_css(g),
            _imprint_css(g),
        )
    )


def _page_css(g: Geometry) -> str:
    """Page numbers on every page, page 1 included, their dashes 7 mm below the 版心 and one
    character in from the outer side (odd pages right, even pages left); no running header
    (GB/T 9704 7.5). A landscape page is the portrait page turned a quarter clockwise (its head on
    the binding side, 8), so its number stands turned in its left margin, where the portrait page's
    foot is: a running element (``.landscape-odd``, ``.landscape-even``, which ``html.page`` puts
    in a 公文) drawn turned about its box's top right corner, which lies on the number's line top
    at the odd page's reading end, one character in from the 版心's (portrait) right edge, or a
    box's length below the even page's reading start, one character past the left edge."""
    size = g.page_number_size
    number = (
        f"vertical-align: top; padding-top: {g.page_number_gap:.3f}pt; line-height: {size}pt;"
        f" height: {size}pt;"
    )
    # From the page's (portrait) bottom edge to the number's line top: the turned box's length.
    reach = g.style.margin_bottom_mm * MM - g.page_number_gap
    turned = (
        f"width: {reach:.3f}pt; height: {size}pt; line-height: {size}pt; font-size: {size}pt;"
        f" font-family: {family(g.style.fonts['page_number'])}; white-space: nowrap;"
        " letter-spacing: 0; transform-origin: 100% 0; transform: rotate(90deg);"
    )
    return f"""
@page {{ @top-center {{ content: none; }} }}
@page :right {{ @bottom-right {{ {number} }} }}
@page :left {{ @bottom-left {{ {number} }} }}
@page :first {{ @bottom-right {{ content: "— " counter(page) " —"; margin-right: 1em; }} }}
@page landscape:right {{ @bottom-right {{ content: none; }}
  @left-top {{ content: element(landscape-odd); vertical-align: top; padding: 0;
    padding-top: {g.text_width - size:.3f}pt; }} }}
@page landscape:left {{ @bottom-left {{ content: none; }}
  @left-top {{ content: element(landscape-even); vertical-align: top; padding: 0;
    padding-top: {size + reach:.3f}pt; }} }}
.landscape-odd {{ position: running(landscape-odd); text-align: right; {turned} }}
.landscape-even {{ position: running(landscape-even); text-align: left; {turned} }}
.landscape-odd::before, .landscape-even::before {{ content: "— " counter(page) " —"; }}
"""


def _grid_css(g: Geometry) -> str:
    """28 characters a line, both edges flush: each body character takes one grid character, and a
    line that still falls short (digits and Latin letters are narrower) is spread over its
    characters (``--tp-justify``, read by ``pdf.inter_character_justification``)."""
    indent = 2 * g.char
    return f"""
body.gongwen {{ letter-spacing: {g.letter_spacing:.4f}pt; --tp-justify: inter-character; }}
body.gongwen p, body.gongwen h1, body.gongwen h2, body.gongwen h3, body.gongwen h4,
body.gongwen h5, body.gongwen h6 {{ text-indent: {indent:.4f}pt; text-align: justify; }}
body.gongwen p, body.gongwen li {{ widows: 1; orphans: 1; }}
body.gongwen .marker {{ display: inline; }}
body.gongwen li {{ padding-left: 0; text-indent: {indent:.4f}pt; text-align: justify; }}
body.gongwen li p {{ display: inline; }}
body.gongwen table {{ letter-spacing: normal; --tp-justify: none; }}
"""


def _head_css(g: Geometry, mark: str) -> str:
    """版头: the 发文机关标志 (red, 小标宋, centred, its top 35 mm below the 版心's), the 发文字号
    two lines below it, the red separator 4 mm below that, the title two lines lower and the
    主送机关 one line below the title, flush left (7.2.4–7.3.2). A 上行文's 签发人 lines
    (``.signed``): “签发人：” and the name (楷体) one character from the right, the 发文字号 on
    the last line one character from the left (7.2.5–7.2.6)."""
    fonts = g.style.fonts
    size = g.mark_size(mark)
    rule = g.style.gongwen.rule_mm * MM
    red = f"#{g.style.gongwen.red}"
    title_gap = 2 * g.line + g.title_shift(mark, mark_top=g.mark_padding(mark))
    return f"""
body.gongwen .redhead {{ margin: 0; padding: 0 0 {g.rule_gap:.3f}pt; border: none;
  border-bottom: {rule:.3f}pt solid {red}; }}
body.gongwen .redhead p {{ text-indent: 0; text-align: center; letter-spacing: 0; }}
body.gongwen .redhead > p:first-child {{ margin: 0; padding-top: {g.mark_padding(mark):.3f}pt; color: {red};
  font-family: {family(fonts["title"])}; font-size: {size:.2f}pt; line-height: {size:.2f}pt;
  font-weight: {"bold" if fonts["title"].bold else "normal"}; white-space: nowrap;
  bookmark-level: none; }}
body.gongwen .redhead > p + p {{ margin: {2 * g.line}pt 0 0; line-height: {g.line}pt; }}
body.gongwen .redhead .signed {{ display: flex; justify-content: flex-end; align-items: baseline;
  margin: 0; padding: 0 {g.char:.4f}pt; line-height: {g.line}pt; }}
body.gongwen .redhead > p + .signed {{ margin-top: {2 * g.line}pt; }}
body.gongwen .redhead .signed p {{ margin: 0; padding: 0; line-height: {g.line}pt;
  white-space: nowrap; }}
body.gongwen .redhead .signed p:nth-last-child(3) {{ margin-right: auto; }}
body.gongwen .redhead .signed p:last-child {{ font-family: {family(fonts["signer"])};
  font-size: {fonts["signer"].size}pt; font-weight: {"bold" if fonts["signer"].bold else "normal"}; }}
body.gongwen .title p {{ margin: {title_gap:.3f}pt 0 0; line-height: {g.line}pt;
  letter-spacing: 0;
  text-indent: 0; text-align: center; font-family: {family(fonts["title"])};
  font-size: {fonts["title"].size}pt; font-weight: {"bold" if fonts["title"].bold else "normal"}; }}
body.gongwen .recipient p {{ margin: {g.line}pt 0 0; text-indent: 0; }}
"""


def _closing_css(g: Geometry) -> str:
    """附件说明 one line below the body, "附件：" two characters in and wrapped names under the
    first character of the name; the 署名 and 成文日期 with room for the seal above them, the date
    four characters in from the right and the 署名 centred over it (7.3.4, 7.3.5.1). Neither
    starts a page: the body's last lines come along, so the 署名 never stands on a page without
    body text (7.3.5, the 此页无正文 case)."""
    char = g.char
    return f"""
body.gongwen .attachments {{ margin-top: {g.line}pt; break-before: avoid; break-inside: avoid; }}
body.gongwen .attachments p {{ padding-left: {5 * char:.4f}pt; text-indent: {-3 * char:.4f}pt; }}
body.gongwen .attachments.several p {{ padding-left: {6 * char:.4f}pt; text-indent: {-4 * char:.4f}pt; }}
body.gongwen .attachments .label, body.gongwen .attachments .number {{ display: inline-block;
  text-indent: 0; white-space: nowrap; }}
body.gongwen .attachments .label {{ width: {3 * char:.4f}pt; }}
body.gongwen .attachments .number {{ width: {char:.4f}pt; }}
body.gongwen .signature {{ display: table; margin: {g.seal_lines * g.line}pt {g.date_indent():.4f}pt
  0 auto; break-before: avoid; break-inside: avoid; }}
body.gongwen .signature p {{ text-indent: 0; text-align: center; padding: 0; white-space: nowrap; }}
body.gongwen .signature p:first-child {{ margin: 0 -10em; }}
body.gongwen .signature.flush p:first-child {{
  margin: 0 {ISSUER_INDENT_CHARS * g.char - g.date_indent():.4f}pt 0 -10em; text-align: right; }}
"""


def _attachment_css(g: Geometry) -> str:
    """An 附件 page: "附件" (and its number) in 3号黑体 on the first line, flush left, its title
    centred on the third (7.3.7)."""
    fonts = g.style.fonts
    title = fonts["title"]
    return f"""
body.gongwen .attachment > p:first-child {{ font-family: {family(fonts["heading1"])};
  line-height: {g.line}pt; margin: 0; text-indent: 0; }}
body.gongwen .attachment h1 {{ font-family: {family(title)}; font-size: {title.size}pt;
  line-height: {g.line}pt; margin: {g.line}pt 0 0; text-indent: 0; text-align: center;
  letter-spacing: 0; }}
"""


IMPRINT = '<div class="imprint">'
"""How the 版记's container opens in a 公文's HTML (once at most)."""


def blank_before_imprint(html: str, mounts: Mapping[str, Path], variant: str | None) -> bool:
    """Whether the PDF of ``html`` puts a blank page before the 版记 (to have it on an even
    page): then neither page carries a page number (7.5), ``bare_imprint``. The layout is the
    one ``pdf.html_to_pdf`` reuses when nothing changes."""
    if html.count(IMPRINT) != 1:
        return False
    from townplans.render.pdf import layout

    pages = layout(html, mounts, variant)[0].pages
    if len(pages) < 2:
        return False
    page_type = getattr(getattr(pages[-2], "_page_box", None), "page_type", None)
    return bool(getattr(page_type, "blank", False))


def bare_imprint(html: str) -> str:
    """``html`` with its 版记 on a page without a page number (the ``bare`` page)."""
    return html.replace(IMPRINT, '<div class="imprint bare">', 1)


def _imprint_css(g: Geometry) -> str:
    """版记 on a page of its own after the 附件, that page even (the back of the last leaf), with a
    blank page without a number before it when the body ends on an even page (7.4.1, 7.5);
    its last separator on the foot of the 版心: 抄送
    one character in on each side (wrapped lines under the first 机关), then 印发机关 one
    character from the left and 印发日期 one from the right; 4号仿宋; separators thick, thin,
    thick (7.4)."""
    gw = g.style.gongwen
    size = gw.imprint_size
    thick, thin = gw.imprint_thick_mm * MM, gw.imprint_thin_mm * MM
    # 抄送： takes three characters of the 版记's own size; wrapped lines start under the first 机关.
    return f"""
@page :blank {{ @bottom-left {{ content: none; }} @bottom-right {{ content: none; }}
  @left-top {{ content: none; }} }}
@page bare {{ @bottom-left {{ content: none; }} @bottom-right {{ content: none; }}
  @left-top {{ content: none; }} }}
body.gongwen .imprint.bare {{ page: bare; }}
body.gongwen .imprint {{ break-before: left; page: auto; height: {g.text_height - 0.5:.3f}pt;
  display: flex; flex-direction: column; justify-content: flex-end; letter-spacing: 0;
  --tp-justify: none; font-size: {size}pt; }}
body.gongwen .imprint > * {{ border-top: {thin:.3f}pt solid black; }}
body.gongwen .imprint > :first-child {{ border-top: {thick:.3f}pt solid black; }}
body.gongwen .imprint > :last-child {{ border-bottom: {thick:.3f}pt solid black; }}
body.gongwen .imprint p {{ margin: 0; line-height: {g.line}pt; text-align: justify; }}
body.gongwen .imprint > p {{ padding: 0 {size}pt 0 {4 * size}pt; text-indent: {-3 * size}pt; }}
body.gongwen .imprint .printed {{ display: flex; justify-content: space-between;
  padding: 0 {size}pt; }}
body.gongwen .imprint .printed p {{ text-indent: 0; white-space: nowrap; }}
"""
