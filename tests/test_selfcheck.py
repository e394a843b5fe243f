"""TP7xx output self-checks: each has a failing and a passing fixture."""

from __future__ import annotations

import io
from pathlib import Path

import docx
from docx.shared import Mm
from PIL import Image

from townplans.render import html as html_render
from townplans.render.pdf import html_to_pdf
from townplans.render.selfcheck import check_docx, check_pdf
from townplans.render.style import css, load_style

REPO = Path(__file__).resolve().parent.parent
STYLE = load_style(REPO / "templates/style.yaml")


def _pdf(markdown: str, root: Path) -> tuple[bytes, list[str]]:
    from townplans import mdparser

    body = html_render.render_body([html_render.HtmlPart(mdparser.parse(markdown), root, root)])
    return html_to_pdf(
        html_render.page("t", body, css(STYLE), cover=False, toc=False), {"workspace": root}
    )


def test_missing_glyph_is_reported(tmp_path: Path) -> None:
    data, warnings = _pdf("私用区字符：\ue000\ue001\n", tmp_path)
    [problem] = [p for p in check_pdf(data, warnings) if p.code == "TP703"]
    assert "U+E000" in problem.message and "方框" in problem.message


def test_chinese_text_has_all_its_glyphs(tmp_path: Path) -> None:
    data, warnings = _pdf("# 总则\n\n渭城镇建成区面积 3.12 km²，绿化覆盖率 33.5%。\n", tmp_path)
    assert check_pdf(data, warnings) == []


def _pdf_with_standard_font() -> bytes:
    """A one-page PDF that uses Helvetica without embedding it (what the check must catch)."""
    objects = [
        b"<</Type /Catalog /Pages 2 0 R>>",
        b"<</Type /Pages /Kids [3 0 R] /Count 1>>",
        b"<</Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Resources <</Font <</F1 4 0 R>>>> /Contents 5 0 R>>",
        b"<</Type /Font /Subtype /Type1 /BaseFont /Helvetica>>",
        b"<</Length 35>>\nstream\nBT /F1 12 Tf 20 100 Td (Hello) Tj ET\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer <</Root 1 0 R /Size %d>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_font_not_embedded_is_reported() -> None:
    [problem] = check_pdf(_pdf_with_standard_font(), [])
    assert problem.code == "TP704" and "Helvetica" in problem.message


def test_latin_only_fonts_in_docx_are_reported() -> None:
    document = docx.Document()
    document.add_paragraph().add_run("渭城镇").font.name = "Arial"
    buffer = io.BytesIO()
    document.save(buffer)
    assert any(p.code == "TP705" for p in check_docx(buffer.getvalue()))


def test_too_wide_image_is_reported(tmp_path: Path) -> None:
    picture = tmp_path / "wide.png"
    Image.new("RGB", (400, 100), "white").save(picture)
    document = docx.Document()
    document.add_picture(str(picture), width=Mm(250))
    buffer = io.BytesIO()
    document.save(buffer)
    assert [p.code for p in check_docx(buffer.getvalue()) if p.code == "TP706"] == ["TP706"]


def test_our_docx_passes(tmp_path: Path) -> None:
    from townplans import mdparser
    from townplans.render.docx import DocxWriter

    picture = tmp_path / "wide.png"
    Image.new("RGB", (3000, 600), "white").save(picture)
    writer = DocxWriter(STYLE, tmp_path)
    writer.add_markdown(
        mdparser.parse("# 标题\n\n正文 `code` **粗体**\n\n![很宽的图](wide.png)\n"), tmp_path
    )
    buffer = io.BytesIO()
    writer.document.save(buffer)
    assert check_docx(buffer.getvalue()) == []
