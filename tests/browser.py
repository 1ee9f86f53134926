"""Debian's Chromium driven by Playwright, for the browser tests and scripts/screenshots.py.

Playwright talks to the system browser (``bash scripts/browser-deps`` installs Debian's
``chromium``) through ``executable_path``; its own browser download is never used.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

#: The browser: Debian's chromium unless ``CHROMIUM`` names another Chrome or Chromium binary.
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
#: Headless Chromium as root in a container: no sandbox, no GPU, and nothing that calls home.
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--hide-scrollbars",
)
#: How long a step may wait for the UI (a React app that loads its data after the page).
UI_TIMEOUT_MS = 30_000


@contextmanager
def chromium_page(
    profile: Path, *, executable: str = CHROMIUM, width: int = 1400, height: int = 1000
) -> Iterator[Page]:
    """A page of a headless Chromium with a fresh user-data-dir ``profile``, closed on exit."""
    if not Path(executable).is_file():
        raise RuntimeError(f"no Chromium at {executable}: run bash scripts/browser-deps (or set CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=executable,
            headless=True,
            args=list(CHROMIUM_FLAGS),
            viewport={"width": width, "height": height},
        )
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.set_default_timeout(UI_TIMEOUT_MS)
            yield page
        finally:
            context.close()


def log_in(page: Page, ui: str, username: str, password: str) -> None:
    """Sign in to the Airflow UI at ``ui`` through the simple auth manager's login form."""
    page.goto(ui + "/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Dags", exact=True).wait_for()  # the UI's navigation
