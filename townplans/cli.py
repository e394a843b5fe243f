"""Command line: parse options, call one pipeline function, print, map outcomes to exit codes.

The only module that imports click. Exit codes: 0 done, 1 errors in the result (failed outputs,
failed environment checks), 2 usage or tool error, 130 stopped with Ctrl+C. A user's mistake never
shows a traceback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from townplans import __version__, clitext, pipeline
from townplans.pipeline import (
    DISTRICT_LABEL,
    Cell,
    Finding,
    Matrix,
    Selection,
    Severity,
    State,
    ValueFormatError,
    errortext,
    find_workspace,
    os_error,
    parse_date,
    shown,
)

if TYPE_CHECKING:  # rich is imported where it prints (check's report needs none of it)
    from rich.console import Console

clitext.install()  # click's own texts (usage, errors, the help option) in Chinese

T = TypeVar("T")
_STATE_STYLE = {State.PRESENT: "green", State.INCOMPLETE: "yellow", State.MISSING: "red"}
_SEVERITY_STYLE = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


class Context:
    """Options shared by every command; they may stand before or after the command's name."""

    def __init__(self) -> None:
        self.root_option: Path | None = None
        self.quiet = False
        self.verbose = False

    @cached_property
    def console(self) -> Console:
        from rich.console import Console

        return Console(highlight=False, soft_wrap=True)

    @cached_property
    def errors(self) -> Console:
        from rich.console import Console

        return Console(stderr=True, highlight=False, soft_wrap=True)

    @property
    def root(self) -> Path:
        """The workspace: ``--root`` or the current folder, or the nearest folder above it that
        holds ``towns/`` (as git finds its repository from any subfolder)."""
        start = self.root_option or Path.cwd()
        return find_workspace(start) or start

    def say(self, text: str, style: str | None = None) -> None:
        if not self.quiet:
            self.console.print(text, style=style, markup=False)


