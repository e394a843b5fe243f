"""Property tests over hostile Markdown (issue 9): whatever a file holds, loading it, writing it to
Word and rendering it to HTML never raise, the Word file re-opens, and no raw HTML reaches the page.

``make test`` runs a fixed set of examples (profile ``townplans``, derandomized); ``make fuzz``
(``HYPOTHESIS_PROFILE=fuzz``) runs thousands of fresh ones. Every crash the fuzzer found is kept
below as an ``@example``, and a few go through WeasyPrint as plain tests.
"""

from __future__ import annotations

import io
import re
import string
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import docx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from PIL import Image

from townplans import mdparser
from townplans.load.markdown import load_markdown
from townplans.render import html as html_render
from townplans.render.docx import DocxWriter
from townplans.render.layout import Origin
from townplans.render.pdf import html_to_pdf
from townplans.render.style import css, load_style

REPO = Path(__file__).resolve().parent.parent
STYLE = load_style(REPO / "templates/style.yaml")

# -- the pieces of a document -----------------------------------------------------------------------

cjk = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=8)
full_width = st.sampled_from(list("，。、；：？！“”‘’（）《》【】〔〕—…·　％＋１２３ＡＢ"))
emoji = st.sampled_from(["😀", "🏗️", "👨‍👩‍👧", "🇨🇳", "🀄", "\U0001f9d1\u200d\U0001f33e"])
control = st.sampled_from(
    ["\x00", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x85", "\ufffe", "\uffff",
     "\ud800", "\udfff", "\u200b", "\u202e", "\u2028", "\ufeff", "\r", "\t", "\xad"]
)  # fmt: skip
markup = st.sampled_from(
    ["*", "**", "_", "__", "`", "``", "~~", "[", "]", "(", ")", "!", "<", ">", "|", "\\", "&amp;",
     "&#7;", "&#0;", "&#xD800;", "#", ":::", "[^1]", "[^x]", "\\newpage", "  \n", "\n", "{", "}",
     "$", "%", "^", "<br>", "<br/>"]
)  # fmt: skip
latin = st.text(string.ascii_letters + string.digits + " .,-/", min_size=1, max_size=12)
html_inline = st.sampled_from(
    ["<b>", "</b>", "<span style='color:red'>", "</span>", "<img src=x onerror=alert(1)>",
     "<!-- 注释 -->", "<script>alert(1)</script>", "<a href='javascript:alert(1)'>", "</a>",
     "<sup>", "<?php ?>", "<![CDATA[x]]>", "<x:y z>"]
)  # fmt: skip
targets = st.sampled_from(
    ["img.png", "bad.png", "webp.png", "missing.png", "../../../etc/hostname", "/etc/hostname",
     "file:///etc/hostname", "http://example.com/a.png", "data:image/png;base64,AAAA",
     "%2e%2e/%2e%2e/etc/hostname", "<a b.png>", "dir.png", "C:\\x.png", "图纸/总图.png",
     "img.png \"标题\"", "javascript:alert(1)", "#锚点", "", "a(b).png", "\\\\server\\share.png"]
)  # fmt: skip
link = st.builds(lambda text, target: f"[{text}]({target})", cjk | latin, targets)
image = st.builds(lambda alt, target: f"![{alt}]({target})", cjk | latin | st.just(""), targets)
anything = st.text(st.characters(codec=None), max_size=10)
"""Any code points at all, lone surrogates included."""
inline = st.lists(
    st.one_of(cjk, full_width, emoji, control, markup, latin, html_inline, link, image, anything),
    min_size=1,
    max_size=12,
).map("".join)
one_line = inline.map(lambda text: text.replace("\n", " "))

