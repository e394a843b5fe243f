"""HTML -> PDF with WeasyPrint; the only module that imports it (so ``check`` stays fast).

The URL fetcher serves only ``workspace:`` and ``templates:`` URLs from their folders: content is
untrusted, so nothing is fetched from the network and no file outside the workspace (or the
templates in use) is read. WeasyPrint's warnings (missing glyphs, refused resources) are returned so the
caller can report them.

Line breaking is kept linear in the length of a paragraph (``bounded_line_breaking``): WeasyPrint
finds each line by handing Pango the whole rest of the paragraph, so text that gives it no early
break opportunity (a long run of letters, a word wider than a narrow table column) cost a full
layout of the rest per line: 20 KB of "a" took 11 s, 500 KB over 300 s.

Bold text in a face without a bold (FandolFang, FandolKai) is drawn filled and outlined
(``synthetic_bold``): WeasyPrint synthesises none, and Word prints such text bold.

The Word writer takes its table of contents' page numbers from the same layout (``anchor_pages``):
a document's DOCX target lays out the HTML the PDF target prints. The last layout is kept in the
process until it is printed, so when the DOCX and then the PDF of a document are made in one
process the HTML is laid out once; in separate processes each lays it out, with the same result.
"""

from __future__ import annotations

import atexit
import hashlib
import itertools
import logging
import math
import mimetypes
import multiprocessing.util
import os
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from townplans.render.html import WORKSPACE


class RefusedResourceError(ValueError):
    """A resource that is remote, outside its folder, or under an unknown scheme."""


