"""Capture the documentation's pictures of the Airflow UI, from scratch, on the sandbox.

    python scripts/screenshots.py [--out docs/_static] [--chromium /usr/bin/chromium] [--keep]

What it does, all on loopback and in temporary folders:

1. starts the make sandbox (``python -m airflow_provider_make.sandbox``);
2. migrates a new ``AIRFLOW_HOME`` (sqlite), stores ``make_default`` pointing at the
   sandbox, and runs ``example_make_call_plus`` and ``example_make_sms_plus`` with
   ``airflow dags test`` (which also stores the serialized DAGs the UI needs);
3. starts ``airflow api-server`` (the UI is part of it; no scheduler is needed, so this is
   lighter than ``airflow standalone``) with the simple auth manager and one admin user;
4. signs in with headless Chromium, driven by Playwright (tests/browser.py, as the browser
   tests do), and writes:

   * ``connection-form.png``: the "Add Connection" form with the Make type selected;
   * ``connection-form-extra.png``: the same form with its "Extra Fields" open;
   * ``extra-links.png``: the makeCall+ task's page with its "Call recording" and
     "make tracking" buttons;
   * ``make-page.png``: the make page (Browse, then make) with the requests of the
     example DAGs it ran.

Chromium: ``bash scripts/browser-deps`` (Debian's ``chromium``), or any Chrome/Chromium
binary given with ``--chromium`` or the ``CHROMIUM`` variable (Playwright's own browser
download is not used). Run it with the project's Python (the one Airflow, this package
and its dev extra are installed in).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.browser: the tests drive the same browser the same way

from tests.browser import CHROMIUM, chromium_page, log_in  # noqa: E402

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

PYTHON = Path(sys.executable)
AIRFLOW = PYTHON.with_name("airflow")
LOGIN = "ops@example.com"
PASSWORD = "demo-password"  # noqa: S105 - the sandbox's throw-away account
CREDITS = 10_000
UI_USER = "admin"
#: The example DAGs run for the pictures; the make page must list a request of each.
MAKE_PAGE_DAGS = ("example_make_call_plus", "example_make_sms_plus")
UI_PASSWORD = "screenshots-password"  # noqa: S105 - a throw-away UI on loopback
WIDTH = 1400
HEIGHT = 1000


def say(message: str) -> None:
    print(f"[screenshots] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def stop(process: subprocess.Popen[Any]) -> None:
    """End a process this script started (and its group: the api-server forks workers)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(20)


# ----------------------------------------------------------------------------- services


