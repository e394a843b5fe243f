"""Inspect the environment a build needs and say, truthfully, what is present and what is missing.

Each check returns a ``Check`` with an OK flag, what was found and, when something is missing, the
exact command that installs it. Nothing here changes the machine.
"""

from __future__ import annotations

import importlib.metadata
import platform
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from townplans import __version__, errortext
from townplans.paths import WorkspacePaths
from townplans.profile import OutputSpec, load_profile
from townplans.render import faces
from townplans.render.style import StyleError, load_style

PYTHON_PACKAGES = (
    "weasyprint",
    "python-docx",
    "markdown-it-py",
    "mdit-py-plugins",
    "pillow",
    "jinja2",
    "pyyaml",
)


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the doctor's report."""

    name: str
    ok: bool
    found: str
    advice: str = ""
    required: bool = True


def _versions() -> Check:
    found = []
    missing = []
    for package in PYTHON_PACKAGES:
        try:
            found.append(f"{package} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            missing.append(package)
    text = f"townplans {__version__}，Python {platform.python_version()}；" + "，".join(found)
    if missing:
        return Check(
            "Python 依赖", False, text, f"缺少 {'、'.join(missing)}：pip install townplans"
        )
    return Check("Python 依赖", True, text)


def _cjk_fonts() -> Check:
    if shutil.which("fc-list") is None:
        return Check(
            "中文字体",
            False,
            "找不到 fc-list（fontconfig）",
            "apt-get install fontconfig fonts-noto-cjk",
        )
    result = subprocess.run(
        ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False
    )
    families = sorted(
        {line.split(",")[0].strip() for line in result.stdout.splitlines() if line.strip()}
    )
    noto = [name for name in families if "Noto" in name and "CJK SC" in name]
    if not families:
        return Check(
            "中文字体",
            False,
            "系统中没有中文字体，PDF 中的汉字将无法显示",
            "apt-get install fonts-noto-cjk",
        )
    official = [
        name
        for name in families
        if any(key in name for key in ("FangSong", "仿宋", "KaiTi", "楷体"))
    ]
    found = f"{len(families)} 个中文字体族：{'、'.join(noto or families[:4])}"
    if not official:
        found += (
            "；系统未安装仿宋_GB2312/楷体_GB2312（PDF 用 templates/fonts/ 的字体，见“公文字体”）"
        )
    return Check("中文字体", bool(noto or families), found)


def _gongwen_faces(paths: WorkspacePaths) -> Check:
    """Whether each role of a 公文 (GB/T 9704: 正文仿宋, 标题小标宋, 黑体, 楷体) is set in a face of
    its design in the PDF, or falls back to another design (a warning: the PDF is still made)."""
    try:
        style = load_style(paths.style)
    except StyleError:
        return Check("公文字体", False, "样式文件无法读取，见下方“样式文件”", required=False)
    found = faces.faces(style, paths.fonts)
    text = "；".join(faces.describe(face) for face in found)
    if all(face.matches for face in found):
        return Check("公文字体", True, text)
    return Check(
        "公文字体",
        False,
        f"公文将改用其他字体：{text}",
        "把有授权的公文字体（如仿宋_GB2312、方正小标宋简体）放入 templates/fonts/ 并在 "
        "templates/style.yaml 的 pdf 中列出，或恢复随 townplans 提供的 templates/fonts/ Fandol 字体",
        required=False,
    )


def _pango_harfbuzz() -> list[Check]:
    try:
        from weasyprint.text import ffi
    except (ImportError, OSError) as exc:
        return [
            Check(
                "Pango",
                False,
                f"WeasyPrint 无法加载 Pango 库（未安装或版本不符）{errortext.detail(exc, trace=False)}",
                "apt-get install libpango-1.0-0",
            )
        ]
    number = int(ffi.pango.pango_version())
    pango = Check(
        "Pango", number >= 14400, f"Pango {number // 10000}.{number // 100 % 100}.{number % 100}"
    )
    if ffi.harfbuzz_subset is None:
        subset = Check(
            "HarfBuzz 字体子集",
            False,
            "未找到 libharfbuzz-subset：WeasyPrint 退回 fontTools 子集化，中文 PDF 会慢约 40 倍（数页约 15 秒）",
            "apt-get install libharfbuzz-subset0",
        )
    else:
        subset = Check(
            "HarfBuzz 字体子集", True, "libharfbuzz-subset 可用（中文 PDF 字体子集化快速）"
        )
    return [pango, subset]


def _poppler() -> Check:
    tools = [name for name in ("pdffonts", "pdftotext") if shutil.which(name)]
    if len(tools) == 2:
        return Check(
            "poppler-utils", True, "pdffonts、pdftotext 可用（用于校验 PDF）", required=False
        )
    return Check(
        "poppler-utils",
        False,
        "未安装（仅测试和输出自检需要）",
        "apt-get install poppler-utils",
        required=False,
    )


def _outputs(outputs: tuple[OutputSpec, ...]) -> Check:
    """What the district expects handed over (profile ``outputs``): which townplans builds."""
    built = "、".join(output.label for output in outputs if output.built)
    own = "、".join(output.label for output in outputs if not output.built)
    found = f"townplans 生成：{built}" + (f"；由各镇自行编制：{own}" if own else "")
    return Check("报送成果", True, found)


def _workspace(root: Path) -> list[Check]:
    paths = WorkspacePaths(root)
    checks = []
    profile = load_profile(paths.profile, root)
    if profile.profile is None or profile.findings:
        detail = "；".join(str(f) for f in profile.findings[:5])
        checks.append(
            Check("规则文件", False, f"{paths.profile} 有 {len(profile.findings)} 处问题：{detail}")
        )
    else:
        checks.append(Check("规则文件", True, f"{paths.profile}（版本 {profile.profile.version}）"))
    if profile.profile is not None and profile.profile.outputs:
        checks.append(_outputs(profile.profile.outputs))
    try:
        load_style(paths.style)
        checks.append(Check("样式文件", True, str(paths.style)))
    except StyleError as exc:
        checks.append(Check("样式文件", False, str(exc)))
    checks.append(_gongwen_faces(paths))
    towns = paths.towns
    if (towns / "district.yaml").is_file():
        checks.append(Check("工作区", True, f"{towns}/district.yaml"))
    else:
        checks.append(
            Check(
                "工作区",
                False,
                f"{root} 下没有 towns/district.yaml",
                "townplans init 创建工作区",
                required=False,
            )
        )
    return checks


def run_checks(root: Path) -> list[Check]:
    """Every check, in the order they are printed."""
    steps: list[Callable[[], Check | list[Check]]] = [
        _versions,
        _cjk_fonts,
        _pango_harfbuzz,
        _poppler,
        lambda: _workspace(root),
    ]
    checks: list[Check] = []
    for step in steps:
        result = step()
        checks.extend(result if isinstance(result, list) else [result])
    return checks