def make_fetcher(mounts: Mapping[str, Path]) -> Any:
    """A WeasyPrint URL fetcher serving ``scheme:relative/path`` from ``mounts`` only."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class _WorkspaceFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            path = check_allowed(url, mounts)
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})

    return _WorkspaceFetcher()


def check_allowed(url: str, mounts: Mapping[str, Path]) -> Path:
    """The local file ``url`` names, or ``RefusedResourceError`` when it is not ours to read."""
    scheme, _, rest = url.partition(":")
    if scheme not in mounts:
        raise RefusedResourceError(f"不联网、也不读取工作区以外的资源：{url}")
    folder = mounts[scheme].resolve()
    path = (folder / unquote(rest)).resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        raise RefusedResourceError(f"拒绝读取：{url} 不在 {folder} 内或不存在")
    return path


@contextmanager
def _captured_warnings() -> Iterator[list[str]]:
    messages: list[str] = []

    class _Handler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    handler = _Handler(logging.WARNING)
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    previous = logger.propagate
    logger.propagate = False  # keep WeasyPrint's English warnings off the user's terminal
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = previous


LINE_WINDOW_MIN = 64
"""Characters of text WeasyPrint is shown at least when it looks for the end of one line."""
LINE_WINDOW_EMS = 6
"""…and at least this many times the line's width in ems (a line holds about two characters per em
of Latin text, one of Chinese), so the line ends well inside what it is shown."""


def windowed(split_first_line: Callable[..., Any]) -> Callable[..., Any]:
    """WeasyPrint's ``split_first_line`` shown only the start of the text, not all of it.

    Where the first line of a text ends depends only on the text up to shortly after that end
    (Pango breaks lines greedily, and a break opportunity depends on the characters around it),
    so the result for a window is the result for the whole text when the line ends in the
    window's first half; otherwise the window grows fourfold, up to the whole text. WeasyPrint's
    own shortcut (looking at four ems of text first) falls back to the whole text whenever that
    piece has fewer than two break opportunities, which is what made long runs quadratic.
    """

    def split(
        text: str, style: Any, context: Any, max_width: float | None, *args: Any, **kwargs: Any
    ) -> Any:
        size = style["font_size"]
        window = LINE_WINDOW_MIN
        if max_width is not None and max_width != math.inf and size:
            window = max(window, int(LINE_WINDOW_EMS * max_width / size))
        while window < len(text):
            part = text[:window]
            result = split_first_line(part, style, context, max_width, *args, **kwargs)
            resume = result[2]
            if resume is not None and resume <= len(part.encode()) // 2:
                return result
            window *= 4
        return split_first_line(text, style, context, max_width, *args, **kwargs)

    split.__wrapped__ = split_first_line  # type: ignore[attr-defined]
    return split


@contextmanager
def bounded_line_breaking() -> Iterator[None]:
    """Make WeasyPrint break lines through ``windowed`` while rendering, in the two places its
    layout calls ``split_first_line`` (inline text and min/max content widths). A WeasyPrint
    without them (a future version) renders as it is: slower on long runs, never broken (and
    ``test_long_unbreakable_lines_are_laid_out_from_a_window`` says so)."""
    from weasyprint.layout import inline, preferred

    modules = [m for m in (inline, preferred) if callable(getattr(m, "split_first_line", None))]
    originals = [module.split_first_line for module in modules]
    for module, original in zip(modules, originals, strict=True):
        module.split_first_line = windowed(original)
    try:
        yield
    finally:
        for module, original in zip(modules, originals, strict=True):
            module.split_first_line = original


def spread_over_characters(justify_line: Callable[..., Any]) -> Callable[..., Any]:
    """WeasyPrint's ``justify_line``, which widens only spaces, for a line that asks for
    inter-character justification (``--tp-justify: inter-character``: the 公文's body): there
    every character takes an equal share of what the line falls short, as letter-spacing, so a
    Chinese line, which has no spaces, ends flush with the 版心 too (CSS Text 3, text-justify)."""
    from weasyprint.layout.inline import boxes
    from weasyprint.text.line_break import create_layout, line_size

    def spread(
        context: Any, box: Any, extra: float, x_advance: float, gapped: frozenset[int]
    ) -> float:
        if isinstance(box, boxes.TextBox):
            box.position_x += x_advance
            if box.text and _inter_character(box.style) and not _blank(box.text):
                style = box.style.copy()
                spacing = style["letter_spacing"]
                style["letter_spacing"] = (0 if spacing == "normal" else spacing) + extra
                layout = create_layout(box.text, style, context, None, box.justification_spacing)
                line, _ = layout.get_first_line()
                width, _ = line_size(line, style)
                layout.deactivate()
                if id(box) in gapped:
                    width -= extra  # no share before a .gap: the space is even on both sides
                x_advance += width - box.width
                box.width, box.style, box.pango_layout = width, style, layout
        elif isinstance(box, (boxes.LineBox, boxes.InlineBox)):
            box.position_x += x_advance
            before = x_advance
            for child in box.children:
                if child.is_in_normal_flow():
                    x_advance = spread(context, child, extra, x_advance, gapped)
            box.width += x_advance - before
        else:
            box.translate(x_advance, 0)
        return x_advance

    def justify(context: Any, line: Any, extra_width: float) -> None:
        flow = (boxes.LineBox, boxes.InlineBox)
        count = _characters(line, boxes.TextBox, flow) if _inter_character(line.style) else 0
        texts = list(_text_boxes(line, boxes.TextBox, flow))
        printed = [box for box in texts if not _blank(str(getattr(box, "text", "")))]
        # The character before a .gap takes no share: a number kept whole takes none after it,
        # so a share before the gap would space it from the text before and not from the text
        # after (review28: 7.2 pt against 3.2 pt around “5.12”).
        gapped = _before_gaps(texts)
        count -= len(gapped)
        ending = str(getattr(texts[-1], "text", "")) if texts else ""
        if ending and _blank(ending) and count:
            # A space that ends the line (the .gap before Latin text on the next line) hangs,
            # as a line's last space does (CSS Text 3): the characters before it end flush.
            extra_width += texts[-1].width
        if count > 1 and extra_width > 0:
            # Shared by the characters, each spaced after: when the line ends in a spread box the
            # spacing after its last character falls beyond the line's end, where it shows
            # nothing, and that character ends flush; when it ends in a number kept whole
            # (.nobr), every share falls inside the line (review T7: with count - 1 shares such
            # a line ran 7 pt past the 版心).
            last = printed[-1] if printed else None
            spread_last = last is not None and _inter_character(last.style)
            shares = count - 1 if spread_last and id(last) not in gapped else count
            spread(context, line, extra_width / shares, 0.0, gapped)
        else:
            justify_line(context, line, extra_width)

    justify.__wrapped__ = justify_line  # type: ignore[attr-defined]
    return justify


def _inter_character(style: Any) -> bool:
    """Whether a box's text is spread over its characters (``--tp-justify: inter-character``):
    not a number kept with its unit (``.nobr``: “2075万元”), whose digits spread apart read as
    “2 0 7 5”; the spaces around it widen instead."""
    return any(getattr(t, "value", None) == "inter-character" for t in style["__tp_justify"])


def _before_gaps(texts: list[Any]) -> frozenset[int]:
    """The spread text boxes among a line's ``texts`` (by ``id``) whose next one is a ``.gap``."""
    return frozenset(
        id(box)
        for box, after in itertools.pairwise(texts)
        if _blank(str(getattr(after, "text", "")))
        and not _blank(str(getattr(box, "text", "")))
        and _inter_character(box.style)
    )


def _text_boxes(box: Any, text_box: type, flow: tuple[type[Any], ...]) -> Iterator[Any]:
    """The text boxes of ``box`` (a line) in order: in its ``flow`` boxes (lines and inline
    boxes), not in an atomic one (an inline-block: a list item's marker), which ``spread``
    moves whole and whose text takes no share."""
    if isinstance(box, text_box):
        yield box
    if isinstance(box, flow):
        for child in box.children:
            yield from _text_boxes(child, text_box, flow)


def _blank(text: str) -> bool:
    """Whether a text box holds only a space (a ``.gap``): it is not spread, as it keeps the
    width Word and LibreOffice give it. (WeasyPrint sets a lone space with word spacing as
    “ \u200b”, two characters for Pango.)"""
    return not text.replace("\u200b", "").strip()


def _characters(box: Any, text_box: type, flow: tuple[type[Any], ...]) -> int:
    """The characters of a line's text boxes that are spread (``_inter_character``; the text
    boxes of ``_text_boxes``)."""
    return sum(
        len(box.text)
        for box in _text_boxes(box, text_box, flow)
        if _inter_character(box.style) and not _blank(str(box.text))
    )


@contextmanager
def inter_character_justification() -> Iterator[None]:
    """Make WeasyPrint justify through ``spread_over_characters`` while rendering."""
    from weasyprint.layout import inline

    original = inline.justify_line
    inline.justify_line = spread_over_characters(original)
    try:
        yield
    finally:
        inline.justify_line = original


BOLD_STROKE_EM = 1 / 24
"""The outline drawn around each glyph of a synthetic bold, in ems: what FreeType's
``FT_GlyphSlot_Embolden`` adds, which Pango and Word's fake bold resemble."""
_FACE_FAMILY = re.compile(r'font-family:\s*"([^"]+)"')
_FACE_WEIGHT = re.compile(r"font-weight:\s*(\w+)")


def regular_only(html: str) -> frozenset[str]:
    """The families of ``html``'s ``@font-face`` rules that have no bold face (FandolFang,
    FandolKai): bold text set in one of them is emboldened when drawn (``emboldened``)."""
    bold: dict[str, bool] = {}
    for rule in _FONT_FACE.findall(html):
        family, weight = _FACE_FAMILY.search(rule), _FACE_WEIGHT.search(rule)
        if family is None:
            continue
        heavy = weight is not None and (
            weight.group(1) in ("bold", "bolder")
            or (weight.group(1).isdigit() and int(weight.group(1)) >= 600)
        )
        bold[family.group(1)] = bold.get(family.group(1), False) or heavy
    return frozenset(family for family, has_bold in bold.items() if not has_bold)


def emboldened(draw_text: Callable[..., Any], regular: frozenset[str]) -> Callable[..., Any]:
    """WeasyPrint's ``draw_text``, drawing bold text whose face has no bold (``regular``) filled
    and outlined (PDF text rendering mode 2) ``BOLD_STROKE_EM`` wide, in its own colour. WeasyPrint
    does not synthesise bold (its issue 1470), so “**产业发展区：**”, a table's head and a
    heading in 楷体 printed regular in the PDF and bold in Word."""
    from weasyprint.text.ffi import ffi, pango

    def families(textbox: Any) -> set[str]:
        layout = textbox.pango_layout
        layout.reactivate(textbox.style)
        try:
            line, _ = layout.get_first_line()
            found, run = set(), line.runs
            while run != ffi.NULL:
                description = pango.pango_font_describe_with_absolute_size(
                    run.data.item.analysis.font
                )
                family = pango.pango_font_description_get_family(description)
                found.add(ffi.string(family).decode() if family != ffi.NULL else "")
                pango.pango_font_description_free(description)
                run = run.next
            return found
        finally:
            layout.deactivate()

    def draw(stream: Any, textbox: Any, *args: Any, **kwargs: Any) -> Any:
        style = textbox.style
        # The families asked for first (cheap), then the ones Pango used (a layout to redo).
        if (
            style["font_weight"] < 600
            or not textbox.text.strip()
            or not regular.intersection(style["font_family"])
            or not families(textbox) & regular
        ):
            return draw_text(stream, textbox, *args, **kwargs)
        stream.push_state()
        stream.set_text_rendering(2)
        stream.set_line_width(style["font_size"] * BOLD_STROKE_EM)
        stream.set_color(style["color"], stroke=True)
        try:
            return draw_text(stream, textbox, *args, **kwargs)
        finally:
            stream.pop_state()

    draw.__wrapped__ = draw_text  # type: ignore[attr-defined]
    return draw


@contextmanager
def synthetic_bold(html: str) -> Iterator[None]:
    """Make WeasyPrint draw text through ``emboldened`` while writing the PDF of ``html``. A
    WeasyPrint without ``draw.draw_text`` (a future version) prints bold regular, as before."""
    from weasyprint import draw

    original = getattr(draw, "draw_text", None)
    regular = regular_only(html)
    if not callable(original) or not regular:
        yield
        return
    draw.draw_text = emboldened(original, regular)
    try:
        yield
    finally:
        draw.draw_text = original


_LAST_LAYOUT: dict[str, tuple[Any, list[str]]] = {}
"""The last laid-out document of this process, by ``_layout_key`` (one entry at most)."""


def _layout_key(html: str, mounts: Mapping[str, Path], variant: str | None) -> str:
    folders = sorted((scheme, str(path.resolve())) for scheme, path in mounts.items())
    return hashlib.sha256(repr((html, folders, variant)).encode()).hexdigest()


_FONT_CONFIGS: dict[tuple[object, ...], Any] = {}
"""WeasyPrint font configurations of this process, by the folders served and the fonts in them."""
# Dropped while the interpreter still runs: each removes its temporary copy of the fonts when
# deleted, which at interpreter teardown fails (``rmtree`` already gone) and leaves 20 MB behind.
# A build's worker processes end through multiprocessing, which runs its finalizers, not atexit.
atexit.register(_FONT_CONFIGS.clear)
multiprocessing.util.Finalize(None, _FONT_CONFIGS.clear, exitpriority=0)
FONT_CONFIGS_KEPT = 2


_FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}")


