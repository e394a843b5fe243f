"""Shared fixtures: the repository's sample workspace, copies of it to break, the shared corpora."""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import tempfile
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

import townplans.build
import townplans.knowledge
import townplans.limits
import townplans.load.images
import townplans.profile
import townplans.session
from tests import build_guard
from townplans.limits import MAX_IMAGE_FILE_BYTES
from townplans.load import load_workspace
from townplans.model import ImageInfo, Workspace
from townplans.profile import Profile, load_profile
from townplans.render import faces

_SLOW_IS_FINE = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
settings.register_profile(
    "townplans", max_examples=50, deadline=None, derandomize=True,
    suppress_health_check=_SLOW_IS_FINE,
)  # fmt: skip
"""``make test``: the same examples on every run, so CI fails only for a change, never by chance;
fifty of them, so the inner loop stays under two minutes (``make fuzz`` runs thousands)."""
settings.register_profile(
    "fuzz", max_examples=3000, deadline=None, suppress_health_check=_SLOW_IS_FINE
)
"""``make fuzz``: thousands of fresh examples; what fails is kept in .hypothesis and replayed."""
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "townplans"))

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TOWNPLANS_SHARED", REPO.parent / "shared"))
"""The shared corpora: beside the repository, as on the developers' machines and in CI."""


def require_corpora() -> None:
    """Skip when the shared corpora are not beside the repository, except in CI, where they are
    always laid out and a missing folder must fail rather than quietly skip."""
    if (SHARED / "corpora").is_dir():
        return
    message = f"找不到共享语料 {SHARED}/corpora（可用 TOWNPLANS_SHARED 指定）"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared() -> Path:
    """The shared corpora beside the repository (CI lays them out the same way)."""
    require_corpora()
    return SHARED


@pytest.fixture(scope="session")
def profile() -> Profile:
    result = load_profile(REPO / "templates" / "profile.yaml", REPO)
    assert result.profile is not None, result.findings
    return result.profile


@pytest.fixture(scope="session")
def sample(profile: Profile) -> Workspace:
    """The sample district as committed in towns/."""
    return load_workspace(REPO, profile)


_FONTS: dict[str, str] = {}
"""The session's own copy of templates/fonts (``PRISTINE``), by file name, with each file's
SHA-256: what every workspace copy hard-links its fonts to."""
PRISTINE = Path(tempfile.gettempdir()) / f"townplans-fonts-{os.getpid()}"


def _pristine_fonts() -> Path:
    """templates/fonts copied once for this test process, beside the temporary folders (a hard
    link needs the same file system). Workspace copies link their fonts here instead of copying
    20 MB each (hundreds of copies wrote gigabytes a run); links to the repository's own files
    would let a test that wrote into a font change the checkout. ``_fonts_left_alone`` checks at
    the end that no test wrote through a link."""
    if not _FONTS:
        PRISTINE.mkdir(exist_ok=True)
        for font in sorted((REPO / "templates/fonts").iterdir()):
            copied = Path(shutil.copy2(font, PRISTINE / font.name))
            _FONTS[font.name] = hashlib.sha256(copied.read_bytes()).hexdigest()
        atexit.register(shutil.rmtree, PRISTINE, ignore_errors=True)
    return PRISTINE


def _fonts_of(root: Path) -> Callable[[str, list[str]], list[str]]:
    """A copytree ``ignore`` leaving out the files of ``root``'s templates/fonts."""
    fonts = str(root / "templates/fonts")
    return lambda folder, names: list(_FONTS) if folder == fonts else []


def copy_tree(source: Path, target: Path) -> Path:
    """``shutil.copytree`` (symlinks kept as links) with the files of any ``templates/fonts``
    hard-linked instead of copied: they are never written by a test (``_fonts_left_alone``)."""

    def copy(src: str, dst: str) -> object:
        if Path(src).parent.name == "fonts" and Path(src).parent.parent.name == "templates":
            try:
                os.link(src, dst)
                return dst
            except OSError:
                pass  # another file system: copied
        return shutil.copy2(src, dst)

    return Path(shutil.copytree(source, target, symlinks=True, copy_function=copy))


def own_fonts(root: Path) -> Path:
    """``root`` with its templates/fonts copied rather than hard-linked (``copy_tree``): a hard
    link's ctime moves whenever another test links or removes a copy of the same file, and a
    build's answer is keyed by the stat, ctime included, of every file under templates/
    (``townplans.answers``), so a test asking for an answer from memory failed now and then."""
    for font in (root / "templates" / "fonts").iterdir():
        if font.is_file() and font.stat().st_nlink > 1:
            private = font.with_name(font.name + ".copy")
            shutil.copy2(font, private)
            private.replace(font)
    return root


