"""HTTP/1.1 for serve on asyncio streams (standard library): one event loop holds every connection,
so a connection that sends nothing costs a few kilobytes and no thread.

What a client can hold is bounded (``Limits``): the whole request head (request line and headers)
must arrive within ``head_seconds`` of the connection or of the previous answer, however slowly it
trickles in (one deadline for the head, not one per read), else ``408`` and the connection is
closed; an answer must be taken at ``write_seconds`` a chunk, else the connection is dropped; at
most ``max_connections`` connections (at the cap, the one that has waited longest for a request
head is closed to make room for the new one, so half-sent requests cannot lock a reader out; when
none is waiting, the new one is answered ``503`` with ``Retry-After``) and ``max_streams`` open
event streams (beyond, ``503`` with ``Retry-After``). Only GET and HEAD exist: a request announcing a body
is answered (``405``/``413``) and closed without the body being read, so there is no body to wait
for. The answers are computed by the application (``App``, serve's routing) in a small thread
pool, because it reads files and renders pages; event streams run on the loop.

Refusals of the wire itself are short Chinese texts carrying the data policy and the security
headers (``policy``), like every other answer.
"""

from __future__ import annotations

import asyncio
import email.utils
import http.client
import io
import logging
import re
import socket
import threading
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from email.message import Message
from http import HTTPStatus
from typing import Any

from townplans.limits import (
    SERVE_HEAD_SECONDS,
    SERVE_MAX_CONNECTIONS,
    SERVE_MAX_HEAD_BYTES,
    SERVE_MAX_STREAMS,
    SERVE_WRITE_SECONDS,
)
from townplans.model import printable
from townplans.serve.policy import DATA_POLICY, SECURITY_HEADERS

log = logging.getLogger("townplans.serve")

Send = Callable[[bytes], Awaitable[None]]
"""Writes bytes to the client (within ``write_seconds``)."""
Stream = Callable[[Send], Awaitable[None]]
"""An event stream's body: writes until it returns, the client leaves or the server stops."""

CHUNK_BYTES = 256 * 1024
LINGER_SECONDS = 1.0
"""After a refusal, how long the rest of what the client sends is read and dropped before the
connection is closed: closing with unread input resets the connection, and the client might
never see the answer."""


@dataclass(frozen=True, slots=True)
class Limits:
    """What clients can hold of the server (``townplans.limits``; tests pass small ones)."""

    head_seconds: float = SERVE_HEAD_SECONDS
    write_seconds: float = SERVE_WRITE_SECONDS
    max_connections: int = SERVE_MAX_CONNECTIONS
    max_streams: int = SERVE_MAX_STREAMS
    retry_after_seconds: int = 5
    max_head_bytes: int = SERVE_MAX_HEAD_BYTES
    workers: int = 4
    """Threads that compute answers (reading files, rendering pages)."""


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    target: str
    """As sent (bytes decoded as ISO-8859-1): no client has tidied it."""
    version: str
    headers: Message

    @property
    def keep_alive(self) -> bool:
        tokens = {t.strip().lower() for t in self.headers.get("Connection", "").split(",")}
        return self.version == "HTTP/1.1" and "close" not in tokens


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    stream: Stream | None = None
    """An event stream: written after the head, instead of a body."""
    close: bool = False


App = Callable[[Request], Response]


def plain(status: int, message: str, extra: Sequence[tuple[str, str]] = ()) -> Response:
    """A short Chinese text answer, as data; the connection is closed after it."""
    headers = [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Security-Policy", DATA_POLICY),
        ("Cache-Control", "no-store"),
        *extra,
    ]
    return Response(status, (message + "\n").encode("utf-8"), headers, close=True)


