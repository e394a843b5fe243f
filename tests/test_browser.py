"""``townplans serve`` in a real browser (issue 14): headless Debian Chromium driven by Selenium
through Debian's chromedriver, against the real command started in a child process on a free port.

The tests: the dashboard, a matrix cell to a town's findings, a finding to its place in the
document preview, then a file edited on disk and the preview text and finding count changing
without a reload. Every page the tests open must log nothing to the console (no script errors, no
CSP violations, no 404) and load nothing from a host other than the server.
Screenshots are kept in build/proof/serve-*.png.

One server and one browser per test process (module-scoped fixtures). pytest-xdist 3.8's loadgroup
does not keep a module on one worker under pytest 9.2 (it renames ``item._nodeid``, which pytest 9.2
no longer reads), so under ``-n 2`` two workers may each start their own server, browser and
workspace copy; no test depends on another's edits.

The browser is never skipped: CI installs ``chromium`` and ``chromium-driver`` (``make test``), and
a machine without them fails here with the command that installs them. Selenium Manager (which
would download a driver) is never asked: the driver path is given, and the manager is replaced by a
function that fails the test if anything calls it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import unquote, urlsplit

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver import Chrome
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.selenium_manager import SeleniumManager
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import REPO, copy_workspace

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PROOF = REPO / "build" / "proof"
LIVE_SECONDS = 10
"""How long an edit on disk may take to reach the open page (the issue: "within a few seconds")."""

CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
    # The machine's network is closed; resolving any other host fails at once (and shows up in the
    # console, which the tests read) instead of waiting for a time-out.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
)


@dataclass
class Server:
    """``townplans serve`` running in a child process on the workspace copy ``root``."""

    process: subprocess.Popen[str]
    root: Path
    url: str = ""
    lines: list[str] = field(default_factory=list)

    @property
    def origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    def log(self) -> str:
        """The server's output so far, for assertion messages."""
        return "\n".join(self.lines[-40:])


def _read_lines(server: Server, found: threading.Event) -> None:
    assert server.process.stdout is not None
    for line in server.process.stdout:
        server.lines.append(line.rstrip("\n"))
        match = re.search(r"http://127\.0\.0\.1:\d+/?", line)
        if match and not server.url:
            server.url = match.group(0).rstrip("/") + "/"
            found.set()
    found.set()


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The real CLI, ``python -m townplans --root WS serve --port 0``, on a copy of the sample
    district; the URL is read from what it prints once it listens."""
    root = copy_workspace(tmp_path_factory.mktemp("serve") / "ws")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "townplans", "--root", str(root), "serve", "--port", "0"]
    process = subprocess.Popen(
        command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    served = Server(process, root)
    found = threading.Event()
    threading.Thread(target=_read_lines, args=(served, found), daemon=True).start()
    try:
        found.wait(timeout=60)
        assert served.url, f"townplans serve printed no http://127.0.0.1:<port>/:\n{served.log()}"
        yield served
    finally:
        _stop(process)
    assert process.returncode is not None


def _no_selenium_manager(*args: object, **kwargs: object) -> NoReturn:
    pytest.fail("Selenium Manager was asked for a driver (it would download one); use Debian's")


def require_chromium(*programs: Path) -> None:
    """Fail (never skip: CI runs these tests) when the browser or its driver is not installed."""
    missing = [str(p) for p in programs if not os.access(p, os.X_OK)]
    if missing:
        pytest.fail(
            f"浏览器测试需要 Debian 的 chromium 与 chromium-driver，找不到 {', '.join(missing)}："
            "make test 会安装（或以管理员身份运行 apt-get install -y chromium chromium-driver）"
        )


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chrome]:
    """Headless Chromium with a fresh profile, offline, its console log readable."""
    require_chromium(CHROMIUM, CHROMEDRIVER)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in CHROMIUM_ARGS:
        options.add_argument(argument)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_OFFLINE", "true")
        patch.setattr(SeleniumManager, "binary_paths", _no_selenium_manager)
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_a_machine_without_chromium_fails_the_tests_rather_than_skipping(tmp_path: Path) -> None:
    require_chromium(CHROMIUM, CHROMEDRIVER)
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y chromium chromium-driver"):
        require_chromium(CHROMIUM, tmp_path / "chromedriver")


# -- helpers ------------------------------------------------------------------------------------


def js(driver: Chrome, script: str, *args: object) -> Any:
    return driver.execute_script(script, *args)


def wait_for(driver: Chrome, what: str, condition: Callable[[Chrome], object]) -> Any:
    """``condition``'s first truthy value within LIVE_SECONDS, else fail saying ``what``."""
    # The page swaps its <main> while it is being read: an element may vanish between two calls.
    ignored = (NoSuchElementException, StaleElementReferenceException)
    waiting = WebDriverWait(driver, LIVE_SECONDS, poll_frequency=0.1, ignored_exceptions=ignored)
    return waiting.until(condition, message=what)


