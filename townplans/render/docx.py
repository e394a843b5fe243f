"""markdown-it tokens -> a python-docx Document styled from ``Style``.

The writer walks the token stream once. Every block and inline construct has a mapping; a token
type without one is recorded in ``problems`` (never dropped silently). East Asian fonts are set by
their official names (``w:eastAsia``) and Latin fonts separately, on the styles, so Word and WPS
pick the right font for every character. Images are read only from inside the workspace.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Mm, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from markdown_it.token import Token
from PIL import Image, UnidentifiedImageError

from townplans.render.html import local_file
from townplans.render.style import FontRole, Style

PRINT_DPI = 150
"""Images are placed at their pixel size at this resolution, shrunk to fit the text block."""

_ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
}


def is_cjk(char: str) -> bool:
    return (
        "\u2e80" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" or "\uff00" <= char <= "\uffef"
    )


def set_fonts(rpr_owner: ParagraphStyle | Run, role: FontRole) -> None:
    """Set Latin and East Asian fonts and size on a style or run."""
    font = rpr_owner.font
    font.name = role.latin
    font.size = Pt(role.size)
    font.bold = role.bold
    element = rpr_owner.element
    rpr = element.get_or_add_rPr()
    rfonts = rpr.get_or_add_rFonts()
    rfonts.set(qn("w:eastAsia"), role.east_asian)
    rfonts.set(qn("w:ascii"), role.latin)
    rfonts.set(qn("w:hAnsi"), role.latin)


@dataclass
class _Inline:
    """Formatting state while walking an inline token's children."""

    bold: bool = False
    italic: bool = False
    strike: bool = False
    link: str | None = None
    hyperlink: object | None = None


@dataclass
class _ListLevel:
    ordered: bool
    number: int
    first_paragraph: bool = True


