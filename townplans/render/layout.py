"""Decisions both writers share, so Word and PDF agree: which local file an image names, how a
table is laid out (its columns' widths from their content, in points; which pieces of a cell
never break across lines; portrait, landscape or a smaller size; its number and title), where in
the sources a token stream comes from."""

from __future__ import annotations

import functools
import itertools
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from markdown_it.token import Token

from townplans import mdparser
from townplans.model import SourceRef
from townplans.rawhtml import is_table
from townplans.render.words import Lexicon

# -- measuring text ----------------------------------------------------------------------------------

_ASCII_EM = (
    34, 39, 58, 84, 59, 97, 81, 33, 40, 40, 51, 78, 34, 37, 34, 50, 60, 59, 60, 60, 60, 60, 60,
    59, 60, 60, 34, 34, 78, 78, 78, 56, 101, 76, 72, 73, 79, 68, 65, 79, 87, 43, 57, 79, 66,
    101, 82, 79, 69, 79, 76, 63, 73, 82, 76, 110, 76, 76, 67, 42, 50, 42, 62, 78, 63, 60, 68,
    57, 66, 59, 41, 60, 69, 36, 35, 66, 36, 101, 69, 63, 68, 65, 53, 50, 43, 68, 61, 88, 65, 59,
    53, 50, 56, 50, 62,
)  # fmt: skip
"""Advance widths of U+0020–U+007E in hundredths of an em: for each character the widest of the
fonts the outputs may set it in (Noto Serif, Noto Serif CJK SC and Noto Sans CJK SC, regular and
bold; FandolFang and FandolSong Bold from templates/fonts/, the body's, tables' and titles' faces;
Times New Roman, Word's Latin font, is narrower in every glyph), so a width measured here is
never less than the printed one."""

_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")
_NARROW = {"²": 0.45, "³": 0.45, "¹": 0.45, "°": 0.45, "·": 0.6}


def is_cjk(char: str) -> bool:
    return (
        "\u2e80" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" or "\uff00" <= char <= "\uffef"
    )


def text_width(text: str) -> float:
    """Display width in half-width units: a CJK character counts two (the 公文's grid estimate)."""
    return float(sum(2 if is_cjk(char) else 1 for char in text))


DATE_INDENT_CHARS = 4
"""The 成文日期's right indent, in characters (7.3.5.1)."""
ISSUER_INDENT_CHARS = 2
"""The right indent of a 署名 too long to centre over the 成文日期, in characters: 右空二字, as
7.3.5.2 sets a 署名 (review T18: flush right, it touched the 版心's edge)."""


def issuer_flush_right(issuer: str, date: str) -> bool:
    """Whether the 署名, centred over the 成文日期, would reach past the 版心's right edge (a
    署名 eight characters or more longer than the date): it is then set ``ISSUER_INDENT_CHARS``
    from the right instead, in both writers."""
    return (text_width(issuer) - text_width(date)) / 2 >= 2 * DATE_INDENT_CHARS


def char_em(char: str) -> float:
    """A character's width in ems of its font: CJK characters and full-width forms one em,
    Latin letters and digits from ``_ASCII_EM``, anything else one em (an upper bound)."""
    code = ord(char)
    if 0x20 <= code < 0x7F:
        return _ASCII_EM[code - 0x20] / 100
    if char in _ZERO_WIDTH:
        return 0.0
    return _NARROW.get(char, 1.0)


_EM: dict[str, float] = {
    **{chr(0x20 + index): width / 100 for index, width in enumerate(_ASCII_EM)},
    **dict.fromkeys(_ZERO_WIDTH, 0.0),
    **_NARROW,
}
"""``char_em`` of every character that is not one em wide, looked up in one step."""


def text_em(text: str) -> float:
    """Width of ``text`` in ems, as one unbroken line (``char_em`` summed)."""
    return sum(map(_EM.get, text, itertools.repeat(1.0)))


LATIN_GAP_EM = 0.2
"""The room LibreOffice puts between a CJK character and a Latin letter or digit beside it: it
does not read ``w:autoSpaceDE``/``w:autoSpaceDN``, which turn that space off in Word, and the
PDF has none. A cell's lines are filled, and its text's natural width measured, with that room
(``cell_em``), so that LibreOffice's lines end where the PDF's do; in the PDF and in Word a
cell's lines are then a little short of its width. Inside a piece the writers keep whole (a
number with its unit, a date: one run, WORD JOINERs between its characters) there is none."""
_LATIN = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def latin_gaps(text: str) -> tuple[float, ...]:
    """For each character of ``text``, the ``LATIN_GAP_EM`` LibreOffice puts before it: where it
    and the character before are a CJK character and a Latin letter or digit, in either order,
    but not inside a piece kept whole (``kept_together``)."""
    kept = _kept_insides(text)
    gaps = [0.0] * len(text)
    for index in range(1, len(text)):
        before, after = text[index - 1], text[index]
        crossing = (before in _LATIN and is_cjk(after)) or (after in _LATIN and is_cjk(before))
        if crossing and index not in kept:
            gaps[index] = LATIN_GAP_EM
    return tuple(gaps)


BULLETS = ("•", "◦", "▪")
"""The bullet of each nesting level of a list (then repeating), in both writers."""

UNGAPPED_CONTAINERS = ("title", "redhead", "signed", "signature", "imprint")
"""The 公文's parts set tight, without space between CJK text and digits (``script_gaps``): the
title, the 发文字号 (“〔2023〕8号”), the 署名 and 成文日期, the 版记 (“2023年9月15日印发”), as
GB/T 9704's examples print them. Word's ``w:autoSpaceDE``/``DN`` are off there
(``ooxml.no_autospace``); the PDF writes no ``.gap`` in them."""


def script_gaps(text: str) -> tuple[bool, ...]:
    """For each character of a paragraph's ``text``, whether Word and LibreOffice put space
    before it (Word's ``w:autoSpaceDE``/``w:autoSpaceDN``, on in body text; LibreOffice always):
    where it and the character before are a CJK character and a Latin letter or digit, in either
    order (“至95栋” is set “至 95 栋”). The PDF sets the same ``LATIN_GAP_EM`` there."""
    return (
        False,
        *(
            (before in _LATIN and _ideograph(after)) or (after in _LATIN and _ideograph(before))
            for before, after in itertools.pairwise(text)
        ),
    )


def _ideograph(char: str) -> bool:
    """A CJK character that is a letter (汉字, kana), not punctuation: no space goes between a
    digit and “；”, where it would let a line start with the “；”."""
    return is_cjk(char) and unicodedata.category(char) == "Lo"


def cell_em(text: str) -> float:
    """Width of ``text`` in ems as a table cell holds it on one line: ``text_em`` and the room
    LibreOffice puts between CJK and Latin text (``latin_gaps``)."""
    return text_em(text) + sum(latin_gaps(text))


