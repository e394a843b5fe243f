"""The two versions of a document, read from git (or from an older copy), and who made each
change and when.

A document is one Markdown file, or a master plan's chapter files (``master-plan/*.md`` in name
order, as the loader reads them), compared as the concatenation of its chapters. A version is a
git revision (any name git understands: a tag, a branch, a commit id, ``HEAD~2``), the working
tree, or a Markdown file given by path (a copy kept outside git). Git runs as a subprocess,
never through a shell, inside the workspace, with ``--`` before paths; whatever goes wrong is a
``HistoryError`` with a Chinese message.

Attribution (``attribute``): a block the new version has (inserted, changed, moved) gets the
newest commit of the range ``from..to`` that touched its lines (``git blame --porcelain`` at
``to``); a deleted block, and a change blame cannot see (characters only removed), the first
version of the range whose text no longer has the old block, or first has the new one; the
working tree is its own version, by ``git config user.name`` (else the system user), now. The
reason (修改说明) of a change is the block's own ``<!-- 修改说明：… -->`` comment, else the ``reason``
(or, without one, the ``summary``) of the new version's entry in ``revisions:``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from townplans import errortext
from townplans.fs import os_error, read_regular
from townplans.limits import MAX_TEXT_FILE_BYTES
from townplans.model import SourceRef
from townplans.revision.align import align
from townplans.revision.blocks import file_blocks
from townplans.revision.model import Block, Comparison, Op, Revision, Step, Version
from townplans.sources import parse_yaml, split_front_matter

WORKTREE = "工作区"
UNCOMMITTED = "0" * 40
GIT_TIMEOUT = 120


class HistoryError(Exception):
    """A version that cannot be read (not a repository, an unknown revision, a file absent at
    that revision); the message is Chinese and names what is wrong."""


@dataclass(frozen=True, slots=True)
class Document:
    """What is compared: its name for the reader, and its files in the workspace."""

    name: str
    """The document's name as ``build`` names it, e.g. 渭城镇总体规划 ('' for a file ``build``
    does not make: its front matter's title is used)."""
    files: tuple[str, ...] = ()
    """Workspace-relative Markdown files (a single-file document)."""
    folder: str = ""
    """Workspace-relative chapter folder (a master plan): its ``*.md`` files in name order."""
    tag_prefix: str = ""
    """Tags naming this document's stages start with it (``weicheng-总体规划-``)."""

    @property
    def paths(self) -> tuple[str, ...]:
        return (self.folder,) if self.folder else self.files


@dataclass(frozen=True, slots=True)
class Text:
    """One version of a document: its files' texts in order (workspace-relative path, text)."""

    files: tuple[tuple[str, str], ...]

    def blocks(self) -> tuple[Block, ...]:
        return tuple(b for path, text in self.files for b in file_blocks(text, path))

    def meta(self) -> dict[str, object]:
        """The front matter of the first file (a master plan's first chapter), {} when it has
        none or it cannot be read."""
        if not self.files:
            return {}
        path, text = self.files[0]
        yaml_text, first, _ = split_front_matter(text)
        if yaml_text is None:
            return {}
        located, _ = parse_yaml(yaml_text, SourceRef(path), first)
        data = located.data if located is not None else None
        return dict(data) if isinstance(data, dict) else {}


# -- git ----------------------------------------------------------------------------------------


