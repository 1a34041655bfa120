"""What the browser tests share: Debian's chromium through Playwright, and a live server.

The browser is ``/usr/bin/chromium`` (``apt-get install chromium``; ``.ci/run``
installs it); Playwright is pointed at it and never downloads one.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "offramp-out" / "test-artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(source: Path) -> Iterator[str]:
    """``offramp serve SOURCE`` on a free loopback port; yields its URL."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "offramp", "serve", str(source), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(url + "scenarios", timeout=1):
                    break
            except OSError as error:
                if process.poll() is not None:
                    message = process.stderr.read().decode() if process.stderr else ""
                    raise AssertionError(message) from error
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def launched() -> Iterator[Any]:
    """Debian's chromium, headless, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()
