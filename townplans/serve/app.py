"""Routing and answers: one ``ServeState`` served over ``wire`` (HTTP/1.1 on asyncio).

Routes: ``/`` the dashboard, ``/town/<slug>``, ``/preview/<slug>/<name>``, ``/source/<path>``,
``/events`` (server-sent events: one ``data: {"towns", "pages", "version"}`` per change),
``/api/state`` (JSON), ``/assets/<file>`` (serve's own CSS and JS), ``/build/<path>`` (built
outputs), ``/workspace/<path>`` and ``/templates/<path>`` (what the print HTML's ``workspace:``
and ``templates:`` URLs name: photos, drawings, fonts). serve's own pages may run scripts from
``/assets/`` only; everything under ``/workspace/``, ``/build/`` and ``/templates/`` is data
(``policy``: an image or PDF shown, text as text, anything else downloaded, always sandboxed).
A request whose Host header is not the address serve listens on is refused (a web page elsewhere
cannot reach it by DNS rebinding). Every refused request (403/404) is logged in Chinese with its
path. The server binds 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict
from pathlib import Path

from townplans.fs import os_error, read_regular
from townplans.limits import MAX_TEXT_FILE_BYTES
from townplans.model import printable
from townplans.serve import pages, policy, security
from townplans.serve.security import NotFound, Refused
from townplans.serve.state import ServeState, Update
from townplans.serve.watch import Watcher
from townplans.serve.wire import HttpServer, Limits, Request, Response, Send

log = logging.getLogger("townplans.serve")

LOOPBACK = "127.0.0.1"
ASSETS = Path(__file__).parent / "assets"
ASSET_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
MAX_SERVED_BYTES = 200 * 1024 * 1024
"""A built output or photo served whole: the largest album PDF of a district stays far below."""
KEEPALIVE_SECONDS = 15.0


class Broadcaster:
    """The updates so far: the watcher thread publishes, every ``/events`` stream (on the
    server's loop) waits for the next."""

    def __init__(self, call_soon: Callable[[Callable[[], object]], None]) -> None:
        self._call_soon = call_soon
        self._updates: list[Update] = []
        self._changed = asyncio.Event()
        self.closed = False

    def publish(self, update: Update) -> None:
        self._updates = [*self._updates[-99:], update]
        self._call_soon(self._wake)

    def close(self) -> None:
        self.closed = True
        self._call_soon(self._wake)

    def _wake(self) -> None:
        """On the loop: release every waiting stream; later waits wait for the next change."""
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def newer(self, version: int) -> list[Update]:
        return [u for u in self._updates if u.version > version]

    async def after(self, version: int, timeout: float) -> list[Update]:
        """Updates newer than ``version``, waiting up to ``timeout`` seconds for one."""
        news = self.newer(version)
        if news or self.closed:
            return news
        with suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)
        return self.newer(version)


class Server(HttpServer):
    """The server, its state, the update broadcaster and the watcher thread."""

    def __init__(
        self, state: ServeState, host: str, port: int, open_hosts: bool, limits: Limits
    ) -> None:
        self.state = state
        self.open_hosts = open_hosts
        """Any Host header is accepted (``--host`` given explicitly)."""
        super().__init__(host, port, Routes(self).respond, limits)
        self.updates = Broadcaster(self.call_soon)
        self.watcher = Watcher(state, self.updates.publish)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        host = str(self.server_address[0])
        shown = LOOPBACK if host in ("0.0.0.0", "::") else host
        return f"http://{f'[{shown}]' if ':' in shown else shown}:{self.port}/"

    def start_watching(self) -> None:
        self.watcher.start()

    def close(self) -> None:
        """Stop the watcher, end the event streams and close the socket."""
        self.watcher.stop()
        self.updates.close()
        self.socket.close()


def start(
    root: Path,
    host: str = LOOPBACK,
    port: int = 8000,
    *,
    open_hosts: bool = False,
    limits: Limits | None = None,
) -> Server:
    """Load and check the workspace, render the previews, bind the socket and start watching
    (``session.ToolError`` when the workspace cannot be used; ``OSError`` when the port cannot)."""
    state = ServeState(root)
    server = Server(state, host, port, open_hosts, limits or Limits())
    server.start_watching()
    return server


