"""``smetsim hil``: fake-ncp as a real subprocess (pty path first, exits on SIGTERM); status/scan errors."""

from __future__ import annotations

import fcntl
import os
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hil.zigbee import bellows_available

needs_bellows = pytest.mark.skipif(not bellows_available(),
                                   reason="bellows/zigpy not installed (pip install 'smetsim[hil]')")


def _command() -> list[str]:
    """``smetsim hil`` once the lead registers the group in smetsim.cli, else the module itself."""
    from smetsim import cli

    group = getattr(cli, "main", None) or getattr(cli, "cli", None)
    commands = getattr(group, "commands", {})
    if "hil" in commands:
        return [sys.executable, "-m", "smetsim.cli", "hil"]
    return [sys.executable, "-m", "smetsim.hil_cli"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*_command(), *args], capture_output=True, text=True, timeout=60, check=False)


def _readline(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    assert ready, "fake-ncp printed nothing"
    return process.stdout.readline().strip()


@pytest.fixture
def fake_ncp(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    if not bellows_available():
        pytest.skip("bellows/zigpy not installed (pip install 'smetsim[hil]')")
    process = subprocess.Popen([*_command(), "fake-ncp", "--state", str(tmp_path / "pki")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        path = _readline(process, 30)
        yield process, path
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@needs_bellows
def test_fake_ncp_prints_the_port_first_and_stops_on_sigterm(fake_ncp: tuple[subprocess.Popen[str], str]) -> None:
    process, path = fake_ncp
    assert os.path.exists(path) and os.path.realpath(path).startswith("/dev/pts/")
    process.send_signal(signal.SIGTERM)
    assert process.wait(10) == 0
    assert not os.path.exists(path)  # the port goes away with the NCP
    assert process.stderr is not None and "install-code" in process.stderr.read()


@needs_bellows
def test_status_and_scan_talk_to_the_fake_radio(fake_ncp: tuple[subprocess.Popen[str], str]) -> None:
    _, path = fake_ncp
    status = _run("status", path)
    assert status.returncode == 0, status.stderr
    assert "ezsp_version: 13" in status.stdout and "eui64: 00:db:12:34:56:7b:a0:ff" in status.stdout
    scan = _run("scan", path)
    assert scan.returncode == 0, scan.stderr
    assert scan.stdout.count("dBm") == 16


@needs_bellows
def test_busy_port_is_a_one_line_error(fake_ncp: tuple[subprocess.Popen[str], str]) -> None:
    _, path = fake_ncp
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = _run("status", path)
    finally:
        os.close(fd)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [f"error: {path}: busy (in use by another process)"]


@pytest.mark.parametrize("command", ["status", "scan"])
def test_missing_port_is_a_one_line_error(command: str, tmp_path: Path) -> None:
    port = str(tmp_path / "ttyUSB9")
    result = _run(command, port)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {port}: no such serial port")
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_not_a_radio_is_a_one_line_error(tmp_path: Path) -> None:
    if not bellows_available():
        pytest.skip("bellows/zigpy not installed (pip install 'smetsim[hil]')")
    master, slave = os.openpty()  # a pty nobody answers on: bellows gets no RSTACK
    try:
        result = subprocess.run([*_command(), "status", "--timeout", "2", os.ttyname(slave)],
                                capture_output=True, text=True, timeout=90, check=False)
    finally:
        os.close(master)
        os.close(slave)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error: ")
