"""Capture the documentation's pictures of the Airflow UI, from scratch, on the sandbox.

    python scripts/screenshots.py [--out docs/_static] [--chromium /usr/bin/chromium] [--keep]

What it does, all on loopback and in temporary folders:

1. starts the make sandbox (``python -m airflow_provider_make.sandbox``);
2. migrates a new ``AIRFLOW_HOME`` (sqlite), stores ``make_default`` pointing at the
   sandbox, and runs ``example_make_call_plus`` with ``airflow dags test`` (which also
   stores the serialized DAG the UI needs);
3. starts ``airflow api-server`` (the UI is part of it; no scheduler is needed, so this is
   lighter than ``airflow standalone``) with the simple auth manager's "everyone is
   admin" mode, so the browser needs no login;
4. drives headless Chromium over the DevTools protocol (``--remote-debugging-pipe``: no
   extra Python package, no open debugging port) and writes:

   * ``connection-form.png``: the "Add Connection" form with the Make type selected;
   * ``connection-form-extra.png``: the same form with its "Extra Fields" open;
   * ``extra-links.png``: the makeCall+ task's page with its "Call recording" and
     "make tracking" buttons.

Chromium: ``apt-get install -y chromium`` (Debian/Ubuntu) or any Chrome/Chromium binary
given with ``--chromium`` or the ``CHROMIUM`` variable. Run it with the project's Python
(the one Airflow and this package are installed in).
"""

from __future__ import annotations

import argparse
import base64
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
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = Path(sys.executable)
AIRFLOW = PYTHON.with_name("airflow")
LOGIN = "ops@example.com"
PASSWORD = "demo-password"  # noqa: S105 - the sandbox's throw-away account
CREDITS = 10_000
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
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",
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


# ----------------------------------------------------------------------------- the browser