@dataclass
class Git:
    """The repository the workspace is in."""

    workspace: Path
    top: Path = field(init=False)

    def __post_init__(self) -> None:
        self.workspace = self.workspace.resolve()
        try:
            found = self.run("rev-parse", "--show-toplevel").strip()
        except HistoryError as exc:
            raise HistoryError(
                f"{self.workspace} 不在 git 仓库中：无法按版本比较。"
                "请用 --from 指定旧版本的 Markdown 文件（如 --from 旧版/总体规划.md）"
            ) from exc
        self.top = Path(found).resolve()

    def run(self, *args: str, allow: Sequence[int] = (0,)) -> str:
        """git's output (UTF-8); a failure is a ``HistoryError`` (git's own message with --debug)."""
        environment = {**os.environ, "LC_ALL": "C", "GIT_PAGER": "cat", "GIT_OPTIONAL_LOCKS": "0"}
        try:
            done = subprocess.run(
                ["git", "-c", "core.quotepath=off", *args],
                cwd=self.workspace,
                capture_output=True,
                env=environment,
                timeout=GIT_TIMEOUT,
                check=False,
            )
        except FileNotFoundError as exc:
            raise HistoryError("找不到 git 程序：请先安装 git（apt-get install git）") from exc
        except subprocess.TimeoutExpired as exc:
            raise HistoryError(f"git {args[0]} 超过 {GIT_TIMEOUT} 秒未完成") from exc
        if done.returncode not in allow:
            # git's own words are English (LC_ALL=C): shown with --debug, for a bug report
            said = done.stderr.decode("utf-8", "replace").strip()
            debug = f"\n（调试信息）{said[:500]}" if said and errortext.debugging() else ""
            raise HistoryError(f"git {args[0]} 失败（退出码 {done.returncode}）{debug}")
        return done.stdout.decode("utf-8", "replace")

    def repo_path(self, relative: str) -> str:
        """A workspace-relative path as the repository names it."""
        return (self.workspace / relative).resolve().relative_to(self.top).as_posix()

    def commit(self, revision: str) -> str:
        """The commit id ``revision`` names; an unknown one is a ``HistoryError``."""
        if not revision or revision.startswith("-"):
            raise HistoryError(f"版本名“{revision}”无效：应为提交号、标签或分支名")
        found = self.run(
            "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}",
            allow=(0, 1),
        ).strip()  # fmt: skip
        if not found:
            raise HistoryError(
                f"找不到版本“{revision}”：应为提交号、标签（git tag 列出全部标签）或分支名"
            )
        return found

    def revision(self, commit: str) -> Revision:
        author, _, date = (
            self.run("show", "-s", "--format=%an%x00%aI", commit).strip().partition("\0")
        )
        return Revision(author, dt.datetime.fromisoformat(date))

    def label(self, revision: str, commit: str) -> str:
        """A tag or branch as written; a commit id shortened."""
        if re.fullmatch(r"[0-9a-fA-F]{7,40}", revision):
            return commit[:8]
        return revision

    def last_tag(self, prefix: str) -> str | None:
        """The newest tag whose name starts with ``prefix``."""
        if not prefix:
            return None
        listed = self.run(
            "tag", "--list", "--sort=-creatordate", "--", f"{_glob_escaped(prefix)}*"
        ).split()
        return listed[0] if listed else None

    def range(self, old: str, new: str) -> list[str]:
        """Commits of ``old..new``, oldest first."""
        return self.run("rev-list", "--reverse", "--topo-order", f"{old}..{new}").split()

    def text(self, commit: str, document: Document, label: str) -> Text:
        """The document as it stands in ``commit``."""
        if document.folder:
            folder = self.repo_path(document.folder)
            names = self.run("ls-tree", "--name-only", commit, "--", f"{folder}/").split("\n")
            chapters = sorted(
                n for n in names if n.endswith(".md") and not Path(n).name.startswith(".")
            )
            if not chapters:
                raise HistoryError(f"版本 {label} 中没有 {document.folder}/ 下的章节文件（*.md）")
            files = [(f"{document.folder}/{Path(n).name}", n) for n in chapters]
        else:
            files = [(p, self.repo_path(p)) for p in document.files]
        texts = []
        for relative, in_repo in files:
            try:
                data = self.run("show", f"{commit}:{in_repo}")
            except HistoryError as exc:
                raise HistoryError(f"版本 {label} 中没有文件 {relative}") from exc
            texts.append((relative, data))
        return Text(tuple(texts))

    def blame(self, commit: str | None, relative: str) -> dict[int, str]:
        """The commit of each line (1-based) of a file at ``commit`` (None: the working tree,
        uncommitted lines ``UNCOMMITTED``); {} when git cannot blame it (a new file)."""
        at = [commit] if commit else []
        try:
            output = self.run("blame", "--porcelain", *at, "--", self.repo_path(relative))
        except HistoryError:
            return {}
        lines: dict[int, str] = {}
        for line in output.splitlines():
            found = re.match(r"^([0-9a-f]{40}) \d+ (\d+)", line)
            if found:
                lines[int(found.group(2))] = found.group(1)
        return lines


def _glob_escaped(text: str) -> str:
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


UNSIGNED = "未署名"
"""The author of the working tree's changes when neither ``--author`` nor git's user.name says."""


def worktree_revision(
    git: Git | None,
    now: dt.datetime | None = None,
    author: str | None = None,
    root: Path | None = None,
) -> Revision:
    """Who is editing the working tree (``author``, else ``git config user.name``, read in
    ``root`` even outside a repository; never the login name, which says nothing to a
    reviewer), and when (``now``, else now)."""
    name = (author or "").strip()
    if not name and git is not None:
        try:
            name = git.run("config", "user.name", allow=(0, 1)).strip()
        except HistoryError:
            name = ""
    if not name and root is not None:
        name = _configured_name(root)
    return Revision(name or UNSIGNED, now or dt.datetime.now().astimezone())


