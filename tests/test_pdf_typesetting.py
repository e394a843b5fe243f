"""What ``render.pdf`` adds to WeasyPrint's typesetting, read back from the PDF and its layout.

Bold in a face that has no bold (FandolFang 仿宋, FandolKai 楷体) prints bold, as Word prints it
(review F35, R4): WeasyPrint does not synthesise bold, so ``pdf.synthetic_bold`` draws such text
filled and outlined. Measured as ink on the rendered page, and read back from the content stream
(text rendering mode 2 for those runs only, not for FandolSong Bold, a real bold face).

A justified line is spread over its Chinese characters, never inside a number kept with its
unit (review S7: “2 0 7 5万元”)."""

from __future__ import annotations

import re
import subprocess
import zlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageOps

from townplans.render import pdf as pdf_render
from townplans.render.html import font_faces

REPO = Path(__file__).resolve().parent.parent
TEMPLATES = REPO / "templates"
TEXT = "产业发展区居住发展区"


def _pdf(tmp_path: Path, body: str) -> Path:
    css = font_faces(TEMPLATES / "fonts") + (
        'p { font-size: 16pt; margin: 0 0 12pt; } .fang { font-family: "FandolFang"; }'
        ' .kai { font-family: "FandolKai"; } .song { font-family: "FandolSong"; }'
    )
    html = f"<html><head><style>{css}</style></head><body>{body}</body></html>"
    data, warnings = pdf_render.html_to_pdf(html, {"templates": TEMPLATES})
    assert not warnings, warnings
    path = tmp_path / "bold.pdf"
    path.write_bytes(data)
    return path


def _ink(pdf: Path, tmp_path: Path) -> list[int]:
    """The dark pixels of each text line of the first page, top to bottom."""
    subprocess.run(
        ["pdftoppm", "-r", "150", "-gray", "-png", str(pdf), str(tmp_path / "p")], check=True
    )
    page = ImageOps.invert(Image.open(next(tmp_path.glob("p*.png"))).convert("L"))
    dark = page.point(lambda value: 255 if value > 128 else 0)
    rows = [sum(1 for x in range(dark.width) if dark.getpixel((x, y))) for y in range(dark.height)]
    lines: list[int] = []
    inside = False
    for count in rows:
        if count and not inside:
            lines.append(0)
        if count:
            lines[-1] += count
        inside = bool(count)
    return lines


@pytest.mark.parametrize("face", ["fang", "kai"])
def test_bold_in_a_face_without_bold_prints_heavier(tmp_path: Path, face: str) -> None:
    body = f'<p class="{face}">{TEXT}</p><p class="{face}"><b>{TEXT}</b></p>'
    regular, bold = _ink(_pdf(tmp_path, body), tmp_path)
    assert bold > 1.25 * regular, (regular, bold)


def test_only_the_synthesised_runs_are_outlined(tmp_path: Path) -> None:
    body = (
        f'<p class="fang">{TEXT}<b>{TEXT}</b></p><p class="song"><b>{TEXT}</b></p>'
        f'<p class="song">{TEXT}</p>'
    )
    pdf = _pdf(tmp_path, body)
    data = pdf.read_bytes()
    streams = [
        zlib.decompress(m.group(1))
        for m in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.DOTALL)
        if m.group(1)[:2] in (b"x\x9c", b"x\xda", b"x^", b"x\x01")
    ]
    content = next(s for s in streams if b"BT" in s)
    outlined = re.findall(rb"2 Tr\n[^B]*BT\n[^\n]*\n/(\w+) ", content)
    listed = subprocess.run(["pdffonts", str(pdf)], capture_output=True, check=True).stdout
    fonts = dict(re.findall(rb"^(\w+)\+([\w-]+)", listed, re.MULTILINE))
    # the bold FandolFang run, not the FandolSong Bold ones
    assert [fonts[name] for name in outlined] == [b"FandolFang-Bold"], content
    assert b"Tr" not in content.replace(b"2 Tr", b"")  # and nothing else changes mode


def test_regular_only_families_are_read_from_the_font_faces() -> None:
    faces = font_faces(TEMPLATES / "fonts")
    assert pdf_render.regular_only(faces) == {"FandolFang", "FandolKai"}
    assert pdf_render.regular_only("") == frozenset()


def _text_boxes(box: Any) -> list[Any]:
    found = [box] if type(box).__name__ == "TextBox" else []
    for child in getattr(box, "children", ()):
        found += _text_boxes(child)
    return found


def test_justification_spreads_chinese_not_the_digits_of_a_number() -> None:
    """Review S7: spreading a justified line over every character set “2075万元” as
    “2 0 7 5万元”. A number kept with its unit (``.nobr``) keeps its spacing; the Chinese
    around it takes the line's slack."""
    from townplans.render.style import css, load_style

    style = load_style(TEMPLATES / "style.yaml")
    number = '<span class="nobr">2075万元</span>'
    body = f"<p>窑店镇本期完成投资290万元，累计完成投资{number}，占计划总投资的88.1%；本期周报按时。</p>"
    html = f"<html><head><style>{css(style)}</style></head><body>{body}</body></html>"
    document, _ = pdf_render.layout(html, {"templates": TEMPLATES})
    boxes = document.pages[0]._page_box.descendants()
    first_line = next(b for b in boxes if type(b).__name__ == "LineBox")
    spacing = {b.text: b.style["letter_spacing"] for b in _text_boxes(first_line)}
    kept = [s for text, s in spacing.items() if "2075" in text]
    spread = [s for text, s in spacing.items() if "累计" in text]
    assert kept and spread, spacing  # the number is on the first, justified line
    assert kept[0] in ("normal", 0) and spread[0] not in ("normal", 0), spacing


def test_a_justified_line_ending_in_a_kept_number_ends_flush_with_the_block() -> None:
    """Review T7: a line ending in a number kept with its unit (“至2035年”) ran 7 pt past the
    版心: its characters were given the shares of ``count - 1`` gaps, the last of which falls
    beyond the line's end only when the line ends in spread text. Measured on the layout: every
    justified line of the paragraph ends at the block's right edge, within half a point."""
    from townplans.render.style import css, load_style

    style = load_style(TEMPLATES / "style.yaml")
    text = (
        '2022年末镇域常住人口5.12万人，建成区常住人口<span class="nobr">2.64万人</span>。'
        '预测至<span class="nobr">2025年</span>建成区人口<span class="nobr">3.0万人</span>，'
        '至<span class="nobr">2035年</span><span class="nobr">3.8万人。</span>'
    )
    widths = [text, text.replace("2022年末", "2022年末全")]
    ends = []
    for body in widths:
        html = f"<html><head><style>{css(style)}</style></head><body><p>{body}</p></body></html>"
        document, _ = pdf_render.layout(html, {"templates": TEMPLATES})
        page = document.pages[0]._page_box
        block_right = page.content_box_x() + page.width
        lines = [b for b in page.descendants() if type(b).__name__ == "LineBox"]
        for line in lines[:-1]:  # the last line is not justified
            boxes = _text_boxes(line)
            right = max(b.position_x + b.width for b in boxes)
            last = max(boxes, key=lambda b: b.position_x)
            if last.style["letter_spacing"] not in ("normal", 0):
                right -= last.style["letter_spacing"]  # its spacing falls beyond the end
            ends.append((right - block_right, last.text))
    assert len(ends) >= 2 and all(abs(gap) <= 0.5 for gap, _ in ends), ends