# -- what never breaks -----------------------------------------------------------------------------------

CLOSING = "，。、；：！？）］｝」』》〉】〕〗〙〛”’…‥・·％‰℃,.;:!?)]}%"
"""Punctuation that never starts a line (避头尾): it stays with the character before it."""
OPENING = "（［｛「『《〈【〔〖〘〚“‘([{"
"""Punctuation that never ends a line: it stays with the character after it."""

_UNITS = (
    "平方公里", "平方千米", "平方米", "万平方米", "立方米", "万立方米", "公顷", "公里", "千米", "万㎡",
    "万元", "亿元", "千元", "万人", "万户", "万", "亿", "元", "米", "㎡", "m²", "m2", "km²", "km2",
    "km", "cm", "mm", "m", "%", "％", "‰", "℃", "°", "亩", "人", "户", "个", "座", "处", "家", "所",
    "条", "盏", "株", "栋", "块", "辆", "台", "套", "间", "层", "张", "项", "件", "吨", "年", "月",
    "日", "天", "号", "倍", "次", "名", "岁", "小时", "分钟", "车位", "泊位", "床", "班", "眼", "口",
    "分", "期", "周",
)  # fmt: skip
"""Units written after a number (1850万元, 18.5公顷, 108盏, 30%, 2023年, 25分, 第8期)."""
_ALNUM = "0-9A-Za-z０-９Ａ-Ｚａ-ｚ"
_NUMBER = re.compile(
    rf"[{_ALNUM}]+(?:[-‐_/.:,．·][{_ALNUM}]+)*"  # 18.5, 1,850, WC-04, R2, 2023-09-15, GB/T
    "(?:" + "|".join(re.escape(unit) for unit in sorted(_UNITS, key=len, reverse=True)) + ")?"
)
"""A number with its unit, a percentage or a code (a date's parts: “2023年”, “9月”, “15日”)."""
_TOKEN = re.compile(
    r"\d{4}年\d{1,2}月(?:\d{1,2}[日号])?"  # 2023年9月15日, 2023年9月
    r"|\d{1,2}月\d{1,2}[日号]"  # 9月15日
    rf"|{_NUMBER.pattern}"
)
"""A number with its unit, a date, a percentage or a code: printed on one line, never split."""
MAX_TOKEN_CHARS = 24
"""A longer match (a URL, a run of digits) is not a token: it may break like other text."""
SHORT_LABEL_EM = 4.0
"""A cell line this wide or less (序号, 齐全, 渭城镇, 上级补助) is a label and never breaks."""
LONG_WORD_EM = 10.0
"""Beyond this, an unbroken Latin run (a URL) counts no wider for a column's minimum: it may
break anywhere rather than widen the column."""

DASHES = "\u2013\u2014\u2015"
"""En and em dashes: a line may break after one (“DN400—” / “DN600”), never before it."""
BREAK = "\u200b"
"""ZERO WIDTH SPACE: an explicit place a line may break, where the layout measures one."""


_REMARK = r"[（(][^\s（()）]{1,4}[）)]"
"""A short remark in brackets (“（万元）”, “（副镇长）”): measured and printed as one piece."""
_KEPT = re.compile(rf"{_TOKEN.pattern}|{_REMARK}")

_PIECES = re.compile(
    rf"{_TOKEN.pattern}|{_REMARK}"
    rf"|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef{DASHES}]+|\S"
)
"""Pieces of text a line breaker would not split, as a table's columns are measured: a token, a
short remark in brackets (“（万元）”, “（副镇长）”), a Latin run, any other character."""


def _opens_after_latin(before: str, after: str) -> bool:
    """A full-width opening bracket right after a Latin letter, digit or sign (“88%（待确认）”,
    “A4（210mm×297mm）”): the line may break before the bracket."""
    return after in _FULL_WIDTH_OPENING_SET and not is_cjk(before) and not before.isspace()


def break_opportunities(text: str) -> str:
    """``text`` with a ZERO WIDTH SPACE where the layout lets a line break but a renderer might
    not (Word and LibreOffice treat “88%（待确认）” and “DN400—DN600” as one word): before a
    full-width opening bracket after a Latin character, after a dash between two non-CJK
    characters."""
    out: list[str] = []
    for index, char in enumerate(text):
        if index:
            before = text[index - 1]
            dash = before in DASHES and not is_cjk(char) and not char.isspace() and char != BREAK
            if _opens_after_latin(before, char) or dash:
                out.append(BREAK)
        out.append(char)
    return "".join(out)


def _must_join(token: str) -> bool:
    """Whether a token has a place where a line could otherwise break: next to a CJK character
    (2023年9月15日, 1850万元), after a hyphen or a slash (WC-04, GB/T)."""
    return any(is_cjk(char) or char in "-‐/" for char in token)


def kept_together(text: str) -> list[tuple[str, bool]]:
    """``text`` as pieces, True for a piece the writers keep on one line: a number with its unit,
    a date, a percentage or a code that could otherwise break, a short remark in brackets
    (“李国强” / “（副镇长）”, as the columns are measured), with the punctuation attached to
    it (“（80个”, “2023年9月15日，”), which the line breakers would not part from it either."""
    return _kept(text, _KEPT)


_RANGE = re.compile(rf"(?:{_NUMBER.pattern})[{DASHES}~～](?:{_NUMBER.pattern})")
_BODY_KEPT = re.compile(rf"{_RANGE.pattern}|{_NUMBER.pattern}")
"""What body text keeps on one line: a number with its unit and a range. A date may break after
its 年 or 月 (“2023年9月” / “15日”), each number still with its unit, as Word breaks it (digits
are in its “no line ends with” set, 年 and 月 are not, ``ooxml.NOT_AT_LINE_END``): a whole date
kept on one line left the line before it loose (review28 #3: “（9月9日至” spread over 4.5 pt
a character). A table's cell keeps a date whole (``kept_together``)."""
HANGING_PUNCTUATION = "。，、．"
"""Punctuation that may stand past the right edge when it ends a paragraph, as Word lets it
(``w:overflowPunct``, on by default) and LibreOffice does: a paragraph that fills its last line
but for its full stop ends there in all three, not with “施工。” on a line of its own."""
TAIL_CHARS = 2
"""Characters a paragraph's last line holds at least (with its closing punctuation): never
“米。” alone."""