class Refusal(Exception):  # noqa: N818 - an answer, not an error of ours
    """A request the wire answers itself, then closes the connection."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


class HttpServer:
    """A listening socket, bound at once (``OSError`` when the port cannot be had), and the
    event loop that serves it from ``serve_forever`` until ``shutdown``."""

    def __init__(self, host: str, port: int, app: App, limits: Limits) -> None:
        self.app = app
        self.limits = limits
        family = socket.AF_INET6 if ":" in host else socket.AF_INET  # a name: its IPv4 address
        self.socket = socket.create_server((host, port), family=family)
        self.server_address: tuple[str, int] = self.socket.getsockname()[:2]
        self.connections = 0
        self.streams = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._tasks: dict[asyncio.Task[None], asyncio.StreamWriter] = {}
        """Every open connection's task and writer."""
        self._waiting: dict[asyncio.StreamWriter, None] = {}
        """Connections waiting for a request head, oldest first."""
        self._pool: ThreadPoolExecutor | None = None
        self._running = threading.Event()
        self._stop_asked = threading.Event()
        self._stopped = threading.Event()

    # -- life -------------------------------------------------------------------------------------

    def serve_forever(self) -> None:
        """Serve until ``shutdown`` is called from another thread (Ctrl+C: ``KeyboardInterrupt``)."""
        self._running.set()
        try:
            asyncio.run(self._serve())
        finally:
            self._stopped.set()

    def shutdown(self) -> None:
        """Stop ``serve_forever`` and wait until it has returned."""
        self._stop_asked.set()
        self.call_soon(lambda: self._stop.set() if self._stop else None)
        if self._running.is_set():
            self._stopped.wait()

    def call_soon(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` on the loop (from any thread); nothing when it is not running."""
        loop = self._loop
        if loop is not None:
            with suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(callback)

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop.set_exception_handler(_quiet_cancellation)
        self._stop = asyncio.Event()
        if self._stop_asked.is_set():
            return
        self._pool = ThreadPoolExecutor(self.limits.workers, thread_name_prefix="townplans-serve")
        server = await asyncio.start_server(
            self._connection, sock=self.socket, limit=self.limits.max_head_bytes
        )
        try:
            await self._stop.wait()
        finally:
            server.close()
            for task, writer in list(self._tasks.items()):
                writer.transport.abort()
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._loop = None

    # -- one connection -----------------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None  # asyncio runs the callback of start_server as a task
        self._tasks[task] = writer
        try:
            if self.connections >= self.limits.max_connections and not self._evict():
                log.warning("拒绝连接：同时连接数已达上限 %d", self.limits.max_connections)
                await self._refuse(reader, writer, self._busy("同时连接数"))
                return
            self.connections += 1
            try:
                first = True
                while await self._exchange(reader, writer, first):
                    first = False
            finally:
                self.connections -= 1
        except (ConnectionError, TimeoutError):
            writer.transport.abort()  # the client left, or takes nothing: drop what is buffered
        finally:
            self._tasks.pop(task, None)
            writer.close()

    def _evict(self) -> bool:
        """Make room by closing the connection that has waited longest for a request head
        (a half-sent request, or a browser's idle kept-alive connection); False when every
        connection is busy (answering, or an event stream)."""
        for writer in self._waiting:
            if not writer.transport.is_closing():
                log.debug("同时连接数已达上限：关闭等待最久的未完成请求")
                writer.transport.abort()  # its reader sees the end: the connection ends as closed
                return True
        return False

    async def _exchange(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, first: bool
    ) -> bool:
        """Read one request and answer it; whether the connection stays open for another."""
        try:
            request = await self._read_request(reader, writer, first)
        except Refusal as refusal:
            await self._refuse(reader, writer, refusal.response)
            return False
        if request is None:
            return False
        assert self._pool is not None
        response = await asyncio.get_running_loop().run_in_executor(
            self._pool, self._respond, request
        )
        log.debug("%s %s %d", request.method, printable(request.target), response.status)
        if response.stream is not None:
            await self._stream(request, response, reader, writer)
            return False
        keep = request.keep_alive and not response.close
        await self._send(writer, response, request.method == "HEAD", keep)
        return keep

    async def _read_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, first: bool
    ) -> Request | None:
        """The next request, None when the client closed the connection (or left it idle between
        requests past the deadline, or it was closed to make room); ``Refusal`` when it is
        malformed or too slow."""
        self._waiting[writer] = None
        try:
            return await self._read_head(reader, first)
        finally:
            del self._waiting[writer]

    async def _read_head(self, reader: asyncio.StreamReader, first: bool) -> Request | None:
        lines: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.limits.head_seconds):
                while True:
                    line = await reader.readline()
                    if not line.endswith(b"\n"):
                        return None  # closed, mid-line or between requests
                    if line.strip(b"\r\n") == b"":
                        if lines:
                            break
                        continue  # empty lines before a request line are ignored (RFC 9112 2.2)
                    size += len(line)
                    if size > self.limits.max_head_bytes:
                        raise Refusal(plain(431, "请求头过大"))
                    lines.append(line)
        except TimeoutError:
            if not lines and not first:
                return None  # an idle kept-alive connection: closed without a word
            seconds = f"{self.limits.head_seconds:g}"
            raise Refusal(plain(408, f"请求头未在 {seconds} 秒内发送完整，连接已关闭")) from None
        except ValueError:  # one line longer than the reader's limit
            raise Refusal(plain(431, "请求头过大")) from None
        return parse_head(lines)

    def _respond(self, request: Request) -> Response:
        """The application's answer (in a pool thread); an unexpected error costs this request."""
        try:
            return self.app(request)
        except Exception:
            log.exception("处理请求时出错：%s %s", request.method, printable(request.target))
            return plain(500, "服务内部错误：详见运行 townplans serve 的终端")

    # -- answers --------------------------------------------------------------------------------------

    def _busy(self, what: str) -> Response:
        retry = str(self.limits.retry_after_seconds)
        message = f"服务繁忙：{what}已达上限，请 {retry} 秒后重试"
        return plain(503, message, [("Retry-After", retry)])

    async def _refuse(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, response: Response
    ) -> None:
        """Answer, then read and drop what else comes for a moment before closing (see
        ``LINGER_SECONDS``)."""
        await self._send(writer, response, False, False)
        if writer.can_write_eof():
            writer.write_eof()
        with suppress(TimeoutError, ConnectionError):
            async with asyncio.timeout(LINGER_SECONDS):
                while await reader.read(65536):
                    pass

    async def _send(
        self, writer: asyncio.StreamWriter, response: Response, head_only: bool, keep: bool
    ) -> None:
        await self._write(writer, head(response, keep))
        if not head_only:
            await self._write(writer, response.body)

    async def _write(self, writer: asyncio.StreamWriter, data: bytes) -> None:
        view = memoryview(data)
        for start in range(0, len(view), CHUNK_BYTES):
            writer.write(view[start : start + CHUNK_BYTES])
            async with asyncio.timeout(self.limits.write_seconds):
                await writer.drain()

    async def _stream(
        self,
        request: Request,
        response: Response,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        """An event stream: the head, then ``response.stream`` until it ends or the client
        leaves (the connection is read meanwhile, so a closed tab frees its place at once)."""
        assert response.stream is not None
        if self.streams >= self.limits.max_streams:
            log.warning("拒绝实时更新连接：已达上限 %d", self.limits.max_streams)
            await self._refuse(reader, writer, self._busy("实时更新连接"))
            return
        self.streams += 1
        try:
            await self._send(writer, response, True, False)
            if request.method == "HEAD":
                return

            async def send(data: bytes) -> None:
                await self._write(writer, data)

            streaming = asyncio.ensure_future(response.stream(send))
            leaving = asyncio.ensure_future(_until_closed(reader))
            try:
                await asyncio.wait({streaming, leaving}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (streaming, leaving):
                    task.cancel()
                await asyncio.gather(streaming, leaving, return_exceptions=True)
            failure = None if streaming.cancelled() else streaming.exception()
            if failure is not None and not isinstance(failure, ConnectionError | TimeoutError):
                log.error("实时更新连接出错：%s", failure)
        finally:
            self.streams -= 1


def _quiet_cancellation(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """The loop's exception handler, minus one false alarm: Python 3.11's ``start_server`` asks a
    connection task cancelled at shutdown for its exception, which raises ``CancelledError`` into
    the loop's handler (3.12 checks first)."""
    if not isinstance(context.get("exception"), asyncio.CancelledError):
        loop.default_exception_handler(context)


async def _until_closed(reader: asyncio.StreamReader) -> None:
    while await reader.read(4096):
        pass


_VERSION = re.compile(r"HTTP/1\.[01]")


def parse_head(lines: Sequence[bytes]) -> Request:
    """A request from its head's lines (request line first); ``Refusal`` when it is malformed,
    not GET or HEAD, or announces a body."""
    words = lines[0].decode("iso-8859-1").split()
    if len(words) != 3:
        raise Refusal(plain(400, "请求行格式不正确"))
    method, target, version = words
    if not _VERSION.fullmatch(version):
        raise Refusal(plain(505, "只支持 HTTP/1.0 与 HTTP/1.1"))
    try:
        headers = http.client.parse_headers(io.BytesIO(b"".join(lines[1:]) + b"\r\n"))
    except http.client.HTTPException:
        raise Refusal(plain(431, "请求头过多或过长")) from None
    if method not in ("GET", "HEAD"):
        raise Refusal(plain(405, "只支持 GET 与 HEAD 请求", [("Allow", "GET, HEAD")]))
    length = headers.get("Content-Length", "").strip()
    if "Transfer-Encoding" in headers or length not in ("", "0"):
        raise Refusal(plain(413, "本服务不接受带正文的请求"))
    return Request(method, target, version, headers)


def head(response: Response, keep: bool) -> bytes:
    """The status line and headers of ``response``: its own, the security headers, the length
    (a stream has none: it ends when the connection does) and whether the connection stays."""
    status = HTTPStatus(response.status)
    headers = [
        ("Server", "townplans-serve"),
        ("Date", email.utils.formatdate(usegmt=True)),
        *response.headers,
        *SECURITY_HEADERS,
    ]
    if response.stream is None:
        headers.append(("Content-Length", str(len(response.body))))
    headers.append(("Connection", "keep-alive" if keep else "close"))
    lines = [f"HTTP/1.1 {status.value} {status.phrase}"]
    for name, value in headers:
        if any(c in value for c in "\r\n\x00"):  # never: serve builds every value
            raise ValueError(f"header {name} holds a line break")
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
