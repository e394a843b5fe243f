"""Routing and responses: a ``ThreadingHTTPServer`` over one ``ServeState``.

Routes: ``/`` the dashboard, ``/town/<slug>``, ``/preview/<slug>/<name>``, ``/source/<path>``,
``/events`` (server-sent events: one ``data: {"towns", "pages", "version"}`` per change),
``/api/state`` (JSON), ``/assets/<file>`` (serve's own CSS and JS), ``/build/<path>`` (built
outputs), ``/workspace/<path>`` and ``/templates/<path>`` (what the print HTML's ``workspace:``
and ``templates:`` URLs name: photos, drawings, fonts). Every response, errors included, carries
a Content-Security-Policy (scripts only from serve itself, never inline) and ``nosniff``; a
request whose Host header is not the address serve listens on is refused (a web page elsewhere
cannot reach it by DNS rebinding). Every refused request (403/404) is logged in Chinese with its
path. The server binds 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import threading
from collections.abc import Callable
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from townplans.fs import os_error, read_regular
from townplans.limits import MAX_TEXT_FILE_BYTES
from townplans.model import printable
from townplans.serve import pages, security
from townplans.serve.security import NotFound, Refused
from townplans.serve.state import ServeState, Update
from townplans.serve.watch import Watcher

log = logging.getLogger("townplans.serve")

LOOPBACK = "127.0.0.1"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
"""Inline styles are allowed because the print HTML, which the preview shows as it is, carries
its stylesheet in a ``<style>`` element and table column widths and drawing sizes in ``style``
attributes; scripts are only serve's own files."""

ASSETS = Path(__file__).parent / "assets"
MAX_SERVED_BYTES = 200 * 1024 * 1024
"""A built output or photo served whole: the largest album PDF of a district stays far below."""
KEEPALIVE_SECONDS = 15.0


class Broadcaster:
    """The updates so far, for every ``/events`` stream to wait on."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._updates: list[Update] = []
        self.closed = False

    def publish(self, update: Update) -> None:
        with self._condition:
            self._updates = [*self._updates[-99:], update]
            self._condition.notify_all()

    def after(self, version: int, timeout: float) -> list[Update]:
        """Updates newer than ``version``, waiting up to ``timeout`` seconds for one."""
        with self._condition:
            self._condition.wait_for(
                lambda: self.closed or any(u.version > version for u in self._updates), timeout
            )
            return [u for u in self._updates if u.version > version]

    def close(self) -> None:
        with self._condition:
            self.closed = True
            self._condition.notify_all()


class Server(ThreadingHTTPServer):
    """The server, its state, the update broadcaster and the watcher thread."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, state: ServeState, host: str, port: int, open_hosts: bool) -> None:
        self.state = state
        self.updates = Broadcaster()
        self.open_hosts = open_hosts
        """Any Host header is accepted (``--host`` given explicitly)."""
        super().__init__((host, port), Handler)
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
        self.server_close()


def start(
    root: Path, host: str = LOOPBACK, port: int = 8000, *, open_hosts: bool = False
) -> Server:
    """Load and check the workspace, render the previews, bind the socket and start watching
    (``pipeline.ToolError`` when the workspace cannot be used; ``OSError`` when the port cannot)."""
    state = ServeState(root)
    server = Server(state, host, port, open_hosts)
    server.start_watching()
    return server


class Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"
    server_version = "townplans-serve"
    sys_version = ""

    # -- plumbing ----------------------------------------------------------------------------------

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Frame-Options", "DENY")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def _send(self, status: int, body: bytes, content_type: str, cache: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=60" if cache else "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _html(self, text: str, status: int = 200) -> None:
        self._send(status, text.encode("utf-8"), "text/html; charset=utf-8")

    def _refuse(self, status: int, raw: str, reason: str) -> None:
        log.warning("拒绝请求 %d：%s（%s）", status, printable(raw), reason)
        message = "禁止访问：" + reason if status == 403 else "找不到：" + printable(raw)
        with self.server.state.lock:
            page = pages.not_found_page(self.server.state, message)
        self._html(page, status)

    def _file(self, path: Path, cache: bool = False) -> None:
        data = read_regular(path, MAX_SERVED_BYTES)
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind in ("application/javascript", "application/json"):
            kind += "; charset=utf-8"
        self._send(200, data, kind, cache)

    # -- routing -------------------------------------------------------------------------------------

    def do_GET(self) -> None:
        raw = self.path.split("?", 1)[0].split("#", 1)[0]
        try:
            if not self._host_allowed():
                raise Refused(f"Host 请求头不是本服务的地址（{self.headers.get('Host', '')}）")
            path = security.check_request_path(raw)
            self._route(path)
        except Refused as exc:
            self._refuse(403, raw, str(exc))
        except NotFound:
            self._refuse(404, raw, "没有这个页面或文件")
        except (BrokenPipeError, ConnectionResetError):
            pass
        except OSError as exc:
            self._refuse(404, raw, f"无法读取：{os_error(exc, '')}")

    def do_HEAD(self) -> None:
        self.do_GET()

    def _host_allowed(self) -> bool:
        if self.server.open_hosts:
            return True
        host = self.headers.get("Host", "")
        port = self.server.port
        return host in {f"{name}:{port}" for name in ("127.0.0.1", "localhost", "[::1]")}

    def _route(self, path: str) -> None:
        state = self.server.state
        parts = path.strip("/").split("/") if path.strip("/") else []
        head, rest = (parts[0], parts[1:]) if parts else ("", [])
        routes: dict[str, Callable[[list[str]], None]] = {
            "": self._dashboard,
            "town": self._town,
            "preview": self._preview,
            "source": self._source,
            "events": self._events,
            "api": self._api,
            "assets": self._asset,
            "build": lambda rest: self._file(
                security.resolve(state.paths.build, "/".join(rest), state.paths.root)
            ),
            "workspace": lambda rest: self._file(
                security.resolve(
                    state.paths.root,
                    "/".join(rest),
                    state.paths.root,
                    ("towns", "build/.cache/photos"),
                ),
                cache=True,
            ),
            "templates": lambda rest: self._file(
                security.resolve(
                    state.paths.templates, "/".join(rest), _templates_root(state), ("fonts",)
                ),
                cache=True,
            ),
        }
        route = routes.get(head)
        if route is None or (head == "" and rest):
            raise NotFound(path)
        route(rest)

    def _dashboard(self, rest: list[str]) -> None:
        self._html(pages.dashboard(self.server.state))

    def _town(self, rest: list[str]) -> None:
        state = self.server.state
        if len(rest) != 1 or rest[0] not in state.towns:
            raise NotFound("/".join(rest))
        self._html(pages.town_page(state, rest[0]))

    def _preview(self, rest: list[str]) -> None:
        state = self.server.state
        preview = state.previews.get("/".join(rest)) if len(rest) == 2 else None
        if preview is None:
            raise NotFound("/".join(rest))
        self._html(pages.preview_page(state, state.ensure(preview)))

    def _source(self, rest: list[str]) -> None:
        state = self.server.state
        relative = "/".join(rest)
        if not relative.endswith(pages.TEXT_SUFFIXES):
            raise NotFound(relative)
        path = security.resolve(
            state.paths.root, relative, state.paths.root, ("towns", "templates")
        )
        text = read_regular(path, MAX_TEXT_FILE_BYTES).decode("utf-8", "replace")
        self._html(pages.source_page(state, relative, text))

    def _api(self, rest: list[str]) -> None:
        if rest != ["state"]:
            raise NotFound("/".join(rest))
        body = json.dumps(self.server.state.state_json(), ensure_ascii=False)
        self._send(200, body.encode("utf-8"), "application/json; charset=utf-8")

    def _asset(self, rest: list[str]) -> None:
        files = {p.name: p for p in ASSETS.iterdir() if p.is_file()}
        if len(rest) != 1 or rest[0] not in files:
            raise NotFound("/".join(rest))
        self._file(files[rest[0]])

    def _events(self, rest: list[str]) -> None:
        """Server-sent events: the current version at once, then every update, with a comment
        line every ``KEEPALIVE_SECONDS`` so a closed browser tab is noticed."""
        if rest:
            raise NotFound("/".join(rest))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        if self.command == "HEAD":
            return
        updates = self.server.updates
        version = self.server.state.version
        self._event(Update((), (), version))
        while not updates.closed:
            news = updates.after(version, KEEPALIVE_SECONDS)
            if not news:
                self.wfile.write(b": keep-alive\n\n")
                self.wfile.flush()
            for update in news:
                self._event(update)
                version = update.version

    def _event(self, update: Update) -> None:
        data = json.dumps(asdict(update), ensure_ascii=False)
        self.wfile.write(f"data: {data}\n\n".encode())
        self.wfile.flush()


def _templates_root(state: ServeState) -> Path:
    """The folder links from the templates may not leave: the workspace when the templates are
    its own, else the shipped templates folder."""
    templates = state.paths.templates.resolve()
    root = state.paths.root.resolve()
    return root if templates.is_relative_to(root) else templates
