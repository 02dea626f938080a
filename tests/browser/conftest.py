"""Serve the built book on 127.0.0.1 and drive headless Chromium or Google Chrome through selenium.

The driver is chromedriver on PATH, else $CHROMEWEBDRIVER/chromedriver (as GitHub's runners set
it). The browser is chromium, chromium-browser, google-chrome or google-chrome-stable on PATH, or
macOS's Chrome for Testing, Google Chrome or Chromium app; of several, the first whose major
version is the driver's. On this Debian machine that is Debian's chromium and chromium-driver; on
GitHub's ubuntu and macOS runners, the Google Chrome and matching chromedriver their images ship.
Without a browser or driver the browser tests are skipped with a message, except on CI (CI=true,
as .ci/run and GitHub Actions set it), where a missing browser is a failure."""

import functools
import http.server
import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest
from _site import SHOTS, SITE

BROWSER_COMMANDS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
MACOS_APPS = (
    "/Applications/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
)


def major_version(executable):
    """The major version that `executable --version` reports (e.g. 'Chromium 131.0.6778.85'), or None."""
    try:
        run = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\b(\d+)\.\d+\.\d+", run.stdout)
    return match.group(1) if match else None


def find_chromedriver():
    on_path = shutil.which("chromedriver")
    if on_path:
        return on_path
    directory = os.environ.get("CHROMEWEBDRIVER")
    if directory and os.access(Path(directory) / "chromedriver", os.X_OK):
        return str(Path(directory) / "chromedriver")
    return None


def find_browser(driver):
    """The first browser whose major version is the driver's; else the first browser found."""
    found = [shutil.which(name) for name in BROWSER_COMMANDS]
    found += [app for app in MACOS_APPS if os.access(app, os.X_OK)]
    found = list(dict.fromkeys(path for path in found if path))
    if len(found) > 1 and driver:
        wanted = major_version(driver)
        for path in found:
            if wanted and major_version(path) == wanted:
                return path
    return found[0] if found else None


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def base_url():
    if not (SITE / "index.html").exists():
        pytest.fail("the book is not built: run `make book-check` (or `make book`) first")
    handler = functools.partial(_Quiet, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")
def driver():
    chromedriver = find_chromedriver()
    browser_path = find_browser(chromedriver)
    if not (browser_path and chromedriver):
        message = (
            "Chromium/Chrome or chromedriver not found: install Debian's chromium and chromium-driver"
            " (or Google Chrome and a matching chromedriver)"
        )
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must not skip the browser test: .ci/run installs them)")
        pytest.skip(message + "; skipping the browser test")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser_path
    profile = tempfile.mkdtemp(prefix="mle-chromium-")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
        "--window-size=1280,1600",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    browser.set_page_load_timeout(60)
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield browser
    browser.quit()
    shutil.rmtree(profile, ignore_errors=True)