def console_problems(driver: Chrome) -> list[str]:
    """What the page logged as a warning or error since the last call (script errors, CSP
    violations, failed requests); reading the log empties it."""
    # selenium's get_log has no annotations; it returns the log entries as dicts.
    entries: list[dict[str, Any]] = driver.get_log("browser")  # type: ignore[no-untyped-call]
    return [e["message"] for e in entries if e["level"] in {"SEVERE", "WARNING"}]


def foreign_requests(driver: Chrome, origin: str) -> list[str]:
    """Every URL this page loaded (itself and its resources) that is not on the server."""
    names: list[str] = js(
        driver,
        "return [location.href].concat(performance.getEntriesByType('resource').map(e => e.name));",
    )
    return [name for name in names if not name.startswith(origin + "/")]


def assert_page_clean(driver: Chrome, server: Server) -> None:
    assert console_problems(driver) == [], driver.current_url
    assert foreign_requests(driver, server.origin) == [], driver.current_url


def open_page(driver: Chrome, server: Server, path: str) -> None:
    driver.get(server.origin + path)
    wait_for(driver, f"{path} loaded", lambda d: js(d, "return document.readyState") == "complete")
    assert "Traceback" not in driver.page_source, server.log()


def in_view(driver: Chrome, element: WebElement) -> bool:
    """The element's top line is inside the window and not covered by anything (a sticky
    header over a link's target hides exactly what the link was followed for)."""
    return bool(
        js(
            driver,
            """const e = arguments[0], r = e.getBoundingClientRect();
            if (r.top < -1 || r.top >= innerHeight || r.left < 0 || r.right > innerWidth) return false;
            const y = Math.min(r.top + 4, (r.top + r.bottom) / 2);
            const hit = document.elementFromPoint((r.left + r.right) / 2, y);
            return hit !== null && (hit === e || e.contains(hit));""",
            element,
        )
    )


def finding_count(driver: Chrome) -> int:
    text = driver.find_element(By.ID, "finding-count").text
    assert re.fullmatch(r"\d+", text.strip()), text
    return int(text)


def wait_live(driver: Chrome) -> None:
    """Until the page's event stream is open (live.js marks #live-state "on"): a file edited
    before that would change nothing on this page."""
    wait_for(
        driver,
        "the live connection",
        lambda d: (
            "on" in (d.find_element(By.ID, "live-state").get_attribute("class") or "").split()
        ),
    )


def screenshot(driver: Chrome, name: str) -> Path:
    PROOF.mkdir(parents=True, exist_ok=True)
    path = PROOF / name
    assert driver.save_screenshot(str(path)), path
    return path


# -- the flow of the "Done when" ---------------------------------------------------------

FACILITIES = "towns/yaodian/master-plan/03-facilities.md"
"""窑店镇's master-plan chapter that links a drawing that does not exist (TP005, line 31)."""