@contextmanager
def sandbox() -> Iterator[str]:
    """The sandbox's base URL while it runs."""
    command = [str(PYTHON), "-m", "airflow_provider_make.sandbox", "--port", "0", "--speed", "30"]
    command += ["--account", f"{LOGIN}:{PASSWORD}:{CREDITS}", "--quiet"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        if not first.startswith("make sandbox listening on "):
            raise SystemExit(f"the sandbox did not start: {first!r}")
        url = first.rsplit(" ", 1)[1]
        say(f"sandbox on {url}")
        yield url
    finally:
        stop(process)


class Airflow:
    """A migrated, throw-away ``AIRFLOW_HOME`` and the commands run in it."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        self.env.update(
            AIRFLOW_HOME=str(home),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "example_dags"),
            AIRFLOW__CORE__UNIT_TEST_MODE="False",
            AIRFLOW__CORE__TEST_CONNECTION="Enabled",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=f"{UI_USER}:admin",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(home / "passwords.json"),
        )

    def run(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(
            [str(AIRFLOW), *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        if done.returncode != 0:
            raise SystemExit(f"airflow {' '.join(args[:2])} failed:\n{(done.stdout + done.stderr)[-3000:]}")
        return done.stdout

    def last_run_id(self, dag_id: str) -> str:
        import sqlite3

        with sqlite3.connect(self.home / "airflow.db") as db:
            row = db.execute(
                "select run_id from dag_run where dag_id = ? order by id desc limit 1", (dag_id,)
            ).fetchone()
        run_id: str = row[0]
        return run_id

    @contextmanager
    def api_server(self) -> Iterator[str]:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = (self.home / "api-server.log").open("wb")
        process = subprocess.Popen(
            [str(AIRFLOW), "api-server", "--port", str(port), "--host", "127.0.0.1"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 120
            while not self._healthy(url):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the api-server did not start; see {self.home / 'api-server.log'}")
                time.sleep(0.5)
            say(f"api-server on {url}")
            yield url
        finally:
            stop(process)
            log.close()

    @staticmethod
    def _healthy(url: str) -> bool:
        try:
            with urllib.request.urlopen(url + "/api/v2/monitor/health", timeout=5) as answer:
                return bool(answer.status == 200)
        except OSError:
            return False


# ----------------------------------------------------------------------------- the pictures


def connection_form(page: Page, ui: str, out: Path) -> None:
    page.set_viewport_size({"width": WIDTH, "height": 1200})
    page.goto(ui + "/connections")
    page.get_by_role("button", name="Add Connection").click()
    dialog = page.get_by_role("dialog")
    dialog.locator("input[name=connection_id]").fill("make_default")
    # The connection type is a searchable select: type, then pick the match with Enter.
    dialog.get_by_role("combobox").fill("Make (makesms")
    page.get_by_text("Make (makesms.fr)").wait_for()
    page.keyboard.press("Enter")
    dialog.locator("input[name=host]").wait_for()
    page.wait_for_timeout(500)  # let the accordion finish opening
    shoot(dialog, out / "connection-form.png")

    dialog.get_by_role("button", name="Extra Fields", exact=True).click()
    dialog.get_by_text("Read timeout (seconds)").wait_for()
    page.wait_for_timeout(500)
    shoot(dialog, out / "connection-form-extra.png")


def extra_links(page: Page, ui: str, sandbox_url: str, run_id: str, out: Path) -> None:
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    run = urllib.parse.quote(run_id, safe="")
    page.goto(f"{ui}/dags/example_make_call_plus/runs/{run}/tasks/recorded_call/details")
    tracking = page.get_by_role("link", name="make tracking")
    recording = page.get_by_role("link", name="Call recording")
    # The buttons are links to the sandbox: check them, so a wrong picture cannot pass.
    links = (tracking.get_attribute("href") or "", recording.get_attribute("href") or "")
    if not (
        links[0].startswith(sandbox_url + "apilog.php?id=") and links[1].startswith(sandbox_url + "rec/")
    ):
        raise SystemExit(f"unexpected extra links: {links!r}")
    page.wait_for_timeout(1000)
    # From the top of the page down to a little below the links.
    box = tracking.bounding_box()
    assert box is not None
    page.screenshot(
        path=out / "extra-links.png",
        clip={"x": 0, "y": 0, "width": WIDTH, "height": box["y"] + box["height"] + 120},
    )
    say(f"wrote {shown(out / 'extra-links.png')}")


def make_page(page: Page, ui: str, out: Path) -> None:
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    page.goto(ui + "/")
    # As a user finds it: Browse, then make; the UI shows the plugin's page in an iframe.
    page.get_by_role("button", name="Browse").click()
    page.get_by_role("menuitem", name="make", exact=True).click()
    make = page.frame_locator("iframe")
    make.get_by_role("heading", name="Requests, newest first").wait_for()
    # One row per DAG run above: check them, so a picture of an empty page cannot pass.
    listed = " ".join(make.locator("td").all_inner_texts())
    missing = [dag_id for dag_id in MAKE_PAGE_DAGS if dag_id not in listed]
    if missing:
        raise SystemExit(f"the make page lists no request of {', '.join(missing)}")
    page.wait_for_timeout(1000)
    page.screenshot(path=out / "make-page.png")
    say(f"wrote {shown(out / 'make-page.png')}")


def shoot(element: Locator, path: Path) -> None:
    element.screenshot(path=path)
    say(f"wrote {shown(path)}")


def shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "_static", help="where to write the PNGs")
    parser.add_argument(
        "--chromium", default=CHROMIUM, help=f"Chrome or Chromium binary (default {CHROMIUM})"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary AIRFLOW_HOME and say where")
    options = parser.parse_args(argv)
    out: Path = options.out.resolve()
    out.mkdir(parents=True, exist_ok=True)

    with ExitStack() as stack:
        work = Path(tempfile.mkdtemp(prefix="make-screenshots-"))
        if options.keep:
            stack.callback(say, f"kept {work}")
        else:
            stack.callback(shutil.rmtree, work, ignore_errors=True)
        url = stack.enter_context(sandbox())
        airflow = Airflow(work / "airflow")
        airflow.home.mkdir()
        # The simple auth manager keeps the password it finds for a user in its file.
        (airflow.home / "passwords.json").write_text(json.dumps({UI_USER: UI_PASSWORD}))
        say("migrating a new AIRFLOW_HOME")
        airflow.run("db", "migrate")
        conn = {"conn_type": "make", "host": url, "login": LOGIN, "password": PASSWORD}
        airflow.run("connections", "add", "make_default", "--conn-json", json.dumps(conn))
        for dag_id in MAKE_PAGE_DAGS:
            say(f"running {dag_id} with airflow dags test")
            airflow.run("dags", "test", dag_id)
        run_id = airflow.last_run_id("example_make_call_plus")
        ui = stack.enter_context(airflow.api_server())
        page = stack.enter_context(chromium_page(work / "chromium-profile", executable=options.chromium))
        log_in(page, ui, UI_USER, UI_PASSWORD)
        connection_form(page, ui, out)
        extra_links(page, ui, url, run_id, out)
        make_page(page, ui, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
