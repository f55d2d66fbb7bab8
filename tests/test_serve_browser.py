"""`wallboard serve` in a real browser: headless Chromium (Debian's, driven through Debian's
chromedriver) opens the page, the floor of a simulator appears in the terminal, keys work,
and a screenshot is taken (into screenshots/browser.png when WALLBOARD_SCREENSHOTS=1, so
that a test run leaves the repository as it found it).

The terminal in the page draws on a canvas, so its text is read from the terminal's own
buffer (xterm.js), caught as the page builds it: what the browser shows, not the bytes sent.
Every wait is for a condition, bounded in time. Nothing is downloaded: no driver manager.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from test_serve import command_lines, descendants

from wallboard.commands.demo import demo_server, track_demo_campaigns
from wallboard.live.campaigns import REGISTRY_FILE, CampaignRegistry

ROOT = Path(__file__).resolve().parent.parent
#: The README's picture of the browser view, rewritten only when asked for.
SCREENSHOT = ROOT / "screenshots" / "browser.png"
#: Every wait in this file is at most this long, in seconds.
WAIT = 20.0

#: Catch the page's terminal as it is made (textual-serve keeps it out of reach) and keep
#: it on `window`, so that the test reads the text the browser shows from its buffer.
CATCH_TERMINAL = """
Object.defineProperty(Object.prototype, 'terminal', {
  configurable: true,
  set(value) {
    Object.defineProperty(this, 'terminal',
      {value: value, writable: true, configurable: true, enumerable: true});
    if (value && value.buffer) { window.__wallboardTerminal = value; }
  },
});
"""
#: The terminal's lines as text, or null before it exists.
READ_SCREEN = """
const terminal = window.__wallboardTerminal;
if (!terminal) { return null; }
const buffer = terminal.buffer.active, lines = [];
for (let y = 0; y < terminal.rows; y++) {
  const line = buffer.getLine(buffer.viewportY + y);
  lines.push(line ? line.translateToString(true) : '');
}
return lines.join('\\n');
"""


def binary(name: str, debian_path: str, package: str) -> str:
    """The path of a browser binary; a failure naming the Debian package when missing."""
    found = shutil.which(name) or (debian_path if os.access(debian_path, os.X_OK) else None)
    if found is None:
        pytest.fail(
            f"{name} is not installed: the browser test needs Debian's {package} "
            "(apt-get install chromium chromium-driver)"
        )
    return found


def serve_argv() -> list[str]:
    """`wallboard serve` as a user types it."""
    from wallboard import commands

    assert "serve" in commands._commands()
    return [sys.executable, "-m", "wallboard.cli", "serve"]


def wait_for(what: str, check: Callable[[], str | None], timeout: float = WAIT) -> str:
    """`check()`'s first answer that is not None, tried until `timeout`; fails saying what
    was waited for and the last screen seen."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    last: list[str | None] = [None]

    def seen(_: object) -> str | None:
        last[0] = check()
        return last[0]

    try:
        result: str = WebDriverWait(None, timeout, poll_frequency=0.1).until(seen)
    except TimeoutException:
        pytest.fail(f"{what}: not seen in {timeout:g} s")
    return result


@pytest.fixture
def private_dirs(tmp_path: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("WALLBOARD_") and key not in ("TEXTUAL", "TEXTUAL_DRIVER")
    }
    env["WALLBOARD_CONFIG_DIR"] = str(tmp_path / "config")
    env["WALLBOARD_DATA_DIR"] = str(tmp_path / "data")
    return env