class Routes:
    """A request to its answer (called by ``wire`` in a pool thread)."""

    def __init__(self, server: Server) -> None:
        self.server = server

    def respond(self, request: Request) -> Response:
        raw = request.target.split("?", 1)[0].split("#", 1)[0]
        try:
            if not self._host_allowed(request):
                raise Refused(f"Host 请求头不是本服务的地址（{request.headers.get('Host', '')}）")
            path = security.check_request_path(raw)
            return self._route(request, path)
        except Refused as exc:
            return self._refuse(request, 403, raw, str(exc))
        except NotFound:
            return self._refuse(request, 404, raw, "没有这个页面或文件")
        except OSError as exc:
            return self._refuse(request, 404, raw, f"无法读取：{os_error(exc, '')}")

    # -- answers ---------------------------------------------------------------------------------

    def _page_policy(self, request: Request) -> str:
        host = request.headers.get("Host", "") if self._host_allowed(request) else ""
        return policy.page_policy(host or f"{LOOPBACK}:{self.server.port}")

    def _answer(
        self,
        request: Request,
        status: int,
        body: bytes,
        content_type: str,
        cache: bool = False,
    ) -> Response:
        """One of serve's own answers (a page, JSON, an asset), under the page policy."""
        return Response(
            status,
            body,
            [
                ("Content-Type", content_type),
                ("Cache-Control", "max-age=60" if cache else "no-store"),
                ("Content-Security-Policy", self._page_policy(request)),
            ],
        )

    def _html(self, request: Request, text: str, status: int = 200) -> Response:
        return self._answer(request, status, text.encode("utf-8"), "text/html; charset=utf-8")

    def _refuse(self, request: Request, status: int, raw: str, reason: str) -> Response:
        log.warning("拒绝请求 %d：%s（%s）", status, printable(raw), reason)
        message = "禁止访问：" + reason if status == 403 else "找不到：" + printable(raw)
        with self.server.state.lock:
            page = pages.not_found_page(self.server.state, message)
        return self._html(request, page, status)

    def _data(self, path: Path, cache: bool = False) -> Response:
        """A file serve did not write, as data (``policy.as_data``)."""
        body = read_regular(path, MAX_SERVED_BYTES)
        cache_control = ("Cache-Control", "max-age=60" if cache else "no-store")
        return Response(200, body, [*policy.as_data(path.name).headers(), cache_control])

    # -- routing -----------------------------------------------------------------------------------

    def _host_allowed(self, request: Request) -> bool:
        if self.server.open_hosts:
            return True
        host = request.headers.get("Host", "")
        port = self.server.port
        return host in {f"{name}:{port}" for name in ("127.0.0.1", "localhost", "[::1]")}

    def _route(self, request: Request, path: str) -> Response:
        state = self.server.state
        parts = path.strip("/").split("/") if path.strip("/") else []
        head, rest = (parts[0], parts[1:]) if parts else ("", [])
        routes: dict[str, Callable[[Request, list[str]], Response]] = {
            "": self._dashboard,
            "town": self._town,
            "preview": self._preview,
            "source": self._source,
            "events": self._events,
            "api": self._api,
            "assets": self._asset,
            "build": lambda request, rest: self._data(
                security.resolve(state.paths.build, "/".join(rest), state.paths.root)
            ),
            "workspace": lambda request, rest: self._data(
                security.resolve(
                    state.paths.root,
                    "/".join(rest),
                    state.paths.root,
                    ("towns", "build/.cache/photos"),
                ),
                cache=True,
            ),
            "templates": lambda request, rest: self._data(
                security.resolve(
                    state.paths.templates, "/".join(rest), _templates_root(state), ("fonts",)
                ),
                cache=True,
            ),
        }
        route = routes.get(head)
        if route is None or (head == "" and rest):
            raise NotFound(path)
        return route(request, rest)

    def _dashboard(self, request: Request, rest: list[str]) -> Response:
        return self._html(request, pages.dashboard(self.server.state))

    def _town(self, request: Request, rest: list[str]) -> Response:
        state = self.server.state
        if len(rest) != 1 or rest[0] not in state.towns:
            raise NotFound("/".join(rest))
        return self._html(request, pages.town_page(state, rest[0]))

    def _preview(self, request: Request, rest: list[str]) -> Response:
        state = self.server.state
        preview = state.previews.get("/".join(rest)) if len(rest) == 2 else None
        if preview is None:
            raise NotFound("/".join(rest))
        return self._html(request, pages.preview_page(state, state.ensure(preview)))

    def _source(self, request: Request, rest: list[str]) -> Response:
        state = self.server.state
        relative = "/".join(rest)
        if not relative.endswith(pages.TEXT_SUFFIXES):
            raise NotFound(relative)
        path = security.resolve(
            state.paths.root, relative, state.paths.root, ("towns", "templates")
        )
        text = read_regular(path, MAX_TEXT_FILE_BYTES).decode("utf-8", "replace")
        return self._html(request, pages.source_page(state, relative, text))

    def _api(self, request: Request, rest: list[str]) -> Response:
        if rest != ["state"]:
            raise NotFound("/".join(rest))
        body = json.dumps(self.server.state.state_json(), ensure_ascii=False)
        return self._answer(request, 200, body.encode("utf-8"), "application/json; charset=utf-8")

    def _asset(self, request: Request, rest: list[str]) -> Response:
        files = {p.name: p for p in ASSETS.iterdir() if p.is_file() and p.suffix in ASSET_TYPES}
        if len(rest) != 1 or rest[0] not in files:
            raise NotFound("/".join(rest))
        path = files[rest[0]]
        return self._answer(
            request, 200, read_regular(path, MAX_SERVED_BYTES), ASSET_TYPES[path.suffix]
        )

    def _events(self, request: Request, rest: list[str]) -> Response:
        """Server-sent events: the current version at once, then every update, with a comment
        line every ``KEEPALIVE_SECONDS`` so a closed browser tab is noticed."""
        if rest:
            raise NotFound("/".join(rest))
        updates = self.server.updates
        start = self.server.state.version

        async def stream(send: Send) -> None:
            version = start
            await send(_event(Update((), (), version)))
            while not updates.closed:
                news = await updates.after(version, KEEPALIVE_SECONDS)
                if not news:
                    await send(b": keep-alive\n\n")
                for update in news:
                    await send(_event(update))
                    version = update.version

        response = self._answer(request, 200, b"", "text/event-stream; charset=utf-8")
        response.stream = stream
        return response


def _event(update: Update) -> bytes:
    return f"data: {json.dumps(asdict(update), ensure_ascii=False)}\n\n".encode()


def _templates_root(state: ServeState) -> Path:
    """The folder links from the templates may not leave: the workspace when the templates are
    its own, else the shipped templates folder."""
    templates = state.paths.templates.resolve()
    root = state.paths.root.resolve()
    return root if templates.is_relative_to(root) else templates
