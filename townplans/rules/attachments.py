"""TP3xx attachments and references: drawings, photos by stage, boards, permits, images that do not
decode, files of the wrong type, drawings nobody refers to."""

from __future__ import annotations

import collections
import posixpath
import re
from collections.abc import Iterable, Iterator, Sequence

from townplans.completeness import attachment_shortfall, condition_holds
from townplans.facts.units import plan_type
from townplans.fields import read_field
from townplans.model import Asset, Located, MarkdownFile, Project, Severity, SourceRef, Town
from townplans.photopairs import PairedBy, pair_photos
from townplans.profile import AttachmentSpec, DocumentType, PermitItem
from townplans.progress import Entry
from townplans.rules import Context, Problem, rule

_FORMAT_SUFFIXES = {
    "JPEG": ("jpg", "jpeg"),
    "PNG": ("png",),
    "GIF": ("gif",),
    "BMP": ("bmp",),
    "TIFF": ("tif", "tiff"),
    "WEBP": ("webp",),
    "MPO": ("jpg", "jpeg"),
}


def _project_folders(project: Project, spec: AttachmentSpec) -> tuple[Asset, ...]:
    folder = spec.folder or ""
    if folder.startswith("photos/"):
        return tuple(photo.asset for photo in project.photos_in(folder.split("/", 1)[1]))
    return {"drawings": project.drawings, "boards": project.boards, "permits": project.permits}.get(
        folder, ()
    )


def _applies(ctx: Context, project: Project, doctype: DocumentType, spec: AttachmentSpec) -> bool:
    """Whether an attachment applies; a condition on 形象进度 the brief does not state reads the
    latest report's figure (one source for progress)."""
    if spec.when is None:
        return True
    if project.brief is None:
        return False
    if spec.when.field == "progress_percent" and not _states_percent(project, doctype):
        entry = _reported_percent(ctx, project)
        return entry is not None and entry.percent is not None and spec.when.holds(entry.percent)
    return condition_holds(project.brief.meta, doctype, spec.when)


def _states_percent(project: Project, doctype: DocumentType) -> bool:
    spec = doctype.fields.get("progress_percent")
    return (
        project.brief is not None
        and spec is not None
        and read_field(project.brief.meta, spec).present
    )


def _reported_percent(ctx: Context, project: Project) -> Entry | None:
    """The latest report row giving ``project``'s 形象进度 (None when no report does)."""
    found = ctx.the_progress.projects.get(f"{ctx.the_town.slug}/{project.slug}")
    return found.standing().percent_from if found is not None else None


def _shortfalls(ctx: Context, town: Town) -> Iterator[tuple[AttachmentSpec, SourceRef, str, int]]:
    """(spec, where, what, found) for every attachment folder below its minimum."""
    docs = ctx.profile.documents
    plan = town.master_plan
    if plan is not None and plan.chapters and "master_plan" in docs:
        for spec in docs["master_plan"].attachments.values():
            short = attachment_shortfall(spec, plan.drawings)
            if short is not None:
                yield spec, SourceRef(f"{plan.folder}/{spec.folder}"), "镇总体规划", short.found
    for detailed in town.detailed_plans:
        doctype = plan_type(ctx.profile, detailed.kind)
        if doctype is None or detailed.text is None:
            continue
        for spec in doctype.attachments.values():
            if spec.file is not None:
                if spec.file == "parcels.yaml" and detailed.parcels is None:
                    yield spec, SourceRef(f"{detailed.folder}/{spec.file}"), doctype.label, 0
                continue
            short = attachment_shortfall(spec, detailed.drawings)
            if short is not None:
                yield (
                    spec,
                    SourceRef(f"{detailed.folder}/{spec.folder}"),
                    doctype.label,
                    short.found,
                )
    brief_type = docs.get("project_brief")
    if brief_type is None:
        return
    for project in town.projects:
        for spec in brief_type.attachments.values():
            if not _applies(ctx, project, brief_type, spec):
                continue
            short = attachment_shortfall(spec, _project_folders(project, spec))
            if short is not None:
                yield spec, SourceRef(f"{project.folder}/{spec.folder}"), project.name, short.found