@pytest.fixture
def floor_server(private_dirs: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen[str], str]]:
    """A simulator and `wallboard serve` on it, both on free loopback ports: yields the
    page's URL, the serve process and the simulator's accesskey."""
    with demo_server(agents=40, queues=3, campaigns=2) as (sim, url):
        # The simulated CRM's campaigns, tracked in the serve's own data dir as
        # `wallboard track` would: each tab's dashboard shows them.
        data = Path(private_dirs["WALLBOARD_DATA_DIR"])
        track_demo_campaigns(sim, CampaignRegistry(data / REGISTRY_FILE))
        env = dict(
            private_dirs,
            WALLBOARD_URL=url,
            WALLBOARD_APPID=sim.appid,
            WALLBOARD_ACCESSKEY=sim.accesskey,
            WALLBOARD_TZ="UTC",
        )
        process = subprocess.Popen(
            [*serve_argv(), "--port", "0", "--refresh", "0.5"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        try:
            assert process.stdout is not None
            line = process.stdout.readline()  # the first line says where (or it failed)
            match = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
            if match is None:
                process.kill()
                pytest.fail(f"wallboard serve did not start: {line!r} {process.communicate()}")
            yield match.group(1) + "/", process, sim.accesskey
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(5)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    """Headless Chromium through chromedriver, both Debian's (no download, ever)."""
    chromium = binary("chromium", "/usr/bin/chromium", "chromium")
    chromedriver = binary("chromedriver", "/usr/bin/chromedriver", "chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
        "--disable-dev-shm-usage",
        "--window-size=1400,900",
        f"--user-data-dir={tmp_path / 'chromium'}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    try:
        driver.set_page_load_timeout(WAIT)
        yield driver
    finally:
        driver.quit()


def test_the_floor_in_a_browser_answers_keys_and_ends_with_the_server(
    floor_server: tuple[str, subprocess.Popen[str], str], browser: object, tmp_path: Path
) -> None:
    from selenium.webdriver import Chrome
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    assert isinstance(browser, Chrome)
    url, process, accesskey = floor_server
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CATCH_TERMINAL})
    browser.get(url)
    assert accesskey not in browser.page_source

    def screen() -> str:
        text = browser.execute_script(READ_SCREEN)
        return text if isinstance(text, str) else ""

    def showing(*words: str, absent: str | None = None) -> Callable[[], str | None]:
        def check() -> str | None:
            text = screen()
            ok = all(word in text for word in words) and (absent is None or absent not in text)
            return text if ok else None

        return check

    floor = wait_for("the floor", showing("autocall-sales", "agents:", "Campaigns"))
    assert "QUEUES" not in floor  # the grid, not the list
    # The tab's own process is on the screen: the accesskey is in no command line.
    assert not [line for line in command_lines() if accesskey.encode() in line]

    browser.find_element(By.ID, "terminal").click()
    ActionChains(browser).send_keys("v").perform()
    wait_for("the agent list after v", showing("QUEUES", "NAME", "autocall-sales"))
    ActionChains(browser).send_keys("?").perform()
    wait_for("help after ?", showing("closes this help"))
    ActionChains(browser).send_keys(Keys.ESCAPE).perform()
    wait_for("the list again after esc", showing("QUEUES", "Campaigns", absent="closes this help"))
    ActionChains(browser).send_keys("v").perform()
    wait_for(
        "the grid again after v", showing("autocall-sales ·", "Winter renewals", absent="QUEUES")
    )

    browser.execute_script("window.scrollTo(0, 0);")
    shot = SCREENSHOT if os.environ.get("WALLBOARD_SCREENSHOTS") == "1" else tmp_path / "b.png"
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes().startswith(b"\x89PNG")

    # Stopping the server with the tab still open ends the tab's process too.
    tabs = descendants(process.pid)
    assert tabs, "a tab's process runs while the page is open"
    process.send_signal(signal.SIGINT)
    assert process.wait(WAIT) == 0
    still = _running_after(tabs, WAIT)
    assert not still, f"tab processes left running: {still}"


def _running_after(pids: list[int], timeout: float) -> list[int]:
    """Those of `pids` still running after `timeout`: each waited for through a pidfd,
    which becomes readable when its process ends."""
    deadline = time.monotonic() + timeout
    running = []
    for pid in pids:
        try:
            handle = os.pidfd_open(pid)
        except ProcessLookupError:
            continue
        try:
            ready, _, _ = select.select([handle], [], [], max(0.0, deadline - time.monotonic()))
        finally:
            os.close(handle)
        if not ready:
            running.append(pid)
    return running