def _configured_name(root: Path) -> str:
    """``git config user.name`` in ``root`` (the user's or the system's configuration: no
    repository needed); '' when git is absent or says nothing."""
    try:
        done = subprocess.run(
            ["git", "config", "user.name"], cwd=root, capture_output=True, text=True,
            timeout=GIT_TIMEOUT, check=False,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def entry_date(meta: Mapping[str, object], number: str) -> dt.date | None:
    """The date of the front matter's ``revisions:`` entry of version ``number`` (written with
    or without its “v”); None when there is none or its date cannot be read."""
    entries = meta.get("revisions")
    if not number or not isinstance(entries, list):
        return None
    key = number.lower().lstrip("v")
    for entry in entries:
        if isinstance(entry, dict) and str(entry.get("version", "")).lower().lstrip("v") == key:
            raw = entry.get("date")
            if isinstance(raw, dt.datetime):
                return raw.date()
            if isinstance(raw, dt.date):
                return raw
            try:
                return dt.date.fromisoformat(str(raw))
            except ValueError:
                return None
    return None


def read_worktree(root: Path, document: Document) -> Text:
    """The document as the working tree has it."""
    if document.folder:
        folder = root / document.folder
        try:
            names = sorted(
                n for n in os.listdir(folder) if n.endswith(".md") and not n.startswith(".")
            )
        except OSError as exc:
            raise HistoryError(f"无法读取 {document.folder}：{os_error(exc, folder)}") from exc
        relatives = [f"{document.folder}/{n}" for n in names]
    else:
        relatives = list(document.files)
    return Text(tuple((r, read_file(root / r, r)) for r in relatives))


def read_file(path: Path, shown: str) -> str:
    try:
        return read_regular(path, MAX_TEXT_FILE_BYTES).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HistoryError(f"{shown} 不是 UTF-8 编码的文本文件") from exc
    except OSError as exc:
        raise HistoryError(f"无法读取 {os_error(exc, path)}") from exc


# -- the comparison -----------------------------------------------------------------------------


@dataclass
class Side:
    """One version as read: its text, label, revision, and (in git) its commit."""

    text: Text
    label: str
    revision: Revision | None
    commit: str | None = None
    """The commit; None for the working tree or a file."""
    worktree: bool = False


def compare_document(
    root: Path,
    document: Document,
    old: str | None,
    new: str | None,
    now: dt.datetime | None = None,
    author: str | None = None,
) -> Comparison:
    """``document`` compared between ``old`` (a revision or a Markdown file; default: the last
    tag of the document, else HEAD) and ``new`` (a revision; default the working tree), each
    change with its author, date and reason. The working tree's changes are by ``author`` (else
    git's user.name), dated ``now``; compared with a file (no history), else dated by the
    working tree's own ``revisions:`` entry; else now."""
    root = root.resolve()
    old_file = _as_file(root, old)
    git = None if old_file is not None and new is None and not _in_git(root) else Git(root)
    if old_file is not None:
        before = Side(Text(((old_file.name, read_file(old_file, str(old))),)), old_file.name, None)
    else:
        assert git is not None
        revision = old or git.last_tag(document.tag_prefix) or "HEAD"
        before = _git_side(git, revision, document)
    if new is None:
        text = read_worktree(root, document)
        if now is None and old_file is not None:  # no history: the version's own date
            meta = text.meta()
            dated = entry_date(meta, str(meta.get("version") or ""))
            now = dt.datetime.combine(dated, dt.time()).astimezone() if dated else None
        stamp = worktree_revision(git, now, author, root)
        after = Side(text, WORKTREE, stamp, worktree=True)
    else:
        assert git is not None
        after = _git_side(git, new, document)
    old_blocks, new_blocks = before.text.blocks(), after.text.blocks()
    steps = align(old_blocks, new_blocks)
    history = History(git, before, after, document)
    meta = after.text.meta()
    return Comparison(
        document.name or title(meta, after.text),
        Version(before.label, old_blocks, before.revision, before.text.meta()),
        Version(after.label, new_blocks, after.revision, meta),
        attribute(steps, history.who, reason_of(meta)),
    )


def title(meta: Mapping[str, object], text: Text) -> str:
    """A document's name from its front matter's title, without a period in brackets
    (渭城镇总体规划（2021—2035年） → 渭城镇总体规划), else its first file's name."""
    written = str(meta.get("title") or "").strip()
    written = re.sub(r"[（(][^（(]*[）)]$", "", written).strip()
    return written or (Path(text.files[0][0]).stem if text.files else "文档")


def _in_git(root: Path) -> bool:
    try:
        Git(root)
    except HistoryError:
        return False
    return True


def _as_file(root: Path, revision: str | None) -> Path | None:
    """``revision`` when it names a Markdown file (relative to the current folder or the
    workspace), else None."""
    if revision is None:
        return None
    for base in (Path.cwd(), root):
        candidate = base / revision
        if candidate.is_file():
            return candidate
    if revision.endswith(".md"):
        raise HistoryError(f"找不到文件 {revision}（--from 应为版本名或旧版本的 Markdown 文件）")
    return None


def _git_side(git: Git, revision: str, document: Document) -> Side:
    commit = git.commit(revision)
    label = git.label(revision, commit)
    return Side(git.text(commit, document, label), label, git.revision(commit), commit)


@dataclass
class History:
    """What attribution needs: the repository, both sides, the versions in between."""

    git: Git | None
    old: Side
    new: Side
    document: Document
    _blame: dict[str, dict[int, str]] = field(default_factory=dict)
    _versions: list[tuple[Revision, set[str]]] | None = None
    _range: set[str] | None = None
    _revisions: dict[str, Revision] = field(default_factory=dict)

    def who(self, step: Step) -> Revision | None:
        """The revision that made ``step``."""
        if self.git is None or step.op is Op.EQUAL:
            return self.new.revision
        if step.new is not None and step.op in (Op.INSERT, Op.MODIFY, Op.MOVE_TO):
            found = self._blamed(step.new)
            if found is not None:
                return found
            if step.op is Op.MODIFY or step.op is Op.MOVE_TO:
                return self._first(lambda texts: step.new is not None and step.new.text in texts)
        if step.old is not None:
            return self._first(lambda texts: step.old is not None and step.old.text not in texts)
        return self.new.revision

    def _blamed(self, block: Block) -> Revision | None:
        """The newest commit of the range that touched the block's lines."""
        assert self.git is not None
        if block.path not in self._blame:
            self._blame[block.path] = self.git.blame(self.new.commit, block.path)
        lines = self._blame[block.path]
        span = range(block.line, block.line + max(1, len(block.source.splitlines())))
        commits = {lines[n] for n in span if n in lines}
        if UNCOMMITTED in commits and self.new.worktree:
            return self.new.revision
        inside = [c for c in commits if self._in_range(c)]
        if not inside:
            return None
        return max((self._revision(c) for c in inside), key=lambda r: r.date)

    def _in_range(self, commit: str) -> bool:
        assert self.git is not None
        if self.old.commit is None:
            return commit != UNCOMMITTED
        if self._range is None:
            self._range = set(self.git.range(self.old.commit, self.new.commit or "HEAD"))
        return commit in self._range

    def _revision(self, commit: str) -> Revision:
        assert self.git is not None
        if commit not in self._revisions:
            self._revisions[commit] = self.git.revision(commit)
        return self._revisions[commit]

    def _first(self, holds: Callable[[set[str]], bool]) -> Revision | None:
        """The revision of the first version of the range (then the new side itself) whose
        block texts satisfy ``holds``."""
        for revision, texts in self._each_version():
            if holds(texts):
                return revision
        return self.new.revision

    def _each_version(self) -> list[tuple[Revision, set[str]]]:
        if self._versions is None:
            assert self.git is not None
            self._versions = []
            if self.old.commit is not None:
                for commit in self.git.range(self.old.commit, self.new.commit or "HEAD"):
                    try:
                        text = self.git.text(commit, self.document, commit[:8])
                    except HistoryError:
                        continue  # the document does not exist in that commit
                    texts = {b.text for b in text.blocks()}
                    self._versions.append((self._revision(commit), texts))
            if self.new.revision is not None:
                self._versions.append((self.new.revision, {b.text for b in self.new.text.blocks()}))
        return self._versions


def attribute(
    steps: Sequence[Step], who: Callable[[Step], Revision | None], fallback: str
) -> tuple[Step, ...]:
    """Each change with its revision and its reason (the block's comment, else ``fallback``);
    the two halves of a move share the revision of the new half."""
    moved: dict[int, Revision | None] = {}
    for step in steps:
        if step.op is Op.MOVE_TO and step.move not in moved:
            moved[step.move] = who(step)
    result = []
    for step in steps:
        if step.op is Op.EQUAL:
            result.append(step)
            continue
        revision = (
            moved.get(step.move)
            if step.move and step.op in (Op.MOVE_FROM, Op.MOVE_TO)
            else who(step)
        )
        block = step.new if step.new is not None else step.old
        reason = (block.reason if block is not None else "") or fallback
        result.append(replace(step, revision=revision, reason=reason))
    return tuple(result)


def reason_of(meta: Mapping[str, object]) -> str:
    """The 修改说明 of the revision entry of the front matter's ``version`` (else the last
    ``revisions:`` entry): its ``reason``, else its ``summary``; '' when there is none (the entries may be written any way: read
    defensively)."""
    entries = meta.get("revisions")
    if not isinstance(entries, list):
        return ""
    usable = [e for e in entries if isinstance(e, dict)]
    version = meta.get("version")
    chosen = next((e for e in usable if version and str(e.get("version")) == str(version)), None)
    if chosen is None and usable:
        chosen = usable[-1]
    if chosen is None:
        return ""
    keys = ("reason", "修改说明", "summary", "摘要")
    return next((str(chosen[key]).strip() for key in keys if chosen.get(key)), "")