def _shared(click_ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """Store a shared option given at any level (group or command) on the ``Context``."""
    ctx = click_ctx.ensure_object(Context)
    if param.name == "root" and value is not None:
        ctx.root_option = Path(value)
    elif param.name == "debug" and value:
        os.environ["TOWNPLANS_DEBUG"] = "1"  # worker processes inherit it
    elif value and param.name in ("quiet", "verbose"):
        setattr(ctx, param.name, True)


def _shared_options() -> list[click.Parameter]:
    return [
        click.Option(
            ["--root"], type=click.Path(file_okay=False, path_type=Path), default=None,
            expose_value=False, callback=_shared, metavar="文件夹",
            help="工作区根目录（默认：当前文件夹，或它上级中第一个含 towns/ 的文件夹）",
        ),
        click.Option(["--quiet", "-q"], is_flag=True, expose_value=False, callback=_shared,
                     help="只输出错误"),
        click.Option(["--verbose", "-v"], is_flag=True, expose_value=False, callback=_shared,
                     help="输出详细说明"),
        click.Option(["--debug"], is_flag=True, expose_value=False, callback=_shared,
                     help="出错时显示程序的详细调用栈（向维护者报告问题时使用）"),
    ]  # fmt: skip


class _ClickContext(click.Context):
    formatter_class = clitext.HelpFormatter


class _Command(click.Command):
    """A command with Chinese usage metavars that also takes the shared options."""

    context_class = _ClickContext

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[选项]")
        super().__init__(*args, **kwargs)
        self.params.extend(_shared_options())


class _Group(click.Group):
    command_class = _Command
    context_class = _ClickContext

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[选项]")
        kwargs.setdefault("subcommand_metavar", "命令 [参数]...")
        super().__init__(*args, **kwargs)
        self.params.extend(_shared_options())

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; Ctrl+C (SIGINT) ends it with 已中止 and exit code 130, the shell's
        code for a command stopped by SIGINT (click would say "Aborted!" and exit 1, the code for
        a failed output). The command has cleaned up by then: ``build`` stops its workers,
        removes its temporary files and releases the build lock as the interrupt unwinds."""
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("\ntownplans: 已中止", err=True)
            if errortext.debugging():
                click.echo(traceback.format_exc(), err=True)
            sys.exit(INTERRUPTED)


INTERRUPTED = 130
"""Exit code after Ctrl+C: 128 + SIGINT, as shells report a command the signal stopped."""


_Group.group_class = _Group


def _examples(*lines: str) -> str:
    """An epilog of examples, kept as written by click (the \\b marker stops re-wrapping)."""
    return "\b\n示例：\n" + "\n".join(f"  {line}" for line in lines)


def _call(ctx: Context, action: Callable[[], T]) -> T:
    """Run a pipeline step; whatever stops it is printed in Chinese and exits 2, never a traceback
    (unless ``--debug`` asks for one)."""
    try:
        return action()
    except pipeline.ToolError as exc:  # control characters a user typed are shown, never echoed
        ctx.errors.print(f"townplans: {shown(str(exc), keep=chr(10))}", style="red", markup=False)
    except OSError as exc:
        ctx.errors.print(f"townplans: {os_error(exc)}", style="red", markup=False)
        _debug_traceback(ctx)
    except Exception as exc:  # noqa: BLE001 - the last guard: a user never sees a traceback
        # Chinese only; the exception's class and English text come with the traceback (--debug)
        said = errortext.what_happened(exc)
        ctx.errors.print(f"townplans: {said}", style="red", markup=False)
        if not _debug_traceback(ctx):
            ctx.errors.print(f"{errortext.ASK_DEBUG}，{errortext.REPORT}", markup=False)
    sys.exit(2)


def _debug_traceback(ctx: Context) -> bool:
    if not errortext.debugging():
        return False
    ctx.errors.print(traceback.format_exc(), markup=False)
    return True


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=_examples("townplans check", "townplans build --town weicheng", "townplans status -v"),
)
@click.version_option(
    __version__, "--version", prog_name="townplans", message="%(prog)s %(version)s"
)
@click.pass_context
def cli(click_ctx: click.Context) -> None:
    """townplans：小城镇规划建设材料的编写、检查与成果生成。

    在工作区（含 towns/ 的文件夹）或其任一子文件夹中运行；共用选项（--root、-q、-v、--debug）可写在命令名之前或之后。

    退出码：0 完成，1 结果中有错误，2 用法或工具错误，130 按 Ctrl+C 中止。
    """
    click_ctx.ensure_object(Context)


pass_ctx = click.make_pass_decorator(Context)


# -- init and new --------------------------------------------------------------------------------


@cli.command(epilog=_examples("townplans init 我的区 --name 咸阳市某某区 --year 2024"))
@click.argument(
    "directory", type=click.Path(file_okay=False, path_type=Path), default=".", metavar="文件夹"
)
@click.option(
    "--name", default="【待填写：区名称】", metavar="区名", help="区名称，如 咸阳市渭城区"
)
@click.option(
    "--year", type=click.IntRange(1900, 2100), default=dt.date.today().year, metavar="年份",
    help="规划年度（默认今年）：写入 district.yaml 的规划年度、实施方案名称和各阶段日期",
)  # fmt: skip
@pass_ctx
def init(ctx: Context, directory: Path, name: str, year: int) -> None:
    """在“文件夹”中创建新工作区（模板副本和 towns/district.yaml）。"""
    written = _call(ctx, lambda: pipeline.run_init(directory, name, year))
    _print_written(ctx, written.files, written.note)


@cli.group(
    epilog=_examples(
        "townplans new town hexi --name 河西镇",
        "townplans new project hexi main-road --name 河西大街改造工程",
        "townplans new plan hexi river-street --name 滨河街修建性详细规划 --kind site",
        "townplans new report hexi --date 2024-08-02",
    )
)
def new() -> None:
    """按规则文件生成新的镇、项目、规划或周报。

    文件夹名只能用小写英文字母、数字和连字符，且不能是 Windows 保留的设备名（con、nul、aux、prn、com1–9、lpt1–9）。
    """


@new.command("town", epilog=_examples("townplans new town hexi --name 河西镇"))
@click.argument("slug", metavar="镇文件夹名")
@click.option("--name", required=True, metavar="镇名", help="镇名称，如 渭城镇")
@pass_ctx
def new_town(ctx: Context, slug: str, name: str) -> None:
    """新建镇文件夹 towns/<镇文件夹名>/（小写英文，如 hexi；不能是 con、nul、com1 等 Windows 保留的设备名）及其全部文档骨架。"""
    written = _call(ctx, lambda: pipeline.run_new_town(ctx.root, slug, name))
    _print_written(ctx, written.files, written.note)


@new.command(
    "project", epilog=_examples("townplans new project hexi main-road --name 河西大街改造工程")
)
@click.argument("town", metavar="镇文件夹名")
@click.argument("slug", metavar="项目文件夹名")
@click.option("--name", required=True, metavar="项目名", help="项目名称，如 河西大街改造工程")
@pass_ctx
def new_project(ctx: Context, town: str, slug: str, name: str) -> None:
    """新建项目 towns/<镇>/projects/<项目>/：项目简介骨架和照片、图纸、展板、报建资料文件夹。"""
    written = _call(ctx, lambda: pipeline.run_new_project(ctx.root, town, slug, name))
    _print_written(ctx, written.files, written.note)


@new.command(
    "plan",
    epilog=_examples(
        "townplans new plan hexi river-street --name 滨河街修建性详细规划 --kind site"
    ),
)
@click.argument("town", metavar="镇文件夹名")
@click.argument("slug", metavar="规划文件夹名")
@click.option("--name", required=True, metavar="规划名", help="规划名称，如 滨河街修建性详细规划")
@click.option(
    "--kind",
    type=click.Choice(["regulatory", "site"]),
    required=True,
    help="regulatory 控规 / site 修规",
)
@pass_ctx
def new_plan(ctx: Context, town: str, slug: str, name: str, kind: str) -> None:
    """新建详细规划 towns/<镇>/detailed-plans/<规划>/（控规含 parcels.yaml 地块指标骨架）。"""
    written = _call(ctx, lambda: pipeline.run_new_plan(ctx.root, town, slug, name, kind))
    _print_written(ctx, written.files, written.note)


def _report_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None  # one interval after the previous report (today for the first)
    try:
        parsed: dt.date = parse_date(value).value
    except ValueFormatError as exc:
        raise click.BadParameter(str(exc)) from exc
    return parsed


@new.command("report", epilog=_examples("townplans new report hexi --date 2024-08-02"))
@click.argument("town", metavar="镇文件夹名")
@click.option(
    "--date",
    callback=_report_date,
    metavar="日期",
    help="报送日期，如 2024-08-02（默认：上一期周报之后一周；第一期为今天）",
)
@pass_ctx
def new_report(ctx: Context, town: str, date: dt.date | None) -> None:
    """新建周报 towns/<镇>/reports/<日期>.md，列出该镇全部项目。"""
    written = _call(ctx, lambda: pipeline.run_new_report(ctx.root, town, date))
    _print_written(ctx, written.files, written.note)


def _print_written(ctx: Context, files: Sequence[Path], note: str) -> None:
    for path in files:
        ctx.say(f"已创建 {path}")
    if note:
        ctx.say(note)


# -- status ----------------------------------------------------------------------------------------


@cli.command(
    epilog=_examples("townplans status", "townplans status -v", "townplans status --format json")
)
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text",
    help="输出格式：text 表格（默认）或 json",
)  # fmt: skip
@pass_ctx
def status(ctx: Context, output_format: str) -> None:
    """各镇交付成果矩阵：齐全、不完整、缺失，另有一行区级材料（依据检查结果；-v 列出每项的全部说明）。

    区级材料（towns/district.yaml 等）有错误时各镇都不能打包。

    退出码：0 没有错误，1 有错误（与 check 相同，含区级材料的错误），2 用法或工具错误（如不在工作区中），130 按 Ctrl+C 中止。
    """
    session, result = _call(ctx, lambda: pipeline.run_status(ctx.root))
    if output_format == "json":
        click.echo(json.dumps(_status_json(result), ensure_ascii=False, indent=2))
        sys.exit(1 if result.failed else 0)
    from rich.cells import cell_len
    from rich.table import Table

    deliverables = session.profile.deliverables
    table = Table(
        title=f"{session.workspace.district.name} 交付成果（规则版本 {session.profile.version}）"
    )
    # The town is what a row is read by: it keeps its whole name, and the states wrap instead.
    table.add_column(
        "镇", no_wrap=True, min_width=max((cell_len(r.name) for r in result.towns), default=2)
    )
    for deliverable in deliverables:
        table.add_column(deliverable.label, justify="center", overflow="fold")
    table.add_column("成果文件", justify="center", overflow="fold")
    for row in result.towns:
        cells = [f"[{_STATE_STYLE[c.state]}]{c.state.label}[/]" for c in row.cells.values()]
        table.add_row(row.name, *cells, _outputs_cell(result.outputs_of(row.slug)))
    ctx.console.print(table)
    district = result.district
    blocked = "——有错误，须先整改或经批准豁免；在此之前各镇都不能打包" if result.blocked else ""
    ctx.console.print(
        f"{DISTRICT_LABEL}（towns/district.yaml 等）：[{_STATE_STYLE[district.state]}]"
        f"{district.state.label}[/]{blocked}"
    )
    _print_notes(ctx, DISTRICT_LABEL, district.notes)
    for row in result.towns:
        for deliverable in deliverables:
            _print_notes(ctx, f"{row.name} · {deliverable.label}", row.cells[deliverable.key].notes)
    for slug, label in [*((row.slug, row.name) for row in result.towns), ("", DISTRICT_LABEL)]:
        stale = [f"{o.name}：{o.reason}" for o in result.outputs_of(slug) if not o.current]
        _print_notes(ctx, f"{label} · 成果文件需生成", stale)
    sys.exit(1 if result.failed else 0)


def _outputs_cell(outputs: Sequence[Any]) -> str:
    """A town's outputs in build/: all current, or how many a build would (re)make."""
    stale = sum(not o.current for o in outputs)
    if not outputs:
        return "—"
    if stale == 0:
        return f"[green]最新 {len(outputs)}[/]"
    return f"[yellow]需生成 {stale}/{len(outputs)}[/]"


def _print_notes(ctx: Context, label: str, notes: Sequence[str]) -> None:
    """A cell's notes: the first three, or all with -v."""
    shown_notes = notes if ctx.verbose else notes[:3]
    for note in shown_notes:
        ctx.say(f"  {label}：{note}")
    if len(notes) > len(shown_notes):
        ctx.say(f"  {label}：……另有 {len(notes) - len(shown_notes)} 条（加 -v 查看）")


def _status_json(result: Matrix) -> dict[str, Any]:
    def cell(c: Cell) -> dict[str, Any]:
        return {"state": c.state.value, "label": c.state.label, "notes": list(c.notes)}

    return {
        "failed": result.failed,
        "district": {
            "name": DISTRICT_LABEL,
            "blocks_packages": result.blocked,
            **cell(result.district),
            "outputs": [
                {"name": o.name, "current": o.current, "reason": o.reason}
                for o in result.outputs_of("")
            ],
        },
        "towns": [
            {
                "town": row.slug,
                "name": row.name,
                "deliverables": {key: cell(c) for key, c in row.cells.items()},
                "outputs": [
                    {"name": o.name, "current": o.current, "reason": o.reason}
                    for o in result.outputs_of(row.slug)
                ],
            }
            for row in result.towns
        ],
    }


# -- doctor ----------------------------------------------------------------------------------------


@cli.command(epilog=_examples("townplans doctor"))
@pass_ctx
def doctor(ctx: Context) -> None:
    """检查运行环境：中文字体、Pango、HarfBuzz 子集化、依赖版本、规则文件。"""
    checks = pipeline.run_doctor(ctx.root)
    failed = False
    for check in checks:
        mark = "[green]✔[/]" if check.ok else ("[red]✘[/]" if check.required else "[yellow]![/]")
        ctx.console.print(f"{mark} {check.name}：", end="")
        ctx.console.print(check.found, markup=False)
        if not check.ok and check.advice:
            ctx.console.print(f"    解决办法：{check.advice}", markup=False)
        failed = failed or (check.required and not check.ok)
    sys.exit(1 if failed else 0)


# -- build -----------------------------------------------------------------------------------------


@cli.command(
    epilog=_examples(
        "townplans build",
        "townplans build --town weicheng",
        "townplans build --dry-run",
        "townplans build --force -j 4 --pdfa",
    )
)
@click.option(
    "--town", "towns", multiple=True, metavar="镇文件夹名", help="只生成这个镇（可多次指定）"
)
@click.option("--pdfa", is_flag=True, help="生成 PDF/A-2b 归档格式")
@click.option("--force", is_flag=True, help="全部重新生成（不看是否变化）")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(1, 64),
    default=os.cpu_count() or 1,
    metavar="进程数",
    help=f"并行进程数（默认 {os.cpu_count() or 1}，即 CPU 核数）",
)
@click.option("--dry-run", is_flag=True, help="只列出将重建和删除的成果及原因，不生成")
@click.option(
    "--wait", type=click.FloatRange(0), default=0.0, metavar="秒",
    help="另一个构建进行中时最多等待的秒数（默认不等待）",
)  # fmt: skip
@pass_ctx
def build(
    ctx: Context,
    towns: tuple[str, ...],
    pdfa: bool,
    force: bool,
    jobs: int,
    dry_run: bool,
    wait: float,
) -> None:
    """生成各镇成果（Word、PDF、观摩图册、检查报告）和区级汇总到 build/；只重建有变化的成果。

    材料有错误时仍会生成（缺失部分以【缺：…】标出）并在最后列出检查结果。
    退出码：0 成果全部生成（不论材料检查是否通过），1 有成果生成失败，2 用法或工具错误，130 按 Ctrl+C 中止（已生成的成果保留，临时文件删除，构建锁释放）。
    """
    variant = "pdf/a-2b" if pdfa else None
    with _progress(ctx) as progress:
        outcome = _call(
            ctx,
            lambda: pipeline.build_answer(
                ctx.root,
                towns,
                variant,
                force=force,
                jobs=jobs,
                dry_run=dry_run,
                wait=wait,
                progress=progress,
            ),
        )
    built = outcome.report
    for note in built.notes:
        ctx.say(note)
    _print_findings(ctx, outcome.findings)
    if dry_run:
        ctx.say(
            f"将重建 {len(built.built)} 个，未变化 {len(built.up_to_date)} 个，将删除 {len(built.removed)} 个（未生成任何文件）"
        )
        return
    from rich.table import Table

    root = outcome.root
    table = Table(title="构建结果", show_header=True)
    for column in ("已生成", "未变化", "删除", "失败", "照片处理", "照片缓存"):
        table.add_column(column, justify="right")
    table.add_row(*map(str, (len(built.built), len(built.up_to_date), len(built.removed), len(built.failed),
                             built.photos_prepared, built.photos_cached)))  # fmt: skip
    if not ctx.quiet:
        ctx.console.print(table)
    errors = list(outcome.errors)
    _print_findings(ctx, errors)
    ctx.say(f"材料{outcome.summary}")
    if outcome.index is not None:
        ctx.say(f"成果目录：{outcome.index.relative_to(root)}")
    if errors:
        ctx.say("运行 townplans check 查看全部问题（含警告和提示）。")
    sys.exit(1 if outcome.failed else 0)


