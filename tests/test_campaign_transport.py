"""campaign/transport.py answers as the async driver does, against good and hostile servers.

:class:`~airflow_provider_make.campaign.transport.CampaignTransport` runs the request
pipeline over its own connections: each case runs one call through it and through
:class:`~airflow_provider_make.client.async_driver.AsyncMakeClient`, and compares the
result, or the error's class, message and ``may_have_been_accepted``.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import threading
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_make.campaign import transport
from airflow_provider_make.campaign.transport import CampaignTransport
from airflow_provider_make.client import calls
from airflow_provider_make.client.async_driver import AsyncMakeClient, loop_pool
from airflow_provider_make.client.errors import Action, MakeError, action_of
from airflow_provider_make.client.settings import ClientSettings
from tests.conftest import LOGIN, PASSWORD, Sandbox
from tests.helpers import MemoryStore, campaign_try, people
from tests.hostile_server import HostileServer

SENT = (
    "<?xml version='1.0'?><response><result>38</result><id>12345678</id>"
    "<cost>10</cost><credits>90</credits></response>"
)


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    server = HostileServer().start()
    yield server
    server.stop()


def settings_for(url: str, **timeouts: float) -> ClientSettings:
    return ClientSettings(login=LOGIN, password=PASSWORD, base_url=url, **timeouts)  # type: ignore[arg-type]


def sms() -> calls.ApiCall[Any]:
    return calls.sms_plus(sender="+33612345678", recipient="+33687654321", message="Bonjour")


def outcome(
    settings: ClientSettings, campaign: bool, call: calls.ApiCall[Any] | None = None
) -> tuple[Any, ...]:
    async def run() -> tuple[Any, ...]:
        client: Any = CampaignTransport(settings) if campaign else AsyncMakeClient(settings)
        try:
            result = await client.request(call or sms())
            return ("ok", result)
        except MakeError as error:
            return (type(error).__name__, error.message, getattr(error, "may_have_been_accepted", None))
        finally:
            await (client.aclose() if campaign else loop_pool().aclose())

    return asyncio.run(run())


@pytest.mark.parametrize(
    "mode",
    [
        f"xml:{SENT}",
        "xml:<response><result>104</result></response>",
        "status:500",
        "status:302",
        "reason_echo",
    ],
)
def test_answers_and_refusals_are_read_as_the_async_driver_reads_them(
    hostile: HostileServer, mode: str
) -> None:
    hostile.answer(mode, location="http://example.com/")
    settings = settings_for(hostile.url)
    expected = outcome(settings, campaign=False)
    assert outcome(settings, campaign=True) == expected
    assert PASSWORD not in repr(expected)


@pytest.mark.parametrize("mode", ["huge", "gzip_bomb"])
def test_a_huge_answer_or_a_gzip_bomb_is_refused_in_bounded_memory(hostile: HostileServer, mode: str) -> None:
    hostile.answer(mode)
    settings = settings_for(hostile.url)
    tracemalloc.start()
    try:
        got = outcome(settings, campaign=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got == outcome(settings, campaign=False)
    assert got[0] == "MakeTransportError" and got[2] is True
    assert peak < 8 * 1024 * 1024
    assert len(hostile.requests) == 2  # one each: a send that may have been accepted is not repeated


@pytest.mark.parametrize("mode", ["trickle_headers", "trickle_body"])
def test_a_trickling_server_ends_at_the_total_deadline(hostile: HostileServer, mode: str) -> None:
    hostile.answer(mode, interval=0.2, max_bytes=60)  # every read is in time; the whole is not
    got = outcome(settings_for(hostile.url, read_timeout=1.0, total_timeout=1.0), campaign=True)
    assert got[0] == "MakeTransportError" and got[2] is True
    assert "total deadline of 1 s" in got[1]


def test_a_silent_server_is_a_read_timeout(hostile: HostileServer) -> None:
    hostile.answer("trickle_headers", interval=5.0, max_bytes=60)
    settings = settings_for(hostile.url, read_timeout=0.5, total_timeout=3.0)
    got = outcome(settings, campaign=True)
    assert got[0] == "MakeTransportError" and got[2] is True
    assert "did not answer in time" in got[1]


def test_a_refused_connection_was_never_sent() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there once the socket closes
    settings = settings_for(f"http://127.0.0.1:{port}/", total_timeout=3.0)
    got = outcome(settings, campaign=True, call=calls.credits())
    assert got == outcome(settings, campaign=False, call=calls.credits())
    assert got[0] == "MakeTransportError" and got[2] is False


@pytest.mark.parametrize("mode", ["tls_close", "tls_garbage"])
def test_a_failed_tls_handshake_sent_nothing(hostile: HostileServer, mode: str) -> None:
    hostile.answer(mode)
    got = outcome(settings_for(hostile.https_url, total_timeout=3.0), campaign=True)
    assert got[0] == "MakeTransportError" and got[2] is False
    assert "TLS handshake with the API failed" in got[1]


@pytest.fixture
def bad_certificate_server(tmp_path: Path) -> Iterator[str]:
    """An HTTPS server whose certificate nobody trusts (self-signed); yields its URL."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-days", "1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                try:
                    with context.wrap_socket(conn, server_side=True) as tls:
                        received.append(tls.recv(4096))
                except (OSError, ssl.SSLError):
                    continue

    threading.Thread(target=serve, daemon=True).start()
    yield f"https://127.0.0.1:{listener.getsockname()[1]}/"
    listener.close()
    assert received == []  # no request ever got through