@pytest.fixture(scope="session", autouse=True)
def _fonts_left_alone() -> Iterator[None]:
    """Every workspace copy's fonts are links to the session's pristine copy: a test that wrote
    into one would change them for every other test, so the run fails if one did."""
    yield
    changed = [
        name
        for name, digest in _FONTS.items()
        if hashlib.sha256((PRISTINE / name).read_bytes()).hexdigest() != digest
    ]
    assert not changed, f"a test wrote into a linked font of templates/fonts: {changed}"


def copy_workspace(
    target: Path, towns: tuple[str, ...] = (), *, list_all: bool = False, reports: int | None = None
) -> Path:
    """A copy of the sample workspace (templates and towns, optionally only some towns).

    With only some towns, district.yaml lists just those (as a district of those towns would):
    a listed town without its folder is a district-level error (TP006), which fails ``check`` and
    refuses every town's package. ``list_all`` keeps the sample's full list. ``reports`` keeps
    only that many of each town's latest weekly reports: a test of the build engine (workers,
    locks, reproducibility) needs outputs of every kind, not the 周报 and 通报 of eight weeks,
    which are half of a build's outputs (the weeks left out are findings, TP521, not failures)."""
    fonts = _pristine_fonts()
    shutil.copytree(REPO / "templates", target / "templates", ignore=_fonts_of(REPO))
    for name in _FONTS:  # linked to the session's copy, never to the checkout's files
        os.link(fonts / name, target / "templates/fonts" / name)
    (target / "towns").mkdir(parents=True)
    district = (REPO / "towns" / "district.yaml").read_text(encoding="utf-8")
    if towns and not list_all:
        lines = district.splitlines(keepends=True)
        district = "".join(line for line in lines if not _lists_other_town(line, towns))
    (target / "towns" / "district.yaml").write_text(district, encoding="utf-8")
    for town in towns or tuple(p.name for p in (REPO / "towns").iterdir() if p.is_dir()):
        shutil.copytree(REPO / "towns" / town, target / "towns" / town)
        if reports is not None:
            kept = sorted((target / "towns" / town / "reports").glob("*.md"))
            for report in kept[: max(len(kept) - reports, 0)]:
                report.unlink()
    return target


def warm_probe_cache(root: Path, copied_from: Path | None = None) -> None:
    """Write ``root``'s image probe cache (build/.cache/images.json), as the first build of a
    checkout leaves it: a ``townplans`` child process run on a fresh copy then reads every
    photo's facts from it instead of decoding and hashing each one again (about half of a
    ``check``'s time on two towns). In-process the probes come from
    ``_probes_remembered_by_content``. A file a test changes afterwards is probed again (the
    cache knows it by size, mtime, ctime and inode).

    ``copied_from``: ``root`` was just copied (``copytree`` keeps sizes and mtimes) from that
    workspace, whose cache is written: its entries are carried over to the copy's files, each
    under the copy's own signature, and nothing is read (probing again read every photo)."""
    from townplans.load.images import IMAGE_SUFFIXES, ProbeCache, probe_all
    from townplans.paths import WorkspacePaths

    root = root.resolve()
    if copied_from is not None and _carry_probe_cache(copied_from.resolve(), root):
        return
    images = [
        path
        for path in sorted((root / "towns").rglob("*"))
        if path.suffix.lower().lstrip(".") in IMAGE_SUFFIXES
        and stat.S_ISREG(path.lstat().st_mode)
        and not any(part.startswith(".") for part in path.relative_to(root).parts)
    ]
    cache = ProbeCache()
    probe_all(images, cache=cache)  # what the loader finds besides, it probes itself
    target = WorkspacePaths(root).probe_cache
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(cache.to_json(), encoding="utf-8")


def _carry_probe_cache(source: Path, root: Path) -> bool:
    """``source``'s probe cache re-keyed for its fresh copy ``root``: an entry is carried only
    when the copy's file has the size and mtime the source's had when probed (the same bytes,
    copied). False when ``source`` has no readable cache."""
    from townplans.load.images import PROBE_FORMAT
    from townplans.paths import WorkspacePaths

    try:
        data = json.loads(WorkspacePaths(source).probe_cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(data, dict) or data.get("format") != PROBE_FORMAT:
        return False
    files = {}
    for name, entry in data["files"].items():
        path = root / Path(name).relative_to(source)
        try:
            info = path.lstat()
        except OSError:
            continue
        size, mtime_ns = entry["stat"][:2]
        if stat.S_ISREG(info.st_mode) and (info.st_size, info.st_mtime_ns) == (size, mtime_ns):
            signature = [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]
            files[str(path)] = {"stat": signature, "info": entry["info"]}
    target = WorkspacePaths(root).probe_cache
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"format": PROBE_FORMAT, "files": files}), encoding="utf-8")
    return True