@dataclass
class DocxWriter:
    """Builds one Word document from one or more Markdown token streams."""

    style: Style
    root: Path
    document: DocumentObject = field(init=False)
    problems: list[str] = field(default_factory=list)
    _lists: list[_ListLevel] = field(default_factory=list)
    _quote_depth: int = 0
    _figures: int = 0
    _tables: int = 0
    _pending_prefix: str = ""

    def __post_init__(self) -> None:
        self.document = Document()
        self._page_setup()
        self._styles()
        self._page_numbers()

    # -- set-up ---------------------------------------------------------------------------------

    def _page_setup(self) -> None:
        section = self.document.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width = Mm(self.style.width_mm)
        section.page_height = Mm(self.style.height_mm)
        section.top_margin = Mm(self.style.margin_top_mm)
        section.bottom_margin = Mm(self.style.margin_bottom_mm)
        section.left_margin = Mm(self.style.margin_left_mm)
        section.right_margin = Mm(self.style.margin_right_mm)
        section.footer_distance = Mm(self.style.margin_bottom_mm - 7 - 5)

    def _styles(self) -> None:
        fonts = self.style.fonts
        styles = self.document.styles
        normal = styles["Normal"]
        assert isinstance(normal, ParagraphStyle)
        set_fonts(normal, fonts["body"])
        normal_format = normal.paragraph_format
        normal_format.first_line_indent = Pt(
            fonts["body"].size * self.style.first_line_indent_chars
        )
        normal_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        normal_format.line_spacing = Pt(self.style.line_spacing_pt)
        normal_format.space_before = Pt(0)
        normal_format.space_after = Pt(0)
        normal_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        for level in range(1, 7):
            heading = styles[f"Heading {level}"]
            assert isinstance(heading, ParagraphStyle)
            set_fonts(heading, fonts[f"heading{min(level, 4)}"])
            heading.font.italic = False
            heading.font.color.rgb = RGBColor(0, 0, 0)
            heading.paragraph_format.first_line_indent = (
                Pt(0) if level == 1 else normal_format.first_line_indent
            )
            heading.paragraph_format.space_before = Pt(0)
            heading.paragraph_format.space_after = Pt(0)
            heading.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            heading.paragraph_format.line_spacing = Pt(self.style.line_spacing_pt)
            heading.paragraph_format.keep_with_next = True
        title = styles["Title"]
        assert isinstance(title, ParagraphStyle)
        set_fonts(title, fonts["title"])
        title.font.color.rgb = RGBColor(0, 0, 0)
        title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        title.paragraph_format.first_line_indent = Pt(0)
        # python-docx's template draws a rule under Title; an official cover has none.
        for border in title.element.xpath("./w:pPr/w:pBdr"):
            border.getparent().remove(border)
        caption = styles["Caption"]
        assert isinstance(caption, ParagraphStyle)
        set_fonts(caption, fonts["caption"])
        caption.font.color.rgb = RGBColor(0, 0, 0)
        caption.font.italic = False
        caption.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        caption.paragraph_format.first_line_indent = Pt(0)
        caption.paragraph_format.space_after = Pt(6)

    def _page_numbers(self) -> None:
        """Footer page number "— 1 —" (GB/T 9704 7.5), 4号 宋体 on the outer side."""
        footer = self.document.sections[0].footer
        paragraph = footer.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        paragraph.paragraph_format.first_line_indent = Pt(0)
        role = self.style.fonts["page_number"]
        set_fonts(paragraph.add_run("— "), role)
        _add_field(paragraph, "PAGE", role)
        set_fonts(paragraph.add_run(" —"), role)

    # -- public API -------------------------------------------------------------------------------

    def add_cover(self, title: str, lines: Sequence[str]) -> None:
        """A cover page: the title in 小标宋 and the issuing lines, then a page break."""
        for _ in range(4):
            self._plain_paragraph("")
        self.document.add_paragraph(title, style="Title")
        for _ in range(6):
            self._plain_paragraph("")
        for line in lines:
            paragraph = self._plain_paragraph(line)
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        self.document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def add_toc(self) -> None:
        """A Word TOC field over Heading 1–3; Word and LibreOffice fill it on open/update."""
        heading = self._plain_paragraph("目  录")
        heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        set_fonts(heading.runs[0], self.style.fonts["heading1"])
        paragraph = self._plain_paragraph("")
        _add_field(
            paragraph,
            'TOC \\o "1-3" \\h \\z \\u',
            self.style.fonts["body"],
            "（打开文档后右键“更新域”生成目录）",
        )
        self.document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def add_markdown(self, tokens: Sequence[Token], base_dir: Path) -> None:
        """Write a token stream; relative image paths resolve against ``base_dir``."""
        index = 0
        while index < len(tokens):
            index = self._block(tokens, index, base_dir)

    def save(self, path: Path) -> None:
        self.document.save(str(path))

    # -- blocks -----------------------------------------------------------------------------------

    def _block(self, tokens: Sequence[Token], index: int, base_dir: Path) -> int:
        token = tokens[index]
        kind = token.type
        if kind == "heading_open":
            level = int(token.tag[1:])
            paragraph = self.document.add_paragraph(style=f"Heading {min(level, 6)}")
            self._inline(paragraph, tokens[index + 1], base_dir)
            return index + 3
        if kind == "paragraph_open":
            return self._paragraph(tokens, index, base_dir)
        if kind in ("bullet_list_open", "ordered_list_open"):
            start = int(token.attrs.get("start", 1) or 1)
            self._lists.append(_ListLevel(kind == "ordered_list_open", start - 1))
            return index + 1
        if kind in ("bullet_list_close", "ordered_list_close"):
            self._lists.pop()
            return index + 1
        if kind == "list_item_open":
            current = self._lists[-1]
            current.number += 1
            current.first_paragraph = True
            return index + 1
        if kind == "table_open":
            return self._table(tokens, index, base_dir)
        if kind in ("fence", "code_block"):
            self._code(token.content)
            return index + 1
        if kind == "blockquote_open":
            self._quote_depth += 1
            return index + 1
        if kind == "blockquote_close":
            self._quote_depth -= 1
            return index + 1
        if kind == "hr":
            self._rule()
            return index + 1
        if kind.startswith(("footnote", "container_")) or kind in _IGNORED_CLOSERS:
            return self._passthrough(tokens, index, base_dir)
        self._problem(token, f"未支持的 Markdown 结构“{kind}”")
        return index + 1

    def _passthrough(self, tokens: Sequence[Token], index: int, base_dir: Path) -> int:
        token = tokens[index]
        if token.type == "footnote_block_open":
            self._rule()
        elif token.type == "footnote_open":
            self._pending_prefix = f"[{int(token.meta.get('id', 0)) + 1}] "
        elif token.type == "footnote_anchor":
            pass
        return index + 1

    def _paragraph(self, tokens: Sequence[Token], index: int, base_dir: Path) -> int:
        inline = tokens[index + 1]
        children = [child for child in inline.children or () if child.type != "softbreak"]
        if len(children) == 1 and children[0].type == "image" and not self._lists:
            self._figure(children[0], base_dir)
            return index + 3
        paragraph = self.document.add_paragraph()
        prefix = self._list_prefix(paragraph) + self._pending_prefix
        self._pending_prefix = ""
        if self._quote_depth:
            paragraph.paragraph_format.left_indent = Pt(32 * self._quote_depth)
            paragraph.paragraph_format.first_line_indent = Pt(0)
        if prefix:
            paragraph.add_run(prefix)
        self._inline(paragraph, inline, base_dir)
        return index + 3

    def _list_prefix(self, paragraph: Paragraph) -> str:
        if not self._lists:
            return ""
        level = self._lists[-1]
        depth = len(self._lists)
        size = self.style.fonts["body"].size
        paragraph.paragraph_format.left_indent = Pt(size * 2 * depth)
        paragraph.paragraph_format.first_line_indent = (
            Pt(-size * 1.5) if level.first_paragraph else Pt(0)
        )
        if not level.first_paragraph:
            return ""
        level.first_paragraph = False
        if level.ordered:
            return f"{level.number}. "
        return ("•", "◦", "▪")[(depth - 1) % 3] + " "

    def _code(self, content: str) -> None:
        paragraph = self._plain_paragraph("")
        paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        paragraph.paragraph_format.left_indent = Pt(12)
        role = self.style.fonts["code"]
        lines = content.rstrip("\n").split("\n")
        for number, line in enumerate(lines):
            run = paragraph.add_run(line)
            set_fonts(run, role)
            if number < len(lines) - 1:
                run.add_break()

    def _rule(self) -> None:
        paragraph = self._plain_paragraph("")
        ppr = paragraph._p.get_or_add_pPr()
        borders = OxmlElement("w:pBdr")
        bottom = OxmlElement("w:bottom")
        for key, value in (
            ("w:val", "single"),
            ("w:sz", "6"),
            ("w:space", "1"),
            ("w:color", "000000"),
        ):
            bottom.set(qn(key), value)
        borders.append(bottom)
        ppr.append(borders)

    def _plain_paragraph(self, text: str) -> Paragraph:
        paragraph = self.document.add_paragraph(text)
        paragraph.paragraph_format.first_line_indent = Pt(0)
        return paragraph

    # -- figures and tables -----------------------------------------------------------------------

    def _figure(self, image: Token, base_dir: Path) -> None:
        source = str(image.attrs.get("src", ""))
        caption = image.content or str(image.attrs.get("title", "") or "")
        paragraph = self._plain_paragraph("")
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        paragraph.paragraph_format.keep_with_next = True
        self._picture(paragraph.add_run(), source, base_dir, full_width=True, label=caption)
        self._figures += 1
        caption_paragraph = self.document.add_paragraph(style="Caption")
        caption_paragraph.add_run("图 ")
        _add_field(
            caption_paragraph, "SEQ 图 \\* ARABIC", self.style.fonts["caption"], str(self._figures)
        )
        caption_paragraph.add_run(f"  {caption}" if caption else "")

    def _picture(
        self, run: Run, source: str, base_dir: Path, full_width: bool, label: str = ""
    ) -> None:
        path = self._local_image(source, base_dir)
        if path is None:
            run.add_text(f"【缺：图片 {label or source}（{source}）】")
            run.font.color.rgb = RGBColor(0xC0, 0, 0)
            return
        try:
            with Image.open(path) as image:
                width_px, height_px = image.size
        except (OSError, UnidentifiedImageError):
            self.problems.append(f"图片无法读取：{source}")
            run.add_text(f"【图片无法读取：{source}】")
            return
        max_width = (
            self.style.text_width_mm if full_width else self.style.fonts["body"].size * 0.3528 * 3
        )
        max_height = self.style.text_height_mm * 0.75
        width = width_px / PRINT_DPI * 25.4
        height = height_px / PRINT_DPI * 25.4
        scale = min(1.0, max_width / width, max_height / height)
        run.add_picture(str(path), width=Mm(width * scale), height=Mm(height * scale))

    def _local_image(self, source: str, base_dir: Path) -> Path | None:
        """The image file, only when it is a local file inside the workspace.

        Missing, remote and outside images were reported by the loader (TP005/TP009); here they
        only become a visible placeholder.
        """
        return local_file(source, base_dir, self.root)

    def _table(self, tokens: Sequence[Token], index: int, base_dir: Path) -> int:
        rows: list[list[tuple[Token, str | None, bool]]] = []
        end = index
        while tokens[end].type != "table_close":
            token = tokens[end]
            if token.type == "tr_open":
                rows.append([])
            elif token.type in ("th_open", "td_open"):
                style = str(token.attrs.get("style", "") or "")
                align = style.split(":")[-1] if style.startswith("text-align") else None
                rows[-1].append((tokens[end + 1], align, token.type == "th_open"))
            end += 1
        columns = max((len(row) for row in rows), default=0)
        if not rows or columns == 0:
            return end + 1
        table = self.document.add_table(rows=len(rows), cols=columns)
        table.style = self.document.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for row_index, row in enumerate(rows):
            for col_index, (inline, align, header) in enumerate(row):
                cell = table.cell(row_index, col_index)
                paragraph = cell.paragraphs[0]
                self._table_paragraph(paragraph, align)
                self._inline(paragraph, inline, base_dir, role="table", bold=header)
        if rows and all(header for _, _, header in rows[0]):
            _repeat_header(table)
        self._fit_columns(table, rows, columns)
        self._tables += 1
        self._plain_paragraph("")
        return end + 1

    def _table_paragraph(self, paragraph: Paragraph, align: str | None) -> None:
        fmt = paragraph.paragraph_format
        fmt.first_line_indent = Pt(0)
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
        fmt.alignment = _ALIGN.get(align or "", WD_ALIGN_PARAGRAPH.LEFT)

    def _fit_columns(
        self, table: Table, rows: list[list[tuple[Token, str | None, bool]]], columns: int
    ) -> None:
        """Share the text-block width by the longest cell text of each column (CJK counts double)."""
        weights = [2.0] * columns
        for row in rows:
            for col_index, (inline, _, _) in enumerate(row):
                text = inline.content
                length = sum(2 if is_cjk(char) else 1 for char in text)
                weights[col_index] = max(weights[col_index], min(float(length), 40.0))
        total = sum(weights)
        table.autofit = False
        for col_index, weight in enumerate(weights):
            width = Mm(self.style.text_width_mm * weight / total)
            table.columns[col_index].width = width
            for cell in table.columns[col_index].cells:
                cell.width = width

    # -- inline -----------------------------------------------------------------------------------

    def _inline(
        self,
        paragraph: Paragraph,
        inline: Token,
        base_dir: Path,
        role: str | None = None,
        bold: bool = False,
    ) -> None:
        state = _Inline(bold=bold)
        children = inline.children or []
        for position, child in enumerate(children):
            kind = child.type
            if kind == "text":
                self._run(paragraph, child.content, state, role)
            elif kind == "code_inline":
                run = self._run(paragraph, child.content, state, "code")
                run.font.size = Pt(self.style.fonts[role or "body"].size)
            elif kind == "softbreak":
                before = children[position - 1].content[-1:] if position else ""
                after = children[position + 1].content[:1] if position + 1 < len(children) else ""
                if not (is_cjk(before) and is_cjk(after)):
                    self._run(paragraph, " ", state, role)
            elif kind == "hardbreak":
                paragraph.add_run().add_break()
            elif kind in ("strong_open", "strong_close"):
                state.bold = kind == "strong_open" or bold
            elif kind in ("em_open", "em_close"):
                state.italic = kind == "em_open"
            elif kind in ("s_open", "s_close"):
                state.strike = kind == "s_open"
            elif kind == "link_open":
                state.link = str(child.attrs.get("href", ""))
                state.hyperlink = (
                    _start_hyperlink(paragraph, state.link) if _is_external(state.link) else None
                )
            elif kind == "link_close":
                state.link, state.hyperlink = None, None
            elif kind == "image":
                self._picture(
                    paragraph.add_run(), str(child.attrs.get("src", "")), base_dir, full_width=False
                )
            elif kind == "footnote_ref":
                run = paragraph.add_run(f"[{int(child.meta.get('id', 0)) + 1}]")
                run.font.superscript = True
            else:
                self._problem(child, f"未支持的行内结构“{kind}”")

    def _run(self, paragraph: Paragraph, text: str, state: _Inline, role: str | None) -> Run:
        run = paragraph.add_run(text)
        if role is not None:
            set_fonts(run, self.style.fonts[role])
        run.bold = state.bold or None
        run.italic = state.italic or None
        run.font.strike = state.strike or None
        if state.link is not None:
            run.underline = True
            run.font.color.rgb = RGBColor(0x1F, 0x4E, 0x99)
            if state.hyperlink is not None:
                state.hyperlink.append(run._r)  # type: ignore[attr-defined]
        return run

    def _problem(self, token: Token, message: str) -> None:
        line = f"第 {token.map[0] + 1} 行" if token.map else "行号未知"
        self.problems.append(f"{message}（{line}）")