def test_a_bad_certificate_leaves_a_campaign_retryable(bad_certificate_server: str) -> None:
    settings = settings_for(bad_certificate_server, total_timeout=5.0)
    got = outcome(settings, campaign=True)
    assert got[0] == "MakeTransportError" and got[2] is False  # nothing was sent: retry, not unknown
    store = MemoryStore()
    with pytest.raises(MakeError) as failed:
        campaign_try(settings, people(5), store)
    assert action_of(failed.value) is Action.RETRY
    assert store.values == {}  # no row reserved, so none can be unknown


def keep_alive_server(header: bytes) -> tuple[Any, Any]:
    """A server answering every request with ``header``; counts connections."""
    body = b"<response><result>success</result><credits>7</credits></response>"
    counts = {"connections": 0}

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        counts["connections"] += 1
        while await reader.readuntil(b"\r\n\r\n"):
            writer.write(b"HTTP/1.1 200 OK\r\n%sContent-Length: %d\r\n\r\n%s" % (header, len(body), body))
            await writer.drain()

    return serve, counts


@pytest.mark.parametrize(
    ("header", "connections"),
    [(b"", 1), (b"Keep-Alive: timeout=5, max=100\r\n", 1), (b"Keep-Alive: timeout=1\r\n", 2)],
)
def test_the_servers_keep_alive_timeout_is_honoured(header: bytes, connections: int) -> None:
    """An idle connection the server is about to close is not reused: a request in it would be unknown."""
    serve, counts = keep_alive_server(header)

    async def run() -> None:
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        client = CampaignTransport(settings_for(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"))
        try:
            await client.request(calls.credits())
            await asyncio.sleep(0.2)
            await client.request(calls.credits())
        finally:
            await client.aclose()
            server.close()

    asyncio.run(run())
    assert counts["connections"] == connections


def test_connections_are_kept_alive_and_reused(api: Sandbox) -> None:
    settings = settings_for(api.url)

    async def run() -> list[int]:
        client = CampaignTransport(settings)
        try:
            balances = []
            for _ in range(3):  # one after the other: one connection
                balances.append(await client.request(calls.credits()))
            connections = list(client._idle)
            assert len(connections) == 1
            await asyncio.gather(*(client.request(calls.credits()) for _ in range(5)))
            assert 1 <= len(client._idle) <= 5  # at most one per request in flight
            return balances
        finally:
            await client.aclose()

    assert len(set(asyncio.run(run()))) == 1


def test_a_proxy_in_the_environment_leaves_the_work_to_httpx(monkeypatch: pytest.MonkeyPatch) -> None:
    remote = settings_for("https://makesms.fr/")
    assert transport.applies(remote)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert not transport.applies(remote)
    assert transport.applies(settings_for("http://127.0.0.1:8080/"))  # loopback: never through a proxy


def test_an_answer_nobody_asked_for_is_never_read_as_the_next_ones() -> None:
    """A server that answers one request twice: the extra answer must not become the next request's."""

    def reply(credits: int) -> bytes:
        body = f"<response><result>success</result><credits>{credits}</credits></response>".encode()
        return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)

    async def run() -> tuple[list[int], int]:
        answered = 0
        connections = 0

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal answered, connections
            connections += 1
            while await reader.readuntil(b"\r\n\r\n"):
                answered += 1
                writer.write(reply(answered) + reply(999))  # the second answer: nobody asked for it
                await writer.drain()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = CampaignTransport(settings_for(f"http://127.0.0.1:{port}/"))
        try:
            balances = [await client.request(calls.credits()) for _ in range(3)]
        finally:
            await client.aclose()
            server.close()
        return balances, connections

    balances, connections = asyncio.run(run())
    assert balances == [1, 2, 3]  # each request its own answer, never the stray 999
    assert connections == 3  # a connection with bytes past its answer is not reused
