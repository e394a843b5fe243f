"""TP7xx output self-checks: read each built file back and report what a reader would suffer.

DOCX: runs or styles that set a Latin font but no East Asian font (Word would then pick its own
font for Chinese), images wider than the text block. PDF: fonts that are not embedded, glyphs the
chosen fonts do not have (WeasyPrint draws a .notdef box and says so), other WeasyPrint warnings.
These read the bytes that were written, not the model, so they catch what the writers got wrong.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from townplans.model import Severity, SourceRef
from townplans.render.layout import text_block

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_NOTDEF = re.compile(
    r'\.notdef glyph rendered for Unicode string unsupported by fonts: "(.*)" \(U\+([0-9A-F]+)\)'
)


@dataclass(frozen=True, slots=True)
class OutputRule:
    """A self-check's code and description, listed by ``townplans rules`` beside the content rules."""

    code: str
    slug: str
    severity: Severity
    summary: str
    basis: str = "standard"
    standard: str = ""

    family = "成果自检"
    scope = "output"

    def source(self, extra_refs: tuple[str, ...] = ()) -> str:
        return f"standard {self.standard}" if self.standard else "practice"


OUTPUT_RULES = (
    OutputRule(
        "TP701",
        "construct-not-rendered",
        Severity.WARNING,
        "有内容未能按原样输出（不支持的结构、超出上限的表格、无效字符或 PDF 生成警告）",
    ),
    OutputRule("TP702", "raw-html-dropped", Severity.WARNING, "HTML 表格中的不支持标签已去掉"),
    OutputRule(
        "TP703", "glyph-missing", Severity.ERROR, "PDF 字体缺少某些字符的字形（显示为方框）"
    ),
    OutputRule(
        "TP704",
        "font-not-embedded",
        Severity.ERROR,
        "PDF 中有未嵌入的字体",
        standard="PDF/A-2b 字体须嵌入",
    ),
    OutputRule(
        "TP705",
        "east-asian-font-missing",
        Severity.ERROR,
        "Word 文档的样式或文字未指定中文字体（w:eastAsia）",
        standard="GB/T 9704-2012 5.2.2",
    ),
    OutputRule("TP706", "image-too-wide", Severity.WARNING, "Word 文档中的图片宽于版心"),
    OutputRule(
        "TP707",
        "invalid-characters-dropped",
        Severity.WARNING,
        "文本中的控制字符或 XML 不允许的字符已从 Word 和 PDF 中去掉（每个文件报告一次）",
    ),
    OutputRule(
        "TP708",
        "table-too-wide",
        Severity.WARNING,
        "表格各列的最小宽度（数字、日期、代码不拆行）在横向页面上也放不下，已按较小字号排印",
    ),
    OutputRule("TP790", "output-failed", Severity.ERROR, "成果文件生成失败"),
    OutputRule(
        "TP791", "template-failed", Severity.ERROR, "文档模板出错或试图执行不安全的操作（已拒绝）"
    ),
)


@dataclass(frozen=True, slots=True)
class OutputProblem:
    """What a writer or a self-check found: a TP7xx code, a Chinese message and, when it comes
    from a place in the sources (a raw-HTML tag, a table over the limits), that place."""

    code: str
    message: str
    ref: SourceRef | None = None
    """Where in the sources; None when it concerns the output as a whole (the build then names the
    document's first source)."""

    @property
    def severity(self) -> Severity:
        return next(rule.severity for rule in OUTPUT_RULES if rule.code == self.code)


def check_docx(data: bytes) -> list[OutputProblem]:
    from docx import Document  # imported when an output is checked, not on a no-op build

    problems = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        styles = archive.read("word/styles.xml").decode("utf-8")
        body = archive.read("word/document.xml").decode("utf-8")
    lacking = _latin_without_east_asian(styles) + _latin_without_east_asian(body)
    if lacking:
        problems.append(
            OutputProblem(
                "TP705",
                f"有 {lacking} 处只设置了西文字体、没有中文字体（w:eastAsia），Word 会自行替换中文字体",
            )
        )
    document = Document(io.BytesIO(data))
    widest = max(text_block(section)[0] for section in document.sections)
    for shape in document.inline_shapes:
        if shape.width > widest:
            problems.append(
                OutputProblem(
                    "TP706",
                    f"有图片宽 {shape.width / 36000:.0f} 毫米，超过版心宽度 {widest / 36000:.0f} 毫米",
                )
            )
    return problems


