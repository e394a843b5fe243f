"""``townplans serve`` without a browser: the routes against the URL/DOM contract, the live
reload of one town (and only its previews), half-written files, the refusal of every path that
leaves the workspace (with raw sockets, so no client tidies the path first), the loopback bind,
the Content-Security-Policy on every response. Each server runs in a thread on a free port over
a copy of the sample district."""

from __future__ import annotations

import json
import logging
import os
import re
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import escape, unescape
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.conftest import copy_workspace
from townplans.serve import app, pages
from townplans.serve.state import ServeState
from townplans.serve.wire import Limits

WEICHENG_BRIEF = "towns/weicheng/projects/binhe-road/brief.md"
WEICHENG_PLAN = "towns/weicheng/construction-plan.md"
SCRIPT = '<script>alert("x")</script>'


@contextmanager
def running(root: Path, limits: Limits | None = None) -> Iterator[app.Server]:
    server = app.start(root, port=0, limits=limits)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    assert server.watcher.ready.wait(10), "the watcher did not start"
    try:
        yield server
    finally:
        server.shutdown()
        server.close()
        thread.join(10)


def raw_get(server: app.Server, target: bytes, host: str | None = None) -> tuple[int, str, str]:
    """GET ``target`` exactly as given (no client normalises it): status, headers, body."""
    host = host or f"127.0.0.1:{server.port}"
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        conn.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: " + host.encode() + b"\r\n")
        conn.sendall(b"Connection: close\r\n\r\n")
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    return int(lines[0].split()[1]), "\n".join(lines[1:]), body.decode("utf-8", "replace")


def get(server: app.Server, path: str) -> tuple[int, str, str]:
    return raw_get(server, path.encode("ascii"))


def state(server: app.Server) -> dict[str, Any]:
    status, _, body = get(server, "/api/state")
    assert status == 200
    return dict(json.loads(body))


def preview_path(town: str, name: str) -> str:
    return f"/preview/{town}/{quote(name)}"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_workspace(tmp_path_factory.mktemp("serve") / "ws")
    plan = root / WEICHENG_PLAN
    text = plan.read_text(encoding="utf-8") + f"\n{SCRIPT}\n\n{LINKS}"
    plan.write_text(text, encoding="utf-8")
    (root / "towns" / "weicheng" / "escape.md").symlink_to("/etc/passwd")
    for case in DATA_CASES:
        (root / case.path).parent.mkdir(parents=True, exist_ok=True)
        (root / case.path).write_bytes(case.data)
    return root


@pytest.fixture(scope="module")
def server(workspace: Path) -> Iterator[app.Server]:
    with running(workspace) as started:
        yield started


# -- the contract -------------------------------------------------------------------------------------


def test_dashboard_matrix_cells_link_to_each_towns_findings(server: app.Server) -> None:
    status, _, body = get(server, "/")
    assert status == 200
    assert '<table id="matrix">' in body
    counts = state(server)["towns"]
    for slug, town in counts.items():
        cells = re.findall(rf'<a class="cell" data-town="{slug}"[^>]*href="([^"]+)"', body)
        assert cells and set(cells) == {f"/town/{slug}#findings"}
        shown = re.search(rf'<span class="count" data-town="{slug}">(\d+)</span>', body)
        assert shown is not None and int(shown.group(1)) == town["findings"]
    assert "指标对照" in body and "镇区绿化覆盖率" in body
    assert "投资汇总" in body and "5860" in body  # 渭城镇's four projects


