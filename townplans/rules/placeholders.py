"""TP120 placeholders (完整性): words and patterns from the profile's ``review.placeholders`` that
stand where a fact should be (待定, XXX, 某某, 详见… with nothing behind it), in any line of text or
any YAML value. A value that is nothing but a placeholder in a field the profile types is TP202's;
the scaffold's 【待填写】 is TP104's and TP202's."""

from __future__ import annotations

from collections.abc import Iterator

from townplans.model import Located, Severity
from townplans.profile import Review
from townplans.rules import Context, Problem, rule
from townplans.rules.reading import lines, yaml_files, yaml_strings
from townplans.values import PLACEHOLDER, is_placeholder


def _found(text: str, review: Review) -> str | None:
    """The placeholder in ``text``, if any."""
    if PLACEHOLDER in text:
        return None
    for word in review.placeholder_words:
        if word in text:
            return word
    for pattern in review.placeholder_patterns:
        match = pattern.search(text)
        if match is not None:
            return match.group(0).strip() or match.group(0)
    return None


def _typed_keys(ctx: Context) -> set[str]:
    """Field keys whose whole-placeholder values TP202 already reports."""
    return {key for doctype in ctx.profile.documents.values() for key in doctype.fields}


@rule("TP120", "placeholder", Severity.WARNING, "仍有占位内容（待定、XXX、某某、详见…而无下文）")
def placeholder(ctx: Context) -> Iterator[Problem]:
    review = ctx.profile.review
    typed = _typed_keys(ctx)
    for located in yaml_files(ctx.the_town):
        yield from _yaml(located, review, typed)
    for markdown in ctx.the_town.markdown_files():
        for line in lines(markdown):
            found = _found(line.text, review)
            if found is not None:
                yield Problem(line.ref, _message(found, line.text))


def _yaml(located: Located, review: Review, typed: set[str]) -> Iterator[Problem]:
    for path, value in yaml_strings(located):
        found = _found(value, review)
        if found is None:
            continue
        if len(path) == 1 and path[0] in typed and is_placeholder(value):
            continue  # TP202: the field is still a placeholder
        yield Problem(located.ref_of(*path), _message(found, value))


def _message(found: str, text: str) -> str:
    shown = text if len(text) <= 40 else text[:39] + "…"
    return f"“{shown}”中有占位内容“{found}”：请填写实际内容（或写明尚未确定的原因和确定时间）"