def _latin_without_east_asian(xml: str) -> int:
    count = 0
    for element in re.finditer(r"<w:rFonts\b[^>]*>", xml):
        tag = element.group(0)
        if (
            ("w:ascii=" in tag or "w:hAnsi=" in tag)
            and "w:eastAsia=" not in tag
            and "w:asciiTheme" not in tag
        ):
            count += 1
    return count


_WEASYPRINT_WARNINGS = (
    (
        re.compile(r"Failed to load image at '(.*?)': RefusedResourceError: (.*)"),
        "图片 {0} 未载入：{1}",
    ),
    (re.compile(r"Failed to load image at '(.*?)': (.*)"), "图片 {0} 无法载入（{1}）"),
    (re.compile(r"Failed to render SVG image (.*)"), "SVG 图片 {0} 无法绘制"),
    (re.compile(r"Failed to load inline SVG: (.*)"), "内嵌 SVG 无法载入（{0}）"),
    (re.compile(r"Failed to load stylesheet at (.*?) ?: (.*)"), "样式表 {0} 无法载入（{1}）"),
    (re.compile(r"Font-face '(.*)' cannot be loaded"), "字体 {0} 无法载入"),
    (re.compile(r"Anchor defined twice: '(.*)'"), "锚点 {0} 重复定义"),
    (re.compile(r"Unable to subset \"(.*)\" with (.*)"), "字体 {0} 无法用 {1} 子集化"),
)
"""WeasyPrint's English warnings that content can cause, in Chinese (others are quoted as they are)."""


def pdf_warning(warning: str) -> str:
    for pattern, chinese in _WEASYPRINT_WARNINGS:
        match = pattern.fullmatch(warning.strip())
        if match:
            return chinese.format(*match.groups())
    return warning


def check_pdf(data: bytes, warnings: Iterable[str]) -> list[OutputProblem]:
    from pypdf import PdfReader  # imported when an output is checked, not on a no-op build

    problems = []
    missing: dict[str, str] = {}
    for warning in warnings:
        match = _NOTDEF.search(warning)
        if match:
            missing[match.group(2)] = match.group(1)
        else:
            problems.append(OutputProblem("TP701", f"PDF 生成警告：{pdf_warning(warning)}"))
    if missing:
        shown = "、".join(f"“{char}”（U+{code}）" for code, char in sorted(missing.items())[:10])
        more = f"等 {len(missing)} 个字符" if len(missing) > 10 else ""
        problems.append(
            OutputProblem(
                "TP703",
                f"所用字体没有这些字符的字形，PDF 中显示为方框：{shown}{more}；请换用字形更全的字体",
            )
        )
    not_embedded = sorted(_fonts_not_embedded(PdfReader(io.BytesIO(data))))
    if not_embedded:
        problems.append(OutputProblem("TP704", f"PDF 中有字体未嵌入：{'、'.join(not_embedded)}"))
    return problems


def _fonts_not_embedded(reader: Any) -> set[str]:
    names: set[str] = set()
    for page in reader.pages:
        resources: Any = page.get("/Resources") or {}
        fonts = resources.get("/Font") or {}
        for reference in fonts.values():
            font = reference.get_object()
            descriptor_owner = font
            if font.get("/Subtype") == "/Type0":
                descriptor_owner = font["/DescendantFonts"][0].get_object()
            if font.get("/Subtype") == "/Type3":
                continue  # drawn glyph procedures: nothing to embed
            descriptor = descriptor_owner.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else None
            if descriptor is None or not any(
                key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
            ):
                names.add(str(font.get("/BaseFont", "?")).lstrip("/"))
    return names