def test_dashboard_to_finding_to_preview_then_a_live_edit(browser: Chrome, server: Server) -> None:
    open_page(browser, server, "/")
    assert browser.find_elements(By.CSS_SELECTOR, "table#matrix a.cell[data-town]")
    screenshot(browser, "serve-dashboard.png")
    assert_page_clean(browser, server)

    # A matrix cell of 窑店镇 (the town with documented gaps) to the town's findings.
    browser.find_element(By.CSS_SELECTOR, 'table#matrix a.cell[data-town="yaodian"]').click()
    wait_for(browser, "the town page", lambda d: urlsplit(d.current_url).path == "/town/yaodian")
    assert urlsplit(browser.current_url).fragment == "findings"
    findings = browser.find_element(By.ID, "findings")
    assert in_view(browser, findings)
    assert_page_clean(browser, server)

    # The missing drawing's finding, at the line towns/README.md documents, to the preview.
    finding = browser.find_element(
        By.CSS_SELECTOR, f'li.finding[data-code="TP005"][data-file="{FACILITIES}"]'
    )
    assert finding.get_attribute("data-line") == "31"
    link = finding.find_element(By.CSS_SELECTOR, "a.to-preview")
    target = urlsplit(link.get_attribute("href") or "")
    assert target.path.startswith("/preview/yaodian/") and re.fullmatch(r"f-\d+", target.fragment)
    link.click()
    wait_for(browser, "the preview", lambda d: urlsplit(d.current_url).path == target.path)
    assert urlsplit(browser.current_url).fragment == target.fragment
    note = browser.find_element(
        By.CSS_SELECTOR, f"main#preview aside.finding-note#{target.fragment}"
    )
    assert note.get_attribute("data-code") == "TP005"
    assert in_view(browser, note), js(browser, "return scrollY")
    assert browser.find_elements(By.CSS_SELECTOR, "main#preview [data-src]")
    preview = browser.find_element(By.ID, "preview")
    assert "镇区综合交通规划图" in preview.text and "专用车道" not in preview.text
    screenshot(browser, "serve-preview.png")
    assert_page_clean(browser, server)

    # Edit the chapter on disk: one sentence changes, one more missing drawing is linked (at the
    # end, below the part in view, so the scroll position has nothing to move it).
    count = finding_count(browser)
    wait_live(browser)
    js(browser, "window.__tp_marker = 'no reload';")
    scroll = js(browser, "return scrollY")
    assert scroll > 0, "the finding's note is far down the document: the page scrolled to it"
    chapter = server.root / FACILITIES
    text = chapter.read_text(encoding="utf-8")
    assert "遗址区设置文物消防专用通道" in text
    text = text.replace("遗址区设置文物消防专用通道", "遗址区设置文物消防专用车道")
    chapter.write_text(text + "\n![镇区竖向规划图](drawings/08-vertical.png)\n", encoding="utf-8")

    wait_for(
        browser,
        "the edited sentence",
        lambda d: "专用车道" in d.find_element(By.ID, "preview").text,
    )
    wait_for(browser, f"the count {count} + 1", lambda d: finding_count(d) == count + 1)
    assert "drawings/08-vertical.png" in browser.find_element(By.ID, "preview").text
    assert js(browser, "return window.__tp_marker") == "no reload", "the page was reloaded"
    assert abs(js(browser, "return scrollY") - scroll) <= 4, scroll
    # The reader's place is still on screen: the same note, in the re-laid-out preview.
    note = browser.find_element(
        By.CSS_SELECTOR, 'main#preview aside.finding-note[data-code="TP005"]'
    )
    assert in_view(browser, note)
    screenshot(browser, "serve-preview-live.png")
    assert_page_clean(browser, server)


def test_a_finding_links_to_its_source_line(browser: Chrome, server: Server) -> None:
    open_page(browser, server, "/town/beidu")
    finding = browser.find_element(By.CSS_SELECTOR, 'li.finding[data-code="TP401"]')
    assert finding.get_attribute("data-file") == "towns/beidu/town.yaml"
    line = finding.get_attribute("data-line")
    finding.find_element(By.CSS_SELECTOR, "a.to-source").click()
    wait_for(
        browser, "the source page", lambda d: urlsplit(d.current_url).path.startswith("/source/")
    )
    assert unquote(urlsplit(browser.current_url).path) == "/source/towns/beidu/town.yaml"
    assert urlsplit(browser.current_url).fragment == f"L{line}"
    row = browser.find_element(By.CSS_SELECTOR, f"ol.source li#L{line}")
    assert "hl" in (row.get_attribute("class") or "").split()
    assert row.text.split("\n")[0].strip() == "value: 26.4%"
    assert in_view(browser, row), js(browser, "return scrollY")
    assert_page_clean(browser, server)


