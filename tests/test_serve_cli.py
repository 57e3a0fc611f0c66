"""``smetsim serve`` as a real process: the HTTP services with the web UI, and the MQTT worker form."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(process: subprocess.Popen, text: str, timeout: float = 90) -> str:
    seen = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        seen += line
        if text in line:
            return seen
    raise AssertionError(f"{text!r} not printed; stderr so far:\n{seen}")


def _wait_listening(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on port {port}")


def test_http_services_need_an_api_key_and_the_ui_asks_to_log_in(corpus: Path, tmp_path: Path) -> None:
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "smetsim.cli", "serve", "--port", str(port), "--state",
                                str(tmp_path), "--xsd", str(corpus / "duis" / "xsd")],
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        started = _wait_for(process, "web UI on")
        assert "API key for DCC (shown once)" in started
        _wait_listening(port)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/serviceS", data=b"<x/>"))
        assert refused.value.code == 401
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/ui/").read().decode()
        assert "<form" in page and "key" in page.lower()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert (tmp_path / "api-keys.json").is_file() and (tmp_path / "production" / "audit.sqlite").is_file()


def test_serve_as_an_mqtt_worker(corpus: Path, tmp_path: Path) -> None:
    pytest.importorskip("amqtt", reason="amqtt is not installed")
    process = subprocess.Popen([sys.executable, "-m", "smetsim.cli", "serve", "--mqtt", "embedded:0", "--premises",
                                "10", "--state", str(tmp_path), "--xsd", str(corpus / "duis" / "xsd")],
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        started = _wait_for(process, "shard 1/1 of 10 premises")
        assert "entry test IS: I0" in started
    finally:
        process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
