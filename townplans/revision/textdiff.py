"""Two texts compared character by character, cleaned up so that changes read as phrases.

Chinese has no spaces between words, so a word-level diff is wrong and a raw character diff
reads as noise (“规划[-面积-][+用地+]” split into single shared characters). The comparison is
Myers' algorithm on characters (``diff-match-patch``) followed by its semantic cleanup, which
folds short runs of shared characters between two changes into the change.
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
    return tuple(Segment(_OPS[op], text) for op, text in diffs if text)  # type: ignore[arg-type]


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
