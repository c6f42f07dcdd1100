"""Fixtures of the browser tests: one Chromium per test module, the site built from the committed cache
and its server (tests/site_fixture.py)."""
import pytest

from ..site_fixture import server, site  # noqa: F401  (fixtures)
from .pages import ARGS, CHROMIUM


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()
