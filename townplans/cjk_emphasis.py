"""CJK-friendly emphasis for markdown-it-py: the "CommonMark CJK-friendly amendments".

Under CommonMark 0.31.2, ``依据**《中华人民共和国城乡规划法》**和`` stays literal asterisks: a
delimiter run followed by punctuation (《) and preceded by a letter (据) is not left-flanking, and
Chinese text puts full-width punctuation beside emphasis all the time. The amendment
(``shared/corpora/cjk-friendly/specification.md``, CommonMark issue 650) changes the flanking rules
so that only *non-CJK* punctuation needs whitespace or punctuation on the other side, and a CJK
character or sequence counts like whitespace there. Text without CJK characters parses exactly as
before.

The plugin swaps the delimiter scanner of the ``emphasis`` (``*``, ``_``) and ``strikethrough``
(``~~``) rules; everything else of markdown-it-py is untouched. Character classes follow the
specification's definitions: a CJK character is East Asian Width W, F or H and not a default emoji
presentation character, or Hangul; variation selectors after a character make a "sequence".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from types import MethodType

from markdown_it import MarkdownIt
from markdown_it.common.utils import isMdAsciiPunct, isWhiteSpace
from markdown_it.rules_inline import emphasis, strikethrough
from markdown_it.rules_inline.state_inline import Scanned, StateInline

# Default emoji presentation characters that are East Asian Wide (emoji-data.txt,
# Emoji_Presentation=Yes): wide, yet not CJK for the amendment.
_EMOJI_PRESENTATION = (
    (0x231A, 0x231B), (0x23E9, 0x23EC), (0x23F0, 0x23F0), (0x23F3, 0x23F3), (0x25FD, 0x25FE),
    (0x2614, 0x2615), (0x2648, 0x2653), (0x267F, 0x267F), (0x2693, 0x2693), (0x26A1, 0x26A1),
    (0x26AA, 0x26AB), (0x26BD, 0x26BE), (0x26C4, 0x26C5), (0x26CE, 0x26CE), (0x26D4, 0x26D4),
    (0x26EA, 0x26EA), (0x26F2, 0x26F3), (0x26F5, 0x26F5), (0x26FA, 0x26FA), (0x26FD, 0x26FD),
    (0x2705, 0x2705), (0x270A, 0x270B), (0x2728, 0x2728), (0x274C, 0x274C), (0x274E, 0x274E),
    (0x2753, 0x2755), (0x2757, 0x2757), (0x2795, 0x2797), (0x27B0, 0x27B0), (0x27BF, 0x27BF),
    (0x2B1B, 0x2B1C), (0x2B50, 0x2B50), (0x2B55, 0x2B55), (0x1F004, 0x1F004),
    (0x1F0CF, 0x1F0CF), (0x1F18E, 0x1F18E), (0x1F191, 0x1F19A), (0x1F1E6, 0x1F1FF),
    (0x1F201, 0x1F201), (0x1F21A, 0x1F21A), (0x1F22F, 0x1F22F), (0x1F232, 0x1F236),
    (0x1F238, 0x1F23A), (0x1F250, 0x1F251), (0x1F300, 0x1F320), (0x1F32D, 0x1F335),
    (0x1F337, 0x1F37C), (0x1F37E, 0x1F393), (0x1F3A0, 0x1F3CA), (0x1F3CF, 0x1F3D3),
    (0x1F3E0, 0x1F3F0), (0x1F3F4, 0x1F3F4), (0x1F3F8, 0x1F43E), (0x1F440, 0x1F440),
    (0x1F442, 0x1F4FC), (0x1F4FF, 0x1F53D), (0x1F54B, 0x1F54E), (0x1F550, 0x1F567),
    (0x1F57A, 0x1F57A), (0x1F595, 0x1F596), (0x1F5A4, 0x1F5A4), (0x1F5FB, 0x1F64F),
    (0x1F680, 0x1F6C5), (0x1F6CC, 0x1F6CC), (0x1F6D0, 0x1F6D2), (0x1F6D5, 0x1F6D7),
    (0x1F6DC, 0x1F6DF), (0x1F6EB, 0x1F6EC), (0x1F6F4, 0x1F6FC), (0x1F7E0, 0x1F7EB),
    (0x1F7F0, 0x1F7F0), (0x1F90C, 0x1F93A), (0x1F93C, 0x1F945), (0x1F947, 0x1F9FF),
    (0x1FA70, 0x1FA7C), (0x1FA80, 0x1FA89), (0x1FA8F, 0x1FAC6), (0x1FACE, 0x1FADC),
    (0x1FADF, 0x1FAE9), (0x1FAF0, 0x1FAF8),
)  # fmt: skip
_HANGUL = (
    (0x1100, 0x11FF), (0x302E, 0x302F), (0x3131, 0x318E), (0x3200, 0x321E), (0x3260, 0x327E),
    (0xA960, 0xA97C), (0xAC00, 0xD7A3), (0xD7B0, 0xD7C6), (0xD7CB, 0xD7FB), (0xFFA0, 0xFFBE),
    (0xFFC2, 0xFFC7), (0xFFCA, 0xFFCF), (0xFFD2, 0xFFD7), (0xFFDA, 0xFFDC),
)  # fmt: skip
_AMBIGUOUS_FULLWIDTH = {"\u2018", "\u2019", "\u201c", "\u201d"}
"""Punctuation with East Asian Width A that a U+FE01 variation sequence makes a full-width form
(StandardizedVariants.txt): ‘’“” followed by U+FE01 is CJK punctuation."""


def _in(code: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(low <= code <= high for low, high in ranges)


def is_cjk(char: str) -> bool:
    """A CJK character: East Asian Width W/F/H and not emoji by default, or Hangul."""
    code = ord(char)
    if _in(code, _HANGUL):
        return True
    return unicodedata.east_asian_width(char) in ("W", "F", "H") and not _in(
        code, _EMOJI_PRESENTATION
    )


def is_punctuation(char: str) -> bool:
    """A Unicode punctuation character as CommonMark 0.31.2 defines it (P* or S*)."""
    return isMdAsciiPunct(ord(char)) or unicodedata.category(char).startswith(("P", "S"))


def is_non_emoji_selector(char: str) -> bool:
    """A variation selector U+FE00–U+FE0E (U+FE0F asks for emoji presentation)."""
    return "\ufe00" <= char <= "\ufe0e"


def is_ideographic_selector(char: str) -> bool:
    return "\U000e0100" <= char <= "\U000e01ef"


def _non_cjk_punctuation(char: str) -> bool:
    return is_punctuation(char) and not is_cjk(char)


class _Before:
    """What precedes a delimiter run: the character and, when it is a variation selector, the
    character the selector modifies (the "sequence" of the specification)."""

    def __init__(self, src: str, start: int) -> None:
        self.char = src[start - 1] if start > 0 else " "
        self.base = src[start - 2] if start > 1 and is_non_emoji_selector(self.char) else None

    @property
    def whitespace(self) -> bool:
        return isWhiteSpace(ord(self.char))

    def sequence(self, kind: Callable[[str], bool]) -> bool:
        """The character (or the base of a selector sequence) is of ``kind``."""
        return kind(self.char) if self.base is None else kind(self.base)

    @property
    def cjk_sequence(self) -> bool:
        return self.sequence(is_cjk)

    @property
    def non_cjk_punctuation_sequence(self) -> bool:
        if self.base is not None and self.base in _AMBIGUOUS_FULLWIDTH and self.char == "\ufe01":
            return False  # a full-width form: CJK punctuation
        return self.sequence(_non_cjk_punctuation)

    @property
    def punctuation_sequence(self) -> bool:
        return self.sequence(is_punctuation)


def scan_delims(state: StateInline, start: int, can_split_word: bool) -> Scanned:
    """``StateInline.scanDelims`` with the amended flanking rules (specification §6.2)."""
    src, maximum = state.src, state.posMax
    marker = src[start]
    pos = start
    while pos < maximum and src[pos] == marker:
        pos += 1
    before = _Before(src, start)
    after = src[pos] if pos < maximum else " "
    after_whitespace = isWhiteSpace(ord(after))
    after_non_cjk_punct = _non_cjk_punctuation(after)
    left = not after_whitespace and (
        not after_non_cjk_punct
        or before.whitespace
        or before.non_cjk_punctuation_sequence
        or before.cjk_sequence
        or is_ideographic_selector(before.char)
    )
    right = not before.whitespace and (
        not before.non_cjk_punctuation_sequence
        or after_whitespace
        or after_non_cjk_punct
        or is_cjk(after)
    )
    if can_split_word:
        can_open, can_close = left, right
    else:  # `_`: rules 2, 3, 6 and 7 of §6.2
        can_open = left and (not right or before.punctuation_sequence)
        can_close = right and (not left or is_punctuation(after))
    return Scanned(can_open, can_close, pos - start)


def _with_cjk_scanner(
    tokenize: Callable[[StateInline, bool], bool],
) -> Callable[[StateInline, bool], bool]:
    def rule(state: StateInline, silent: bool) -> bool:
        # The state is made per inline token; its scanner is swapped for the amended one (an
        # instance attribute, so other parsers in the process are unaffected).
        state.scanDelims = MethodType(scan_delims, state)  # type: ignore[method-assign]
        return tokenize(state, silent)

    return rule


def cjk_friendly_plugin(md: MarkdownIt) -> None:
    """Use the CJK-friendly flanking rules for ``*``, ``_`` and ``~~`` in ``md``."""
    md.inline.ruler.at("emphasis", _with_cjk_scanner(emphasis.tokenize))
    md.inline.ruler.at("strikethrough", _with_cjk_scanner(strikethrough.tokenize))
