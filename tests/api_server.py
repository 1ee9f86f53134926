"""A real ``airflow api-server`` on loopback, for the tests that read what the UI reads."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: How long the api-server may take to answer its health check (it migrates nothing, but
#: imports all of Airflow and the providers).
START_TIMEOUT = 120.0
STOP_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@dataclass
class ApiServer:
    """A running ``airflow api-server`` and an authenticated way to call it."""

    url: str
    log: Path
    token: str = ""  # sent by request() unless it is given another

    def request(
        self, method: str, path: str, body: Any = None, *, token: str | None = None
    ) -> tuple[int, Any]:
        """The status and the answer (JSON decoded; other answers as text); ``token=""``: none."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        bearer = self.token if token is None else token
        if bearer:
            request.add_header("Authorization", f"Bearer {bearer}")
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return answer.status, _decoded(answer.headers.get_content_type(), answer.read())
        except urllib.error.HTTPError as error:
            return error.code, _decoded(error.headers.get_content_type(), error.read())

    def get(self, path: str) -> Any:
        status, body = self.request("GET", path)
        assert status == 200, (path, status, body)
        return body

    def token_for(self, username: str, password: str) -> str:
        """A token for that user, as a script takes one (``POST /auth/token``)."""
        status, body = self.request("POST", "/auth/token", {"username": username, "password": password})
        assert status == 201, body
        token: str = body["access_token"]
        return token


def _decoded(content_type: str, body: bytes) -> Any:
    if content_type == "application/json":
        return json.loads(body or b"null")
    return body.decode(errors="replace")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group (it forks its workers), then SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(STOP_TIMEOUT)


@contextmanager
def running_api_server(
    airflow: Path, env: dict[str, str], log: Path, port: int, base_path: str = ""
) -> Iterator[ApiServer]:
    """``airflow api-server`` (the ``airflow`` command given) with ``env`` on loopback ``port``,
    until the block ends; ``base_path``: the path of ``[api] base_url`` that ``env`` sets."""
    command = [str(airflow), "api-server", "--port", str(port), "--host", "127.0.0.1"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = ApiServer(f"http://127.0.0.1:{port}{base_path}", log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert process.poll() is None, "api-server exited:\n" + log.read_text()[-4000:]
            try:
                status, _ = server.request("GET", "/api/v2/monitor/health")
            except OSError:
                status = 0
            if status == 200:
                break
            assert time.monotonic() < deadline, "api-server did not start:\n" + log.read_text()[-4000:]
            time.sleep(0.5)
        yield server
    finally:
        _stop(process)