@contextlib.contextmanager
def _progress(ctx: Context) -> Iterator[Callable[[int, int, str, str], None]]:
    """A progress bar over targets on a terminal; a plain line per output otherwise."""
    if ctx.quiet:
        yield lambda done, total, label, state: None
        return
    if not ctx.console.is_terminal:

        def line(done: int, total: int, label: str, state: str) -> None:
            if state != "未变化" or ctx.verbose:
                ctx.say(f"[{done}/{total}] {state} {label}")

        yield line
        return
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
    from rich.progress import Progress as RichProgress

    with RichProgress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=ctx.console,
        transient=True,
    ) as bar:
        task = bar.add_task("构建", total=None)

        def advance(done: int, total: int, label: str, state: str) -> None:
            bar.update(task, completed=done, total=total, description=f"{state} {label}"[:40])

        yield advance


@cli.command(
    epilog=_examples(
        "townplans package weicheng",
        "townplans package --all",
        "townplans package --verify build/packages/渭城镇报送材料.zip",
    )
)
@click.argument("towns", nargs=-1, metavar="[镇文件夹名]...")
@click.option("--all", "every_town", is_flag=True, help="打包所有通过检查的镇，并列出被拒绝的镇")
@click.option(
    "--verify",
    "verify",
    type=click.Path(path_type=Path),
    multiple=True,
    metavar="压缩包",
    help="核对收到的压缩包与其清单是否一致（可多次指定）",
)
@click.option(
    "--jobs", "-j", type=click.IntRange(1, 64), default=os.cpu_count() or 1, metavar="进程数",
    help="并行进程数（默认 CPU 核数）",
)  # fmt: skip
@pass_ctx
def package(
    ctx: Context, towns: tuple[str, ...], every_town: bool, verify: tuple[Path, ...], jobs: int
) -> None:
    """打包报送材料：镇的成果、观摩图册、检查报告和清单（SHA-256）；有错误的镇拒绝打包，区级材料（towns/district.yaml 等）有错误时所有镇都拒绝打包。

    --verify 核对压缩包：每个文件与清单一致，且解压后就是清单所列的普通文件（不是符号链接、设备或文件夹，没有只差大小写或 Unicode 写法的同名文件，没有 Windows 保留的设备名）。
    退出码：0 全部打包（或核对通过），1 有镇被拒绝（或核对不通过），2 用法或工具错误，130 按 Ctrl+C 中止。
    """
    if verify:
        failed = False
        for path, result in zip(
            verify, _call(ctx, lambda: pipeline.run_verify(verify)), strict=True
        ):
            where = shown(str(path))  # a received file's name is shown, never echoed raw
            if result.ok:
                ctx.say(f"{where}：核对通过，{result.checked} 个文件与清单一致")
            for problem in result.problems:
                ctx.errors.print(f"{where}：{shown(problem)}", style="red", markup=False)
            failed = failed or not result.ok
        sys.exit(1 if failed else 0)
    results = _call(ctx, lambda: pipeline.run_package(ctx.root, towns, jobs, every_town=every_town))
    root = ctx.root.resolve()
    told_district = False
    for result in results:
        if result.path is not None:
            zipped = (
                result.path.relative_to(root) if result.path.is_relative_to(root) else result.path
            )
            ctx.say(f"已打包 {shown(result.name)}：{zipped}（{result.files} 个文件）")
            continue
        count = len(result.errors) + len(result.district)
        why = f"还有 {count} 个错误"
        if result.district:
            why += f"（其中区级材料 {len(result.district)} 个，区级材料有错误时各镇都不能打包）"
        ctx.errors.print(
            f"拒绝打包 {shown(result.name)}：{why}，须先整改或经批准豁免", style="red", markup=False
        )
        # The district's errors are the same for every town: listed once, under the first.
        _print_findings(ctx, (*(() if told_district else result.district), *result.errors))
        told_district = told_district or bool(result.district)
    sys.exit(1 if any(result.path is None for result in results) else 0)