def kept_in_body(text: str, last: bool = False) -> list[tuple[str, bool]]:
    """``text`` of a paragraph as pieces, True for a piece kept on one line: a number with its
    unit, a date, a code (“108㎡”, “22公顷”, “680万元”), a range (“2023—2035年”, so no line
    starts with “—2035年”), and when ``text`` ends the paragraph (``last``) its last
    ``TAIL_CHARS`` characters with the punctuation after them."""
    pieces = _kept(text, _BODY_KEPT)
    if not last or not pieces:
        return pieces
    tail = len(text)
    while tail > 0 and (text[tail - 1] in CLOSING or text[tail - 1].isspace()):
        tail -= 1
    start = tail - TAIL_CHARS
    if start <= 0 or not all(char.isalnum() for char in text[start:tail]):
        return pieces
    head: list[tuple[str, bool]] = []
    done = 0
    for piece, kept in pieces:
        end = done + len(piece)
        if end <= start:
            head.append((piece, kept))
        elif done < start:
            # the tail begins inside this piece: a kept piece is kept whole with it
            cut = done if kept else start
            if cut > done:
                head.append((text[done:cut], False))
            head.append((text[cut:], True))
            return head
        else:
            head.append((text[done:], True))
            return head
        done = end
    return head


def _kept_insides(text: str) -> frozenset[int]:
    """Offsets ``i`` of ``text`` inside a piece kept whole (``kept_together``): between
    ``text[i - 1]`` and ``text[i]`` of the same piece."""
    insides: set[int] = set()
    done = 0
    for piece, kept in kept_together(text):
        if kept:
            insides.update(range(done + 1, done + len(piece)))
        done += len(piece)
    return frozenset(insides)


def _kept(text: str, pattern: re.Pattern[str]) -> list[tuple[str, bool]]:
    """``text`` as pieces, True for each match of ``pattern`` that could otherwise break
    (``_must_join``), with the punctuation that holds to it."""
    pieces: list[tuple[str, bool]] = []
    done = 0
    for match in pattern.finditer(text):
        start, end = match.span()
        if end - start > MAX_TOKEN_CHARS or not _must_join(match.group()) or start < done:
            continue
        while start > done and text[start - 1] in OPENING:
            start -= 1
        while end < len(text) and text[end] in CLOSING:
            end += 1
        if start > done:
            pieces.append((text[done:start], False))
        pieces.append((text[start:end], True))
        done = end
    if done < len(text):
        pieces.append((text[done:], False))
    return pieces


def softbreak(before: str, after: str) -> str:
    """What a line break inside a paragraph's source prints as, between the characters
    ``before`` and ``after``: nothing between two CJK characters (Chinese runs on without a
    space) or next to punctuation that holds to its neighbour, else a space."""
    if (is_cjk(before) and is_cjk(after)) or after in CLOSING or before in OPENING:
        return ""
    return " "


_FULL_WIDTH_CLOSING = "".join(char for char in CLOSING if is_cjk(char))
_FULL_WIDTH_OPENING = "".join(char for char in OPENING if is_cjk(char))
_FULL_WIDTH_OPENING_SET = frozenset(_FULL_WIDTH_OPENING)
_SPACE_BY_PUNCTUATION = re.compile(
    rf"[ \t\u00a0]+(?=[{_FULL_WIDTH_CLOSING}])|(?<=[{_FULL_WIDTH_OPENING}])[ \t\u00a0]+"
)


def no_space_by_punctuation(text: str) -> str:
    """``text`` without spaces before full-width closing or after full-width opening punctuation
    (“管用 ，制定” -> “管用，制定”): the punctuation has its own space, and a line breaker
    breaks at a space, so a line would start with “，” (or justification widen the gap)."""
    return _SPACE_BY_PUNCTUATION.sub("", text)


WORD_JOINER = "\u2060"


def joined(text: str) -> str:
    """``text`` with a WORD JOINER (U+2060, zero width, invisible) wherever a line breaker could
    otherwise break it: next to a CJK character and after a slash. Word and LibreOffice have no
    no-wrap run; they keep characters joined this way on one line (a hyphen is written as
    ``w:noBreakHyphen`` instead)."""
    out: list[str] = []
    for index, char in enumerate(text):
        if index and (is_cjk(char) or is_cjk(text[index - 1]) or text[index - 1] == "/"):
            out.append(WORD_JOINER)
        out.append(char)
    return "".join(out)


def _breakable(before: str, after: str) -> bool:
    """Whether a line may break between two adjacent characters: next to a CJK character that is
    not punctuation holding to it; after a dash; before a full-width opening bracket after a
    Latin character. Between Latin letters, digits and symbols Word and LibreOffice do not
    break; where this allows a break they might not, the writers put a ``BREAK``
    (``break_opportunities``)."""

    def ideograph(char: str) -> bool:
        return is_cjk(char) and char not in CLOSING and char not in OPENING

    if after in DASHES:
        return False
    if before in DASHES or _opens_after_latin(before, after):
        return True
    return (
        (ideograph(before) or ideograph(after)) and after not in CLOSING and before not in OPENING
    )


def _spans(line: str, lexicon: Lexicon | None = None) -> list[tuple[int, int]]:
    """Where the pieces of one line of text are, between which a line may break (``_unbroken``),
    as (start, end) offsets: a piece starts where its first character does, a space before it
    is not in it."""
    inside = lexicon.inside(line) if lexicon is not None else frozenset()
    spans: list[list[int]] = []
    texts: list[str] = []
    end = 0
    for match in _PIECES.finditer(line):
        piece, gap = match.group(), line[end : match.start()]
        held = spans and gap.strip("\u00a0") == "" and not _breakable(texts[-1][-1], piece[0])
        if (
            held
            or (spans and not gap and match.start() in inside)
            or (spans and (texts[-1].endswith(WORD_JOINER) or piece.startswith(WORD_JOINER)))
        ):
            spans[-1][1] = match.end()
            texts[-1] += gap + piece
        else:
            spans.append([match.start(), match.end()])
            texts.append(piece)
        end = match.end()
    return [(start, stop) for start, stop in spans]


def _unbroken(line: str, lexicon: Lexicon | None = None) -> list[str]:
    """The pieces of one line of text between which a line may break: tokens, Latin runs, words
    of ``lexicon`` (single CJK characters without one), each with what holds to it
    (punctuation, a neighbouring Latin run, across a no-break space or a WORD JOINER: ``joined``
    text is one piece)."""
    return [line[start:end] for start, end in _spans(line, lexicon)]


def minimum_em(text: str, lexicon: Lexicon | None = None) -> float:
    """The narrowest a cell holding ``text`` can be, in ems: its widest unbreakable piece (a
    word of ``lexicon`` is one), or the whole line when it is a short label."""
    widest = 0.0
    for line in text.split("\n"):
        line = line.strip()
        whole = text_em(line)
        if whole <= SHORT_LABEL_EM and " " not in line and not _parts_in_two(line, lexicon):
            widest = max(widest, whole)
            continue
        for piece in _unbroken(line, lexicon):
            width = text_em(piece)
            if len(piece) > MAX_TOKEN_CHARS:
                width = min(width, LONG_WORD_EM)
            widest = max(widest, width)
    return widest


