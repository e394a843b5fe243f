"""The watcher thread: ``watchfiles`` (the operating system's change notification, no polling
loop of ours) over ``towns/`` and the workspace's own ``templates/``; each batch of changes goes to
``ServeState.apply`` and what it did to the subscribers. ``build/`` is never watched (serve's
photo cache writes there)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import watchfiles

from townplans import errortext
from townplans.serve.state import ServeState, Update

log = logging.getLogger("townplans.serve")

DEBOUNCE_MS = 300
"""Changes this close together are taken as one (an editor's save is often several writes)."""
READY_MS = 250
"""watchfiles hands over an empty batch after this long without changes: the first one tells
that the folders are watched (``ready``); the others are skipped."""


class Watcher(threading.Thread):
    def __init__(self, state: ServeState, publish: Callable[[Update], None]) -> None:
        super().__init__(name="townplans-watch", daemon=True)
        self.state = state
        self.publish = publish
        self.stopping = threading.Event()
        self.ready = threading.Event()
        """Set once the watcher is running (a change before then would be missed)."""

    def folders(self) -> list[Path]:
        paths = self.state.paths
        found = [paths.towns.resolve()]
        templates = paths.templates.resolve()
        if templates.is_relative_to(paths.root.resolve()):
            found.append(templates)
        return found

    def run(self) -> None:
        root = self.state.paths.root.resolve()
        for changes in watchfiles.watch(
            *self.folders(),
            stop_event=self.stopping,
            debounce=DEBOUNCE_MS,
            step=50,
            rust_timeout=READY_MS,
            yield_on_timeout=True,
            raise_interrupt=False,
        ):
            self.ready.set()  # the first (empty) batch comes once the folders are being watched
            changed = []
            for _, name in changes or ():
                path = Path(name)
                if path.is_relative_to(root):
                    changed.append(path.relative_to(root).as_posix())
            if not changed:
                continue
            try:
                update = self.state.apply(changed)
            except Exception as exc:  # noqa: BLE001 - one bad change must not stop serving
                # Chinese only; the traceback is for --debug
                log.warning(
                    "处理文件变化时出错（已跳过这次变化）：%s：%s",
                    "、".join(changed),
                    errortext.unexpected(exc),
                )
                continue
            if update is not None:
                self.publish(update)

    def stop(self) -> None:
        self.stopping.set()
