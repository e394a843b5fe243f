"""Where things are: a workspace's towns/, templates/ and build/, and the shipped default templates."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from townplans.fs import Kind, kind, link_target

_PACKAGE = Path(__file__).resolve().parent


def default_templates() -> Path:
    """The templates shipped with townplans: inside the wheel, or the repository's templates/."""
    for candidate in (_PACKAGE / "_templates", _PACKAGE.parent / "templates"):
        if (candidate / "profile.yaml").is_file():
            return candidate
    raise FileNotFoundError("townplans 安装不完整：找不到默认模板 templates/profile.yaml")


def find_workspace(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that holds ``towns/`` (a workspace), as git finds
    its repository; None when there is none up to the file system's root."""
    try:
        current = start.resolve()
    except (OSError, RuntimeError):
        return None
    for folder in (current, *current.parents):
        if (folder / "towns").is_dir():
            return folder
    return None


@dataclass(frozen=True, slots=True)
class WorkspacePaths:
    """The folders of one workspace; templates fall back to the shipped defaults."""

    root: Path

    @property
    def towns(self) -> Path:
        return self.root / "towns"

    @property
    def build(self) -> Path:
        return self.root / "build"

    @property
    def probe_cache(self) -> Path:
        """Image probe results kept between runs (see ``load.images.ProbeCache``)."""
        return self.build / ".cache" / "images.json"

    @property
    def templates(self) -> Path:
        local = self.root / "templates"
        return local if (local / "profile.yaml").is_file() else default_templates()

    @property
    def profile(self) -> Path:
        return self.templates / "profile.yaml"

    @property
    def style(self) -> Path:
        return self.templates / "style.yaml"

    @property
    def fonts(self) -> Path:
        return self.templates / "fonts"

    @property
    def knowledge(self) -> Path:
        """What the fact engines know (templates/knowledge/*.yaml)."""
        return self.templates / "knowledge"

    def templates_problem(self) -> str | None:
        """Why the workspace's own templates cannot be used safely (a link out of the workspace, a
        special file), or None. Templates travel with workspaces, so they are content too."""
        local = self.root / "templates"
        for path in (local, local / "profile.yaml", local / "style.yaml", local / "documents"):
            found = kind(path, self.root)
            if found is Kind.OUTSIDE:
                return f"{path.relative_to(self.root)} 指向工作区以外（{link_target(path)}）：出于安全不会读取"
            if found in (Kind.SPECIAL, Kind.LOOP, Kind.BROKEN):
                return (
                    f"{path.relative_to(self.root)} 不是普通文件或文件夹（或链接已断开）：无法使用"
                )
        return None

    def mounts(self) -> dict[str, Path]:
        """Folders a renderer may read from, by URL scheme: the workspace and the templates."""
        return {"workspace": self.root, "templates": self.templates}