def _parts_in_two(label: str, lexicon: Lexicon | None) -> bool:
    """Whether a short label is words of two characters or more (形象/进度, 存在/问题, 上级/补助),
    which may stand on two lines of a narrow column; “已开工” (已/开工) would leave one
    character on a line, and a label of one word (渭城镇, 项目名称) has no place to break."""
    pieces = _unbroken(label, lexicon)
    return len(pieces) > 1 and all(len(piece) >= 2 for piece in pieces)


def line_breaks(text: str, width_em: float, lexicon: Lexicon | None = None) -> list[int]:
    """Offsets of ``text`` (one line as written) where a line ``width_em`` wide breaks when it is
    filled piece by piece (``_spans``: never inside a word, a number with its unit, a code; an
    amount kept with its label when the two fit a line, ``line_starts``): the Word writer puts
    its line breaks there, as LibreOffice and Word would otherwise break at any CJK character."""
    spans = _spans(text, lexicon)
    return [spans[index][0] for index in line_starts(text, width_em, lexicon)]


BARE_AMOUNT = re.compile(r"\d+(?:[.,]\d+)*[，。；、：,;]?")
"""A number without a unit, as a 资金来源 cell lists amounts: “上级补助400；部门资金280”."""


def held_tail(pieces: Sequence[str], room: float) -> int:
    """How many of a cell's last ``pieces`` (words, characters, numbers: where its lines may
    break) stay on one line: a last CJK character (and the punctuation after it) with the word
    before it, when the two fit ``room`` ems, so that the cell's last line is not that character
    alone (“接入渭城镇污水处理” / “站”, review30); else the last piece alone (1)."""
    tail = len(pieces)
    while tail and all(char in CLOSING for char in pieces[tail - 1]):
        tail -= 1
    if tail < 2:
        return 1
    last, before = pieces[tail - 1], pieces[tail - 2]
    lone = len(last.rstrip(CLOSING)) == 1 and is_cjk(last[0]) and last[0] not in CLOSING + OPENING
    after_text = bool(before) and is_cjk(before[-1]) and before[-1] not in CLOSING + OPENING
    if lone and after_text and text_em("".join(pieces[tail - 2 :])) <= room:
        return len(pieces) - tail + 2
    return 1


def line_starts(line: str, width_em: float, lexicon: Lexicon | None = None) -> list[int]:
    """The pieces of ``line`` (indexes into ``_spans``) that start a new line when it is filled
    ``width_em`` ems wide: a piece goes to the next line when it does not fit; a bare amount
    takes the word before it along when the two fit a line, so that “上级补助 / 400；部门资金 /
    280” (review T3: 280 read as 镇自筹's) is “上级补助400； / 部门资金280；”."""
    spans = _spans(line, lexicon)
    widths = _piece_widths(line, lexicon)
    starts: list[int] = []
    first = 0
    for index in range(1, len(spans)):
        if widths[index][1] - widths[first][0] <= width_em:
            continue
        cut = index
        if (
            index - 1 > first
            and _amount_after_word(line, spans, index)
            and widths[index][1] - widths[index - 1][0] <= width_em
        ):
            cut = index - 1
        starts.append(cut)
        first = cut
    held = len(spans) - held_tail([line[start:end] for start, end in spans], width_em)
    if starts and held < starts[-1] and held > (starts[-2] if len(starts) > 1 else 0):
        starts[-1] = held  # the last character goes down with the word before it
    return starts


def _amount_after_word(line: str, spans: Sequence[tuple[int, int]], index: int) -> bool:
    """Whether piece ``index`` of ``line`` is a bare amount right after a CJK word."""
    start, end = spans[index]
    return spans[index - 1][1] == start and amount_of(line[:start], line[start:end])


def amount_of(word: str, amount: str) -> bool:
    """Whether ``amount`` is a bare amount (``BARE_AMOUNT``) that belongs to ``word``, the text
    right before it, which ends in a CJK character: the pair a line keeps together when it can
    (``line_starts``; the PDF's ``html.with_amounts``)."""
    before = word[-1:]
    return is_cjk(before) and before not in CLOSING and BARE_AMOUNT.fullmatch(amount) is not None


def natural_em(text: str) -> float:
    """The width of ``text``'s longest line as written, in ems."""
    return max((cell_em(line.strip()) for line in text.split("\n")), default=0.0)


# -- column widths ---------------------------------------------------------------------------------------

CELL_PADDING_PT = 4.0
"""Left and right padding inside every table cell, in both writers (CSS padding, Word
``w:tblCellMar``)."""
CELL_PADDING_Y_PT = 2.0
"""A cell's padding above and below its text (the PDF's ``padding: 2pt 4pt``, Word's cell margins)."""
CELL_BORDER_PT = 0.5
"""A table's rules. In the PDF's collapsed borders each row is half a rule taller above and
below its padding; Word draws rules outside the row's height, so its cell margins take that half."""
TABLE_GAP_PT = 6.0
"""The space above and below a table (CSS ``margin: 6pt 0``; in Word, the paragraph after it)."""
CELL_LINE = 1.5
"""A table line's height over its font size (CSS ``line-height: 1.5``, Word's exact spacing):
the same in both writers, so a row is as tall in each and a page holds as many rows."""
CELL_SLACK_PT = 1.5
"""Room a column is planned with beyond its text's measure, for the difference between this
measure and a renderer's own (rounding, kerning)."""
CELL_EXTRA_PT = 2 * CELL_PADDING_PT + CELL_BORDER_PT + CELL_SLACK_PT
"""What a column needs beyond its text: the padding on both sides, the rule, and the slack."""
SMALLER_SIZES_PT = (10.5, 9.0, 7.5)
"""Sizes a table too wide for a landscape page is tried at: 五号, 小五, 六号."""
NARROW_EM = 8.0
CROWDED_LINES = 5.0
"""A column narrower than ``NARROW_EM`` characters whose longest text runs more than
``CROWDED_LINES`` lines (建设规模及内容 in a ten-column 附件 table: six characters, eight lines)
has the table tried one size smaller, 五号, where it gets more characters a line."""


@dataclass(frozen=True, slots=True)
class ColumnNeeds:
    """What a column's cells need, in ems of the table font."""

    minimum: float
    """Its widest unbreakable piece (a number with its unit, a date, a code, a short label)."""
    natural: float
    """Its longest line as written."""


MEASURED_TEXTS = 65_536
"""Cell texts whose measures are kept (``measure``): a table of that many cells is measured once
for the Word writer and the HTML for the PDF and the table of contents alike."""


@functools.lru_cache(maxsize=MEASURED_TEXTS)
def measure(text: str, lexicon: Lexicon | None = None) -> tuple[float, float]:
    """(``minimum_em``, ``natural_em``) of a cell text, worked out once for each distinct text:
    both writers plan every table, the HTML is rendered for the PDF and for the DOCX's table of
    contents, and a column repeats its texts (“—”, “是”, “R2”)."""
    return minimum_em(text, lexicon), natural_em(text)