# -- safe by default, seen from the browser --------------------------------------------------------


def test_every_page_carries_a_content_security_policy(browser: Chrome, server: Server) -> None:
    open_page(browser, server, "/town/weicheng")
    paths = ["/", "/town/weicheng"] + [
        urlsplit(a.get_attribute("href") or "").path
        for a in browser.find_elements(By.CSS_SELECTOR, "a.to-preview, a.to-source")[:2]
    ]
    for path in paths:
        with urllib.request.urlopen(server.origin + path, timeout=10) as response:
            policy = response.headers.get("Content-Security-Policy", "")
        scripts = policy.split("script-src")[-1].split(";")[0].split()
        assert "default-src" in policy and scripts == [server.origin + "/assets/"], (path, policy)
        # no other host is named anywhere in it
        assert re.findall(r"https?://[^\s;]+", policy) == scripts, (path, policy)
    assert_page_clean(browser, server)

    # The policy is enforced: a script the page did not load from the server does not run, and
    # the browser reports the violation in the log the other tests read.
    js(
        browser,
        "const s = document.createElement('script'); s.textContent = 'window.injected = 1';"
        "document.body.appendChild(s);",
    )
    assert js(browser, "return window.injected") is None
    problems = console_problems(browser)
    assert any("Content Security Policy" in p for p in problems), problems


def test_a_script_in_markdown_shows_as_text_and_does_not_run(
    browser: Chrome, server: Server
) -> None:
    plan = server.root / "towns/weicheng/construction-plan.md"
    payload = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
    text = plan.read_text(encoding="utf-8")
    plan.write_text(text.rstrip("\n") + f"\n\n试探：{payload}\n", encoding="utf-8")
    previews: set[str] = set()
    for page in ("/", "/town/weicheng"):
        open_page(browser, server, page)
        # Read in one script: the edit above reaches the open page as a live update, which
        # replaces its links between a find_elements and each get_attribute (a stale element).
        hrefs = js(
            browser,
            "return Array.from(document.querySelectorAll(\"a[href*='/preview/weicheng/']\"),"
            " a => a.getAttribute('href'))",
        )
        previews |= {unquote(urlsplit(href).path) for href in hrefs}
        assert_page_clean(browser, server)
    plan_preview = next((p for p in sorted(previews) if "建设计划" in p), None)
    assert plan_preview, previews
    open_page(browser, server, plan_preview)
    wait_for(
        browser,
        "the payload as text",
        lambda d: "<script>" in d.find_element(By.ID, "preview").text,
    )
    assert js(browser, "return window.pwned") is None
    assert not browser.find_elements(
        By.CSS_SELECTOR, "main#preview script, main#preview img[onerror]"
    )
    assert_page_clean(browser, server)


def test_a_half_written_brief_shows_its_loader_finding_live(
    browser: Chrome, server: Server
) -> None:
    brief = server.root / "towns/beidu/projects/beidu-market/brief.md"
    whole = brief.read_text(encoding="utf-8")
    open_page(browser, server, "/town/beidu")
    count = finding_count(browser)
    wait_live(browser)
    js(browser, "window.__tp_marker = 'no reload';")
    # Cut off inside the front matter: the loader's TP007 (unclosed front matter).
    loader = 'li.finding[data-code="TP007"][data-file="towns/beidu/projects/beidu-market/brief.md"]'
    assert not browser.find_elements(By.CSS_SELECTOR, loader)

    brief.write_text(whole[: whole.index("zone:")] + "zone: [产业发展", encoding="utf-8")
    wait_for(browser, "the loader finding", lambda d: d.find_elements(By.CSS_SELECTOR, loader))
    assert browser.find_elements(By.ID, "findings"), "the town page, not an error page"

    brief.write_text(whole, encoding="utf-8")
    wait_for(browser, "the finding gone", lambda d: not d.find_elements(By.CSS_SELECTOR, loader))
    wait_for(browser, f"the count back at {count}", lambda d: finding_count(d) == count)
    assert js(browser, "return window.__tp_marker") == "no reload", "the page was reloaded"
    assert_page_clean(browser, server)