def _font_config(html: str, mounts: Mapping[str, Path]) -> Any:
    """One WeasyPrint ``FontConfiguration`` per set of faces for the whole process.

    WeasyPrint makes a new one for every document unless it is given one, and each new one
    copies every ``@font-face`` file into a fresh temporary folder for fontconfig (the Fandol
    faces are 20 MB) and has fontconfig scan them: two seconds of a district build went to that.
    Kept by the document's ``@font-face`` rules (a configuration knows only the faces its
    documents declare: fontconfig would otherwise fall back to a face another document brought,
    and a PDF would depend on what the process made before it), the folders served, and the
    name, size and mtime of each font file (another workspace, or a font that changed, gets its
    own). The last ``FONT_CONFIGS_KEPT`` are kept."""
    from weasyprint.text.fonts import FontConfiguration

    folders = tuple(sorted((scheme, str(path.resolve())) for scheme, path in mounts.items()))
    key = (tuple(_FONT_FACE.findall(html)), folders, _font_files(mounts))
    config = _FONT_CONFIGS.pop(key, None) or FontConfiguration()
    _FONT_CONFIGS[key] = config  # the most recent last
    while len(_FONT_CONFIGS) > FONT_CONFIGS_KEPT:
        _FONT_CONFIGS.pop(next(iter(_FONT_CONFIGS)))
    return config


