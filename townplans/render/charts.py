"""The charts of the 工作进度通报, drawn with matplotlib: SVG for the PDF, PNG for Word.

Two kinds: the cumulative investment of each town over the weeks, and, per town, each project's
形象进度 against its plan line (the straight line from its start to its deadline). A chart is
drawn in the documents' faces (the style's table and caption roles, the fonts a district puts in
``templates/fonts`` first) and written as SVG with its text kept as text (``svg.fonttype: none``):
WeasyPrint sets those labels in the document's own embedded faces, so a reader can search them in
the PDF. Word gets the same chart as a PNG beside the SVG (the Word writer takes the PNG of an
SVG, ``docx._picture``).

A chart's files are named by a digest of what it shows and kept in ``build/.cache/charts``: the
same figures give the same file, byte for byte (no dates, fixed ids), and a document that names
it finds it there. matplotlib is imported only when a chart is drawn, never by ``check``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from townplans.render.style import Style

CHART_FOLDER = (".cache", "charts")
"""Where charts are kept, inside the build folder."""
WIDTH_IN = 6.0
"""A chart spans the 版心 (156 mm) with a little room to spare."""
PNG_DPI = 300


@dataclass(frozen=True, slots=True)
class Series:
    """One line of a chart: its label, its points (x, y) and whether it is a plan line."""

    label: str
    points: tuple[tuple[dt.date, Decimal], ...]
    plan: bool = False
    group: int = 0
    """Lines of one group share a colour (a project's progress and its plan line)."""


@dataclass(frozen=True, slots=True)
class Chart:
    """What a chart shows; ``key`` names its files."""

    title: str
    y_label: str
    series: tuple[Series, ...]
    y_max: Decimal | None = None
    """A fixed top of the y axis (100 for percentages); None to fit the data."""

    @property
    def key(self) -> str:
        data = [self.title, self.y_label, str(self.y_max),
                [[s.label, s.plan, s.group, [[d.isoformat(), str(v)] for d, v in s.points]]
                 for s in self.series]]  # fmt: skip
        text = json.dumps(data, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def chart_paths(build_dir: Path, chart: Chart) -> tuple[Path, Path]:
    """The SVG and PNG files of ``chart``."""
    folder = build_dir.joinpath(*CHART_FOLDER)
    return folder / f"{chart.key}.svg", folder / f"{chart.key}.png"


def ensure(
    build_dir: Path, chart: Chart, style: Style, fonts: Path, write: Callable[[Path, bytes], object]
) -> Path:
    """The chart's SVG (its PNG beside it), drawn when not there yet; ``write`` is the build's
    atomic writer (confined to the build folder)."""
    svg, png = chart_paths(build_dir, chart)
    if svg.is_file() and png.is_file():
        return svg
    data_svg, data_png = draw(chart, style, fonts)
    write(png, data_png)
    write(svg, data_svg)
    return svg


def draw(chart: Chart, style: Style, fonts: Path) -> tuple[bytes, bytes]:
    """The chart as SVG (text as text) and as PNG."""
    import matplotlib

    matplotlib.use("agg")
    from matplotlib import pyplot

    families = _families(style, fonts)
    settings: dict[str, Any] = {
        "svg.fonttype": "none",
        "svg.hashsalt": "townplans",
        "font.family": families,
        "font.size": 9,
        "axes.unicode_minus": False,
    }
    with matplotlib.rc_context(cast(Any, settings)):
        figure, axes = pyplot.subplots(figsize=(WIDTH_IN, _height(chart)))
        try:
            _plot(axes, chart)
            figure.tight_layout()
            svg, png = io.BytesIO(), io.BytesIO()
            figure.savefig(svg, format="svg", metadata={"Date": None})
            figure.savefig(png, format="png", dpi=PNG_DPI, metadata={"Software": None})
        finally:
            pyplot.close(figure)
    return svg.getvalue(), png.getvalue()


def _height(chart: Chart) -> float:
    """Taller for many lines, so the legend below the axes has room."""
    labels = len({s.label for s in chart.series if not s.plan})
    return 3.2 + 0.18 * ((labels + 2) // 3)


def _plot(axes: Any, chart: Chart) -> None:
    colours = [f"C{n}" for n in range(10)]
    for series in chart.series:
        xs = [d for d, _ in series.points]
        ys = [float(v) for _, v in series.points]
        colour = colours[series.group % len(colours)]
        if series.plan:
            axes.plot(xs, ys, linestyle="--", linewidth=0.9, color=colour, alpha=0.7)
        else:
            axes.plot(xs, ys, marker="o", markersize=3, linewidth=1.4, color=colour,
                      label=series.label)  # fmt: skip
    axes.set_title(chart.title, fontsize=11)
    axes.set_ylabel(chart.y_label)
    if chart.y_max is not None:
        axes.set_ylim(0, float(chart.y_max) * 1.04)
    else:
        axes.set_ylim(bottom=0)
    axes.grid(True, linewidth=0.3, alpha=0.6)
    axes.xaxis.set_major_formatter(_date_formatter())
    handles, labels = axes.get_legend_handles_labels()
    if any(s.plan for s in chart.series):
        from matplotlib.lines import Line2D

        handles.append(Line2D([], [], linestyle="--", color="0.4", linewidth=0.9))
        labels.append("计划进度（虚线）")
    if handles:
        axes.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3,
                    frameon=False, fontsize=8)  # fmt: skip


def _date_formatter() -> Any:
    from matplotlib.dates import num2date
    from matplotlib.ticker import FuncFormatter

    def label(value: float, _: object) -> str:
        day = num2date(value)  # type: ignore[no-untyped-call]
        return f"{day.month}月{day.day}日"

    return FuncFormatter(label)


_REGISTERED: set[tuple[str, int, int]] = set()
"""Font files given to matplotlib in this process, by path, size and mtime."""


def _register(path: Path) -> None:
    """Give matplotlib a district's font once per process (and again only when the file
    changed): ``addfont`` parses the file, appends an entry whether or not it has one, and
    empties the font lookup cache, so calling it for every chart made each chart slower than the
    last (a full district build spent seconds scoring a growing font list)."""
    from matplotlib import font_manager

    try:
        info = path.stat()
    except OSError:
        return
    key = (str(path.resolve()), info.st_size, info.st_mtime_ns)
    if key in _REGISTERED:
        return
    try:
        font_manager.fontManager.addfont(str(path))
    except (OSError, RuntimeError, ValueError):
        return  # a broken font file: the document writers report it
    _REGISTERED.add(key)


def _families(style: Style, fonts: Path) -> list[str]:
    """The style's faces matplotlib can find (a district's own fonts registered first), so that
    the SVG names faces WeasyPrint embeds; matplotlib's own default last, never silently."""
    from matplotlib import font_manager

    if fonts.is_dir():
        for path in sorted(fonts.iterdir()):
            if path.suffix.lower() in (".ttf", ".otf", ".ttc"):
                _register(path)
    known = {entry.name for entry in font_manager.fontManager.ttflist}
    wanted: list[str] = []
    for role in ("table", "caption", "body"):
        wanted += [name for name in style.fonts[role].pdf if name not in wanted]
    found = [name for name in wanted if name in known]
    return found or ["sans-serif"]


def percent_points(
    points: Sequence[tuple[dt.date, Decimal | None]],
) -> tuple[tuple[dt.date, Decimal], ...]:
    """The points that have a value."""
    return tuple((day, value) for day, value in points if value is not None)