@rule(
    "TP301",
    "attachments-short",
    Severity.ERROR,
    "图纸、照片、展板等附件少于规定数量",
    "plan",
    ("R22", "R35"),
)
def attachments_short(ctx: Context) -> Iterator[Problem]:
    for spec, where, owner, found in _shortfalls(ctx, ctx.the_town):
        if spec.key == "after":
            continue  # TP302 says it more precisely
        message = f"{owner}的{spec.label}有 {found} 个，至少应有 {spec.min} 个（{where.path}）"
        yield Problem(where, message, refs=spec.refs)


@rule("TP302", "after-photos-missing", Severity.ERROR, "已完工项目缺少建成后照片", "plan", ("R35",))
def after_photos_missing(ctx: Context) -> Iterator[Problem]:
    for spec, where, owner, found in _shortfalls(ctx, ctx.the_town):
        if spec.key != "after":
            continue
        project = next(p for p in ctx.the_town.projects if where.path.startswith(p.folder + "/"))
        brief_type = ctx.profile.documents["project_brief"]
        entry = None if _states_percent(project, brief_type) else _reported_percent(ctx, project)
        if entry is not None:  # the brief leaves its progress to the reports
            percent: object = f"{entry.percent}%（据 {entry.source} 周报）"
            reference = entry.source
        else:
            percent = project.brief.meta.get("progress_percent") if project.brief else None
            reference = project.brief.meta.ref_of("progress_percent") if project.brief else where
        message = (
            f"{owner}形象进度为 {percent}，已完工，但{spec.label}只有 {found} 张，至少应有 {spec.min} 张"
            f"（放入 {where.path}/；观摩图册需要前后对比）"
        )
        yield Problem(reference, message, refs=spec.refs)


def _linked(files: Iterable[MarkdownFile]) -> set[str]:
    return {link.resolved for markdown in files for link in markdown.links if link.resolved}


@rule(
    "TP303", "drawing-not-listed", Severity.WARNING, "图纸文件夹中的图纸未在文本中列出（有图无文）"
)
def drawing_not_listed(ctx: Context) -> Iterator[Problem]:
    town = ctx.the_town
    plan = town.master_plan
    groups: list[tuple[tuple[MarkdownFile, ...], tuple[Asset, ...], str]] = []
    if plan is not None and plan.chapters:
        groups.append((plan.chapters, plan.drawings, "镇总体规划"))
    for detailed in town.detailed_plans:
        if detailed.text is not None:
            groups.append(
                ((detailed.text,), detailed.drawings, detailed.text.title or detailed.slug)
            )
    for files, drawings, title in groups:
        linked = _linked(files)
        for drawing in drawings:
            if drawing.path not in linked:
                host, after = _list_place(files, drawing)
                line = _drawing_line(ctx, drawing, files, host)
                message = (
                    f"图纸 {drawing.name} 在 {posixpath.dirname(drawing.path)}/ 中，但{title}的图纸目录"
                    f"没有列出它：请在 {host.ref.path} 第 {after} 行后加一行 {line}"
                )
                yield Problem(SourceRef(drawing.path), message)


def _list_place(files: Sequence[MarkdownFile], drawing: Asset) -> tuple[MarkdownFile, int]:
    """Where a drawing's line goes: after the listed drawing of its folder whose file name comes
    just before it (the list stays in file-name order), else after the heading of the drawing
    list (a heading naming 图纸), else at the end of the text."""
    folder = posixpath.dirname(drawing.path)
    listed = sorted(
        (posixpath.basename(link.resolved), markdown, link.ref.line or 0)
        for markdown in files
        for link in markdown.links
        if link.is_image and link.resolved and posixpath.dirname(link.resolved) == folder
    )
    before = [item for item in listed if item[0] < drawing.name]
    if before:
        return before[-1][1], before[-1][2]
    for markdown in files:
        heading = next((h for h in markdown.headings if "图纸" in h.text), None)
        if heading is not None:
            return markdown, heading.ref.line or 1
    if listed:
        return listed[0][1], max(listed[0][2] - 1, 1)
    last = files[-1]
    return last, last.text.count("\n") + 1