_IGNORED_CLOSERS = {"list_item_close", "paragraph_close", "heading_close", "table_close"}


def _is_external(href: str) -> bool:
    return href.startswith(("http://", "https://", "mailto:"))


def _start_hyperlink(paragraph: Paragraph, href: str) -> object:
    """A ``w:hyperlink`` element (python-docx has no API for it); runs are moved inside."""
    rel_id = paragraph.part.relate_to(
        href,
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink",
        is_external=True,
    )
    hyperlink = OxmlElement("w:hyperlink")
    hyperlink.set(qn("r:id"), rel_id)
    paragraph._p.append(hyperlink)
    return hyperlink


def _add_field(
    paragraph: Paragraph, instruction: str, role: FontRole, placeholder: str = "1"
) -> None:
    """A complex field (PAGE, TOC, SEQ) with a cached result so viewers that do not update show text."""

    def run_with(element: BaseOxmlElement | None = None, text: str | None = None) -> None:
        run = paragraph.add_run(text or "")
        set_fonts(run, role)
        if element is not None:
            run._r.append(element)

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run_with(begin)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run_with(instr)
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run_with(separate)
    run_with(text=placeholder)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)


def _repeat_header(table: Table) -> None:
    """Mark the first row as a header row repeated on every page (w:tblHeader)."""
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)
