"""What build writes and deletes stays inside build/, whatever the build folder, its manifest or a
town's name says; a write that fails half-way leaves the old file; build/ problems are told in
Chinese (issue 9, the output side)."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from townplans import build
from townplans.fs import PathPolicyError

NEW = b"new content " * 100_000  # 1.2 MB: written in more than one os.write


def _fail_after_part_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk fills up in the middle of the data: one chunk is written, the next one fails."""
    real_write = os.write
    calls = []

    def write(handle: int, data: bytes | memoryview) -> int:
        calls.append(len(data))
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(handle, bytes(data)[: len(data) // 2])

    monkeypatch.setattr(os, "write", write)


def _fail_at(name: str) -> Callable[[pytest.MonkeyPatch], None]:
    def inject(monkeypatch: pytest.MonkeyPatch) -> None:
        def fail(*_args: object) -> None:
            raise OSError(errno.EIO, "Input/output error")

        monkeypatch.setattr(os, name, fail)

    return inject


FAILURES = {
    "the disk fills during the write": _fail_after_part_written,
    "fsync fails": _fail_at("fsync"),
    "the rename fails": _fail_at("replace"),
}


@pytest.mark.parametrize("existing", [True, False], ids=["replacing", "new"])
@pytest.mark.parametrize("failure", FAILURES, ids=list(FAILURES))
def test_a_write_that_fails_half_way_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str, existing: bool
) -> None:
    root = tmp_path / "build"
    target = root / "weicheng" / "渭城镇总体规划.pdf"
    target.parent.mkdir(parents=True)
    if existing:
        target.write_bytes(b"old content")
    error: OSError | None = None
    with monkeypatch.context() as patch:
        FAILURES[failure](patch)
        try:
            build.write_atomic(root, target, NEW)
        except OSError as exc:
            error = exc
    if existing:
        assert target.read_bytes() == b"old content"
    else:
        assert not target.exists()
    assert sorted(p.name for p in target.parent.iterdir()) == ([target.name] if existing else [])
    assert error is not None  # the caller hears of the failure


def test_a_write_outside_its_root_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    root = tmp_path / "ws" / "build"
    root.mkdir(parents=True)
    (tmp_path / "ws" / "towns").mkdir()
    (root / "link").symlink_to(tmp_path / "ws" / "towns")
    for path in (
        root / ".." / "towns" / "x.pdf",
        tmp_path / "elsewhere.pdf",
        root / "link" / "x.pdf",
        root,
    ):
        with pytest.raises(PathPolicyError, match="拒绝写入"):
            build.write_atomic(root, path, b"data")
    assert not list((tmp_path / "ws" / "towns").iterdir())
    assert not (tmp_path / "elsewhere.pdf").exists()
    assert build.write_atomic(root, root / "a" / "b.pdf", b"data") == (root / "a" / "b.pdf")
    assert (root / "a" / "b.pdf").read_bytes() == b"data"