# -- diff ------------------------------------------------------------------------------------------


@cli.command(
    epilog=_examples(
        "townplans diff weicheng 总体规划",
        "townplans diff weicheng 总体规划 --from weicheng-总体规划-征求意见稿 --to weicheng-总体规划-送审稿",
        "townplans diff towns/weicheng/construction-plan.md --from HEAD~3 -o 对照",
        "townplans diff towns/weicheng/construction-plan.md --from 旧版/建设计划.md",
    )
)
@click.argument("document", nargs=-1, required=True, metavar="文档")
@click.option(
    "--from",
    "old",
    metavar="版本",
    help="原版本：git 提交号、标签或分支，或旧版本的 Markdown 文件（默认：该文档最近的阶段标签“镇-文档-阶段”，没有则为 HEAD）",
)
@click.option(
    "--to",
    "new",
    metavar="版本",
    help="修改后的版本：git 提交号、标签或分支（默认：工作区中的当前文件）",
)
@click.option(
    "--output", "-o", type=click.Path(file_okay=False, path_type=Path), metavar="文件夹",
    help="成果写入的文件夹（默认 build/修订/）",
)  # fmt: skip
@click.option(
    "--author", metavar="姓名",
    help="工作区中修改的修订人，写入修订标记（默认：git 的 user.name）",
)  # fmt: skip
@pass_ctx
def diff(
    ctx: Context,
    document: tuple[str, ...],
    old: str | None,
    new: str | None,
    output: Path | None,
    author: str | None,
) -> None:
    """比较文档的两个版本，生成修改对照表（Word 和 PDF）和带修订标记的 Word 文档（可逐条接受或拒绝），并列出修改摘要。

    文档：Markdown 文件路径，或“镇文件夹名 文档”（如 weicheng 总体规划、weicheng 控规、weicheng 建设计划）；
    总体规划按章节文件顺序合并比较。退出码：0 已生成（不论有无修改），2 用法或工具错误（如不是 git 仓库、版本不存在），130 按 Ctrl+C 中止。
    """
    outcome = _call(ctx, lambda: pipeline.run_diff(ctx.root, document, old, new, output, author))
    comparison = outcome.comparison
    ctx.say(f"{comparison.title}：{comparison.old.label} → {comparison.new.label}")
    ctx.say(outcome.summary.line())
    root = ctx.root.resolve()
    for path in outcome.written:
        shown = path.relative_to(root) if path.is_relative_to(root) else path
        ctx.say(f"已写入 {shown}")