def _lists_other_town(line: str, towns: tuple[str, ...]) -> bool:
    """Whether a line of district.yaml's towns list names a town not in ``towns``."""
    return "{slug: " in line and line.split("{slug: ", 1)[1].split(",", 1)[0] not in towns


# -- building is for tests marked slow (tests/build_guard.py) ------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    """The guard knows which test runs: its setup (fixtures of any scope it is first to ask for),
    its call and its teardown."""
    build_guard.begin(item)
    try:
        return (yield)
    finally:
        build_guard.end()


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[object], request: pytest.FixtureRequest
) -> Generator[None, object, object]:
    """The guard knows which fixtures are being made, to remember those that build."""
    build_guard.fixture_started(fixturedef.argname)
    try:
        return (yield)
    finally:
        build_guard.fixture_ended()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test asking for a fixture that builds needs a build: without the mark it fails before
    any fixture is made (whether or not another test had it built already)."""
    reason = build_guard.needs_a_build(item)
    if reason is not None:
        pytest.fail(reason, pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A refused build fails the test even when the code under test caught the failure (a CLI's
    last-resort handler, a server's thread)."""
    report: pytest.TestReport = yield
    if build_guard.refused:
        if report.passed:
            report.outcome = "failed"
            report.longrepr = "\n".join(build_guard.refused)
        build_guard.refused.clear()
    return report


# -- order: the shared build first, beside tests that need none --------------------------------


SHARED_BUILD = "district_build"
SHARED_WORD = "district_word_pdfs"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """One test that needs the shared build and LibreOffice's PDFs of it first, then every test
    that needs neither, then the rest. pytest-xdist hands tests out in this order, one to each
    worker in turn: the first worker makes the build (about a minute) while the other runs
    tests without it, where in file order (test_album first) the other worker waited on the
    build's lock for most of that minute."""

    def shared(item: pytest.Item) -> bool:
        return SHARED_BUILD in getattr(item, "fixturenames", ())

    starter = next(
        (item for item in items if SHARED_WORD in getattr(item, "fixturenames", ())),
        next((item for item in items if shared(item)), None),
    )
    if starter is None:
        return
    rest = [item for item in items if item is not starter]
    items[:] = [starter, *(i for i in rest if not shared(i)), *(i for i in rest if shared(i))]


@pytest.fixture(autouse=True)
def _ctrl_c_left_as_found() -> Iterator[None]:
    """A test leaves Ctrl+C as it found it: a SIGINT handler changed in the worker is inherited
    by every command it starts later (an ignored one, as a shell gives a background job, kept a
    Ctrl+C test's build running to the end)."""
    before = signal.getsignal(signal.SIGINT)
    yield
    after = signal.getsignal(signal.SIGINT)
    if after is not before:
        signal.signal(signal.SIGINT, before)
        pytest.fail(f"the test changed SIGINT's handler ({before!r} → {after!r})", pytrace=False)


@pytest.fixture(scope="session", autouse=True)
def _builds_only_in_slow_tests() -> Iterator[None]:
    """The build engine's making of outputs and ``subprocess.Popen``, guarded for the whole
    session."""
    with pytest.MonkeyPatch.context() as patch:
        making = build_guard.guarded_making(townplans.build._make_all)
        patch.setattr(townplans.build, "_make_all", making)
        patch.setattr(subprocess, "Popen", build_guard.GuardedPopen)
        yield


@pytest.fixture(scope="session", autouse=True)
def _probes_remembered_by_content() -> Iterator[None]:
    """The loader's image probe remembered by the file's bytes for the whole session.

    A test's fresh copy of the sample has new inodes and ctimes, so the loader's own cache (keyed
    by those, as it must be for a planner's files) never hits, and every check of a copy decoded
    and hashed each photo again: about 0.4 s of CPU a check, over the suite minutes. What a
    probe finds is a function of the bytes alone (``ImageInfo`` names no path), so a probe of
    bytes probed before under the same limits returns the same facts; new bytes, a limit a test
    changed, and anything but a regular file within the loader's size limit still go through
    the real probe."""
    probe = townplans.load.images._probe
    found: dict[tuple[bytes, tuple[object, ...]], ImageInfo] = {}

    def remembered(path: Path) -> ImageInfo:
        try:
            info = os.lstat(path)
        except OSError:
            return probe(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_IMAGE_FILE_BYTES:
            return probe(path)
        key = (hashlib.sha256(path.read_bytes()).digest(), _limits())
        if key not in found:
            found[key] = probe(path)
        return found[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(townplans.load.images, "_probe", remembered)
        yield


@pytest.fixture(scope="session", autouse=True)
def _rules_remembered_by_content() -> Iterator[None]:
    """The profile and the knowledge base a session loads, remembered by their files' bytes for
    the whole test run. Every check of a copy of the sample loaded the same 44 KB profile and the
    same knowledge files again (a fifth of a small check). A profile (or knowledge base) is a
    function of its files' bytes, the names they are reported under and the limits; a file that
    is not a plain regular file reached without a symlink, or that a test changed, is read by
    the real loader."""
    profile_loader, knowledge_loader = (
        townplans.profile.load_profile,
        townplans.knowledge.load_knowledge,
    )
    found: dict[tuple[object, ...], Any] = {}

    def plain(path: Path) -> bool:
        try:
            return stat.S_ISREG(os.lstat(path).st_mode) and path.resolve() == path.absolute()
        except (OSError, RuntimeError):
            return False

    def content(paths: list[Path], root: Path) -> tuple[object, ...] | None:
        if not all(plain(path) for path in paths):
            return None
        return (
            *(
                (_relative(path, root), hashlib.sha256(path.read_bytes()).digest())
                for path in paths
            ),
            _limits(),
        )

    def profile(path: Path, root: Path) -> Any:
        key = content([path], root)
        if key is None:
            return profile_loader(path, root)
        if ("profile", key) not in found:
            found["profile", key] = profile_loader(path, root)
        return found["profile", key]

    def knowledge(folder: Path, root: Path) -> Any:
        real = folder.is_dir() and not folder.is_symlink() and folder.resolve() == folder.absolute()
        key = content(sorted(folder.glob("*.yaml")), root) if real else None
        if key is None:
            return knowledge_loader(folder, root)
        if ("knowledge", key) not in found:
            found["knowledge", key] = knowledge_loader(folder, root)
        return found["knowledge", key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(townplans.session, "load_profile", profile)
        patch.setattr(townplans.session, "load_knowledge", knowledge)
        yield


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _limits() -> tuple[object, ...]:
    """The probe's constants as they are now (a test may change one, ``monkeypatch``)."""
    modules = (townplans.load.images, townplans.limits)
    return tuple(
        value
        for module in modules
        for name, value in sorted(vars(module).items())
        if name.isupper() and isinstance(value, int | float)
    )


# -- the sample district, built once per test run ------------------------------------------------


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def made_once(factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]) -> Path:
    """The folder ``name`` that ``make`` fills once per test run, shared by every xdist worker
    (pytest-xdist's own pattern): the first worker to ask makes it under a file lock in the run's
    temporary folder, the others wait for it and use it. A ``make`` that failed is recorded, so
    the other workers fail with its message instead of making it again."""
    base = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's folder, above each worker's own
    folder = base / name
    done, failed = base / f"{name}.done", base / f"{name}.failed"
    with _exclusive(base / f"{name}.lock"):
        if failed.exists():
            pytest.fail(failed.read_text(encoding="utf-8"), pytrace=False)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            try:
                make(folder)
            except Exception as exc:
                failed.write_text(f"{name}: made in another test, which failed: {exc}", "utf-8")
                raise
            done.touch()
    return folder


@dataclass(frozen=True)
class DistrictBuild:
    """The sample district built once per test run (``pipeline.run_build(root, jobs=2)`` on a copy
    of the sample), and what that build reported. Shared by every test: read only."""

    root: Path
    built: tuple[str, ...]
    """The outputs it made, relative to build/."""
    photos_prepared: int


def _build_district(folder: Path) -> None:
    from townplans import pipeline

    root = copy_workspace(folder / "ws")
    outcome = pipeline.run_build(root, jobs=2)
    assert not outcome.failed, [str(f) for f in outcome.findings]
    assert not [f for f in outcome.findings if f.code.startswith("TP7")], outcome.findings
    record = {
        "built": sorted(p.relative_to(root / "build").as_posix() for p in outcome.written),
        "photos_prepared": outcome.photos_prepared,
        "files": _files(root),
    }
    (folder / "record.json").write_text(json.dumps(record, ensure_ascii=False), "utf-8")


def _files(root: Path) -> dict[str, list[int]]:
    """Every entry under ``root`` (not followed) with its size and mtime: what a change shows in."""
    found = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        found[path.relative_to(root).as_posix()] = [info.st_mode, info.st_size, info.st_mtime_ns]
    return found


@pytest.fixture(scope="session")
def district_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DistrictBuild]:
    """The sample district built once per test run and what the build reported. Read only: at
    the end of the session every file must be as it was built (a test that changes files uses
    ``district_copy``)."""
    folder = made_once(tmp_path_factory, "built-district", _build_district)
    record = json.loads((folder / "record.json").read_text(encoding="utf-8"))
    root = folder / "ws"
    yield DistrictBuild(root, tuple(record["built"]), record["photos_prepared"])
    now = _files(root)
    changed = sorted(
        k for k in now.keys() | record["files"].keys() if now.get(k) != record["files"].get(k)
    )
    assert not changed, f"a test changed the shared build (use district_copy): {changed[:20]}"


@pytest.fixture(scope="session")
def built_district(district_build: DistrictBuild) -> Path:
    """The workspace of the shared build of the sample district (read only)."""
    return district_build.root


@pytest.fixture
def district_copy(built_district: Path, tmp_path: Path) -> Callable[..., Path]:
    """Factory: ``district_copy()`` copies the shared build (sources, build/ and its manifest)
    into tmp_path for a test that changes files. copytree keeps mtimes, so the manifest still
    matches and a build of the copy remakes only what the test changed."""

    def make(name: str = "ws") -> Path:
        return copy_tree(built_district, tmp_path / name)

    return make


PDF_EXPORT = 'pdf:writer_pdf_Export:{"IsSkipEmptyPages":{"type":"boolean","value":"false"}}'
"""LibreOffice's PDF export with the blank pages it inserts (before a section that starts on an
even page: the 公文's 版记), as Word prints them; headless it leaves them out by default."""


def libreoffice_env(folder: Path, root: Path = REPO) -> dict[str, str]:
    """The environment for a soffice run: FONTCONFIG_FILE names a configuration (written into
    ``folder``) that sets the DOCX's 仿宋_GB2312, 方正小标宋简体, … in the faces the PDF uses
    (townplans/render/faces.py), as the README tells a reviewer on Linux to do."""
    conf = faces.write_fontconfig(root, folder / "fonts.conf")
    return {**os.environ, "FONTCONFIG_FILE": str(conf)}


def libreoffice_pdfs(
    files: list[Path], out: Path, processes: int = 1, timeout: float = 900
) -> None:
    """LibreOffice's PDF of each DOCX in ``files``, as ``out/<stem>.pdf``: ``processes`` soffice
    runs side by side, each with its own profile (one profile serves one soffice at a time), all
    with the PDF's faces (``libreoffice_env``)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "make test installs libreoffice-writer-nogui"
    out.mkdir(parents=True, exist_ok=True)
    env = libreoffice_env(out)
    shares = [files[start::processes] for start in range(processes) if files[start::processes]]
    running = []
    for n, share in enumerate(shares):
        profile = (out / f"profile-{n}").as_uri()
        command = [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to",
                   PDF_EXPORT, "--outdir", str(out), *map(str, share)]  # fmt: skip
        running.append(
            subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        )
    try:
        for process in running:
            _, err = process.communicate(timeout=timeout)
            assert process.returncode == 0, err.decode("utf-8", "replace")
    finally:
        for process in running:
            if process.poll() is None:  # another one failed or took too long
                process.kill()
    for file in files:
        assert (out / f"{file.stem}.pdf").is_file(), f"LibreOffice could not convert {file.name}"


@pytest.fixture(scope="session")
def district_word_pdfs(built_district: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """LibreOffice's PDF of every DOCX of the shared build (Word's view of the outputs), made
    once per test run: the folder holding ``<stem>.pdf`` for each. Read only."""
    files = sorted((built_district / "build").rglob("*.docx"))
    assert len({f.stem for f in files}) == len(files), "two DOCX of the sample share a name"

    def convert(folder: Path) -> None:
        libreoffice_pdfs(files, folder, processes=2)
        for profile in [*folder.glob("profile-*"), folder / "fonts.conf.cache"]:
            shutil.rmtree(profile, ignore_errors=True)
        (folder / "fonts.conf").unlink()

    return made_once(tmp_path_factory, "district-word-pdfs", convert)


@pytest.fixture
def workspace_copy(tmp_path: Path) -> Callable[..., Path]:
    """Factory: ``workspace_copy("weicheng", "beidu")`` copies those towns into tmp_path
    (``reports=N``: only each town's N latest weekly reports, ``copy_workspace``)."""

    def make(*towns: str, reports: int | None = None) -> Path:
        return copy_workspace(tmp_path / "ws", towns, reports=reports)

    return make
