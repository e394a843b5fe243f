"""Two texts compared character by character, cleaned up so that changes read as phrases.

Chinese has no spaces between words, so a word-level diff is wrong and a raw character diff
reads as noise (“规划[-面积-][+用地+]” split into single shared characters). The comparison is
Myers' algorithm on characters (``diff-match-patch``) followed by its semantic cleanup, which
folds short runs of shared characters between two changes into the change, and then by
``whole_numbers``: a number is a value, so a change inside one shows the whole number
(“2.1”→“2.3”, never “2.[-1][+3]”).
"""

from __future__ import annotations

from diff_match_patch import diff_match_patch

from townplans.revision.model import Segment

_OPS: dict[int, str] = {0: "=", 1: "+", -1: "-"}


def _engine() -> diff_match_patch:
    engine = diff_match_patch()
    engine.Diff_Timeout = (
        0  # exact: never give up on a long paragraph and report a wholesale change
    )
    return engine


def compare(old: str, new: str) -> tuple[Segment, ...]:
    """The segments that turn ``old`` into ``new``: the ``=`` and ``-`` pieces joined are
    ``old``, the ``=`` and ``+`` pieces joined are ``new``."""
    if old == new:
        return (Segment("=", old),) if old else ()
    engine = _engine()
    diffs = engine.diff_main(old, new, False)
    engine.diff_cleanupSemantic(diffs)
    segments = tuple(Segment(_OPS[op], text) for op, text in diffs if text)  # type: ignore[arg-type]
    return whole_numbers(segments)


NUMERIC = frozenset("0123456789.%０１２３４５６７８９．％")
"""The characters of a number as plans write it: digits (half- and full-width), the decimal
point and the percent sign."""


def whole_numbers(segments: tuple[Segment, ...]) -> tuple[Segment, ...]:
    """``segments`` with every change that begins or ends inside a number widened to the whole
    number, on both sides (the shared digits move into the ``-`` and the ``+`` piece alike, so
    both texts are still given back)."""
    groups = _groups(segments)
    changed = True
    while changed:
        changed = False
        for index, group in enumerate(groups):
            if isinstance(group, str):
                continue
            removed, added = group
            before = groups[index - 1] if index and isinstance(groups[index - 1], str) else ""
            after = (
                groups[index + 1]
                if index + 1 < len(groups) and isinstance(groups[index + 1], str)
                else ""
            )
            head = _numeric_run(str(before), reverse=True) if _starts_numeric(group) else ""
            tail = _numeric_run(str(after)) if _ends_numeric(group) else ""
            if not _has_digit(head + removed + added):
                head = ""
            if not _has_digit(tail + removed + added):
                tail = ""
            if head or tail:
                groups[index] = (head + removed + tail, head + added + tail)
                if head:
                    groups[index - 1] = str(before)[: len(str(before)) - len(head)]
                if tail:
                    groups[index + 1] = str(after)[len(tail) :]
                groups = _merged(groups)
                changed = True
                break
    return _segments(groups)


_Group = str | tuple[str, str]
"""Shared text, or a change: (removed, added)."""


def _groups(segments: tuple[Segment, ...]) -> list[_Group]:
    groups: list[_Group] = []
    for segment in segments:
        if segment.op == "=":
            groups.append(segment.text)
            continue
        removed, added = ("", "")
        last = groups[-1] if groups else ""
        if isinstance(last, tuple):
            removed, added = last
            groups.pop()
        if segment.op == "-":
            removed += segment.text
        else:
            added += segment.text
        groups.append((removed, added))
    return groups


def _merged(groups: list[_Group]) -> list[_Group]:
    """Empty shared texts dropped and the changes on either side of them joined."""
    merged: list[_Group] = []
    for group in groups:
        if group == "":
            continue
        last = merged[-1] if merged else ""
        if isinstance(group, tuple) and isinstance(last, tuple):
            merged.pop()
            group = (last[0] + group[0], last[1] + group[1])
        merged.append(group)
    return merged


def _segments(groups: list[_Group]) -> tuple[Segment, ...]:
    result: list[Segment] = []
    for group in groups:
        if isinstance(group, str):
            result.append(Segment("=", group))
            continue
        removed, added = group
        if removed:
            result.append(Segment("-", removed))
        if added:
            result.append(Segment("+", added))
    return tuple(result)


def _starts_numeric(group: tuple[str, str]) -> bool:
    return any(text[:1] in NUMERIC for text in group if text)


def _ends_numeric(group: tuple[str, str]) -> bool:
    return any(text[-1:] in NUMERIC for text in group if text)


def _numeric_run(text: str, reverse: bool = False) -> str:
    """The numeric characters at the end (``reverse``) or the start of ``text``."""
    count = 0
    for char in reversed(text) if reverse else text:
        if char not in NUMERIC:
            break
        count += 1
    if not count:
        return ""
    return text[len(text) - count :] if reverse else text[:count]


def _has_digit(text: str) -> bool:
    return any(char.isdigit() for char in text)


def old_text(segments: tuple[Segment, ...]) -> str:
    return "".join(s.text for s in segments if s.op != "+")


def new_text(segments: tuple[Segment, ...]) -> str:
    return "".join(s.text for s in segments if s.op != "-")


def similarity(old: str, new: str) -> float:
    """The share of characters the two texts have in common (0–1), for aligning paragraphs."""
    if not old and not new:
        return 1.0
    shared = sum(len(s.text) for s in compare(old, new) if s.op == "=")
    return 2 * shared / (len(old) + len(new))
