"""The browser test finds a browser whose version matches chromedriver's, on any machine.

GitHub's ubuntu runners have a Chromium snapshot as `chromium` and Google Chrome as
`google-chrome`, with a chromedriver for Chrome: the lookup must pick the matching one. Fake
executables on PATH stand in for them here.
"""

import importlib.util
import sys
from pathlib import Path

import pytest

BROWSER_DIR = Path(__file__).resolve().parent / "browser"


@pytest.fixture
def lookup(monkeypatch):
    monkeypatch.syspath_prepend(str(BROWSER_DIR))  # conftest imports _site from there
    spec = importlib.util.spec_from_file_location("browser_conftest", BROWSER_DIR / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "MACOS_APPS", ())
    return module


def fake(directory, name, version_line):
    path = directory / name
    path.write_text(f"#!/bin/sh\necho '{version_line}'\n")
    path.chmod(0o755)
    return str(path)


@pytest.mark.skipif(sys.platform == "win32", reason="shell-script stand-ins")
def test_picks_the_browser_that_matches_chromedriver(lookup, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CHROMEWEBDRIVER", raising=False)
    fake(tmp_path, "chromium", "Chromium 140.0.7339.0")
    chrome = fake(tmp_path, "google-chrome", "Google Chrome 141.0.7390.54")
    driver = fake(tmp_path, "chromedriver", "ChromeDriver 141.0.7390.54 (abc-refs/branch-heads/7390@{#1})")
    assert lookup.find_chromedriver() == driver
    assert lookup.find_browser(driver) == chrome


@pytest.mark.skipif(sys.platform == "win32", reason="shell-script stand-ins")
def test_one_browser_is_used_as_it_is_and_the_driver_may_come_from_chromewebdriver(
    lookup, tmp_path, monkeypatch
):
    bin_dir, driver_dir = tmp_path / "bin", tmp_path / "driver"
    bin_dir.mkdir()
    driver_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("CHROMEWEBDRIVER", str(driver_dir))
    chromium = fake(bin_dir, "chromium", "Chromium 156.0.8078.114 built on Debian")
    driver = fake(driver_dir, "chromedriver", "ChromeDriver 156.0.8078.114")
    assert lookup.find_chromedriver() == driver
    assert lookup.find_browser(driver) == chromium
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    monkeypatch.delenv("CHROMEWEBDRIVER")
    assert lookup.find_chromedriver() is None
    assert lookup.find_browser(None) is None