def column_needs(
    rows: Sequence[Sequence[str]], columns: int, lexicon: Lexicon | None = None
) -> list[ColumnNeeds]:
    """Each column's minimum and natural width over the cell texts of ``rows`` (as printed; a cell
    spanning columns is left out by the caller); with a ``lexicon`` no word is broken."""
    minimum = [0.0] * columns
    natural = [0.0] * columns
    for row in rows:
        for index, text in enumerate(row[:columns]):
            if text:
                low, high = measure(text, lexicon)
                minimum[index] = max(minimum[index], low)
                natural[index] = max(natural[index], high)
    return [ColumnNeeds(low, max(low, high)) for low, high in zip(minimum, natural, strict=True)]


@functools.lru_cache(maxsize=MEASURED_TEXTS)
def _piece_widths(line: str, lexicon: Lexicon | None) -> tuple[tuple[float, float], ...]:
    """Where each piece of one line (``_spans``) starts and ends, as the ``cell_em`` of the
    line up to there (a start without the gap before it, which a line starting there has not):
    what ``cell_lines`` fills lines with, the widths ``line_breaks`` measures."""
    gaps = latin_gaps(line)
    upto = [0.0]
    for gap, char in zip(gaps, line, strict=True):
        upto.append(upto[-1] + gap + _EM.get(char, 1.0))
    return tuple((upto[start] + gaps[start], upto[end]) for start, end in _spans(line, lexicon))


@functools.lru_cache(maxsize=MEASURED_TEXTS)
def cell_lines(text: str, width_em: float, lexicon: Lexicon | None = None) -> int:
    """How many lines ``text`` runs to in a cell ``width_em`` ems wide, filled piece by piece
    where ``line_breaks`` breaks it (each line as written at least one)."""
    return sum(1 + len(line_starts(line.strip(), width_em, lexicon)) for line in text.split("\n"))


def share(minimum: Sequence[float], natural: Sequence[float], available: float) -> list[float]:
    """Widths summing to ``available``: every column at least its minimum, the rest shared in
    proportion to natural width (``minimum`` must fit).

    When the natural widths do not fit, each column gets its minimum and the room left is shared
    in proportion to what each still lacks of its natural width: a column that cannot wrap (a
    date, a label) keeps its width, and the long texts (建设规模及内容) get the most, so they do
    not wrap into a column a few characters wide. When every column fits at its natural width,
    the spare room is shared in proportion to natural width.
    """
    wanted = [max(low, high) for low, high in zip(minimum, natural, strict=True)]
    total = sum(wanted)
    if total <= available:
        if total <= 0:
            return [available / len(wanted)] * len(wanted)
        return [width * available / total for width in wanted]
    lacking = [high - low for low, high in zip(minimum, wanted, strict=True)]
    spare = available - sum(minimum)
    return [low + spare * lack / sum(lacking) for low, lack in zip(minimum, lacking, strict=True)]


FIT_STEP_EM = 0.5
"""The width, in ems of the table font, that ``fitted`` hands a column at a time."""
FIT_LOOKAHEAD_EM = 8.0
"""How much wider ``fitted`` tries a column for it to save a line (a word of eight characters
moving up whole)."""
FITTED_ROWS = 200
"""The most distinct rows ``fitted`` weighs: a longer table's widths are fitted to its first
ones (the same rows in both writers), which keeps a hostile table of thousands cheap."""


def fitted(
    minimum: Sequence[float],
    natural: Sequence[float],
    available: float,
    rows: Sequence[Sequence[str]],
    size: float,
    lexicon: Lexicon | None = None,
) -> list[float]:
    """Widths in points summing to ``available`` that make the table as short as it can be:
    each column from its minimum, the room handed out where it saves the most lines for its
    width (a row is as tall as its fullest cell), so a column of numbers with a long head gives
    way to the project names beside it; when no width saves a line, the rest is shared as
    ``share`` shares it. A table that fits unwrapped is ``share``'s."""
    if sum(max(low, high) for low, high in zip(minimum, natural, strict=True)) <= available:
        return share(minimum, natural, available)
    cells = tuple(dict.fromkeys(tuple(row) for row in rows))[:FITTED_ROWS]
    widths = _fitted(tuple(minimum), tuple(natural), available, cells, size, lexicon)
    return share(widths, [max(w, n) for w, n in zip(widths, natural, strict=True)], available)


@functools.lru_cache(maxsize=256)
def _fitted(
    minimum: tuple[float, ...],
    natural: tuple[float, ...],
    available: float,
    cells: tuple[tuple[str, ...], ...],
    size: float,
    lexicon: Lexicon | None,
) -> tuple[float, ...]:
    """``fitted``'s widths before the room that saves no line is shared (cached: both writers,
    and the PDF's layout for the DOCX's contents, plan every table)."""
    count = len(minimum)

    def lines(column: int, width: float) -> list[int]:
        em = (width - CELL_EXTRA_PT) / size
        return [cell_lines(row[column], em, lexicon) if column < len(row) else 1 for row in cells]

    widths = list(minimum)
    spare = available - sum(widths)
    step = FIT_STEP_EM * size
    current = [lines(column, widths[column]) for column in range(count)]
    while spare >= step:
        fit = _Fit(current, widths, natural, spare, step, lines)
        move = fit.best()
        if not move:
            break
        for column, (grow, fewer) in move.items():
            widths[column] += grow
            spare -= grow
            current[column] = fewer
    return tuple(widths)


Move = dict[int, tuple[float, list[int]]]
"""Widths added to columns of a table (``fitted``): for each column the points added and its
cells' lines then."""

HEAD_LINE_WEIGHT = 1.25
"""What a line of a table's head counts for against a line of its body when ``fitted`` hands out
room: a little more, as the head is printed again on every page the table runs to and is what a
reader meets first; where a line of either costs about the same width, the head's goes (the
控规's 附表 had a head three lines tall beside a 配套设施 column wide enough for one line)."""

TIED_ROWS = 30
"""The most rows ``_Fit.row_moves`` looks at: rows whose tallest cells are in two or more
columns, which only widening all of them shortens (a head of several two-line labels)."""