_LISTED = re.compile(
    r"^\s*(?:[-*+]\s*|\|\s*)?(?:图\s*)?(?P<number>[0-9]{1,2})\s*(?:[.、．)）]|\|)\s*"
    r"(?P<title>[^|!\[\]()（）]*?图)\s*(?:\||$)"
)
"""A drawing named in a drawing list without its image: “5. 镇区综合交通规划图”, “| 5 | … |”."""
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _drawing_line(ctx: Context, drawing: Asset, files: Sequence[MarkdownFile],
                  host: MarkdownFile) -> str:  # fmt: skip
    """The Markdown line that lists ``drawing``: ``![title](relative path)``."""
    target = posixpath.relpath(drawing.path, posixpath.dirname(host.ref.path))
    if any(char.isspace() for char in target):
        target = f"<{target}>"  # TP310: a path with spaces is written in angle brackets
    title = _drawing_title(ctx, drawing, files)
    if title is None:
        return f"![图名]({target})（把“图名”换成这张图的名称）"
    return f"![{title}]({target})"


def _drawing_title(ctx: Context, drawing: Asset, files: Sequence[MarkdownFile]) -> str | None:
    """A drawing's title: from a file name in Chinese (05-镇区综合交通规划图.png), from the drawing
    list of the text by its number (“5. 镇区综合交通规划图”), else from the title another document
    of the district gives a drawing of the same file name."""
    stem = posixpath.splitext(drawing.name)[0]
    if _CJK.search(stem):
        return re.sub(r"^[0-9\s_.\-—、]+", "", stem).strip() or stem
    number = re.match(r"[0-9]+", stem)
    if number is not None:
        titles = {link.text.strip() for markdown in files for link in markdown.links}
        for markdown in files:
            for raw in markdown.text.splitlines():
                found = _LISTED.match(raw)
                if found and int(found.group("number")) == int(number.group(0)):
                    title = found.group("title").strip()
                    if title and title not in titles:
                        return title
    return _title_elsewhere(ctx, drawing.name)


def _title_elsewhere(ctx: Context, name: str) -> str | None:
    """The title most documents of the district give an image of this file name."""
    counts: collections.Counter[str] = collections.Counter()
    for town in ctx.workspace.district.towns:
        for markdown in town.markdown_files():
            for link in markdown.links:
                same = link.resolved and posixpath.basename(link.resolved) == name
                if link.is_image and same and link.text.strip():
                    counts[link.text.strip()] += 1
    return counts.most_common(1)[0][0] if counts else None


@rule(
    "TP304",
    "image-unreadable",
    Severity.ERROR,
    "图片无法解码（截断、损坏或过大）",
    "plan",
    ("R35",),
)
def image_unreadable(ctx: Context) -> Iterator[Problem]:
    for asset in ctx.the_town.assets():
        if asset.image is not None and asset.image.error is not None:
            yield Problem(SourceRef(asset.path), f"{asset.name}：{asset.image.error}")


@rule(
    "TP305",
    "permits-checklist",
    Severity.WARNING,
    "报建手续清单有缺项、状态无效或“不适用”未说明原因",
    "plan",
    ("R32", "R35"),
)
def permits_checklist(ctx: Context) -> Iterator[Problem]:
    brief_type = ctx.profile.documents.get("project_brief")
    if brief_type is None or not brief_type.permit_items:
        return
    items, statuses = brief_type.permit_items, brief_type.permit_status
    for project in ctx.the_town.projects:
        if project.brief is None:
            continue
        meta = project.brief.meta
        permits = meta.get("permits")
        if not isinstance(permits, dict):
            continue  # a missing or malformed permits field is TP201/TP202's
        yield from _permit_problems(meta, brief_type, permits, items, statuses)


