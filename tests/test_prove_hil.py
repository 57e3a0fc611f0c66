"""``smetsim prove`` against the emulated premises and against the same devices behind the hardware bridges."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest


def _prove(args: list[str], corpus: Path, report: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "smetsim.cli", "prove", "--report", str(report), "--xsd", str(corpus / "duis" / "xsd"),
         *args], capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode in (0, 1), result.stderr[-2000:]
    return json.loads(report.read_text())


def test_same_outcomes_through_the_serial_bridge(corpus: Path, tmp_path: Path) -> None:
    pytest.importorskip("serial", reason="pyserial is not installed")
    meter = subprocess.Popen([sys.executable, "-m", "smetsim.hil_serial_cli", "--state", str(tmp_path / "pki")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = meter.stdout.readline().strip()
        assert port, meter.stderr.read()
        bridged = _prove(["--target", f"hil:serial:{port}", "--state", str(tmp_path / "pki")], corpus,
                         tmp_path / "bridged.json")
        emulated = _prove([], corpus, tmp_path / "emulated.json")
    finally:
        meter.send_signal(signal.SIGTERM)
        assert meter.wait(timeout=30) == 0
    outcomes = {r["file"]: (r["outcome"], r["status"]) for r in bridged["requests"]}
    assert outcomes == {r["file"]: (r["outcome"], r["status"]) for r in emulated["requests"]}
    assert bridged["summary"]["passed"] > 100 and bridged["summary"]["audit"]["chain_ok"]


def test_same_outcomes_through_the_fake_radio_and_real_bellows(corpus: Path, tmp_path: Path) -> None:
    pytest.importorskip("bellows", reason="bellows is not installed (pip install 'smetsim[hil]')")
    bridged = _prove(["--target", "hil:zigbee:fake"], corpus, tmp_path / "zigbee.json")
    emulated = _prove([], corpus, tmp_path / "emulated.json")
    outcomes = {r["file"]: (r["outcome"], r["status"]) for r in bridged["requests"]}
    assert outcomes == {r["file"]: (r["outcome"], r["status"]) for r in emulated["requests"]}
    assert bridged["summary"]["passed"] > 100 and bridged["summary"]["audit"]["chain_ok"]
