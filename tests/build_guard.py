"""Building is for tests marked ``slow``: ``make test-fast`` (``-m "not slow"``) must stay free of
builds, so a test that builds without the mark fails at once, saying so.

What counts as building: the build engine (``townplans.build``) making an output in this process
(a dry run makes none, nor a build refused before it starts); a child process running
``townplans build`` or ``townplans package`` (``package --verify`` only reads a zip), directly,
through the measuring wrapper of ``tests/cli_run.py`` or inside a ``bash -c`` script; and
LibreOffice (``soffice``), which tests run only to convert built documents. A test asking for a
fixture that hands out a build (``BUILDING_FIXTURES``) needs one, so it is slow too.

``conftest.py`` wraps the engine and ``subprocess.Popen`` for the whole session and tells this
module which test is running: its setup, call and teardown, so a module or session fixture that
builds counts for the test that first asks for it. The product code knows nothing of this."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Callable, Sequence
from typing import Any

import pytest

MARK_IT = "mark it @pytest.mark.slow (make test-fast leaves builds out)"
BUILDING_FIXTURES = {"district_build", "built_district", "district_copy", "district_word_pdfs"}
"""Fixtures that hand out a build: a test asking for one needs a build, so it is slow too. A
fixture seen building in this process joins them (``building``)."""

_running: list[pytest.Item] = []
_fixtures: list[str] = []
"""The fixtures being set up, innermost last."""
refused: list[str] = []
"""What was refused in the running test: failed again at its teardown, in case the code under
test caught the first failure (a CLI's last-resort handler, a server thread)."""


def begin(item: pytest.Item) -> None:
    _running[:] = [item]
    refused.clear()


def end() -> None:
    _running.clear()


def fixture_started(name: str) -> None:
    _fixtures.append(name)


def fixture_ended() -> None:
    _fixtures.pop()


def building(what: str) -> None:
    """The running test (or a fixture it asked for) does ``what``: fail it unless it is marked
    slow. The fixtures being set up are remembered, so a later test asking for one of them
    needs the mark too, even though the build is done by then."""
    BUILDING_FIXTURES.update(_fixtures)
    if not _running or _running[0].get_closest_marker("slow") is not None:
        return
    message = f"{_running[0].nodeid} {what}: {MARK_IT}"
    refused.append(message)
    pytest.fail(message, pytrace=False)


def needs_a_build(item: pytest.Item) -> str | None:
    """Why ``item`` needs a build without saying slow (a fixture that hands one out), or None."""
    if item.get_closest_marker("slow") is not None:
        return None
    wanted = sorted(BUILDING_FIXTURES.intersection(getattr(item, "fixturenames", ())))
    if not wanted:
        return None
    return f"{item.nodeid} uses {', '.join(wanted)} (a build): {MARK_IT}"


# -- the build engine, in process --------------------------------------------------------------


def guarded_making(real: Callable[..., Any]) -> Callable[..., Any]:
    """The build engine's ``_make_all``, which makes the outputs a build decided to (re)make,
    refusing to make any in a test not marked slow. A dry run never gets there, nor a build that
    stops before making anything (a build folder that is a file, a lock held by another build),
    nor one that finds every output up to date: those are quick and may run anywhere."""

    def make_all(decisions: Sequence[Any], *args: Any, **kwargs: Any) -> Any:
        if decisions:
            building(f"builds {len(decisions)} output(s) (townplans.build)")
        return real(decisions, *args, **kwargs)

    return make_all


# -- child processes -----------------------------------------------------------------------------

_SHELLS = {"sh", "bash", "dash"}
_OFFICE = {"soffice", "libreoffice", "soffice.bin"}


def building_command(args: object) -> str | None:
    """What a child process's command line would build, or None. ``args`` as Popen takes it."""
    if isinstance(args, str | bytes | os.PathLike):
        return _in_script(os.fsdecode(args))
    words = [os.fsdecode(word) if isinstance(word, bytes | os.PathLike) else str(word)
             for word in args]  # type: ignore[attr-defined]  # fmt: skip
    if not words:
        return None
    if os.path.basename(words[0]) in _OFFICE:
        return "runs LibreOffice"
    if os.path.basename(words[0]) in _SHELLS and "-c" in words[1:-1]:
        return _in_script(words[words.index("-c", 1) + 1])
    return _townplans(words)


def _townplans(words: Sequence[str]) -> str | None:
    """``townplans … build`` or ``python -m townplans … package`` anywhere in ``words`` (the
    measuring wrapper of cli_run.py puts the command after its own arguments)."""
    for at, word in enumerate(words):
        module = word == "townplans" and at > 0 and words[at - 1] == "-m"
        if module or os.path.basename(word) == "townplans":
            found = _subcommand(words[at + 1 :])
            if found is not None:
                return found
    return None


def _subcommand(words: Sequence[str]) -> str | None:
    rest = list(words)
    command = None
    skip = False
    for word in rest:
        if skip:
            skip = False
        elif word == "--root":
            skip = True
        elif not word.startswith("-"):
            command = word
            break
    if command == "build" and "--dry-run" not in rest:
        return "runs `townplans build`"
    if command == "package" and not any(w.split("=")[0] == "--verify" for w in rest):
        return "runs `townplans package` (which builds)"
    return None


def _in_script(script: str) -> str | None:
    """A shell script's commands, line by line and between ``;``, ``&&``, ``||`` and ``|``."""
    for line in script.splitlines():
        try:
            lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
            lexer.whitespace_split = True
            tokens = list(lexer)
        except ValueError:
            tokens = line.split()
        command: list[str] = []
        for token in [*tokens, ";"]:
            if token and set(token) <= set(";&|"):
                found = building_command(command) if command else None
                if found is not None:
                    return found
                command = []
            else:
                command.append(token)
    return None


class GuardedPopen(subprocess.Popen):  # type: ignore[type-arg]
    """``subprocess.Popen`` that refuses a building command in a test not marked slow."""

    def __init__(self, args: Any, *more: Any, **options: Any) -> None:
        found = building_command(args)
        if found is not None:
            building(found)
        super().__init__(args, *more, **options)