# -- check, rules, schema -------------------------------------------------------------------------


@cli.command(epilog=_examples("townplans bulletin", "townplans bulletin --week 2023-09-08"))
@click.option(
    "--week", "day", metavar="日期", default=None, callback=lambda c, p, v: _today(c, p, v),
    help="通报这一天所在的周（默认：最近一个有周报的周）",
)  # fmt: skip
@pass_ctx
def bulletin(ctx: Context, day: dt.date | None) -> None:
    """生成一周的工作进度通报（第N期，Word、PDF，含图表），打印各镇进度汇总表并给出文件位置。

    退出码：0 已生成，1 生成失败，2 用法或工具错误（如没有任何周报）。
    """
    outcome = _call(ctx, lambda: pipeline.run_bulletin(ctx.root, day))
    from rich.table import Table

    table = Table(
        title=f"工作进度通报 第{outcome.number}期（{outcome.start}至{outcome.end}）",
        show_header=True,
    )
    for n, column in enumerate(outcome.header):
        table.add_column(column, justify="left" if n == 0 or n >= 8 else "right", overflow="fold")
    for row in outcome.rows:
        table.add_row(*row)
    if not ctx.quiet:
        ctx.console.print(table)
    _print_findings(ctx, outcome.findings)
    root = outcome.session.paths.root
    for path in outcome.files:
        ctx.say(f"已生成：{path.relative_to(root).as_posix()}")
    sys.exit(1 if outcome.failed else 0)


