"""What a document's text and fields refer to: the standards and laws it cites and the places it
names, read into facts for the registry rules (``templates/knowledge/``: citations, places).

- **Citations** (attribute ``cites``): a standard or order number (GB 50188—2007, GB/T 9704-2012,
  CJJ/T 85-2017, 住建部令第7号), with the 《title》 written before or after it, or a 《title》
  alone when it names a normative document (…法, …条例, …办法, …标准, …规范 …) or one the
  registry knows. The fact's value is a ``Ref`` to ``Entity("citation", key)`` whose text is
  the citation as written; ``citation`` reads it back into its title and number.
- **Places** (attribute ``place``): every name of the place registry found in the text (one
  pattern over the registry's names, longest first), unless the words just before it make it a
  neighbour (通往秦都大道, 东邻东阳村): attribute ``place_near`` then.

Facts speak for the document's date (``as_of``), so a citation is judged by when it was made.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from townplans.facts.model import Entity, Fact, Ref
from townplans.knowledge import Knowledge, citation_key, title_key
from townplans.mdparser import inline_text
from townplans.model import Located, MarkdownFile, SourceRef

_STANDARD = (
    r"(?:GBJ|GB/T|GB/Z|GB|CJJ/T|CJJ|CJ/T|CJ|JGJ/T|JGJ|CECS|TD/T|HJ/T|HJ|SL|DB\d{2}/T|DB\d{2})"
    r"\s*\d+(?:\.\d+)?(?:\s*[-—–－]\s*\d{2,4})?"
)
_ISSUERS = (
    r"(?:中华人民共和国)?(?:住房和城乡建设部|住房城乡建设部|住建部|建设部|自然资源部|国土资源部"
    r"|国家发展和改革委员会|国家发展改革委|国家发改委|国家计委|国务院)"
)
_ORDER = _ISSUERS + r"令\s*第\s*\d+\s*号"
_NUMBER = f"(?:{_STANDARD}|{_ORDER})"
_TITLE = r"《(?P<title>[^《》\n]{2,60})》"
CITATION = re.compile(
    rf"(?P<before>{_NUMBER})\s*{_TITLE}"
    rf"|{_TITLE.replace('title', 'title2')}(?:\s*[（(]\s*(?P<after>{_NUMBER})\s*[）)])?"
    rf"|(?<![A-Za-z/])(?P<bare>{_NUMBER})",
    re.IGNORECASE,
)
"""A number followed by its title, a title (with its number in brackets), or a number alone."""

NORMATIVE = re.compile(r"(?:法|条例|规定|办法|标准|规范|规程|细则|规则)$")
"""How the title of a law, regulation or standard ends (a plan's or a programme's does not)."""
_REMARK = re.compile(r"[（(][^（）()]*[）)]$")


@dataclass(frozen=True, slots=True)
class Citation:
    """A citation as written: its title and number (either may be empty) and the text."""

    title: str
    number: str
    text: str


def citations(text: str, knowledge: Knowledge) -> Iterator[Citation]:
    """Each citation of ``text``: numbered ones always, a title alone when it is normative or
    known to the registry."""
    for found in CITATION.finditer(text):
        title = found.group("title") or found.group("title2") or ""
        number = found.group("before") or found.group("after") or found.group("bare") or ""
        if number or _normative(title, knowledge):
            yield Citation(title.strip(), number.strip(), found.group(0))


def citation(text: str) -> Citation:
    """A citation fact's text read back into its title and number."""
    found = CITATION.search(text)
    if found is None:
        return Citation("", "", text)
    title = found.group("title") or found.group("title2") or ""
    number = found.group("before") or found.group("after") or found.group("bare") or ""
    return Citation(title.strip(), number.strip(), text)


def _normative(title: str, knowledge: Knowledge) -> bool:
    if not title:
        return False
    if knowledge.citations.by_title(title):
        return True
    bare = title.strip()
    while _REMARK.search(bare):  # 《村镇规划编制办法（试行）》, 《…法（2019年修正）》
        bare = _REMARK.sub("", bare).strip()
    return bool(NORMATIVE.search(bare)) or bool(knowledge.citations.by_title(bare))


def key_of(found: Citation) -> str:
    """The citation entity's key: its number, else its title."""
    return citation_key(found.number) if found.number else f"《{title_key(found.title)}》"


# -- reading a document -------------------------------------------------------------------------------


def in_text(subject: Entity, markdown: MarkdownFile, knowledge: Knowledge,
            as_of: dt.date | None) -> Iterator[Fact]:  # fmt: skip
    """The citations and places of a Markdown file's body text."""
    for token in markdown.tokens:
        if token.type == "inline" and token.map is not None:
            ref = markdown.ref.at(token.map[0] + 1)
            yield from _read(subject, inline_text(token), ref, knowledge, as_of, "text")


def in_fields(subject: Entity, located: Located, knowledge: Knowledge,
              as_of: dt.date | None) -> Iterator[Fact]:  # fmt: skip
    """The citations and places of every string of a YAML file or a front matter."""
    for path, value in _strings(located.data):
        yield from _read(subject, value, located.ref_of(*path), knowledge, as_of, "field")


def _read(subject: Entity, text: str, ref: SourceRef, knowledge: Knowledge,
          as_of: dt.date | None, origin: str) -> Iterator[Fact]:  # fmt: skip
    if "《" in text or any(c.isascii() and c.isalpha() for c in text) or "令" in text:
        for found in citations(text, knowledge):
            value = Ref(Entity("citation", key_of(found)), found.text)
            yield Fact(subject, "cites", value, ref, as_of, origin)
    places = knowledge.places
    if places.pattern is None:
        return
    for match in places.pattern.finditer(text):
        before = text[max(0, match.start() - 6) : match.start()]
        near = places.neighbour_words is not None and places.neighbour_words.search(before)
        value = Ref(Entity("place", match.group(0)), match.group(0))
        yield Fact(subject, "place_near" if near else "place", value, ref, as_of, origin)


def _strings(
    data: Any, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _strings(value, (*path, index))
    elif isinstance(data, str):
        yield path, data
