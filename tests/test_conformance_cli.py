"""`smetsim conformance`: verification and structure comparison of a replay's output, from the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from smetsim.cli import main

FOLDERS = ("4.1.1_ECS17b", "4.1.1_GCS13a", "8.9_CS07")


def _replayed(corpus: Path, tmp_path: Path) -> tuple[Path, Path, Path]:
    """A small corpus (three RTDS folders copied at test time) and its replay."""
    subset = tmp_path / "rtds"
    for folder in FOLDERS:
        shutil.copytree(corpus / "rtds" / folder, subset / folder)
    out, keys = tmp_path / "out", corpus / "rtds-keystore"
    result = CliRunner().invoke(main, ["replay", str(subset), "--keys", str(keys), "--premises",
                                       str(corpus / "rtds-premises.toml"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return subset, out, keys


def test_conformance_reports_verification_and_structure(corpus: Path, tmp_path: Path) -> None:
    subset, out, keys = _replayed(corpus, tmp_path)
    responses = len(list(subset.rglob("*_RESPONSE_GBCS.HEX")))
    args = ["conformance", str(out), "--keys", str(keys), "--reference", str(subset)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output  # every file verifies; structure differences are reported
    assert f"verified {responses}/{responses} responses and alerts" in result.output
    # the join table of a fresh GSME holds the premises' devices, not the reference device's three
    assert "8.9_CS07/CS07_8.9_SUCCESS_RESPONSE_GBCS.HEX: /payload/value/deviceLog: 2 items != 3" in result.output
    strict = CliRunner().invoke(main, [*args, "--strict", "--json"])
    assert strict.exit_code == 1
    report = json.loads(strict.output)
    assert report["verified"] == report["files"] == responses and report["responses"] == responses
    assert report["conforming"] == sum(1 for entry in report["responses_detail"].values() if entry["ok"])
    assert not report["responses_detail"]["8.9_CS07/CS07_8.9_SUCCESS_RESPONSE_GBCS.HEX"]["ok"]
    conforming = [name for name, entry in report["responses_detail"].items() if entry["ok"]]
    assert any("ECS17b" in name for name in conforming) and any("GCS13a" in name for name in conforming)


def test_a_tampered_response_does_not_verify(corpus: Path, tmp_path: Path) -> None:
    _, out, keys = _replayed(corpus, tmp_path)
    victim = sorted(out.rglob("*_RESPONSE_GBCS.HEX"))[0]
    raw = bytearray.fromhex(victim.read_text().strip())
    raw[-1] ^= 0x01
    victim.write_text(raw.hex().upper())
    result = CliRunner().invoke(main, ["conformance", str(out), "--keys", str(keys)])
    assert result.exit_code == 1
    assert f"does not verify: {victim.relative_to(out)}" in result.output


def test_an_empty_directory_is_a_usage_error(corpus: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["conformance", str(tmp_path), "--keys", str(corpus / "rtds-keystore")])
    assert result.exit_code == 2 and "run smetsim replay first" in result.output


def test_a_directory_without_certificates_is_not_a_key_store(corpus: Path, tmp_path: Path) -> None:
    _, out, _ = _replayed(corpus, tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(main, ["conformance", str(out), "--keys", str(empty)])
    assert result.exit_code == 2 and "not a key store" in result.output