def _font_files(mounts: Mapping[str, Path]) -> tuple[tuple[str, int, int], ...]:
    """The files of the templates' fonts folder with their sizes and mtimes (none: no folder)."""
    templates = mounts.get("templates")
    if templates is None:
        return ()
    try:
        entries = sorted(os.scandir(templates / "fonts"), key=lambda entry: entry.name)
        return tuple(
            (entry.name, entry.stat().st_size, entry.stat().st_mtime_ns) for entry in entries
        )
    except OSError:
        return ()


def _options(variant: str | None) -> dict[str, Any]:
    options: dict[str, Any] = {"uncompressed_pdf": False}
    if variant:
        options["pdf_variant"] = variant
    return options


def layout(
    html: str, mounts: Mapping[str, Path], variant: str | None = None
) -> tuple[Any, list[str]]:
    """``html`` laid out in pages by WeasyPrint (a ``weasyprint.Document``) and the warnings the
    layout gave; the last one is kept for the next call with the same arguments."""
    import weasyprint

    key = _layout_key(html, mounts, variant)
    if key in _LAST_LAYOUT:
        document, warnings = _LAST_LAYOUT[key]
        return document, list(warnings)
    with (
        _captured_warnings() as warnings,
        bounded_line_breaking(),
        inter_character_justification(),
    ):
        fetcher = make_fetcher(mounts)
        source = weasyprint.HTML(string=html, base_url=f"{WORKSPACE}:", url_fetcher=fetcher)
        document = source.render(font_config=_font_config(html, mounts), **_options(variant))
    _LAST_LAYOUT.clear()
    _LAST_LAYOUT[key] = (document, list(warnings))
    return document, warnings


def anchor_pages(html: str, mounts: Mapping[str, Path]) -> dict[str, int]:
    """The page (1-based, as the PDF's page numbers count) each element id of ``html`` lands on
    in the PDF: where the table of contents' entries point."""
    document, _ = layout(html, mounts)
    pages: dict[str, int] = {}
    for number, page in enumerate(document.pages, 1):
        for anchor in page.anchors:
            pages.setdefault(anchor, number)
    return pages


def html_to_pdf(
    html: str, mounts: Mapping[str, Path], variant: str | None = None
) -> tuple[bytes, list[str]]:
    """Render ``html`` to PDF bytes (``variant`` "pdf/a-2b" for archiving); returns the bytes and
    WeasyPrint's warnings."""
    document, warnings = layout(html, mounts, variant)
    _LAST_LAYOUT.clear()  # a layout is printed once: the next PDF lays its HTML out afresh
    with _captured_warnings() as written, synthetic_bold(html):
        pdf = document.write_pdf(**_options(variant))
    return bytes(pdf), [*warnings, *written]