def _today(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        parsed: dt.date = parse_date(value).value
    except ValueFormatError as exc:
        raise click.BadParameter(str(exc)) from exc
    return parsed


@cli.command(
    epilog=_examples(
        "townplans check",
        "townplans check --town beidu --select TP4",
        "townplans check --format html -o build/检查报告.html",
        "townplans check --strict --format junit",
    )
)
@click.option(
    "--town", "towns", multiple=True, metavar="镇文件夹名", help="只检查这个镇（可多次指定）"
)
@click.option(
    "--select", multiple=True, metavar="编号", help="只运行这些规则（编号前缀，如 TP2、TP401）"
)
@click.option("--ignore", multiple=True, metavar="编号", help="不运行这些规则（编号前缀）")
@click.option("--strict", is_flag=True, help="有警告也返回 1")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(list(pipeline.REPORT_FORMATS)),
    default="text",
    help="输出格式：text（默认）、json、junit、sarif 或 html",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="文件",
    help="写入文件而不是屏幕",
)
@click.option(
    "--today", callback=_today, metavar="日期", help="判断豁免是否过期所用的日期（默认今天）"
)  # fmt: skip
@pass_ctx
def check(
    ctx: Context,
    towns: tuple[str, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    strict: bool,
    output_format: str,
    output: Path | None,
    today: dt.date | None,
) -> None:
    """检查各镇材料的完整性、规范性、一致性、指标和时效；退出码 0 通过、1 有错误、2 用法错误、130 按 Ctrl+C 中止。"""
    selection = Selection(tuple(s.upper() for s in select), tuple(s.upper() for s in ignore), towns)
    session, result = _call(ctx, lambda: pipeline.run_check(ctx.root, selection, today))
    color = (
        output is None
        and output_format == "text"
        and sys.stdout.isatty()
        and not os.environ.get("NO_COLOR")
    )
    rendered = pipeline.render_report(session, result, output_format, strict=strict, color=color)
    if output is not None:
        _call(ctx, lambda: _write_report(output, rendered))
        ctx.say(f"已写入 {output}：{pipeline.summary_line(session, result, strict=strict)}")
    elif not ctx.quiet or result.failed(strict):
        click.echo(rendered, nl=False)
    sys.exit(1 if result.failed(strict) else 0)


@cli.command(epilog=_examples("townplans rules", "townplans rules --format json"))
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text",
    help="输出格式：text（默认）或 json",
)  # fmt: skip
def rules(output_format: str) -> None:
    """列出全部检查规则：编号、级别、名称、说明和依据。"""
    click.echo(pipeline.rules_listing(output_format), nl=False)