class Browser:
    """Headless Chromium driven over the DevTools protocol on a pipe (fds 3 and 4)."""

    def __init__(self, binary: str, profile: Path, width: int = WIDTH, height: int = HEIGHT) -> None:
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire_pipes() -> None:  # runs in the child, before exec
            commands, answers = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(commands, 3)
            os.dup2(answers, 4)

        flags = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--remote-debugging-pipe",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
        ]
        self.process = subprocess.Popen(
            [binary, *flags, "about:blank"],
            preexec_fn=wire_pipes,  # this script runs no threads, so preexec_fn is safe
            close_fds=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._last_id = 0
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self._session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.resize(width, height)

    def call(self, method: str, params: dict[str, Any] | None = None, *, page: bool = False) -> Any:
        self._last_id += 1
        message: dict[str, Any] = {"id": self._last_id, "method": method, "params": params or {}}
        if page:
            message["sessionId"] = self._session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self._buffer:
                chunk = os.read(self._from_chrome, 1 << 16)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe")
                self._buffer += chunk
            raw, _, self._buffer = self._buffer.partition(b"\0")
            answer = json.loads(raw)
            if answer.get("id") == self._last_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]

    def resize(self, width: int, height: int) -> None:
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
        self.call("Emulation.setDeviceMetricsOverride", metrics, page=True)

    def js(self, expression: str) -> Any:
        params = {"expression": expression, "returnByValue": True, "awaitPromise": True}
        result = self.call("Runtime.evaluate", params, page=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"].get("exception", {}).get("description", expression))
        return result["result"].get("value")

    def goto(self, url: str) -> None:
        self.call("Page.navigate", {"url": url}, page=True)

    def wait_for(self, expression: str, timeout: float = 60) -> Any:
        """Wait until the JavaScript ``expression`` is truthy (the page is a React app)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                value = self.js(expression)
            except RuntimeError:  # the page is still loading
                value = None
            if value:
                return value
            time.sleep(0.25)
        raise SystemExit(f"timed out waiting for: {expression}")

    def rect(self, expression: str) -> list[float]:
        """The bounding box of the element ``expression`` evaluates to: [x, y, width, height]."""
        script = "const r = (%s).getBoundingClientRect(); return [r.x, r.y, r.width, r.height];"
        box: list[float] = self.js(f"(() => {{ {script % expression} }})()")
        return box

    def click(self, expression: str) -> None:
        """A real mouse click in the middle of the element (React listens to pointer events)."""
        x, y, width, height = self.rect(expression)
        point = {"x": x + width / 2, "y": y + height / 2, "button": "left", "clickCount": 1}
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, **point}, page=True)

    def type_into(self, expression: str, text: str) -> None:
        self.js(f"({expression}).focus()")
        self.call("Input.insertText", {"text": text}, page=True)

    def press_enter(self) -> None:
        for kind in ("keyDown", "keyUp"):
            key = {"type": kind, "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13}
            self.call("Input.dispatchKeyEvent", key, page=True)

    def screenshot(self, path: Path, clip: list[float] | None = None, margin: float = 0) -> None:
        params: dict[str, Any] = {"format": "png"}
        if clip is not None:
            x, y, width, height = clip
            params["clip"] = {
                "x": max(x - margin, 0),
                "y": max(y - margin, 0),
                "width": width + 2 * margin,
                "height": height + 2 * margin,
                "scale": 1,
            }
        data = self.call("Page.captureScreenshot", params, page=True)["data"]
        path.write_bytes(base64.b64decode(data))
        say(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")

    def close(self) -> None:
        with suppress(RuntimeError, OSError):
            self.call("Browser.close")
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            stop(self.process)
        os.close(self._to_chrome)
        os.close(self._from_chrome)


def button(text: str, scope: str = "document") -> str:
    """A JavaScript expression for the button (or button-styled link) whose text is ``text``."""
    found = f"b => b.innerText.trim() === {json.dumps(text)}"
    return f"Array.from({scope}.querySelectorAll('button, a')).find({found})"


DIALOG = "document.querySelector('[role=dialog]')"


# ----------------------------------------------------------------------------- the pictures


def connection_form(browser: Browser, ui: str, out: Path) -> None:
    browser.resize(WIDTH, 1200)
    browser.goto(ui + "/connections")
    browser.wait_for(f"!!{button('Add Connection')}")
    browser.click(button("Add Connection"))
    browser.wait_for("!!document.querySelector('[role=dialog] input[name=connection_id]')")
    browser.type_into("document.querySelector('[role=dialog] input[name=connection_id]')", "make_default")
    # The connection type is a searchable select: type, then pick the match with Enter.
    browser.type_into("document.querySelector('[role=dialog] input[role=combobox]')", "Make (makesms")
    browser.wait_for("document.body.innerText.includes('Make (makesms.fr)')")
    browser.press_enter()
    browser.wait_for("!!document.querySelector('[role=dialog] input[name=host]')")
    time.sleep(0.5)  # let the accordion finish opening
    browser.screenshot(out / "connection-form.png", browser.rect(DIALOG), margin=6)

    browser.click(button("Extra Fields", DIALOG))
    browser.wait_for(f"{DIALOG}.innerText.includes('Read timeout (seconds)')")
    time.sleep(0.5)
    browser.screenshot(out / "connection-form-extra.png", browser.rect(DIALOG), margin=6)


def extra_links(browser: Browser, ui: str, sandbox_url: str, run_id: str, out: Path) -> None:
    browser.resize(WIDTH, HEIGHT)
    run = urllib.parse.quote(run_id, safe="")
    browser.goto(f"{ui}/dags/example_make_call_plus/runs/{run}/tasks/recorded_call/details")
    browser.wait_for(f"!!{button('make tracking')} && !!{button('Call recording')}")
    # The buttons are links to the sandbox: check them, so a wrong picture cannot pass.
    tracking, recording = browser.js(f"[{button('make tracking')}.href, {button('Call recording')}.href]")
    expected = (sandbox_url + "apilog.php?id=", sandbox_url + "rec/")
    if not (tracking.startswith(expected[0]) and recording.startswith(expected[1])):
        raise SystemExit(f"unexpected extra links: {tracking!r}, {recording!r}")
    time.sleep(1)
    # From the top of the page down to a little below the links.
    _, y, _, height = browser.rect(button("make tracking"))
    browser.screenshot(out / "extra-links.png", [0, 0, WIDTH, y + height + 120])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "_static", help="where to write the PNGs")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM"), help="Chrome or Chromium binary")
    parser.add_argument("--keep", action="store_true", help="keep the temporary AIRFLOW_HOME and say where")
    options = parser.parse_args(argv)
    names = ("chromium", "chromium-browser", "google-chrome")
    binary = options.chromium or next((found for name in names if (found := shutil.which(name))), None)
    if binary is None:
        raise SystemExit("no Chromium found: apt-get install -y chromium, or pass --chromium PATH")
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
        say("migrating a new AIRFLOW_HOME")
        airflow.run("db", "migrate")
        conn = {"conn_type": "make", "host": url, "login": LOGIN, "password": PASSWORD}
        airflow.run("connections", "add", "make_default", "--conn-json", json.dumps(conn))
        say("running example_make_call_plus with airflow dags test")
        airflow.run("dags", "test", "example_make_call_plus")
        run_id = airflow.last_run_id("example_make_call_plus")
        ui = stack.enter_context(airflow.api_server())
        browser = Browser(binary, work / "chromium-profile")
        stack.callback(browser.close)
        # ``simple_auth_manager_all_admins``: this page sets the session cookie and goes home.
        browser.goto(ui + "/auth/token/login")
        browser.wait_for("document.body && document.body.innerText.includes('Dags')")
        connection_form(browser, ui, out)
        extra_links(browser, ui, url, run_id, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