@dataclass
class _Fit:
    """One round of ``fitted``: the columns' lines now, and the move that saves the most lines
    of the table for each point it takes."""

    current: Sequence[Sequence[int]]
    widths: Sequence[float]
    natural: Sequence[float]
    spare: float
    step: float
    lines: Callable[[int, float], list[int]]

    def best(self) -> Move:
        """The move saving the most lines per point: one column, or the columns of one row
        whose tallest cells they all are; empty when none saves a line."""
        heights = [max(row) for row in zip(*self.current, strict=True)]
        best: tuple[float, Move] = (0.0, {})
        for move in [*self.column_moves(heights), *self.row_moves(heights)]:
            cost = sum(grow for grow, _ in move.values())
            rate = self.saved(move, heights) / cost
            if rate > best[0] + 1e-9:
                best = (rate, move)
        return best[1]

    def saved(self, move: Move, heights: Sequence[int]) -> float:
        """The lines ``move`` takes off the table, a line of the head (the first row) counting
        ``HEAD_LINE_WEIGHT``."""
        columns = [move[n][1] if n in move else own for n, own in enumerate(self.current)]
        rows = zip(heights, zip(*columns, strict=True), strict=True)
        lines = 0.0
        for number, (height, row) in enumerate(rows):
            lines += (height - max(row)) * (HEAD_LINE_WEIGHT if number == 0 else 1.0)
        return lines

    def widened(
        self, column: int, shorter: Callable[[list[int]], bool]
    ) -> tuple[float, list[int]] | None:
        """The least width (in steps, within the lookahead, the spare room and the column's
        natural width) that makes ``shorter`` true of the column's lines, and those lines."""
        limit = min(self.spare, FIT_LOOKAHEAD_EM * self.step / FIT_STEP_EM)
        grow = self.step
        while (
            grow <= limit + 1e-9 and self.widths[column] + grow <= self.natural[column] + self.step
        ):
            fewer = self.lines(column, self.widths[column] + grow)
            if shorter(fewer):
                return grow, fewer
            if all(count <= 1 for count in fewer):
                return None
            grow += self.step
        return None

    def column_moves(self, heights: Sequence[int]) -> list[Move]:
        """For each column, the least widening of it alone that saves a line of the table."""
        by_row = [[*sorted(row, reverse=True), 1] for row in zip(*self.current, strict=True)]
        moves: list[Move] = []
        for index, own in enumerate(self.current):
            # each row's height without this column: its tallest other cell
            others = [
                row[1] if cell == row[0] else row[0] for cell, row in zip(own, by_row, strict=True)
            ]

            def saves(fewer: list[int], others: list[int] = others) -> bool:
                return any(max(o, f) < h for h, o, f in zip(heights, others, fewer, strict=True))

            found = self.widened(index, saves)
            if found is not None:
                moves.append({index: found})
        return moves

    def row_moves(self, heights: Sequence[int]) -> list[Move]:
        """For each row whose tallest cells are in two or more columns, the least widening of
        those columns that shortens it."""
        moves: list[Move] = []
        tied = [
            (row, [n for n, own in enumerate(self.current) if own[row] == height])
            for row, height in enumerate(heights)
        ]
        for row, columns in [(row, columns) for row, columns in tied if len(columns) > 1][
            :TIED_ROWS
        ]:
            move = self.row_move(row, columns)
            if move and sum(grow for grow, _ in move.values()) <= self.spare + 1e-9:
                moves.append(move)
        return moves

    def row_move(self, row: int, columns: Sequence[int]) -> Move:
        """The least widening of each of ``columns`` that takes a line off its cell in ``row``;
        empty when one of them cannot."""
        move: Move = {}
        for column in columns:
            height = self.current[column][row]

            def shorter(fewer: list[int], height: int = height) -> bool:
                return fewer[row] < height

            found = self.widened(column, shorter)
            if found is None:
                return {}
            move[column] = found
        return move


@dataclass(frozen=True, slots=True)
class TablePlan:
    """How a table is set: its columns' widths in points, its font size, and its page."""

    widths: tuple[float, ...]
    font_pt: float
    landscape: bool = False
    """True: on a landscape page of its own (its minimum widths do not fit the portrait block)."""
    smaller: bool = False
    """True: set below the table size because its minimum widths fit no page at that size."""
    overflows: bool = False
    """True: even at the smallest size its minimum widths do not fit; tokens may overflow."""
    crowded: bool = False
    """True: set one size smaller (五号) though its minimum widths fit at the table size, because
    there its long texts would run many lines down a narrow column (``CROWDED_LINES``). A
    typesetting choice, not a problem: no finding."""

    @property
    def resized(self) -> bool:
        """Whether the table is set at ``font_pt`` rather than the table size."""
        return self.smaller or self.crowded

    @property
    def percentages(self) -> list[float]:
        return percentages(self.widths)


def plan_table(
    needs: Sequence[ColumnNeeds],
    font_pt: float,
    width_pt: float,
    landscape_pt: float | None = None,
    rows: Sequence[Sequence[str]] = (),
    lexicon: Lexicon | None = None,
) -> TablePlan:
    """The layout of a table with ``needs`` across a text block ``width_pt`` wide: at ``font_pt``
    on the page it is on; else on a landscape page ``landscape_pt`` wide (None: already on one);
    else at the first smaller size whose minimum widths fit; else at the smallest size with
    widths in proportion to the minimums. With its ``rows`` (the texts ``needs`` measured) the
    widths are ``fitted`` to them, else ``share``d."""

    def attempt(size: float, available: float) -> list[float] | None:
        minimum = [need.minimum * size + CELL_EXTRA_PT for need in needs]
        if sum(minimum) > available:
            return None
        return _widths(needs, size, available, rows, lexicon)

    pages = [(width_pt, False)]
    if landscape_pt is not None and landscape_pt > width_pt:
        pages.append((landscape_pt, True))
    for available, landscape in pages:
        laid = attempt(font_pt, available)
        if laid is not None:
            plan = TablePlan(tuple(laid), font_pt, landscape)
            return _uncrowded(plan, needs, available, rows, lexicon)
    widest, landscape = pages[-1]
    sizes = [size for size in SMALLER_SIZES_PT if size < font_pt]
    for size in sizes:
        laid = attempt(size, widest)
        if laid is not None:
            return TablePlan(tuple(laid), size, landscape, smaller=True)
    size = sizes[-1] if sizes else font_pt
    minimum = [need.minimum * size + CELL_EXTRA_PT for need in needs]
    widths = [widest * low / sum(minimum) for low in minimum]
    return TablePlan(tuple(widths), size, landscape, smaller=bool(sizes), overflows=True)


def crowding(needs: Sequence[ColumnNeeds], widths: Sequence[float], size: float) -> float:
    """About how many lines the longest text of a narrow column (under ``NARROW_EM`` characters)
    runs to; 0 when no column is narrow."""
    lines = [0.0]
    for need, width in zip(needs, widths, strict=True):
        characters = max(width - CELL_EXTRA_PT, 1.0) / size
        if characters < NARROW_EM:
            lines.append(need.natural / characters)
    return max(lines)


def _widths(
    needs: Sequence[ColumnNeeds],
    size: float,
    available: float,
    rows: Sequence[Sequence[str]],
    lexicon: Lexicon | None,
) -> list[float]:
    """The columns' widths at ``size`` across ``available`` points (their minimums fit)."""
    minimum = [need.minimum * size + CELL_EXTRA_PT for need in needs]
    natural = [need.natural * size + CELL_EXTRA_PT for need in needs]
    if rows:
        return fitted(minimum, natural, available, rows, size, lexicon)
    return share(minimum, natural, available)