spans = st.sampled_from(["1", "2", "3", "0", "-1", "abc", "1000", "1001", "100000", "9" * 40, ""])
html_cell = st.builds(
    lambda tag, rowspan, colspan, text, inner: (
        f'<{tag} rowspan="{rowspan}" colspan="{colspan}" align="center">{inner}{text}</{tag}>'
    ),
    st.sampled_from(["td", "th"]),
    spans,
    spans,
    one_line,
    st.sampled_from(["", "<b>", "<p>", "<br>", "<font>", "<script>x</script>", "<style>", "<td>"]),
)
html_table = st.lists(st.lists(html_cell, max_size=5), min_size=1, max_size=5).map(
    lambda rows: "<table>\n" + "\n".join("<tr>" + "".join(r) + "</tr>" for r in rows) + "\n</table>"
)


def gfm_table(header: list[str], rows: list[list[str]], align: str) -> str:
    cells = [cell.replace("|", "\\|") for cell in header]
    lines = ["| " + " | ".join(cells) + " |", "|" + "|".join([align] * len(header)) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


gfm = st.builds(
    gfm_table,
    st.lists(one_line, min_size=1, max_size=6),
    st.lists(st.lists(one_line, max_size=8), max_size=6),
    st.sampled_from(["---", ":---", ":---:", "---:", "-"]),
)
blocks = st.one_of(
    inline,
    st.builds(lambda level, text: "#" * level + " " + text, st.integers(1, 7), one_line),
    st.builds(lambda text: f"{text}\n===", one_line),
    gfm,
    html_table,
    html_inline.map(lambda tag: f"{tag}\n内容"),
    st.builds(lambda info, body: f"```{info}\n{body}\n```", latin | st.just(""), inline),
    st.builds(lambda body: f"```\n{body}", inline),  # an unterminated fence
    st.builds(lambda text: f"    {text}", one_line),
    st.builds(lambda text: f"[^1]: {text}", one_line),
    st.sampled_from(["---", "***", "\\newpage", "\\pagebreak", ":::", "::: unknown", "<table>"]),
    st.builds(
        lambda size, char: char * size, st.integers(1_000, 30_000), st.sampled_from("a中,\u0301")
    ),
    st.sampled_from(
        [
            "<div>\n块\n</div>",
            "<pre>\n  x\n</pre>",
            "<!--\n注释\n-->",
            "<?xml x?>",
            "<table><tr><td><table><tr><td>嵌套</td></tr></table></td></tr></table>",
            "<table></table>",
            "<table><tr></tr><tr><td rowspan=3>a</td></tr></table>",
            "<TABLE><TR><TD COLSPAN=2>大写</TD></TR></TABLE>",
        ]
    ),
    st.text(max_size=200),
)


def nested(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Lists, quotes and ``:::`` containers holding other blocks."""

    def indent(text: str, prefix: str) -> str:
        return "\n".join(prefix + line for line in text.split("\n"))

    item = st.builds(
        lambda marker, text: marker + " " + indent(text, "   ").lstrip(),
        st.sampled_from(["-", "*", "+", "1.", "2)", "99999999999."]),
        children,
    )
    return st.one_of(
        st.lists(item, min_size=1, max_size=4).map("\n".join),
        children.map(lambda text: indent(text, "> ")),
        st.builds(
            lambda name, text, close: f"::: {name}\n{text}\n{close}",
            st.sampled_from(mdparser.CONTAINER_NAMES),
            children,
            st.sampled_from([":::", "", "::::"]),
        ),
    )


block = st.recursive(blocks, nested, max_leaves=6)
front_matter = st.sampled_from(
    ["", "---\ntitle: 标题\n---\n", "---\ntitle: [未闭合\n---\n", "---\n", "---\n- 列表\n---\n",
     "---\ntitle: &a x\nb: *a\n---\n", "---\ntitle: !!python/object:os.system x\n---\n",
     "---\ntitle: \"\\u0007\\ud800\"\n---\n"]
)  # fmt: skip
document = st.builds(
    lambda head, parts, separator: head + separator.join(parts),
    front_matter,
    st.lists(block, min_size=1, max_size=8),
    st.sampled_from(["\n\n", "\n"]),
)

# -- the properties ------------------------------------------------------------------------------------

ALLOWED_TAGS = {
    "section", "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre",
    "code", "em", "strong", "s", "a", "img", "br", "hr", "table", "thead", "tbody", "tr", "th",
    "td", "colgroup", "col", "figure", "figcaption", "div", "sup", "span", "html", "head", "meta",
    "title", "style", "body", "nav",
}  # fmt: skip


class _Tags(HTMLParser):
    """Every tag and attribute of a rendered page, to prove no raw HTML passed through."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes += [(name, value or "") for name, value in attrs]


def _image(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, kind)
    return buffer.getvalue()


PNG, WEBP = _image("PNG"), _image("WEBP")


def _workspace(root: Path) -> Path:
    """A town folder with a picture, a broken one, one python-docx cannot embed (WebP named .png)
    and a folder named like a picture."""
    folder = root / "towns" / "t"
    folder.mkdir(parents=True)
    (folder / "img.png").write_bytes(PNG)
    (folder / "bad.png").write_bytes(b"\x89PNG not really")
    (folder / "webp.png").write_bytes(WEBP)
    (folder / "dir.png").mkdir()
    return folder


def check_document(text: str) -> None:
    """Load ``text`` from a file, write it to Word and render it to HTML; nothing may raise."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        base = _workspace(root)
        path = base / "doc.md"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        loaded, findings = load_markdown(path, root, {})
        assert loaded is not None or findings
        tokens = mdparser.parse(text)
        origin = Origin("towns/t/doc.md")
        writer = DocxWriter(STYLE, root)
        writer.add_markdown(tokens, base, origin)
        buffer = io.BytesIO()
        writer.document.save(buffer)
        reopened = docx.Document(io.BytesIO(buffer.getvalue()))
        assert len(reopened.sections) >= 1  # (a lone footnote definition prints nothing at all)
        body = html_render.render_body([html_render.HtmlPart(tokens, base, root, origin)])
        page = html_render.page("文档", body, "", cover=True, toc=True)
        tags = _Tags()
        tags.feed(page)
        assert tags.tags <= ALLOWED_TAGS, tags.tags - ALLOWED_TAGS
        for name, value in tags.attributes:
            assert not name.startswith("on"), name
            assert name in ("id", "href", "src", "alt", "title", "class", "style", "start",
                            "colspan", "rowspan", "lang", "charset", "type", "rel",
                            "data-src"), name  # fmt: skip
            if name == "data-src":  # serve's source line of a block: the part's file, a line
                assert re.fullmatch(r"towns/t/doc\.md:[1-9]\d*", value), value
            if name == "href":  # a link may leave the document; never to run or read anything
                assert not value.lower().startswith(("javascript:", "vbscript:", "file:")), value
            if name == "src":  # an image is only ever read from the workspace
                assert value.startswith("workspace:"), value
        assert all(
            problem.ref is None or problem.ref.path == origin.path for problem in body.problems
        )


@given(document)
@example("a" * 20_000)
@example("![](img.png) ![](webp.png)")  # python-docx cannot embed what Pillow reads: was a crash
@example("> ::: cover\n> ")  # mdit-py-plugins' container rule read past the end: IndexError
@example("<table><tr><td><![](img.png)</td></tr></table>")  # CPython's HTMLParser asserted on <![
def test_any_markdown_loads_writes_and_renders(text: str) -> None:
    check_document(text)


# -- what the fuzzer found, through WeasyPrint too ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '<table><tr><td rowspan="100000" colspan="100000">x</td></tr></table>',
        "标题\x07\n\n| a\x0b | b |\n|---|---|\n| \ud800 | \ufffe |",
    ],
)
def test_found_cases_make_a_pdf(text: str, tmp_path: Path) -> None:
    check_document(text)
    body = html_render.render_body([html_render.HtmlPart(mdparser.parse(text), tmp_path, tmp_path)])
    page = html_render.page("文档", body, css(STYLE), cover=False, toc=False)
    data, _ = html_to_pdf(page, {"workspace": tmp_path})
    assert data.startswith(b"%PDF")