def test_a_finding_links_to_its_note_in_the_preview_and_its_source_line(
    server: app.Server,
) -> None:
    status, _, body = get(server, "/town/yaodian")
    assert status == 200
    assert '<section id="findings">' in body
    count = re.search(r'<span id="finding-count"[^>]*>(\d+)</span>', body)
    assert (
        count is not None and int(count.group(1)) == state(server)["towns"]["yaodian"]["findings"]
    )
    finding = re.search(
        r'<li class="finding[^"]*" data-code="TP005" data-severity="错误" '
        r'data-file="(towns/yaodian/master-plan/03-facilities.md)" data-line="31"[^>]*>(.*?)</li>',
        body,
        re.DOTALL,
    )
    assert finding is not None, body
    assert f'<section class="file" data-file="{finding.group(1)}">' in body
    preview = re.search(r'<a class="to-preview" href="([^"#]+)#(f-\d+)">', finding.group(2))
    source = re.search(r'<a class="to-source" href="([^"#]+)#L31">', finding.group(2))
    assert preview is not None and source is not None
    assert preview.group(1) == preview_path("yaodian", "窑店镇总体规划")

    status, _, page = get(server, preview.group(1))
    assert status == 200
    assert '<main id="preview"' in page
    note = re.search(
        rf'<aside class="finding-note" id="{preview.group(2)}" data-code="TP005"', page
    )
    assert note is not None
    # the note stands before the block of the finding's line (the missing drawing's figure)
    after = page[note.end() :]
    block = re.search(r'<(\w+)[^>]*data-src="([^"]+):(\d+)"', after[after.index("</aside>") :])
    assert block is not None
    assert block.group(2) == finding.group(1) and int(block.group(3)) <= 31

    status, _, lines = get(server, source.group(1))
    assert status == 200
    assert '<ol class="source">' in lines
    assert re.search(r'<li id="L31" class="hl"><code>[^<]*05-roads.png', lines)
    assert '<li id="L30">' in lines
    assert "TP005" in lines


def test_preview_is_the_print_html_with_screen_assets_and_served_urls(server: app.Server) -> None:
    status, _, page = get(server, preview_path("weicheng", "渭城镇总体规划"))
    assert status == 200
    assert 'href="/assets/screen.css"' in page and 'src="/assets/preview.js"' in page
    assert "@page" in page  # the print stylesheet, as WeasyPrint gets it
    assert "workspace:" not in page and "templates:" not in page
    image = re.search(r'<img src="(/workspace/[^"]+)"', page)
    assert image is not None
    status, headers, _ = raw_get(server, image.group(1).encode())
    assert status == 200 and "Content-Type: image/" in headers
    assert re.search(r'data-src="towns/weicheng/master-plan/[^"]+:\d+"', page)


def test_markdown_raw_html_is_escaped_in_the_preview(server: app.Server) -> None:
    status, _, page = get(server, preview_path("weicheng", "渭城镇2023年小城镇建设计划"))
    assert status == 200
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert SCRIPT not in page
    assert all(src.startswith("/assets/") for src in re.findall(r'<script src="([^"]+)"', page))
    assert "<script>" not in page