# -- a contributor's web page beside the drawings (issue 19) ---------------------------------------

DRAWINGS = "towns/weicheng/master-plan/drawings"
EVIL_HTML = '<!DOCTYPE html><title>evil</title><p id="evil">evil</p><script src="evil.js"></script>'
EVIL_JS = """window.__evil = 1; document.title = "pwned";
fetch("/api/state").then(r => r.text()).then(t => fetch("/pwned-state?" + t.length));
fetch("/source/towns/beidu/town.yaml").then(r => r.text()).then(t => fetch("/pwned-source?" + t.length));
"""
"""What the tester's script did: read the state and another town's source (each marker request
would show in serve's log as a refused /pwned-… path)."""


def test_a_contributors_page_and_script_beside_the_drawings_do_not_run(
    browser: Chrome, server: Server
) -> None:
    open_page(browser, server, "/town/weicheng")
    previews = [
        urlsplit(a.get_attribute("href") or "").path
        for a in browser.find_elements(By.CSS_SELECTOR, "a.preview-link")
    ]
    plan_preview = next(p for p in previews if "建设计划" in unquote(p))
    open_page(browser, server, plan_preview)
    wait_live(browser)

    folder = server.root / DRAWINGS
    (folder / "evil.html").write_text(EVIL_HTML, encoding="utf-8")
    (folder / "evil.js").write_text(EVIL_JS, encoding="utf-8")
    plan = server.root / "towns/weicheng/construction-plan.md"
    text = plan.read_text(encoding="utf-8")
    link = "master-plan/drawings/evil.html"
    plan.write_text(text.rstrip("\n") + f"\n\n详见[附图说明]({link})。\n", encoding="utf-8")

    # In the preview the Markdown link is text showing where it points, not a link.
    inert = wait_for(
        browser,
        "the link shown as text",
        lambda d: d.find_elements(By.CSS_SELECTOR, f'main#preview .inert-link[data-href="{link}"]'),
    )[0]
    assert "附图说明" in inert.text and link in inert.text
    assert not browser.find_elements(By.CSS_SELECTOR, "a[href*='evil']")
    shown = browser.current_url
    js(browser, "arguments[0].click();", inert)
    assert browser.current_url == shown
    assert_page_clean(browser, server)

    # The preview's policy names serve's asset path as the only script source: the script,
    # added to the page by hand, is refused.
    js(
        browser,
        "const s = document.createElement('script'); s.src = arguments[0];"
        "document.body.appendChild(s);",
        f"/workspace/{DRAWINGS}/evil.js",
    )
    wait_for(
        browser,
        "the script refused (or run)",
        lambda d: (
            js(d, "return window.__evil") == 1 or any("evil.js" in p for p in console_problems(d))
        ),
    )
    assert js(browser, "return window.__evil") is None

    # Opened by its URL, the page is its own text, sandboxed (no origin), and runs nothing.
    open_page(browser, server, f"/workspace/{DRAWINGS}/evil.html")
    assert js(browser, "return document.contentType") == "text/plain"
    assert js(browser, "return window.origin") == "null"
    assert js(browser, "return window.__evil") is None and browser.title != "pwned"
    assert '<script src="evil.js">' in browser.find_element(By.TAG_NAME, "body").text
    console_problems(browser)  # the sandboxed text page's own log is not what is judged here
    open_page(browser, server, "/")
    assert_page_clean(browser, server)
    assert not [line for line in server.lines if "pwned" in line], server.log()