def _permit_problems(
    meta: Located,
    brief_type: DocumentType,
    permits: dict[str, object],
    items: tuple[PermitItem, ...],
    statuses: tuple[str, ...],
) -> Iterator[Problem]:
    known = {item.key for item in items}
    for item in items:
        key, label = item.key, item.label
        if item.when is not None and not condition_holds(meta, brief_type, item.when):
            continue
        status = permits.get(key)
        if status is None:
            yield Problem(
                meta.ref_of("permits"),
                f"报建手续缺少“{label}”（{key}）：应写 {'/'.join(statuses)}；不需要办理的写“不适用（原因）”",
            )
            continue
        text = str(status).strip()
        matched = next((s for s in statuses if text.startswith(s)), None)
        if matched is None:
            yield Problem(
                meta.ref_of("permits", key),
                f"“{label}”的状态“{text}”无效：应为 {'/'.join(statuses)}",
            )
        elif matched == "不适用" and len(text.strip("（）() :：")) <= len("不适用"):
            yield Problem(
                meta.ref_of("permits", key),
                f"“{label}”写了“不适用”但没有说明原因：应写作“不适用（原因）”",
            )
    for key in permits:
        if key not in known:
            yield Problem(
                meta.ref_of("permits", key),
                f"报建手续中的“{key}”不是规则文件列出的手续：可选 {'、'.join(sorted(known))}",
            )


@rule("TP306", "attachment-type", Severity.WARNING, "附件文件夹中有不接受的文件类型")
def attachment_type(ctx: Context) -> Iterator[Problem]:
    docs = ctx.profile.documents
    town = ctx.the_town
    brief_type = docs.get("project_brief")
    checks: list[tuple[AttachmentSpec, tuple[Asset, ...]]] = []
    if town.master_plan is not None and "master_plan" in docs:
        checks += [
            (spec, town.master_plan.drawings)
            for spec in docs["master_plan"].attachments.values()
            if spec.folder
        ]
    for detailed in town.detailed_plans:
        plan_doctype = plan_type(ctx.profile, detailed.kind)
        if plan_doctype is not None:
            checks += [
                (spec, detailed.drawings)
                for spec in plan_doctype.attachments.values()
                if spec.folder
            ]
    if brief_type is not None:
        for project in town.projects:
            checks += [
                (spec, _project_folders(project, spec)) for spec in brief_type.attachments.values()
            ]
    for spec, assets in checks:
        for asset in assets:
            if spec.types and asset.suffix not in spec.types:
                message = f"{asset.name} 的类型 .{asset.suffix} 不是{spec.label}接受的类型（{'、'.join(spec.types)}）"
                yield Problem(SourceRef(asset.path), message)


@rule(
    "TP307",
    "photos-yaml",
    Severity.WARNING,
    "photos.yaml 说明了不存在的照片，或写错了阶段",
    "plan",
    ("R35",),
)
def photos_yaml(ctx: Context) -> Iterator[Problem]:
    stages = ("before", "progress", "after")
    for project in ctx.the_town.projects:
        meta = project.photos_meta
        if meta is None or not isinstance(meta.data, dict):
            continue
        names = {photo.asset.name for photo in project.photos} | {
            f"{photo.stage}/{photo.asset.name}" for photo in project.photos
        }
        for name, caption in meta.data.items():
            if name not in names:
                yield Problem(
                    meta.ref_of(name),
                    f"photos.yaml 说明了照片“{name}”，但 {project.folder}/photos/ 中没有这个文件",
                )
            if isinstance(caption, dict) and caption.get("stage") not in (None, *stages):
                yield Problem(
                    meta.ref_of(name, "stage"),
                    f"阶段“{caption.get('stage')}”无效：应为 before、progress 或 after",
                )
            pair = caption.get("pair") if isinstance(caption, dict) else None
            if pair is not None and str(pair) not in names:
                yield Problem(meta.ref_of(name, "pair"), f"对比照片“{pair}”不存在")
            yield from _caption_stage(project, meta, name, caption)


_STAGE_WORDS = {
    "before": ("改造前", "施工前", "建设前", "整治前", "开工前", "原状"),
    "after": ("改造后", "建成后", "完工后", "竣工后", "整治后"),
}
_STAGE_NAMES = {"before": "施工前", "progress": "施工中", "after": "建成后"}