def test_every_response_carries_the_content_security_policy(server: app.Server) -> None:
    """serve's own pages run scripts from its asset path only (not 'self': nothing else on the
    server may be a script)."""
    routes = [
        "/", "/town/weicheng", preview_path("weicheng", "渭城镇小城镇建设观摩图册"),
        "/source/towns/weicheng/town.yaml", "/api/state", "/assets/live.js", "/assets/screen.css",
        "/nowhere", "/../../etc/passwd", "/town/nowhere",
    ]  # fmt: skip
    assets = f"http://127.0.0.1:{server.port}/assets/"
    for route in routes:
        _, headers, _ = get(server, route)
        policy = f"Content-Security-Policy: default-src 'none'; script-src {assets};"
        assert policy in headers, (route, headers)
        assert "'self'" not in headers.split("script-src")[1].split(";")[0]
        assert "X-Content-Type-Options: nosniff" in headers
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        conn.sendall(f"GET /events HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\ndata: " not in head:
            head += conn.recv(4096)
    assert b"text/event-stream" in head and b"Content-Security-Policy" in head
    assert b'"version": ' in head


def test_state_lists_every_preview_with_its_build_inputs(server: app.Server) -> None:
    previews = state(server)["previews"]
    weicheng = {p["name"]: p for p in previews if p["town"] == "weicheng"}
    weekly = {n for n in weicheng if n.startswith("渭城镇小城镇建设工作进度周报（")}
    assert weekly  # the sample reports every week: a 周报 each
    assert set(weicheng) - weekly == {
        "渭城镇总体规划", "渭城镇滨河路沿线修建性详细规划", "渭城镇中心区控制性详细规划",
        "渭城镇2023年小城镇建设计划", "渭城镇小城镇建设项目简介汇编", "渭城镇小城镇建设观摩图册",
    }  # fmt: skip
    assert WEICHENG_BRIEF in weicheng["渭城镇2023年小城镇建设计划"]["inputs"]
    assert "towns/weicheng/projects" in weicheng["渭城镇小城镇建设观摩图册"]["inputs"]
    assert all(not p["error"] for p in previews)


# -- safety ------------------------------------------------------------------------------------------


DOTS = "路径中含有 . 或 .. 或空的一段"
TWICE = "路径经过多重编码"
SLASH_NUL = "路径中含有反斜杠或空字符"
LINK_OUT = "符号链接指向工作区以外"


REFUSALS = [
    (b"/../../etc/passwd", DOTS),
    (b"/%2e%2e/%2e%2e/etc/passwd", DOTS),
    (b"/%252e%252e/%252e%252e/etc/passwd", TWICE),
    (b"/source/../../etc/passwd", DOTS),
    (b"/source/%2e%2e%2f%2e%2e%2fetc%2fpasswd", DOTS),
    (b"/source/towns/%2e%2e/%2e%2e/%2e%2e/etc/passwd", DOTS),
    (b"/source/towns/weicheng/%252e%252e/town.yaml", TWICE),
    (b"/source/towns/%2577eicheng/town.yaml", TWICE),
    (b"/source/towns/./weicheng/town.yaml", DOTS),
    (b"/source/towns//weicheng/town.yaml", DOTS),
    (b"/source/towns/weicheng/escape.md", LINK_OUT),
    (b"/build/..%2f..%2fetc/passwd", DOTS),
    (b"/workspace/towns/weicheng/escape.md", LINK_OUT),
    (b"/source/towns/weicheng/town.yaml%00.md", SLASH_NUL),
    (b"/source/towns\\weicheng\\town.yaml", SLASH_NUL),
    (b"/source/towns%5cweicheng%5ctown.yaml", SLASH_NUL),
    (b"/templates/../../etc/passwd", DOTS),
    (b"/source/towns/weicheng/town.yaml\x00", SLASH_NUL),
]  # fmt: skip
"""Request targets that leave the workspace or hide what they name, with the reason logged."""


@pytest.mark.parametrize(
    ("target", "reason"), REFUSALS, ids=[repr(target)[2:-1] for target, _ in REFUSALS]
)
def test_paths_out_of_the_workspace_are_refused_and_logged(
    server: app.Server, target: bytes, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Each is refused (403, never a 404 that a later check happens to give) for its own reason,
    and the log line names the path and that reason."""
    with caplog.at_level(logging.WARNING, logger="townplans.serve"):
        status, _, body = raw_get(server, target)
    assert status == 403
    assert "root:" not in body and escape(f"禁止访问：{reason}") in body
    shown = target.decode("latin-1").replace("\x00", "\ufffd")
    assert f"拒绝请求 403：{shown}（{reason}）" in [r.getMessage() for r in caplog.records], (
        caplog.text
    )


# -- the bad-input catalogue: serve (issue 19) ------------------------------------------------------
# What a contributor can put in the workspace, and what a client can send, to make serve run a
# script or hold its connections. tests/test_hardening.py holds the check and build cases; these
# need a running server. In the browser: tests/test_browser.py (the page does not run).

DRAWINGS = "towns/weicheng/master-plan/drawings"
EVIL_HTML = b'<!DOCTYPE html><p id="evil">evil</p><script src="evil.js"></script>'
EVIL_JS = (
    b"fetch('/api/state').then(r => r.text()).then(t => fetch('/source/towns/beidu/town.yaml'))"
)
EVIL_SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@dataclass(frozen=True)
class Data:
    """A file placed in the workspace copy, the URL it is asked for by, and how it must come."""

    name: str
    path: str
    data: bytes
    content_type: str
    disposition: str
    url: str = ""

    @property
    def served(self) -> str:
        return self.url or "/workspace/" + quote(self.path)


DATA_CASES = [
    Data("a web page beside the drawings", f"{DRAWINGS}/evil.html", EVIL_HTML, "text/plain; charset=utf-8", "inline"),
    Data("its script", f"{DRAWINGS}/evil.js", EVIL_JS, "text/plain; charset=utf-8", "inline"),
    Data("an SVG holding a script", f"{DRAWINGS}/evil.svg", EVIL_SVG, "text/plain; charset=utf-8", "inline"),
    Data("an XHTML page", f"{DRAWINGS}/evil.xhtml", EVIL_HTML, "application/octet-stream", "attachment"),
    Data("a web page named .png", f"{DRAWINGS}/evil.png", EVIL_HTML, "image/png", "inline"),
    Data("a photo with an upper-case suffix", f"{DRAWINGS}/现状照片.JPG", b"\xff\xd8\xff", "image/jpeg", "inline"),
    Data("a PDF", f"{DRAWINGS}/批复.pdf", b"%PDF-1.4\n", "application/pdf", "inline"),
    Data("a file without a suffix", "towns/weicheng/evil", EVIL_HTML, "application/octet-stream", "attachment"),
    Data("a web page in build/", "build/evil.html", EVIL_HTML, "text/plain; charset=utf-8", "inline", "/build/evil.html"),
    Data("a Word file in build/", "build/方案.docx", b"PK\x03\x04", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "attachment", "/build/" + quote("方案.docx")),
    Data("a font of the templates", "templates/fonts/evil.woff2", EVIL_HTML, "font/woff2", "attachment", "/templates/fonts/evil.woff2"),
]  # fmt: skip


def header(headers: str, name: str) -> str:
    found = re.search(rf"^{name}: (.*)$", headers, re.MULTILINE | re.IGNORECASE)
    return found.group(1) if found else ""


@pytest.mark.parametrize("case", DATA_CASES, ids=[case.name for case in DATA_CASES])
def test_a_file_serve_did_not_write_is_sandboxed_data(server: app.Server, case: Data) -> None:
    """Shown inline only as an image, a PDF or plain text; never as a page or a script; always
    under a sandbox (no script, no origin) and nosniff."""
    status, headers, body = raw_get(server, case.served.encode("ascii"))
    assert status == 200, (case.served, body)
    assert header(headers, "Content-Type") == case.content_type
    disposition = header(headers, "Content-Disposition")
    assert disposition.split(";")[0] == case.disposition
    name = case.path.rsplit("/", 1)[-1]
    assert f"filename*=UTF-8''{quote(name, safe='')}" in disposition
    policy = header(headers, "Content-Security-Policy")
    assert policy.split(";")[0] == "sandbox" and "script-src" not in policy, policy
    assert header(headers, "X-Content-Type-Options") == "nosniff"
    if case.content_type.startswith("text/plain"):
        assert body.encode("utf-8") == case.data


LINKS = """\
链接试探：[附图说明](master-plan/drawings/evil.html)、[绝对路径](/workspace/towns/weicheng/master-plan/drawings/evil.html)、\
[方案](workspace:towns/weicheng/master-plan/drawings/evil.html)、[上溯](../../workspace/towns/weicheng/master-plan/drawings/evil.js)、\
[文本](town.yaml)、[现状图](master-plan/drawings/01-township-status.png)、[批复](master-plan/drawings/%E6%89%B9%E5%A4%8D.pdf)、\
[网站](https://www.example.gov.cn/)、[本页](#top)。
"""
INERT = [
    "master-plan/drawings/evil.html",
    "/workspace/towns/weicheng/master-plan/drawings/evil.html",
    "workspace:towns/weicheng/master-plan/drawings/evil.html",
    "../../workspace/towns/weicheng/master-plan/drawings/evil.js",
    "town.yaml",
]


def test_a_preview_opens_no_link_to_a_workspace_file_but_images_and_pdfs(
    server: app.Server,
) -> None:
    """A Markdown link to a file that is neither an image nor a PDF is text showing its target,
    whichever way it is written; one to a drawing or a PDF opens it through /workspace/."""
    status, _, page = get(server, preview_path("weicheng", "渭城镇2023年小城镇建设计划"))
    assert status == 200 and "链接试探" in page
    links = dict(re.findall(r'<a href="([^"]*)"[^>]*>([^<]*)</a>', page))
    assert not [href for href in links if "evil" in href or "town.yaml" in href], links
    for target in INERT:
        shown = f'<span class="inert-link" data-href="{escape(target)}"'
        assert shown in page, target
        assert f'<span class="link-target">（{escape(target)}）</span>' in page
    drawing = f"/workspace/{DRAWINGS}/01-township-status.png"
    assert links[drawing] == "现状图"
    assert links[f"/workspace/{DRAWINGS}/{quote('批复.pdf')}"] == "批复"
    assert links["https://www.example.gov.cn/"] == "网站" and links["#top"] == "本页"
    assert raw_get(server, drawing.encode())[0] == 200


# hostile clients: what they send, and what they must get (the connection is closed after it)
REQUESTS = [
    ("a POST with a body", b"POST /api/state HTTP/1.1\r\nHost: {host}\r\nContent-Length: 5\r\n\r\nabcde", 405, "Allow: GET, HEAD"),
    ("a GET announcing a body it never sends", b"GET / HTTP/1.1\r\nHost: {host}\r\nContent-Length: 100000\r\n\r\n", 413, ""),
    ("a chunked GET", b"GET / HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n", 413, ""),
    ("a request line without a version", b"GET /api/state\r\n\r\n", 400, ""),
    ("HTTP/2.0 on the request line", b"GET / HTTP/2.0\r\nHost: {host}\r\n\r\n", 505, ""),
    ("a header of 70 KB", b"GET / HTTP/1.1\r\nHost: {host}\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", 431, ""),
    ("200 headers", b"GET / HTTP/1.1\r\nHost: {host}\r\n" + b"X-Many: 1\r\n" * 200 + b"\r\n", 431, ""),
]  # fmt: skip


def until_closed(conn: socket.socket) -> bytes:
    """All the server sends until it closes the connection (``TimeoutError`` when it does not
    within the socket's time-out)."""
    data = b""
    try:
        while chunk := conn.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    return data


def connect(server: app.Server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


@pytest.mark.parametrize(
    ("request_bytes", "status", "shown"),
    [case[1:] for case in REQUESTS],
    ids=[case[0] for case in REQUESTS],
)
def test_a_malformed_or_unsupported_request_is_answered_and_closed(
    server: app.Server, request_bytes: bytes, status: int, shown: str
) -> None:
    with connect(server) as conn:
        conn.sendall(request_bytes.replace(b"{host}", f"127.0.0.1:{server.port}".encode()))
        data = until_closed(conn)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} ".encode()), head
    assert b"Connection: close" in head and b"Content-Security-Policy: sandbox" in head
    assert shown.encode() in head
    assert body.decode("utf-8").strip()  # a Chinese sentence saying why


def wait_until(what: str, condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def status_of(head: bytes) -> int:
    return int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else 0


def open_stream(server: app.Server) -> tuple[socket.socket, bytes]:
    """A connection asking for /events, and the head of its answer."""
    conn = connect(server)
    conn.sendall(f"GET /events HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head and (chunk := conn.recv(4096)):
        head += chunk
    return conn, head


@pytest.fixture(scope="module")
def one_town(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_workspace(tmp_path_factory.mktemp("limits") / "ws", ("weicheng",))


def test_a_half_sent_request_is_answered_408_and_closed_after_the_head_timeout(
    one_town: Path,
) -> None:
    with running(one_town, Limits(head_seconds=0.5)) as server:
        host = f"Host: 127.0.0.1:{server.port}\r\n".encode()
        with connect(server) as conn:  # the head, but never the blank line that ends it
            conn.sendall(b"GET /api/state HTTP/1.1\r\n" + host)
            assert until_closed(conn).startswith(b"HTTP/1.1 408 ")
        with connect(server) as conn:  # nothing at all
            assert until_closed(conn).startswith(b"HTTP/1.1 408 ")
        # A head that trickles in a line at a time, each well within the time-out, is cut off
        # all the same: the deadline is for the whole head.
        with connect(server) as conn:
            conn.sendall(b"GET / HTTP/1.1\r\n" + host)
            closed = False
            for number in range(100):  # 100 lines 0.1 s apart: twenty times the deadline
                try:
                    conn.sendall(f"X-Slow-{number}: 1\r\n".encode())
                except OSError:
                    closed = True
                    break
                if select.select([conn], [], [], 0.1)[0]:
                    closed = True
                    break
            assert closed, "a trickling head held its connection"
            assert until_closed(conn).startswith(b"HTTP/1.1 408 ")
        wait_until("every connection closed", lambda: server.connections == 0)
        assert get(server, "/api/state")[0] == 200


def test_the_stream_beyond_the_cap_is_answered_503_with_retry_after(one_town: Path) -> None:
    with running(one_town, Limits(max_streams=2, retry_after_seconds=7)) as server:
        first, head = open_stream(server)
        second, other = open_stream(server)
        assert status_of(head) == status_of(other) == 200
        third, refused = open_stream(server)
        assert status_of(refused) == 503 and b"\r\nRetry-After: 7\r\n" in refused, refused
        assert until_closed(third).count(b"data:") == 0
        third.close()
        first.close()  # a tab closed: its place is free again at once, not at the next keep-alive
        wait_until("the closed stream's place freed", lambda: server.streams == 1)
        fourth, head = open_stream(server)
        assert status_of(head) == 200
        for conn in (second, fourth):
            conn.close()


def test_at_the_connection_cap_a_half_sent_request_makes_room_and_busy_ones_get_503(
    one_town: Path,
) -> None:
    limits = Limits(max_connections=2, max_streams=5, head_seconds=60, retry_after_seconds=3)
    with running(one_town, limits) as server:
        host = f"Host: 127.0.0.1:{server.port}\r\n".encode()
        oldest = connect(server)
        oldest.sendall(b"GET / HTTP/1.1\r\n" + host)
        wait_until("the first half-sent request", lambda: server.connections == 1)
        newer = connect(server)
        newer.sendall(b"GET / HTTP/1.1\r\n" + host)
        wait_until("both half-sent requests", lambda: server.connections == 2)
        assert get(server, "/api/state")[0] == 200  # served: the oldest waiting one made room
        assert until_closed(oldest) == b""
        oldest.close()
        newer.close()
        wait_until("the half-sent requests gone", lambda: server.connections == 0)
        # Two event streams: every connection busy, none to close: the next one waits outside.
        streams = [open_stream(server) for _ in range(2)]
        assert [status_of(head) for _, head in streams] == [200, 200]
        status, headers, _ = get(server, "/api/state")
        assert status == 503 and "Retry-After: 3" in headers
        for conn, _ in streams:
            conn.close()
        wait_until("the streams gone", lambda: server.connections == 0)
        assert get(server, "/api/state")[0] == 200


def test_a_kept_alive_connection_answers_one_request_after_another(server: app.Server) -> None:
    host = f"Host: 127.0.0.1:{server.port}\r\n".encode()
    with connect(server) as conn:
        conn.sendall(b"GET /api/state HTTP/1.1\r\n" + host + b"\r\n")
        conn.sendall(b"HEAD /api/state HTTP/1.1\r\n" + host + b"\r\n")
        conn.sendall(b"GET /town/weicheng HTTP/1.1\r\n" + host + b"Connection: close\r\n\r\n")
        data = until_closed(conn)
    answers: list[int] = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
        body_length = 0 if answers == [200] else length  # the HEAD's answer has no body
        answers.append(status_of(head))
        assert length > 0
        data = rest[body_length:]
    assert answers == [200, 200, 200]


def test_a_foreign_host_header_is_refused(server: app.Server) -> None:
    """A page elsewhere that points its own name at 127.0.0.1 (DNS rebinding) gets nothing."""
    status, _, _ = raw_get(server, b"/api/state", host=f"evil.example:{server.port}")
    assert status == 403


def _outside_address() -> str | None:
    """A non-loopback address of this machine, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent for a UDP connect
            address = str(probe.getsockname()[0])
        except OSError:
            return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def test_binds_loopback_only_by_default(server: app.Server) -> None:
    assert server.server_address[0] == "127.0.0.1"
    assert server.socket.getsockname()[0] == "127.0.0.1"
    address = _outside_address()
    if address is None:
        return  # a machine with only loopback: the bound address above is the whole answer
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address, server.port), timeout=5).close()


def test_cli_warns_when_another_host_is_given_and_prints_the_url(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    district = root / "towns" / "district.yaml"
    text = district.read_text(encoding="utf-8")
    district.write_text(text, encoding="utf-8")
    command = [sys.executable, "-m", "townplans", "--root", str(root), "serve", "--host", "0.0.0.0", "--port", "0"]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
        env={**os.environ, "COLUMNS": "300"},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        started = ""
        deadline = time.monotonic() + 60
        while "已启动" not in started and time.monotonic() < deadline:
            started += process.stdout.readline()
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=20)
    assert "警告：--host 0.0.0.0" in errors
    found = re.search(r"已启动：http://127\.0\.0\.1:(\d+)/", started)
    assert found is not None and int(found.group(1)) > 0, started


# -- live -----------------------------------------------------------------------------------------------


def wait_for_version(server: app.Server, above: int, seconds: float = 15.0) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        current = state(server)
        if current["version"] > above:
            return current
        time.sleep(0.1)
    raise AssertionError(f"no update within {seconds} s")


def test_a_brief_change_rerenders_only_that_towns_affected_previews(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = copy_workspace(tmp_path / "ws")
    with running(root) as server, caplog.at_level(logging.INFO, logger="townplans.serve"):
        album = preview_path("weicheng", "渭城镇小城镇建设观摩图册")
        albums = [p for p in state(server)["previews"] if p["album"]]
        assert albums and all(p["renders"] == 0 for p in albums)  # an album: when first asked for
        assert get(server, album)[0] == 200
        before = state(server)
        renders = {(p["town"], p["name"]): p["renders"] for p in before["previews"]}
        brief = root / WEICHENG_BRIEF
        text = brief.read_text(encoding="utf-8")
        brief.write_text(text + "\n新增的一段说明：滨河路夜景照明同步完成。\n", encoding="utf-8")
        after = wait_for_version(server, before["version"])
        affected = {
            "weicheng/渭城镇2023年小城镇建设计划",
            "weicheng/渭城镇小城镇建设项目简介汇编",
            "weicheng/渭城镇小城镇建设观摩图册",
        }
        assert after["last"]["towns"] == ["weicheng"]
        assert set(after["last"]["pages"]) == affected
        assert after["last"]["count"] == 3
        for preview in after["previews"]:
            key = f"{preview['town']}/{preview['name']}"
            grew = preview["renders"] - renders[(preview["town"], preview["name"])]
            assert grew == (1 if key in affected else 0), key
        assert "重新生成预览 3 页：" in caplog.text
        _, _, page = get(server, preview_path("weicheng", "渭城镇小城镇建设项目简介汇编"))
        assert "滨河路夜景照明同步完成" in _text_of(page)


def _text_of(page: str) -> str:
    """The preview's text without its markup: a paragraph's last characters are wrapped in a
    nowrap span (no line starting with 。), so its words are read across the tags."""
    return unescape(re.sub(r"<[^>]*>", "", page))


def test_a_half_written_file_shows_its_loader_finding(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws")
    with running(root) as server:
        version = state(server)["version"]
        town = root / "towns" / "weicheng" / "town.yaml"
        written = town.read_text(encoding="utf-8")
        town.write_text("name: 渭城镇\nindicators: [建成区面积\n", encoding="utf-8")
        after = wait_for_version(server, version)
        assert after["towns"]["weicheng"]["errors"] >= 1
        status, _, page = get(server, "/town/weicheng")
        assert status == 200
        assert 'data-code="TP002"' in page and 'data-file="towns/weicheng/town.yaml"' in page
        assert "Traceback" not in page
        town.write_text(written, encoding="utf-8")  # saved again, whole: the finding goes
        after = wait_for_version(server, after["version"])
        assert 'data-code="TP002"' not in get(server, "/town/weicheng")[2]

        brief = root / WEICHENG_BRIEF
        brief.write_text(
            "---\ntitle: 滨河路\ninvestment: 1850万元\n\n正文写了一半", encoding="utf-8"
        )
        after = wait_for_version(server, after["version"])
        status, _, page = get(server, "/town/weicheng")
        assert status == 200 and 'data-code="TP007"' in page
        status, _, _ = get(server, preview_path("weicheng", "渭城镇小城镇建设项目简介汇编"))
        assert status == 200
        status, _, _ = get(server, "/")
        assert status == 200


def test_a_failed_render_costs_only_its_own_preview(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    served = ServeState(root)
    broken = served.previews["weicheng/渭城镇总体规划"]

    def fails() -> str:
        raise ValueError("simulated render failure")

    broken.make = fails
    broken.render()
    page = pages.preview_page(served, broken)
    # issue 19: Chinese only; the exception's class and English text are for --debug
    assert "本页预览生成失败：程序内部错误" in page
    assert "simulated" not in page and "ValueError" not in page
    assert '<main id="preview"' in page
    other = served.previews["weicheng/渭城镇2023年小城镇建设计划"]
    assert not other.error and "data-src" in pages.preview_page(served, other)


def test_notes_go_before_the_last_block_at_or_before_their_line() -> None:
    from townplans.model import Finding, Severity, SourceRef

    html = (
        '<h1 data-src="a.md:5">x</h1><p data-src="a.md:7">y</p>'
        '<ol data-src="a.md:9"><li data-src="a.md:9">z</li></ol><p data-src="b.md:1">w</p>'
    )

    def note(number: int, path: str, line: int | None) -> pages.Note:
        return pages.Note(number, Finding("TP100", Severity.ERROR, "m", SourceRef(path, line)))

    placed, unplaced = pages.place_notes(
        html, [note(1, "a.md", 8), note(2, "a.md", 2), note(3, "a.md", 30), note(4, "c.md", 3)]
    )
    assert placed.index('id="f-1"') < placed.index('data-src="a.md:7"') < placed.index('id="f-3"')
    assert placed.index('id="f-2"') < placed.index('data-src="a.md:5"')
    assert placed.index('id="f-3"') < placed.index('<ol data-src="a.md:9"')
    assert [n.number for n in unplaced] == [4]


def test_source_attributes_leave_the_pdf_byte_identical(tmp_path: Path) -> None:
    """data-src is for serve; WeasyPrint ignores it, so a PDF with it is the PDF without it."""
    from townplans import pipeline, targets
    from townplans.render.pdf import html_to_pdf
    from townplans.render.style import load_style

    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    session, _ = pipeline.run_check(root)
    graph = targets.Graph(session, load_style(session.paths.style))
    town = session.workspace.town("weicheng")
    assert town is not None
    gongwen = next(o for o in graph.town_documents(town) if o.name.endswith("建设计划"))
    assert gongwen.preview is not None
    html = gongwen.preview()
    assert html.count("data-src=") > 20
    bare = re.sub(r' data-src="[^"]*"', "", html)
    with_sources, _ = html_to_pdf(html, session.paths.mounts())
    without, _ = html_to_pdf(bare, session.paths.mounts())
    assert with_sources == without