def _uncrowded(
    plan: TablePlan,
    needs: Sequence[ColumnNeeds],
    available: float,
    rows: Sequence[Sequence[str]] = (),
    lexicon: Lexicon | None = None,
) -> TablePlan:
    """``plan``, or the table one size smaller (五号) on the same page when at ``plan``'s size a
    narrow column runs more than ``CROWDED_LINES`` lines and the smaller size shortens it."""
    before = crowding(needs, plan.widths, plan.font_pt)
    size = next((size for size in SMALLER_SIZES_PT if size < plan.font_pt), None)
    if before <= CROWDED_LINES or size is None or size < SMALLER_SIZES_PT[0]:
        return plan
    widths = _widths(needs, size, available, rows, lexicon)
    if crowding(needs, widths, size) >= before:
        return plan
    return TablePlan(tuple(widths), size, plan.landscape, crowded=True)


def too_wide_message(plan: TablePlan, font_pt: float) -> str:
    """The finding (TP708) for a table set smaller than the table size."""
    page = "横向页面" if plan.landscape else "页面"
    if plan.overflows:
        return (
            f"表格过宽：按最小字号 {plan.font_pt:g} 磅排印仍放不下（{page}），部分数字或词语可能"
            "超出单元格；请减少列数或拆分表格"
        )
    return (
        f"表格过宽：{font_pt:g} 磅字号下{page}放不下各列的最小宽度，已按 {plan.font_pt:g} 磅排印；"
        "可减少列数或拆分表格"
    )


TOTAL_LABELS = ("合计", "总计")
"""A row whose first cell starts with one of these sums the rows above it."""
TOTAL_COMPANY = 2
"""Data rows a total row keeps on its page: never the repeated header and “合计” alone."""


ROWS_AT_A_FOOT = 3
"""Data rows a short table leaves at a page's foot when it breaks: never its header and one or
two rows there (a table of four rows or fewer is then whole)."""
ROWS_OVERLEAF = 2
"""Data rows a short table carries over the page: never one alone under the repeated header.
A table of five rows may part three and two, rather than leave half a page blank (the 控规's
表1 under its chapter heading)."""
SHORT_TABLE_LINES = 12
"""The most lines a table's data rows may run to, for it to be kept whole or in pieces of
``ROWS_AT_A_FOOT`` and ``ROWS_OVERLEAF`` rows: a taller table (the 公文 附件's 项目一览表, rows of five lines) may
not fit its page whole with its title, and a row of it is a good part of a page."""


def table_lines(rows: Sequence[Sequence[str]], column_em: Sequence[float], header: int) -> int:
    """How many lines the data rows of a table run to with columns ``column_em`` ems wide:
    each row as many as its fullest cell (a cell's text as written, one em a CJK character)."""
    lines = 0
    for row in rows[header:]:
        lines += max(
            (
                sum(max(1, math.ceil(text_em(part) / width - 0.01)) for part in text.split("\n"))
                for text, width in zip(row, column_em, strict=False)
                if width > 0
            ),
            default=1,
        )
    return lines


def kept_with_previous(
    rows: Sequence[Sequence[str]],
    header: int = 1,
    column_em: Sequence[float] = (),
    noted: bool = False,
) -> frozenset[int]:
    """Indexes of the rows of a table (``header`` rows first) that must not start a page: in a
    table of at most ``SHORT_TABLE_LINES`` lines (its columns ``column_em`` ems wide; none
    given: one line a row), the first ``ROWS_AT_A_FOOT`` and the last ``ROWS_OVERLEAF`` data
    rows but one each, so a break leaves at least that many before and after it; in any table
    each total row (``TOTAL_LABELS``) and the data rows that go with it (``TOTAL_COMPANY``), so
    that a page never holds a total without the rows it sums. A table with a note under it
    (``noted``, ``table_note``), which keeps its last row with the note, keeps its last
    ``ROWS_OVERLEAF`` rows together whatever its length: the note never takes one row alone
    over the page."""
    last = len(rows) - 1
    kept: set[int] = set()
    overleaf = range(max(header + 1, last - ROWS_OVERLEAF + 2), last + 1)
    if table_lines(rows, column_em or [math.inf], header) <= SHORT_TABLE_LINES:
        kept.update(range(header + 1, min(header + ROWS_AT_A_FOOT, last + 1)))
        kept.update(overleaf)
    if noted:
        kept.update(overleaf)
    for index, row in enumerate(rows):
        first = next((text.strip() for text in row if text.strip()), "")
        if index > header and first.startswith(TOTAL_LABELS):
            kept.update(range(max(header + 1, index - TOTAL_COMPANY + 1), index + 1))
    return frozenset(kept)


def percentages(weights: Sequence[float]) -> list[float]:
    total = sum(weights) or 1.0
    return [round(100 * weight / total, 2) for weight in weights]


def pt_to_mm(points: float) -> float:
    return points * 25.4 / 72


def mm_to_pt(millimetres: float) -> float:
    return millimetres * 72 / 25.4


EMPTY_CELL = "—"
"""What an empty body cell prints (a table's convention for “none / not applicable”)."""


# -- captions ------------------------------------------------------------------------------------------

_CAPTION = re.compile(r"表\s*[:：]\s*(\S.*)")
_NUMBERING = re.compile(
    r"^(?:第[一二三四五六七八九十百零〇\d]+[章节条]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]"
    r"|\d+(?:\.\d+)*[.、]?|附表?[：:]|附件\d*[：:]?)\s*"
)


def _before_table(tokens: Sequence[Token], index: int) -> Token | None:
    """The inline of the paragraph opened at ``index`` when a table comes right after it."""
    if index + 3 >= len(tokens) or tokens[index].type != "paragraph_open":
        return None
    inline, after = tokens[index + 1], tokens[index + 3]
    table = after.type == "table_open" or (after.type == "html_block" and is_table(after.content))
    return inline if inline.type == "inline" and table else None


def table_label(tokens: Sequence[Token], index: int) -> bool:
    """Whether the paragraph opened at ``index`` is a bold label of the table right after it
    (“**资金来源**” in a 项目简介): a heading in all but name, kept on the page of the table's
    first rows in both writers, never alone at a page's foot."""
    inline = _before_table(tokens, index)
    children = [
        c
        for c in (inline.children or () if inline else ())
        if c.type != "softbreak" and not (c.type == "text" and not c.content.strip())
    ]
    return (
        len(children) >= 3
        and children[0].type == "strong_open"
        and children[-1].type == "strong_close"
        and not any(c.type == "strong_open" for c in children[1:])
    )


TABLE_NOTE = re.compile(r"(?:注|说明|资料来源)\s*\d*\s*[：:]")
"""How the note under a table starts (“注：”, “注1：”, “说明：”, “资料来源：”)."""


