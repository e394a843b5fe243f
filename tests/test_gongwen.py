"""The 公文 measured against GB/T 9704-2012, from their pages: the WeasyPrint PDF, and LibreOffice's
PDF of the Word document, of the 建设计划 and of the district's 工作进度通报 (第8期), each with its own
expected 主送机关, 版记 and 附件说明 (``Gongwen``).

Positions come from the text boxes ``pdftotext -bbox-layout`` reports and, for what is drawn rather
than written (the red 发文机关标志's top edge, the separators), from the page rendered to pixels.
Distances are from the 版心 (GB/T 9704 5.2.1: 28 mm from the left, 37 mm from the top,
156 × 225 mm); a landscape 附件 page is read as the portrait page turned a quarter clockwise,
which is how it is bound.

Word is judged through LibreOffice, the only Word renderer on the test machine, and within looser
tolerances (``WORD``): LibreOffice substitutes its own fonts for 方正小标宋简体 and 仿宋_GB2312
(their metrics move a line's text by a point or two inside its line), it places text in a line of
exact height by its own rule, and it lays the character grid out itself (a full line's right end
may fall half a point further from the edge). What both must show is the same: each element on
its line, the separator across the 版心, 28 characters a line, numbers below the 版心.
"""

from __future__ import annotations

import itertools
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from xml.etree import ElementTree

import docx
import pytest
from PIL import Image, ImageChops

from townplans import mdparser
from townplans.render import gongwen
from townplans.render import html as html_render

MM = 72 / 25.4
LEFT, TOP, TEXT_WIDTH, TEXT_HEIGHT = 28 * MM, 37 * MM, 156 * MM, 225 * MM
LINE = 225 * MM / 22
"""One line (一行) of the grid."""
CHAR = TEXT_WIDTH / 28
"""One character (一字) of the grid."""
TAIL_CHARS = 2
"""Characters a paragraph's last line holds at least, before its closing punctuation (issue 22)."""
DPI = 100
PLAN = "渭城镇2023年小城镇建设计划"


@dataclass(frozen=True, slots=True)
class Gongwen:
    """One 公文 of the sample's build and what its pages must show."""

    key: str
    path: str
    """Under build/, without suffix."""
    title: tuple[str, ...]
    """The title's printed lines (regular expressions), first to last."""
    recipient: str
    cc: str | None
    """The 版记's 抄送 line; None: the 版记 holds only 印发机关 and 印发日期."""
    office: str
    printed: str
    notes: tuple[tuple[str, int], ...]
    """The 附件说明's lines, each with where it starts (characters from the 版心's left edge)."""


