"""Which document ``townplans diff DOCUMENT`` names: a Markdown file, or a document of a town
(``weicheng 总体规划``, ``weicheng 控规``, ``weicheng center``, ``weicheng 建设计划``) named as
``build`` names it, by its kind or its file name."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from townplans.model import Town, Workspace
from townplans.revision.history import Document, HistoryError

MASTER = ("总体规划", "总规", "镇总体规划", "master-plan")
CONSTRUCTION = ("建设计划", "实施方案", "construction-plan")
REGULATORY = ("控规", "控制性详细规划")
SITE = ("修规", "修建性详细规划")


def town_documents(town: Town, names: Mapping[str, str]) -> list[tuple[Document, tuple[str, ...]]]:
    """Each comparable document of ``town`` with the words that name it. ``names``: the output
    name ``build`` gives each document, by the document's first source file."""
    prefix = f"{town.slug}-"
    found: list[tuple[Document, tuple[str, ...]]] = []
    plan = town.master_plan
    if plan is not None and plan.chapters:
        name = names.get(plan.chapters[0].ref.path, f"{town.name}总体规划")
        found.append(
            (Document(name, folder=plan.folder, tag_prefix=f"{prefix}总体规划-"), (*MASTER, name))
        )
    for detailed in town.detailed_plans:
        if detailed.text is None:
            continue
        path = detailed.text.ref.path
        name = names.get(path, f"{town.name}{detailed.slug}")
        kind = REGULATORY if detailed.kind == "regulatory" else SITE
        document = Document(name, files=(path,), tag_prefix=f"{prefix}{detailed.slug}-")
        found.append((document, (*kind, detailed.slug, name)))
    if town.construction_plan is not None:
        path = town.construction_plan.ref.path
        name = names.get(path, f"{town.name}小城镇建设计划")
        found.append(
            (Document(name, files=(path,), tag_prefix=f"{prefix}建设计划-"), (*CONSTRUCTION, name))
        )
    return found


def resolve(
    workspace: Workspace | None, root: Path, words: Sequence[str], names: Mapping[str, str]
) -> Document:
    """The document ``words`` name; a name that fits none, or several, is a ``HistoryError``
    listing the choices."""
    if len(words) == 1:
        return _by_path(workspace, root, words[0], names)
    if len(words) != 2:
        raise HistoryError(
            "文档应写为 Markdown 文件路径，或“镇文件夹名 文档”，如 weicheng 总体规划"
        )
    slug, word = words
    town = workspace.town(slug) if workspace is not None else None
    if town is None:
        known = "、".join(t.slug for t in workspace.district.towns) if workspace else ""
        raise HistoryError(f"没有这个镇：{slug}" + (f"；可选：{known}" if known else ""))
    candidates = town_documents(town, names)
    exact = [d for d, aliases in candidates if word in aliases]
    matching = exact or [d for d, aliases in candidates if word in aliases[-1]]
    if len(matching) == 1:
        return matching[0]
    choices = "、".join(aliases[-1] for _, aliases in candidates) or "（无）"
    if not matching:
        raise HistoryError(f"{town.name}没有文档“{word}”：可比较的文档有 {choices}")
    named = "、".join(d.name for d in matching)
    raise HistoryError(f"“{word}”可指 {named}：请写出其中一个的名称或文件夹名")


def _by_path(
    workspace: Workspace | None, root: Path, word: str, names: Mapping[str, str]
) -> Document:
    path = next((p for p in (Path.cwd() / word, root / word) if p.exists()), None)
    if path is None:
        raise HistoryError(
            f"找不到文件 {word}：文档应为 Markdown 文件路径，或“镇文件夹名 文档”，如 weicheng 总体规划"
        )
    try:
        relative = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError as exc:
        raise HistoryError(f"{word} 不在工作区 {root} 中：只比较工作区中的文件") from exc
    if workspace is not None:
        for town in workspace.district.towns:
            for document, _ in town_documents(town, names):
                if relative in document.paths:
                    return document
    if path.is_dir() or not relative.endswith(".md"):
        raise HistoryError(f"{word} 不是 Markdown 文件（应为 .md 文件）")
    parts = relative.split("/")
    town_slug = parts[1] if len(parts) > 2 and parts[0] == "towns" else ""
    tag = f"{town_slug}-{Path(relative).stem}-" if town_slug else f"{Path(relative).stem}-"
    return Document(names.get(relative, ""), files=(relative,), tag_prefix=tag)
