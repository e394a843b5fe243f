"""Chinese words, so that the writers break a line between words and never inside one: the
segmenter (rjieba, the Rust port of jieba's dictionary and algorithm) with the workspace's own
terms as its user dictionary, and where in a text a line must not break.

rjieba rather than jieba: it loads its dictionary in about 0.3 s where jieba takes 1.5–1.9 s (and
writes a cache file outside the workspace to be faster the next time), and segments about ten
times as fast; both give the same words for the same dictionary. It is imported only when a
document is laid out, never by ``check``."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rjieba import Jieba

MAX_WORD_CHARS = 6
"""A term of the workspace longer than this (a project title, “滨河路道路改造工程”) is not one
word: the segmenter finds the words inside it, and a cell may break between them. A longer word
would keep a column that wide."""
TERM_FREQUENCY = 200_000
"""The dictionary frequency a workspace term is given: above any common word it overlaps
(“道路” ~ 50,000), so “西屯村” is not cut into “西” and “屯村”."""
MAX_SEGMENTED_CHARS = 4_000
"""A longer text is not segmented: it is no table cell or paragraph end, and it may break as it
would without words."""

_IDEOGRAPH = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_RUN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")


@dataclass(frozen=True, slots=True)
class Lexicon:
    """The words a document is segmented with: the segmenter's dictionary and ``terms``, the
    workspace's own names (places, land uses, projects) of at most ``MAX_WORD_CHARS`` CJK
    characters, sorted so that equal lexicons are equal (and lay a document out alike)."""

    terms: tuple[str, ...] = ()

    @classmethod
    def of(cls, names: Iterable[str]) -> Lexicon:
        """A lexicon of the names that are one word (2 to ``MAX_WORD_CHARS`` CJK characters)."""
        kept = {
            name.strip()
            for name in names
            if 2 <= len(name.strip()) <= MAX_WORD_CHARS and _RUN.fullmatch(name.strip())
        }
        return cls(tuple(sorted(kept)))

    def inside(self, text: str) -> frozenset[int]:
        """Offsets ``i`` of ``text`` where a line must not break between ``text[i - 1]`` and
        ``text[i]``: inside a word of two or more CJK characters."""
        return _inside(text, self.terms)


def _segmenter(terms: tuple[str, ...]) -> Jieba:
    """A segmenter with ``terms`` added (one per lexicon in use, built once)."""
    return _segmenters(terms)


@functools.lru_cache(maxsize=4)
def _segmenters(terms: tuple[str, ...]) -> Jieba:
    from rjieba import Jieba  # only where a document is laid out: check never loads it

    segmenter = Jieba()
    for term in terms:
        segmenter.add_word(term, TERM_FREQUENCY, None)
    return segmenter


@functools.lru_cache(maxsize=65_536)
def _inside(text: str, terms: tuple[str, ...]) -> frozenset[int]:
    if len(text) > MAX_SEGMENTED_CHARS or len(_IDEOGRAPH.findall(text)) < 2:
        return frozenset()
    offsets: set[int] = set()
    start = 0
    for word in _segmenter(terms).cut(text, False):
        end = start + len(word)
        if len(word) > 1 and _RUN.fullmatch(word):
            offsets.update(range(start + 1, end))
        start = end
    return frozenset(offsets)


def words(text: str, lexicon: Lexicon) -> list[str]:
    """``text`` cut where a line may break as far as words go: each piece is a word of CJK
    characters or a run of anything else (which the line breaker treats as it would)."""
    inside = lexicon.inside(text)
    pieces: list[str] = []
    start = 0
    for index in range(1, len(text) + 1):
        if index == len(text) or index not in inside:
            pieces.append(text[start:index])
            start = index
    return [piece for piece in pieces if piece]
