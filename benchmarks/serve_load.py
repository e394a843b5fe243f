"""``townplans serve`` under load (issue 19): what half-sent requests and open ``/events`` streams
cost a running server, and whether a normal request is still answered while they are open.

The real command runs in a child process (``python -m townplans serve --port 0``) on a copy of the
sample district, so the threads and resident memory read from ``/proc/<pid>/status`` are its own.
Scenarios, each on a fresh server:

- idle: nothing but the measuring requests;
- slow-loris: N connections that send a request line and then one header line every two seconds,
  never the blank line that ends the head;
- events: N ``/events`` streams, opened and left open (how many were answered 200, how many 503).

For each: threads and memory once the connections are open, the time a normal ``GET /api/state``
takes then (median of five, each on a new connection), and how many of the N connections the
server has closed after ``--wait`` seconds (a server without a read time-out closes none).

    .venv/bin/python benchmarks/serve_load.py [--connections 300] [--wait 15]

Not a test: the figures depend on the machine. Linux only (``/proc``).
"""

from __future__ import annotations

import argparse
import os
import re
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TRICKLE_SECONDS = 2.0


@dataclass
class Row:
    scenario: str
    opened: int
    answered: str
    threads: str
    rss_mb: str
    normal: str
    closed: str


@dataclass
class Served:
    process: subprocess.Popen[str]
    port: int

    def proc(self) -> tuple[int, float]:
        """The server's thread count and resident memory (MB)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text(encoding="ascii")
        fields = dict(re.findall(r"^(\w+):\s+(\d+)", status, re.MULTILINE))
        return int(fields["Threads"]), int(fields["VmRSS"]) / 1024


def workspace(target: Path) -> Path:
    shutil.copytree(REPO / "templates", target / "templates")
    shutil.copytree(REPO / "towns", target / "towns")
    return target


@contextmanager
def serving(root: Path) -> Iterator[Served]:
    command = [sys.executable, "-m", "townplans", "--root", str(root), "serve", "--port", "0"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    try:
        assert process.stdout is not None
        port = 0
        while not port:
            line = process.stdout.readline()
            if not line:
                raise SystemExit("townplans serve did not start")
            found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
            port = int(found.group(1)) if found else 0
        threading.Thread(
            target=lambda: process.stdout and process.stdout.read(), daemon=True
        ).start()
        yield Served(process, port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def head(port: int) -> bytes:
    return f"Host: 127.0.0.1:{port}\r\n".encode()


def normal_request(port: int, timeout: float = 10.0) -> tuple[int, float]:
    """Status and milliseconds of one ``GET /api/state`` on a new connection (0: no answer)."""
    started = time.perf_counter()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
            conn.sendall(b"GET /api/state HTTP/1.1\r\n" + head(port) + b"Connection: close\r\n\r\n")
            data = b""
            while chunk := conn.recv(65536):
                data += chunk
    except OSError:
        return 0, (time.perf_counter() - started) * 1000
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
    return status, (time.perf_counter() - started) * 1000


def normal(port: int) -> str:
    results = [normal_request(port) for _ in range(5)]
    statuses = sorted({status for status, _ in results})
    return f"{'/'.join(map(str, statuses))} in {statistics.median(ms for _, ms in results):.0f} ms"


def open_connections(port: int, count: int, first: bytes) -> list[socket.socket]:
    conns = []
    for _ in range(count):
        try:
            conn = socket.create_connection(("127.0.0.1", port), timeout=5)
            conn.sendall(first)
        except OSError:
            break
        conns.append(conn)
    return conns


def closed_by_server(conns: list[socket.socket]) -> int:
    """How many of the connections the server has closed (end of stream or reset)."""
    closed = 0
    for conn in conns:
        try:
            conn.setblocking(False)
            while True:
                ready, _, _ = select.select([conn], [], [], 0)
                if not ready:
                    break
                if not conn.recv(65536):
                    closed += 1
                    break
        except OSError:
            closed += 1
    return closed


def first_statuses(conns: list[socket.socket]) -> str:
    """The status each connection was answered with so far (``-`` when none yet)."""
    counts: dict[str, int] = {}
    for conn in conns:
        conn.settimeout(2)
        try:
            data = conn.recv(64)
        except OSError:
            data = b""
        status = data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/") else "-"
        counts[status] = counts.get(status, 0) + 1
    return ", ".join(f"{n}×{s}" for s, n in sorted(counts.items()))


def change(before: tuple[int, float], during: tuple[int, float]) -> tuple[str, str]:
    """Threads and memory before the connections were opened → while they are open."""
    return f"{before[0]} → {during[0]}", f"{before[1]:.0f} → {during[1]:.0f}"


def idle(served: Served, count: int, wait: float) -> Row:
    threads, rss = change(served.proc(), served.proc())
    return Row("idle", 0, "", threads, rss, normal(served.port), "")


def slow_loris(served: Served, count: int, wait: float) -> Row:
    port = served.port
    before = served.proc()
    conns = open_connections(port, count, b"GET / HTTP/1.1\r\n" + head(port))
    stop = threading.Event()

    def trickle() -> None:
        number = 0
        while not stop.wait(TRICKLE_SECONDS):
            number += 1
            for conn in conns:
                with suppress(OSError):
                    conn.send(f"X-Slow-{number}: 1\r\n".encode())

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    time.sleep(1.0)
    threads, rss = change(before, served.proc())
    answered = normal(port)
    time.sleep(max(0.0, wait - 1.0))
    stop.set()
    thread.join()
    closed = closed_by_server(conns)
    for conn in conns:
        conn.close()
    return Row("slow-loris", len(conns), "", threads, rss, answered, f"{closed}/{len(conns)}")


def events(served: Served, count: int, wait: float) -> Row:
    port = served.port
    before = served.proc()
    conns = open_connections(port, count, b"GET /events HTTP/1.1\r\n" + head(port) + b"\r\n")
    time.sleep(1.0)
    statuses = first_statuses(conns)
    threads, rss = change(before, served.proc())
    answered = normal(port)
    for conn in conns:
        conn.close()
    return Row("events", len(conns), statuses, threads, rss, answered, "")


SCENARIOS: dict[str, Callable[[Served, int, float], Row]] = {
    "idle": idle,
    "slow-loris": slow_loris,
    "events": events,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=300)
    parser.add_argument("--wait", type=float, default=15.0, help="seconds before counting closes")
    parser.add_argument("--only", nargs="*", choices=list(SCENARIOS), default=list(SCENARIOS))
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        root = workspace(Path(folder) / "ws")
        for name in args.only:
            with serving(root) as served:
                rows.append(SCENARIOS[name](served, args.connections, args.wait))
    header = ("scenario", "opened", "answered", "threads", "RSS MB", "normal request", "closed")
    table = [header] + [
        (r.scenario, str(r.opened), r.answered, r.threads, r.rss_mb, r.normal, r.closed)
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    print(f"(closed: connections the server had closed {args.wait:g} s after they were opened)")


if __name__ == "__main__":
    main()