DOCUMENTS = (
    Gongwen(
        "plan", f"weicheng/{PLAN}", (PLAN,), "区小城镇建设工作领导小组：",
        "抄送：区住建局，区发改局，区财政局，区自然资源局。", "渭城镇党政办公室",
        "2023年7月24日印发", (("附件：渭城镇小城镇建设项目一览表", 2),),
    ),
    # Two attachments: "附件：1.…" two characters in, "2.…" under its "1." (GB/T 9704 7.3.4).
    Gongwen(
        "bulletin", "咸阳市渭城区小城镇建设工作进度通报（第8期）",
        (r"^关于全区小城镇建设工作进度的通报$", r"^（第8期）$"), "各镇人民政府，区级有关部门：",
        None, "渭城区小城镇建设工作领导小组办公室", "2023年9月15日印发",
        (("附件：1.各镇项目进度明细表", 2), ("2.工作进度图表", 5)),
    ),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Tolerance:
    """How far a measure may be from the standard's value (mm unless named otherwise)."""

    mark_top: float = 1.5
    lines: float = 1.5
    """Vertical distances counted in lines (字号 below the 标志, title, 主送)."""
    rule_gap: float = 1.0
    edge_pt: float = 1.0
    """A full body line's ends from the 版心's edges, in pt."""
    page_number: float = 1.5


PDF = Tolerance()
WORD = Tolerance(mark_top=2.0, lines=4.0, rule_gap=1.5, edge_pt=2.0, page_number=2.0)


@dataclass(frozen=True, slots=True)
class Line:
    """A line of text on a page, in points from the page's top left (portrait frame)."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def middle(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass
class Page:
    """One page: its lines (a landscape page's turned into the portrait frame) and its pixels."""

    pdf: Path
    number: int
    width: float
    height: float
    scratch: Path
    """Where the page's pixels are written (not beside the PDF: the build is shared)."""
    lines: list[Line] = field(default_factory=list)

    @property
    def landscape(self) -> bool:
        return self.width > self.height

    @cached_property
    def image(self) -> Image.Image:
        """The page at ``DPI``, turned to portrait when it is landscape."""
        prefix = self.scratch / f"{self.pdf.stem}-page{self.number}"
        subprocess.run(
            ["pdftoppm", "-r", str(DPI), "-png", "-singlefile", "-f", str(self.number),
             "-l", str(self.number), str(self.pdf), str(prefix)],
            check=True, capture_output=True,
        )  # fmt: skip
        image = Image.open(f"{prefix}.png").convert("RGB")
        return image.rotate(90, expand=True) if self.landscape else image

    @property
    def bottom(self) -> float:
        return TOP + TEXT_HEIGHT

    @property
    def right(self) -> float:
        return LEFT + TEXT_WIDTH


def read_pages(pdf: Path, scratch: Path) -> list[Page]:
    """Every page of ``pdf`` with its lines of text (``pdftotext -bbox-layout``); its pixels,
    when asked for, are rendered into ``scratch``."""
    xhtml = subprocess.run(
        ["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    namespace = {"h": "http://www.w3.org/1999/xhtml"}
    pages = []
    for number, element in enumerate(
        ElementTree.fromstring(xhtml).iterfind(".//h:page", namespace), 1
    ):
        width, height = float(element.get("width", 0)), float(element.get("height", 0))
        page = Page(pdf, number, width, height, scratch)
        for line in element.iterfind(".//h:line", namespace):
            words = line.findall("h:word", namespace)
            text = "".join(word.text or "" for word in words)
            x0, y0, x1, y1 = (float(line.get(key, 0)) for key in ("xMin", "yMin", "xMax", "yMax"))
            if page.landscape:  # the portrait frame: x = landscape y, y = page width - landscape x
                x0, y0, x1, y1 = y0, page.width - x1, y1, page.width - x0
            page.lines.append(Line(text, x0, y0, x1, y1))
        pages.append(page)
    return pages


# -- pixels ----------------------------------------------------------------------------------------


def _mask(image: Image.Image, test: str) -> Image.Image:
    """255 where a pixel is red (the 标志, the separator), or dark and not red ("ink")."""
    red_channel, green, blue = image.split()
    red = ImageChops.multiply(
        ImageChops.multiply(
            red_channel.point(lambda v: 255 if v > 150 else 0),
            green.point(lambda v: 255 if v < 110 else 0),
        ),
        blue.point(lambda v: 255 if v < 110 else 0),
    )
    if test == "red":
        return red
    return ImageChops.subtract(image.convert("L").point(lambda v: 255 if v < 140 else 0), red)


def _pt(pixels: float) -> float:
    return pixels * 72 / DPI


def _px(points: float) -> int:
    return round(points * DPI / 72)


def _scan(page: Page, test: str) -> list[tuple[int, int, tuple[int, int] | None]]:
    """Per pixel row: its number, how many pixels pass ``test`` across the 版心's width, and
    their horizontal extent (pixels)."""
    mask = _mask(page.image, test)
    x0, x1 = _px(LEFT) - 10, _px(page.right) + 10
    found = []
    for y in range(mask.height):
        row = mask.crop((x0, y, x1, y + 1))
        box = row.getbbox()
        found.append((y, row.histogram()[255], (x0 + box[0], x0 + box[2]) if box else None))
    return found


def rows(page: Page, test: str, top: float = 0.0, bottom: float | None = None) -> list[int]:
    """Pixel rows (top to bottom) between ``top`` and ``bottom`` (pt) with a pixel that passes
    ``test`` ("red" or "ink") inside the 版心's width."""
    end = _px(bottom) if bottom is not None else 10**6
    return [y for y, count, _ in _scan(page, test) if count and _px(top) <= y < end]


def horizontal_rules(page: Page, test: str) -> list[tuple[float, float, float]]:
    """Lines drawn across the 版心: (y, x0, x1) in pt of each band of pixel rows in which nine
    tenths of the 版心's width pass ``test``."""
    bands: list[list[tuple[int, int, int]]] = []
    for y, count, extent in _scan(page, test):
        if extent is None or count < 0.9 * _px(TEXT_WIDTH):
            continue
        if bands and bands[-1][-1][0] == y - 1:
            bands[-1].append((y, *extent))
        else:
            bands.append([(y, *extent)])
    return [
        (
            _pt(sum(y for y, _, _ in band) / len(band) + 0.5),
            _pt(min(x0 for _, x0, _ in band)),
            _pt(max(x1 for _, _, x1 in band)),
        )
        for band in bands
    ]


# -- the outputs --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workspace(built_district: Path) -> Path:
    """The sample district, built once for the session (read only here)."""
    return built_district


Output = tuple[list[Page], Tolerance, Gongwen]


@pytest.fixture(
    scope="module",
    params=[(d, w) for d in DOCUMENTS for w in ("pdf", "word")],
    ids=[f"{d.key}-{w}" for d in DOCUMENTS for w in ("pdf", "word")],
)
def output(
    request: pytest.FixtureRequest, workspace: Path, tmp_path_factory: pytest.TempPathFactory
) -> Output:
    """The pages of each 公文's PDF, then of Word's (LibreOffice's) rendering, with their
    tolerances and what the document must show."""
    document, writer = request.param
    scratch = tmp_path_factory.mktemp(f"pages-{document.key}-{writer}")
    if writer == "pdf":
        return read_pages(workspace / "build" / f"{document.path}.pdf", scratch), PDF, document
    word = request.getfixturevalue("district_word_pdfs") / f"{Path(document.path).name}.pdf"
    return read_pages(word, scratch), WORD, document


def _line(page: Page, pattern: str) -> Line:
    found = [line for line in page.lines if re.search(pattern, line.text)]
    assert found, (pattern, [line.text for line in page.lines])
    return found[0]


def _head(
    pages: list[Page], document: Gongwen
) -> tuple[float, float, Line, float, Line, Line, Line]:
    """Page 1's 版头 and the lines under it: the 标志's ink top and bottom, the 发文字号, the red
    separator's y, the title's first and last lines, and the 主送机关."""
    page = pages[0]
    rule = [r for r in horizontal_rules(page, "red") if r[0] < page.height / 2]
    assert len(rule) == 1, rule
    red = rows(page, "red", TOP, rule[0][0] - 2)
    number = _line(page, r"〔\d{4}〕\d+号$")
    title = [_line(page, pattern) for pattern in document.title]
    # A title of several lines: one line of the grid apart (GB/T 9704 7.3.1).
    for upper, lower in itertools.pairwise(title):
        assert abs((lower.middle - upper.middle) - LINE) / MM <= 1.5, (upper, lower)
    recipient = _line(page, r"：$")
    return _pt(red[0]), _pt(red[-1] + 1), number, rule[0][0], title[0], title[-1], recipient


# -- 版头 ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_mark_top_edge_is_35_mm_below_the_text_block(output: Output) -> None:
    pages, tolerance, document = output
    top, *_ = _head(pages, document)
    assert abs((top - TOP) / MM - 35) <= tolerance.mark_top, (top - TOP) / MM


@pytest.mark.slow
def test_document_number_two_lines_below_the_mark_and_centred(
    output: Output,
) -> None:
    pages, tolerance, document = output
    _, bottom, number, *_ = _head(pages, document)
    # Two blank lines, then the 字号 in the middle of the third.
    assert abs((number.middle - bottom) - 2.5 * LINE) / MM <= tolerance.lines, (
        number.middle - bottom
    ) / LINE
    assert abs((number.x0 + number.x1) / 2 - (LEFT + TEXT_WIDTH / 2)) <= 2 * tolerance.edge_pt
    assert "第" not in number.text and not re.search(r"〔\d{4}〕0", number.text)


@pytest.mark.slow
def test_red_separator_spans_the_text_block_4_mm_below_the_number(
    output: Output,
) -> None:
    pages, tolerance, document = output
    page = pages[0]
    _, _, number, rule, *_ = _head(pages, document)
    _, x0, x1 = next(r for r in horizontal_rules(page, "red") if r[0] == rule)
    assert abs(x0 - LEFT) <= 1.0 * MM and abs(x1 - page.right) <= 1.0 * MM, (x0 / MM, x1 / MM)
    ink = rows(page, "ink", number.y0, rule - 1)
    assert abs((rule - _pt(ink[-1] + 1)) / MM - 4) <= tolerance.rule_gap, (rule - _pt(ink[-1])) / MM


@pytest.mark.slow
def test_title_two_lines_below_the_separator_and_recipient_one_line_below_it_flush_left(
    output: Output,
) -> None:
    pages, tolerance, document = output
    _, _, _, rule, title, last, recipient = _head(pages, document)
    assert abs((title.middle - rule) - 2.5 * LINE) / MM <= tolerance.lines, (
        title.middle - rule
    ) / LINE
    # One blank line between the title's last line and the 主送机关.
    assert abs((recipient.middle - last.middle) - 2 * LINE) / MM <= tolerance.lines
    assert abs(recipient.x0 - LEFT) <= tolerance.edge_pt, recipient
    assert recipient.text == document.recipient


# -- the body ------------------------------------------------------------------------------------------


def _is_chinese(char: str) -> bool:
    return "\u3000" <= char <= "\u9fff" or "\uff00" <= char <= "\uffef" or char in "“”‘’—…"


def _body_lines(pages: list[Page], recipient: str) -> Iterator[tuple[Page, Line, Line]]:
    """Each body line followed by a line that continues its paragraph (starts at the 版心's left
    edge): a full line. Body lines are those of the body's size, between the 主送机关 and the
    附件说明, inside the 版心."""
    body: list[tuple[Page, Line]] = []
    size: float | None = None
    for page in pages:
        if page.landscape:
            continue
        for line in page.lines:
            if line.text.startswith("附件："):
                size = None
            inside = line.y0 >= TOP and line.y1 <= page.bottom
            if size is not None and inside and abs(line.height - size) < 0.5:
                body.append((page, line))  # (not a table's smaller text)
            if line.text == recipient:
                size = line.height  # the 主送机关: 3号仿宋, as the body
    for (page, line), (_, following) in itertools.pairwise(body):
        if abs(following.x0 - LEFT) < 1.0 and line.x1 - line.x0 > TEXT_WIDTH / 2:
            yield page, line, following


@pytest.mark.slow
def test_body_lines_hold_28_characters_with_both_edges_flush(
    output: Output,
) -> None:
    pages, tolerance, document = output
    full = list(_body_lines(pages, document.recipient))
    assert len(full) >= 20
    chinese = 0
    for page, line, following in full:
        indent = round((line.x0 - LEFT) / CHAR)
        assert indent in (0, 2) and abs(line.x0 - LEFT - indent * CHAR) <= tolerance.edge_pt, line
        assert abs(line.x1 - page.right) <= tolerance.edge_pt, (line, line.x1 - page.right)
        if all(_is_chinese(char) for char in line.text):
            chinese += 1
            # 28, or 27 where the next two characters go down together because a line may not
            # start with closing punctuation, or an opening bracket goes down because a line may
            # not end with it (避头尾), or a number with its unit (68%) wider than the room left
            # goes down whole (never split)
            kept = (
                following.text[1:2] in "，。、；：？！）》”’"
                or following.text[:1] in "（《“‘"
                or following.text[:1].isdigit()
            )
            # or where a paragraph's last line takes a character down so that it holds
            # TAIL_CHARS of them, never one alone (“能区：”, not “区：”; issue 22, point 7)
            short = following.x1 < page.right - 2 * CHAR
            tail = short and len(following.text.rstrip("，。、；：？！）》”’")) == TAIL_CHARS
            kept = kept or tail
            assert indent + len(line.text) == 28 or (kept and indent + len(line.text) == 27), line
    assert chinese >= 10


# -- pages ---------------------------------------------------------------------------------------------


def test_a_documents_parts_print_the_same_html_every_time() -> None:
    """The 通报's parts are parsed once and written twice in a build (its DOCX, then its PDF):
    the second HTML must still hold the 版记 as ``gongwen.IMPRINT`` opens it, or the 版记 after a
    blank page kept its page number (issue 22)."""
    tokens = mdparser.parse(
        "::: redhead\n标志\n:::\n\n正文。\n\n::: imprint\n抄送：区住建局。\n:::\n"
    )
    page = html_render.TablePage(156.0, 225.0, 16.0)
    first, again = (
        html_render.render_body([html_render.HtmlPart(tokens, Path(), Path())], page).html
        for _ in range(2)
    )
    assert first == again and again.count(gongwen.IMPRINT) == 1
    assert '<div class="redhead">' in again


@pytest.mark.slow
def test_page_number_on_every_page_7_mm_below_the_text_block_on_the_outer_side(
    output: Output,
) -> None:
    pages, tolerance, _ = output
    for page in pages:
        if not page.lines:  # the blank page before an even 版记 page carries no number (7.5)
            assert page.number == len(pages) - 1 and page.number % 2 == 1
            continue
        numbers = [line for line in page.lines if re.fullmatch(r"—\s*\d+\s*—", line.text)]
        if page.number == len(pages) and not pages[-2].lines:
            assert not numbers, page.number  # nor does the 版记's page after it (7.5)
            continue
        assert len(numbers) == 1, (page.number, [line.text for line in page.lines])
        number = numbers[0]
        assert int(re.sub(r"\D", "", number.text)) == page.number
        # The dashes (一字线) run through the middle of the number's line.
        assert abs((number.middle - page.bottom) / MM - 7) <= tolerance.page_number, (
            page.number, (number.middle - page.bottom) / MM,
        )  # fmt: skip
        one = 14.0  # one 4号 character in from the outer side
        if page.number % 2:
            assert abs(number.x1 - (page.right - one)) / MM <= tolerance.page_number, page.number
        else:
            assert abs(number.x0 - (LEFT + one)) / MM <= tolerance.page_number, page.number


@pytest.mark.slow
def test_no_running_header(output: Output) -> None:
    pages, _, _ = output
    for page in pages:
        assert not [line.text for line in page.lines if line.y1 < TOP - 1], page.number


@pytest.mark.slow
def test_imprint_on_the_foot_of_the_last_page(output: Output) -> None:
    pages, tolerance, document = output
    last = pages[-1]
    office, date = _line(last, f"^{document.office}"), _line(last, f"{document.printed}$")
    assert abs(office.middle - date.middle) < 1  # one line: 印发机关 left, 印发日期 right
    one = 14.0  # one 4号 character
    assert abs(office.x0 - (LEFT + one)) / MM <= tolerance.page_number
    assert abs(date.x1 - (last.right - one)) / MM <= tolerance.page_number
    rules = horizontal_rules(last, "ink")
    assert abs(rules[-1][0] - last.bottom) / MM <= tolerance.rule_gap, rules[-1][0] / MM
    within = max(tolerance.edge_pt, 1.5)  # a pixel at 100 dpi is 0.72 pt
    for _, x0, x1 in rules:  # the separators span the 版心 (7.4.1; review R26: Word's did not)
        assert abs(x0 - LEFT) <= within and abs(x1 - (LEFT + TEXT_WIDTH)) <= within, rules
    if document.cc is None:  # no 抄送: the 印发 line between two separators
        assert not [line for line in last.lines if line.text.startswith("抄送")]
        assert len(rules) == 2, rules
        assert rules[0][0] < office.y0 < rules[1][0]
        return
    cc = _line(last, r"^抄送：")
    assert cc.text == document.cc
    assert abs(cc.x0 - (LEFT + one)) / MM <= tolerance.page_number
    assert len(rules) == 3, rules  # thick, thin, thick
    assert rules[0][0] < cc.y0 < rules[1][0] < office.y0 < rules[2][0]


@pytest.mark.slow
def test_landscape_attachment_pages_keep_to_the_turned_text_block(
    output: Output,
) -> None:
    """A landscape 附件 page is the portrait page turned: its text stays inside the (turned)
    版心, clear of the margin where its page number stands."""
    pages, tolerance, _ = output
    landscape = [page for page in pages if page.landscape]
    assert landscape
    for page in landscape:
        for line in page.lines:
            if re.fullmatch(r"—\s*\d+\s*—", line.text):
                continue
            assert line.y0 >= TOP - tolerance.edge_pt, (page.number, line)
            assert line.y1 <= page.bottom + tolerance.edge_pt, (page.number, line)
            assert LEFT - tolerance.edge_pt <= line.x0 and line.x1 <= page.right + 2, line


# -- the 附件 ------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_attachment_note_lines_start_where_the_standard_puts_them(output: Output) -> None:
    """One attachment: "附件：名称" without a number; several: "附件：1.名称" and each further
    number one under another, under the first number (GB/T 9704 7.3.4)."""
    pages, _, document = output
    notes = [
        line
        for page in pages
        for line in page.lines
        if line.text.startswith("附件：") or (
            # "2.名称", not a table's decimal ("83.6%") that starts at that place
            re.match(r"^\d+\.(?!\d)", line.text) and abs(line.x0 - (LEFT + 5 * CHAR)) <= 3.0
        )
    ]  # fmt: skip
    assert [line.text for line in notes] == [text for text, _ in document.notes]
    for line, (_, chars) in zip(notes, document.notes, strict=True):
        assert abs(line.x0 - (LEFT + chars * CHAR)) <= 2.0, (line, chars)


@pytest.mark.slow
def test_the_signature_never_stands_on_a_page_without_body_text(output: Output) -> None:
    """The 附件说明, 署名 and 成文日期 share their page with the body's last lines: a page that
    holds them alone is the "此页无正文" case a bureau sends back (GB/T 9704 7.3.5: the spacing is
    adjusted instead). Review finding F29: the 通报's p5."""
    pages, _, document = output
    first_note = document.notes[0][0]
    [page] = [p for p in pages if any(line.text == first_note for line in p.lines)]
    note = next(line for line in page.lines if line.text == first_note)
    body = [
        line
        for line in page.lines
        if line.y1 <= note.y0 and not re.fullmatch(r"[—\-–]\s*\d+\s*[—\-–]", line.text)
    ]
    assert body, (page.number, [line.text for line in page.lines][:6])


SIGNATURES = {"plan": "渭城镇人民政府", "bulletin": "渭城区小城镇建设工作领导小组办公室"}
"""Each 公文's 署名: the plan's is short enough to centre over its 成文日期, the 通报's is not."""


@pytest.mark.slow
def test_the_signature_is_centred_over_the_date_inside_the_type_area(output: Output) -> None:
    """7.3.5.1: the 成文日期 four characters in from the right, the 署名 centred over it; a 署名
    so much longer than the date that centred it would reach past the 版心 is set two characters
    in from the right instead (review R3: the 通报's ran 20 pt past the right edge in the PDF;
    T18: then flush with the edge, where 7.3.5.2 leaves two characters)."""
    pages, tolerance, document = output
    issuer = SIGNATURES[document.key]
    signature, date = next(
        (line, below)
        for page in pages
        for line, below in itertools.pairwise(sorted(page.lines, key=lambda line: line.y0))
        if line.text == issuer and re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", below.text)
    )
    right = LEFT + TEXT_WIDTH
    assert abs(date.x1 - (right - 4 * CHAR)) <= tolerance.edge_pt, date
    assert signature.x1 <= right + tolerance.edge_pt, signature
    centre = (signature.x0 + signature.x1) / 2 - (date.x0 + date.x1) / 2
    if document.key == "plan":
        # Word's 署名 is right-indented by the texts' estimated widths (a digit half a
        # character): LibreOffice sets the date's digits wider in the 公文's grid, 0.7 of a
        # character off; the PDF centres the two exactly.
        within = CHAR if tolerance is WORD else tolerance.edge_pt
        assert abs(centre) <= within, (signature, date)
    else:  # 右空二字 (review T18: it was flush with the 版心's edge)
        assert signature.x1 == pytest.approx(right - 2 * CHAR, abs=tolerance.edge_pt), signature


@pytest.mark.slow
def test_attachment_lists_projects_in_the_order_of_the_body_table(workspace: Path) -> None:
    document = docx.Document(str(workspace / "build" / "weicheng" / f"{PLAN}.docx"))
    body = next(t for t in document.tables if t.rows[0].cells[1].text == "项目名称")
    attachment = document.tables[-1]
    # A name that wraps has its line breaks (w:br) between words, where the column of each table
    # ends a line (the two tables' columns differ): the names are compared without them.
    names = [row.cells[1].text.replace("\n", "") for row in body.rows[1:]]
    assert names == [row.cells[1].text.replace("\n", "") for row in attachment.rows[1:-1]]
    assert names[:2] == ["滨河路道路改造工程", "镇区雨污分流管网工程"]