def _caption_stage(
    project: Project, meta: Located, name: str, caption: object
) -> Iterator[Problem]:
    """A caption that names the other end of the works than the folder the photo is in: the album
    would print a 改造前 picture as 建成后."""
    text = caption.get("caption") if isinstance(caption, dict) else None
    photo = next(
        (p for p in project.photos if name in (p.asset.name, f"{p.stage}/{p.asset.name}")), None
    )
    if photo is None or not isinstance(text, str) or photo.stage not in _STAGE_WORDS:
        return
    other = "after" if photo.stage == "before" else "before"
    word = next((w for w in _STAGE_WORDS[other] if w in text), None)
    if word is not None and not any(w in text for w in _STAGE_WORDS[photo.stage]):
        message = (
            f"照片 {photo.asset.name} 放在 photos/{photo.stage}/（{_STAGE_NAMES[photo.stage]}），"
            f"说明却写“{text}”（{word}）：阶段与说明矛盾，图册的前后对比会出错，请核对照片或说明"
        )
        yield Problem(meta.ref_of(name, "caption"), message, Severity.ERROR)


@rule("TP308", "image-type-mismatch", Severity.WARNING, "图片实际格式与扩展名不符")
def image_type_mismatch(ctx: Context) -> Iterator[Problem]:
    for asset in ctx.the_town.assets():
        info = asset.image
        if info is None or info.error is not None or info.format is None:
            continue
        accepted = _FORMAT_SUFFIXES.get(info.format)
        if accepted is not None and asset.suffix not in accepted:
            yield Problem(
                SourceRef(asset.path),
                f"{asset.name} 实际是 {info.format} 格式，扩展名却是 .{asset.suffix}",
            )


@rule(
    "TP309",
    "photo-duplicate",
    Severity.ERROR,  # one picture cannot show a place both before and after the works
    "同一张照片（内容完全相同）用于不同阶段或重复出现",
    "plan",
    ("R35",),
)
def photo_duplicate(ctx: Context) -> Iterator[Problem]:
    for project in ctx.the_town.projects:
        seen: dict[str, tuple[str, str]] = {}
        for photo in project.photos:
            info = photo.asset.image
            if info is None or info.error is not None:
                continue
            first = seen.get(info.sha256)
            if first is None:
                seen[info.sha256] = (photo.asset.path, photo.stage)
                continue
            path, stage = first
            same_stage = (
                "同一阶段重复放置" if stage == photo.stage else "却分属不同阶段，前后对比将失去意义"
            )
            message = (
                f"照片 {photo.asset.name} 与 {path} 内容完全相同（SHA-256 一致），{same_stage}"
            )
            yield Problem(SourceRef(photo.asset.path), message)


@rule(
    "TP311",
    "photo-pair-by-order",
    Severity.WARNING,
    "施工前与建成后照片只能按文件顺序配对（未写明 pair，文件名和拍摄位置都对不上）",
    "plan",
    ("R35",),
)
def photo_pair_by_order(ctx: Context) -> Iterator[Problem]:
    for project in ctx.the_town.projects:
        for pair in pair_photos(project.photos):
            if pair.by is not PairedBy.ORDER or pair.before is None or pair.after is None:
                continue
            before, after = pair.before.asset, pair.after.asset
            message = (
                f"建成后照片 {after.name} 只能按文件顺序与施工前照片 {before.name} 对比："
                f"请在 {project.folder}/photos.yaml 写明 “{after.name}: {{pair: {before.name}}}”，"
                "或让两张照片的文件名一致（如 before/东段.jpg 与 after/东段.jpg）"
            )
            yield Problem(SourceRef(after.path), message)


@rule(
    "TP312",
    "photo-counts-unequal",
    Severity.WARNING,
    "施工前与建成后照片数量不等，观摩图册中有照片没有对比",
    "plan",
    ("R35",),
)
def photo_counts_unequal(ctx: Context) -> Iterator[Problem]:
    for project in ctx.the_town.projects:
        before = project.photos_in("before")
        after = project.photos_in("after")
        if not after or len(before) == len(after):
            continue  # no after-photos yet is TP301/TP302's to judge, by the progress
        alone = [
            (pair.before or pair.after).asset.name  # type: ignore[union-attr]
            for pair in pair_photos(project.photos)
            if pair.before is None or pair.after is None
        ]
        message = (
            f"施工前照片 {len(before)} 张、建成后照片 {len(after)} 张，数量不等："
            f"{'、'.join(alone)} 在观摩图册中没有对比照片（补拍同一视角，或移出不对比的照片）"
        )
        yield Problem(SourceRef(f"{project.folder}/photos"), message)