def table_note(tokens: Sequence[Token], index: int) -> bool:
    """Whether the paragraph opened at ``index`` is the note under the table right before it
    (“注：“未达标”表示…”): it stays on the page of the table's last row in both writers, so a
    note never heads a page of its own or of the next section."""
    if not 0 < index < len(tokens) - 1 or tokens[index].type != "paragraph_open":
        return False
    inline = tokens[index + 1]
    return tokens[index - 1].type == "table_close" and bool(TABLE_NOTE.match(inline.content))


def gfm_table_texts(tokens: Sequence[Token], index: int) -> list[list[str]]:
    """The cell texts, as printed, of each row of the Markdown table opened at ``index``."""
    rows: list[list[str]] = []
    for token in tokens[index:]:
        if token.type == "table_close":
            break
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "inline" and rows:
            rows[-1].append(mdparser.inline_text(token))  # as printed, escapes resolved
    return rows


TableFamilies = Mapping[tuple[str, ...], Sequence[Sequence[str]]]
"""Tables of one document that share their head row: the head, then every table's rows."""


def table_families(streams: Iterable[Sequence[Token]]) -> TableFamilies:
    """The Markdown tables of a document (its parts' token ``streams``) that share their head
    row with another, as one table each: the head, then the rows of every table that has it.
    Both writers plan such a table on its family's rows where that costs it nothing
    (``plan_in_family``), so the same table repeated (each project's 报建手续 in the 汇编)
    keeps the same columns from page to page instead of widths fitted to each one's own rows
    (review27 T14, review28 #10)."""
    found: dict[tuple[str, ...], list[Sequence[str]]] = {}
    counts: dict[tuple[str, ...], int] = {}
    for tokens in streams:
        for index, token in enumerate(tokens):
            texts = gfm_table_texts(tokens, index) if token.type == "table_open" else []
            if not texts:
                continue
            head, *rows = texts
            key = tuple(head)
            found.setdefault(key, [head]).extend(rows)
            counts[key] = counts.get(key, 0) + 1
    return {key: rows for key, rows in found.items() if counts[key] > 1}


def plan_in_family(
    rows: Sequence[Sequence[str]],
    families: TableFamilies,
    plan: Callable[[Sequence[Sequence[str]]], TablePlan],
) -> TablePlan:
    """The layout of a table of ``rows`` (``plan`` lays out a table of the rows it is given): its
    family's (``table_families``), planned on all the family's rows, when that costs the table
    no line, its page or its size; else its own. Most repeated tables lose nothing (the
    汇编's 报建手续, 资金来源 and 项目 tables); a town's table in the 通报 can lose two or three
    lines to its family's widths, and with them the page it shared with the next town."""
    own = plan(rows)
    family = families.get(tuple(rows[0])) if rows else None
    if family is None:
        return own
    shared = plan(family)
    if (shared.font_pt, shared.landscape) != (own.font_pt, own.landscape):
        return own
    lines = [table_lines(rows, room_em(laid), 0) for laid in (shared, own)]
    return shared if lines[0] <= lines[1] else own


def room_em(plan: TablePlan) -> list[float]:
    """The room in each column of ``plan`` for text, in ems of its font."""
    return [(width - CELL_EXTRA_PT) / plan.font_pt for width in plan.widths]


def table_after_heading(tokens: Sequence[Token], index: int) -> int | None:
    """The index of the Markdown table right after the heading opened at ``index`` (a caption
    paragraph, “表：…”, may stand between them), or None: a heading that goes onto the
    landscape page of its table, never alone at the foot of the portrait page before it."""
    if tokens[index].type != "heading_open":
        return None
    at = index + 3
    if caption_paragraph(tokens, at) is not None:
        at += 3
    return at if at < len(tokens) and tokens[at].type == "table_open" else None


def caption_paragraph(tokens: Sequence[Token], index: int) -> str | None:
    """The title a caption paragraph gives the table right after it: “表：技术经济指标” (a
    paragraph of that one line directly before a table), else None."""
    inline = _before_table(tokens, index)
    if inline is None:
        return None
    if any(child.type not in ("text", "softbreak") for child in inline.children or ()):
        return None
    match = _CAPTION.fullmatch(inline.content.strip())
    return match.group(1).strip() if match else None


def heading_title(text: str) -> str:
    """A heading's text as a table title: without its number (“七、技术经济指标” -> 技术经济指标)."""
    return _NUMBERING.sub("", text.strip(), count=1).strip() or text.strip()


_NAMED_SCHEDULE = re.compile(r"^附表\d*[：:]\s*\S")


def heading_names_its_table(heading: str) -> bool:
    """Whether a heading is the title of the table under it (“附表：地块指标一览表”): the table
    then gets no caption of its own, which would say the same again (“表 2  地块指标一览表”)."""
    return bool(_NAMED_SCHEDULE.match(heading.strip()))


def caption_text(number: int, title: str) -> str:
    """“表 1  地块指标一览表”, or “表 1” for a table without a title."""
    return f"表 {number}  {title}" if title else f"表 {number}"


# -- images, pages and places ---------------------------------------------------------------------------


def local_file(source: str, base_dir: Path, root: Path) -> Path | None:
    """The local file a relative link names, if it exists inside ``root``; never a remote URL."""
    if not source or ":" in source.split("/")[0] or source.startswith("/"):
        return None
    path = (base_dir / unquote(source)).resolve()
    if not path.is_relative_to(root.resolve()) or not path.is_file():
        return None
    return path


def text_block(section: Any) -> tuple[int, int]:
    """(width, height) of a python-docx section's text block in EMU (914400 per inch)."""
    width = (section.page_width or 0) - (section.left_margin or 0) - (section.right_margin or 0)
    height = (section.page_height or 0) - (section.top_margin or 0) - (section.bottom_margin or 0)
    return int(width), int(height)


def missing_image(alt: str, source: str) -> str:
    """What stands where an image cannot be shown: its alt text stays in the sentence, followed by
    a visible note, e.g. 镇区综合交通规划图【缺：图片 drawings/05-roads.png】."""
    return f"{alt}【缺：图片 {source}】"


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a token stream comes from, so that what a writer reports names the right place."""

    path: str | None = None
    """The workspace-relative file (a town's Markdown file, or the template a part is generated
    from); None when not known (a writer used on its own)."""
    generated: bool = False
    """True for a part generated from a template: its token lines are not the template's lines."""

    def ref(self, line: int | None) -> SourceRef | None:
        """The place of a 0-based token line (the file alone when the line means nothing there)."""
        if self.path is None:
            return None
        return SourceRef(self.path, None if self.generated or line is None else line + 1)


UNKNOWN = Origin()
"""The origin of a token stream written on its own (a test, a benchmark): problems carry no place."""
