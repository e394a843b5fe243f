"""Answers remembered: a ``build`` with nothing to do gives the answer the last build left for it,
without loading the workspace, as long as nothing that answer rests on has moved since.

An answer rests on its *key* and on build/ as the build left it. The key covers what a build reads
and what it is asked: every file under towns/ and the templates (the workspace's or the shipped
ones), the git repository's HEAD and refs (revision outputs compare with named commits), the
program (townplans' own files, the Python version, the folders packages are installed in), the
environment variables a build reads, the command's options and today's date (rules judge dates).
A file counts as unchanged while its size, mtime, ctime and inode are as they were: the way git's
index and ninja judge files, and an edit moves the ctime even when a tool puts the mtime back.
Nothing is read to make the key; files are only looked at (``stat``), git's included.

The answer is stored as JSON in build/.cache/answers.json, never as pickle: a build folder may come
from elsewhere, so it is read as untrusted, and any doubt (a key that differs, an output or the
manifest moved or gone, a name that is not a plain name in build/) means the build runs in full.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from townplans import __version__
from townplans.fs import PathPolicyError, confine, open_regular, safe_entry
from townplans.limits import MAX_BUILD_STATE_BYTES
from townplans.model import Finding, Severity, SourceRef
from townplans.paths import WorkspacePaths

FORMAT = 2
ENVIRONMENT = ("SOURCE_DATE_EPOCH", "TZ")
"""Variables a build reads besides those starting with ``TOWNPLANS_``."""
_PACKAGE = Path(__file__).resolve().parent
_SKIPPED = frozenset({"__pycache__", ".mypy_cache", ".pytest_cache"})


def answers_path(paths: WorkspacePaths) -> Path:
    return paths.build / ".cache" / "answers.json"


# -- the key ------------------------------------------------------------------------------------------


def key(paths: WorkspacePaths, command: str, options: Sequence[str], today: dt.date) -> str:
    """What the answer of ``command`` with ``options`` on ``today`` rests on, as one digest."""
    digest = hashlib.sha256()
    for part in (FORMAT, __version__, sys.version, command, *options, today.isoformat()):
        digest.update(f"{part}\0".encode("utf-8", "surrogateescape"))
    for name in sorted(os.environ):
        if name in ENVIRONMENT or name.startswith("TOWNPLANS_"):
            digest.update(f"{name}={os.environ[name]}\0".encode("utf-8", "surrogateescape"))
    for folder in (paths.towns, paths.templates, _PACKAGE):
        digest.update(f"{folder}\0".encode("utf-8", "surrogateescape"))
        _stamp_tree(digest, folder)
    for installed in sys.path:  # installing or removing a package changes its folder
        _stamp_entry(digest, installed)
    repository, files = _git_state(paths.root)
    digest.update(f"{repository}\0".encode("utf-8", "surrogateescape"))
    for file in files:
        _stamp_entry(digest, file)
    return digest.hexdigest()


def _stamp_tree(digest: hashlib._Hash, folder: Path | str) -> None:
    """Every entry under ``folder`` by name and stat, in name order; a symlink by its target and
    the stat of what it points to too (the loader judges links itself)."""
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as exc:
        digest.update(f"!{folder}:{exc.errno}\0".encode("utf-8", "surrogateescape"))
        return
    for entry in entries:
        if entry.name in _SKIPPED:
            continue
        _stamp_entry(digest, entry.path)
        if entry.is_dir(follow_symlinks=False):
            _stamp_tree(digest, entry.path)


def _stamp_entry(digest: hashlib._Hash, path: str | Path) -> None:
    digest.update(f"{path}\0".encode("utf-8", "surrogateescape"))
    try:
        info = os.lstat(path)
        digest.update(_stat_text(info).encode())
        if stat.S_ISLNK(info.st_mode):
            digest.update(os.readlink(path).encode("utf-8", "surrogateescape"))
            digest.update(_stat_text(os.stat(path)).encode())
    except (OSError, ValueError) as exc:
        digest.update(f"!{getattr(exc, 'errno', None)}\0".encode())


def _stat_text(info: os.stat_result) -> str:
    return f"{info.st_mode}:{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}:{info.st_ino}\0"


def _git_state(root: Path) -> tuple[str, list[str]]:
    """Which repository holds ``root`` (or why none), and the files that say which commit HEAD
    and every ref name: HEAD, packed-refs and refs/ (the loader asks git which commit a
    revision names; these move whenever an answer would)."""
    try:
        found = subprocess.run(
            ["git", "rev-parse", "--absolute-git-dir", "--git-common-dir"], cwd=root,
            capture_output=True, env={**os.environ, "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0"},
            timeout=60, check=False,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "git unavailable", []
    lines = found.stdout.decode("utf-8", "surrogateescape").splitlines()
    if found.returncode != 0 or len(lines) != 2:
        return "no repository", []
    own, common = Path(lines[0]), root / lines[1]
    listed = [str(own / "HEAD"), str(common / "packed-refs")]
    return str(common), listed + sorted(_tree(common / "refs"))


def _tree(folder: Path) -> Iterable[str]:
    for base, _folders, files in os.walk(folder):
        yield base
        yield from (os.path.join(base, name) for name in files)


# -- the answer --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answer:
    """What a build with nothing to do says: its outputs (label and name in build/, in the plan's
    order), the check's active errors and its verdict line; and the files it rests on in build/,
    each (the manifest, then the outputs in order) with its size, mtime, ctime and inode as the
    build left them."""

    key: str
    outputs: tuple[tuple[str, str], ...]
    errors: tuple[Finding, ...]
    summary: str
    index: str | None
    stamps: tuple[str, ...]
    """The stat of the manifest, then of every output (``outputs``' order)."""

    def to_json(self) -> str:
        data = {
            "format": FORMAT,
            "key": self.key,
            "outputs": [list(pair) for pair in self.outputs],
            "errors": [_finding_data(f) for f in self.errors],
            "summary": self.summary,
            "index": self.index,
            "stamps": list(self.stamps),
        }
        return json.dumps(data, ensure_ascii=False)


def remember(
    build_dir: Path,
    answer_key: str,
    outputs: Sequence[tuple[str, Path]],
    errors: Sequence[Finding],
    summary: str,
    index: Path | None,
) -> Answer | None:
    """The answer a build that just finished leaves for the next one, with build/ as it is now;
    None when an output is not a regular file in build/ (the next build must look)."""
    named = tuple((label, path.relative_to(build_dir).as_posix()) for label, path in outputs)
    stamps = _stamps(build_dir, named)
    if not all(stamps):
        return None
    shown_index = index.relative_to(build_dir).as_posix() if index is not None else None
    return Answer(answer_key, named, tuple(errors), summary, shown_index, stamps)


def recall(path: Path, build_dir: Path, answer_key: str) -> Answer | None:
    """The answer stored at ``path`` when it is for ``answer_key`` and every file it rests on in
    ``build_dir`` is as it was; None otherwise (or when the file is not one this module wrote)."""
    try:
        confine(path.parent, build_dir)  # never read through a link out of build/
        with open_regular(path, follow_symlinks=False) as stream:
            data = json.loads(stream.read(MAX_BUILD_STATE_BYTES))
        answer = _answer(data)
    except (OSError, ValueError, TypeError, KeyError, RecursionError, PathPolicyError):
        return None
    if answer is None or answer.key != answer_key:
        return None
    return answer if _stamps(build_dir, answer.outputs) == answer.stamps else None


def _stamps(build_dir: Path, outputs: Sequence[tuple[str, str]]) -> tuple[str, ...]:
    """The stat of the manifest and of every output, as ``Answer.stamps`` records them."""
    names = (".manifest.json", *(name for _, name in outputs))
    return tuple(_file_stamp(build_dir / name) for name in names)


def _file_stamp(path: Path) -> str:
    """A regular file's stat as text; empty for anything else (a symlink is never followed)."""
    try:
        info = os.lstat(path)
    except OSError:
        return ""
    return _stat_text(info) if stat.S_ISREG(info.st_mode) else ""


def _answer(data: object) -> Answer | None:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    index = data["index"]
    if index is not None and not isinstance(index, str):
        return None
    answer = Answer(
        _text(data["key"]),
        tuple(_pair(item) for item in data["outputs"]),
        tuple(_finding(item) for item in data["errors"]),
        _text(data["summary"]),
        index,
        tuple(_text(item) for item in data["stamps"]),
    )
    names = [name for _, name in answer.outputs] + ([index] if index is not None else [])
    return None if any(safe_entry(name) for name in names) else answer


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("应为文本")
    return value


def _pair(value: object) -> tuple[str, str]:
    if not isinstance(value, list) or len(value) != 2:
        raise TypeError("应为两项")
    return _text(value[0]), _text(value[1])


def _finding_data(finding: Finding) -> dict[str, object]:
    ref = finding.ref
    return {
        "code": finding.code, "severity": finding.severity.name, "message": finding.message,
        "path": ref.path, "line": ref.line, "col": ref.col, "source": finding.source,
        "waiver": finding.waiver,
    }  # fmt: skip


def _finding(value: object) -> Finding:
    if not isinstance(value, dict):
        raise TypeError("应为表")
    line, col, waiver = value["line"], value["col"], value["waiver"]
    if not all(isinstance(n, int) or n is None for n in (line, col)):
        raise TypeError("行号应为整数")
    ref = SourceRef(_text(value["path"]), line, col)
    return Finding(
        _text(value["code"]),
        Severity[_text(value["severity"])],
        _text(value["message"]),
        ref,
        _text(value["source"]),
        None if waiver is None else _text(waiver),
    )
