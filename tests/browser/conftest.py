"""Serve the built book on 127.0.0.1 and drive headless Chromium (Debian's chromium and
chromium-driver, through selenium). Without Chromium the browser tests are skipped with a
message, except on CI (CI=true), where .ci/run installs it and a missing browser is a failure."""

import functools
import http.server
import os
import shutil
import tempfile
import threading

import pytest
from _site import SHOTS, SITE

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
CHROMEDRIVER = shutil.which("chromedriver")


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
    if not (CHROMIUM and CHROMEDRIVER):
        message = "Chromium or chromedriver not found: install Debian's chromium and chromium-driver"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must not skip the browser test: .ci/run installs them)")
        pytest.skip(message + "; skipping the browser test")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
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
    browser = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    browser.set_page_load_timeout(60)
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield browser
    browser.quit()
    shutil.rmtree(profile, ignore_errors=True)