@cli.command(epilog=_examples("townplans schema -o .schemas/"))
@click.option(
    "--output", "-o", type=click.Path(file_okay=False, path_type=Path), metavar="文件夹",
    help="把每种文档的 schema 写入此文件夹（默认输出到屏幕）",
)  # fmt: skip
@pass_ctx
def schema(ctx: Context, output: Path | None) -> None:
    """由规则文件生成 JSON Schema（district.yaml、town.yaml 和各类文档的前置信息），供编辑器补全和校验。"""
    schemas = _call(ctx, lambda: pipeline.run_schema(ctx.root))
    if output is None:
        click.echo(json.dumps(schemas, ensure_ascii=False, indent=2))
        return
    for name in _call(ctx, lambda: _write_schemas(output, schemas)):
        ctx.say(f"已写入 {output / name}")


def _write_schemas(output: Path, schemas: dict[str, Any]) -> list[str]:
    output.mkdir(parents=True, exist_ok=True)
    for name, document in schemas.items():
        (output / name).write_text(
            json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    return list(schemas)


def _write_report(output: Path, rendered: str) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(rendered, encoding="utf-8")


def _print_findings(ctx: Context, findings: Sequence[Finding]) -> None:
    for finding in (f.printable() for f in findings):
        if ctx.quiet and finding.severity is not Severity.ERROR:
            continue
        style = _SEVERITY_STYLE[finding.severity]
        ctx.errors.print(f"{finding.ref}: {finding.code} ", end="", markup=False)
        ctx.errors.print(finding.severity.label, style=style, end=" ", markup=False)
        ctx.errors.print(finding.message, markup=False)


# -- serve -----------------------------------------------------------------------------------------

_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


@cli.command(
    epilog=_examples(
        "townplans serve                    # 在 http://127.0.0.1:8000/ 打开总览",
        "townplans serve --port 0 --open    # 任选空闲端口，并在浏览器中打开",
        "townplans serve --host 0.0.0.0     # 让局域网中的其他电脑也能访问（会提示风险）",
    )
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, metavar="端口",
    help="端口；0 表示任选一个空闲端口（启动时显示网址）",
)  # fmt: skip
@click.option(
    "--host", default=None, metavar="地址",
    help="监听地址（默认 127.0.0.1，只有本机能访问）；指定其他地址时会显示安全提示",
)  # fmt: skip
@click.option("--open", "open_browser", is_flag=True, help="启动后在浏览器中打开总览")
@pass_ctx
def serve(ctx: Context, port: int, host: str | None, open_browser: bool) -> None:
    """在浏览器中实时查看：交付成果矩阵与各镇问题、每份文档和图册的分页预览（问题标注在对应段落旁）、
    带行号的源文件；保存文件后只重新检查受影响的镇、只重新生成受影响的预览，已打开的页面自动更新。

    只读取工作区，不写入 towns/；按 Ctrl+C 停止。
    """
    import logging
    import webbrowser

    if host is not None and host not in _LOOPBACK_HOSTS:
        ctx.errors.print(
            f"警告：--host {host} 让其他电脑也能访问本服务。服务没有登录和加密，能连到这台电脑的人都能"
            "看到全部材料；只在可信的网络中使用，平时请用默认的 127.0.0.1。",
            style="yellow", markup=False,
        )  # fmt: skip
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    logger = logging.getLogger("townplans.serve")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if ctx.verbose else logging.INFO)
    ctx.say("正在读取并检查工作区……")
    server = _call(ctx, lambda: pipeline.start_serve(ctx.root, host, port))
    ctx.say(f"townplans serve 已启动：{server.url}（按 Ctrl+C 停止）")
    if open_browser:
        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        ctx.say("已停止")
    finally:
        server.close()


def main(argv: Sequence[str] | None = None) -> Any:
    """Console-script entry point."""
    try:
        return cli.main(args=list(argv) if argv is not None else None, prog_name="townplans")
    except SystemExit as ended:
        if ended.code != INTERRUPTED:
            raise
        # After Ctrl+C the command has cleaned up (workers stopped, temporary files removed, the
        # lock released). Leave without the interpreter's exit hooks: concurrent.futures' hook
        # can race its pool's own thread and print a traceback after 已中止 (a CPython race).
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(INTERRUPTED)
