"""TP9xx meta: the profile's own mistakes, and waivers that cannot be honoured or are stale."""

from __future__ import annotations

from collections.abc import Iterator

from townplans.model import Severity
from townplans.rules import Context, Problem, rule
from townplans.rules.loading import surface
from townplans.waivers import Waiver, all_waivers


def _waivers(ctx: Context) -> list[Waiver]:
    """Every waiver (district and towns); findings in towns not checked are left out later."""
    return all_waivers(ctx.workspace)


rule("TP901", "profile-invalid", Severity.ERROR, "规则文件 profile.yaml 有错误", scope="district")(
    surface("TP901")
)


rule(
    "TP990",
    "internal-error",
    Severity.ERROR,
    "处理某个文件或镇时出现意外错误（其他文件和镇照常检查）",
    scope="district",
)(surface("TP990"))


@rule(
    "TP902",
    "waiver-incomplete",
    Severity.ERROR,
    "豁免缺少原因或批准人、范围超出本镇，或写法无效（不生效）",
    scope="district",
)
def waiver_incomplete(ctx: Context) -> Iterator[Problem]:
    for waiver in _waivers(ctx):
        for problem in waiver.problems:
            yield Problem(waiver.ref, f"{problem}：该豁免不生效")


@rule(
    "TP903",
    "waiver-expired",
    Severity.WARNING,
    "豁免已过期（不再生效）",
    scope="district",
    after_others=True,
)
def waiver_expired(ctx: Context) -> Iterator[Problem]:
    for waiver in _waivers(ctx):
        if waiver.complete and waiver.expired(ctx.today):
            yield Problem(
                waiver.ref,
                f"对 {waiver.code} 的豁免已于 {waiver.expires} 过期，不再生效：请整改或重新审批",
            )


@rule(
    "TP904",
    "waiver-unused",
    Severity.WARNING,
    "豁免没有对应的问题（已整改或写错了范围）",
    scope="district",
    after_others=True,
)
def waiver_unused(ctx: Context) -> Iterator[Problem]:
    for waiver in _waivers(ctx):
        if not waiver.complete or waiver.expired(ctx.today) or str(waiver.ref) in ctx.used_waivers:
            continue
        if waiver.town is None and ctx.partial:
            continue  # a district waiver may cover a town this run does not check
        if not any(code.startswith(waiver.code) for code in ctx.selected):
            continue
        message = f"对 {waiver.code} 的豁免（范围 {waiver.scope}）没有对应的问题：问题可能已整改，请删除该豁免"
        yield Problem(waiver.ref, message)
