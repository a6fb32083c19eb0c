"""`python -m bot dev` in a subprocess, and Debian's Chromium driven by Selenium with Debian's chromedriver.

Nothing downloads a browser: without /usr/bin/chromium and chromedriver these tests fail, saying how to
install them (scripts/test.sh does it).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

from tests.dev.page import Page, screenshot_dir
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
WIDTH, HEIGHT = 1280, 800
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    f"--window-size={WIDTH},{HEIGHT}",
)


@dataclass
class DevProcess:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        """Ctrl-C, as a person stops it; the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return int(self.proc.returncode)


def start_dev(folder: Path) -> DevProcess:
    """`python -m bot dev --port N` with nothing answering at REDIS_URL, so the in-memory store is used."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TALKTURO_", "BOT_"))}
    env.update(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", PYTHONUNBUFFERED="1")
    log = folder / f"dev-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "dev", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    dev = DevProcess(proc, port, log)
    deadline = time.monotonic() + 30
    while dev.url not in dev.output():
        if proc.poll() is not None or time.monotonic() > deadline:
            dev.stop()
            raise AssertionError(f"python -m bot dev did not start:\n{dev.output()}")
        time.sleep(0.05)
    return dev


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevProcess]:
    dev = start_dev(tmp_path_factory.mktemp("dev"))
    yield dev
    code = dev.stop()
    assert code == 0, dev.output()
    assert "Traceback" not in dev.output(), dev.output()


def browser_paths() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        missing = [name for name, path in (("chromium", chromium), ("chromedriver", driver)) if not path]
        verb = "are" if len(missing) > 1 else "is"
        pytest.fail(
            f"The browser tests need Debian's Chromium, but {' and '.join(missing)} {verb} not installed. "
            "Run scripts/test.sh "
            "(it installs them), or: apt-get install chromium chromium-driver",
            pytrace=False,
        )
    return chromium, driver


@pytest.fixture(scope="module")
def driver() -> Iterator[webdriver.Chrome]:
    chromium, chromedriver = browser_paths()
    options = Options()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options.add_argument(f"--user-data-dir={profile}")
    browser = webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False},
    )
    yield browser
    browser.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(driver: webdriver.Chrome, dev_server: DevProcess, tmp_path_factory: pytest.TempPathFactory) -> Page:
    shots = screenshot_dir(tmp_path_factory.getbasetemp() / "screenshots")
    page = Page(driver, dev_server.url, shots)
    page.open()
    return page
