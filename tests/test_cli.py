"""The command-line contract of `smetsim parse` and `smetsim build`, run as real processes."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

SMETSIM = [sys.executable, "-m", "smetsim.cli"]


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*SMETSIM, *args], input=stdin, capture_output=True, timeout=300)


def test_parse_and_build_the_corpus(corpus: Path, tmp_path: Path) -> None:
    rtds = corpus / "rtds"
    parsed = run("parse", "--json", str(rtds))
    assert parsed.returncode == 0, parsed.stderr.decode()
    lines = parsed.stdout.decode().splitlines()
    files = sorted(rtds.rglob("*.HEX"))
    assert len(lines) == len(files)
    required = {"source", "ok", "error", "cra", "counter", "originator", "recipient", "message_code", "use_case",
                "mac_header", "signature", "mac", "payload_type", "payload", "signature_valid", "mac_valid",
                "decrypted"}
    for line, file in zip(lines, files, strict=True):
        row = json.loads(line)
        assert required <= row.keys()
        assert row["ok"] and row["source"] == str(file)
    jsonl = tmp_path / "all.jsonl"
    jsonl.write_bytes(parsed.stdout)
    built = run("build", str(jsonl))
    assert built.returncode == 0, built.stderr.decode()
    assert built.stdout.decode().split() == [f.read_text().strip() for f in files]


def test_stdin_hex_base64_and_raw_files(rtds_files: list[Path], tmp_path: Path) -> None:
    raw = bytes.fromhex(rtds_files[0].read_text().strip())
    stdin = (raw.hex() + "\n" + base64.b64encode(raw).decode() + "\n").encode()
    out = run("parse", "--json", "-", stdin=stdin)
    rows = [json.loads(line) for line in out.stdout.decode().splitlines()]
    assert out.returncode == 0 and [r["ok"] for r in rows] == [True, True]
    binary = tmp_path / "message.bin"
    binary.write_bytes(raw)
    out = run("parse", "--json", str(binary))
    assert out.returncode == 0 and json.loads(out.stdout)["counter"] == rows[0]["counter"]


def test_bad_inputs_exit_1_with_offsets_and_no_traceback(rtds_files: list[Path], tmp_path: Path) -> None:
    good = rtds_files[0]
    truncated = tmp_path / "truncated.HEX"
    truncated.write_text(good.read_text().strip()[:-10])
    huge = tmp_path / "huge.HEX"
    huge.write_text("DF84FFFFFFFF")
    deep = tmp_path / "deep.HEX"
    deep.write_text(("DF0901" + "00" * 8 + "08" + "11" * 8 + "08" + "22" * 8 + "00020019" + "8320000"
                     [:0] + "82" + f"{20001:04X}" + "D9" + "00" * 4 + "00" + "01" + "01" + "0001" + "00" * 6 + "02"
                     + "01" + "0201" * 10_000)[: 2 * 20_100] + "00")
    empty = tmp_path / "empty.HEX"
    empty.write_text("")
    out = run("parse", "--json", str(good), str(truncated), str(huge), str(deep), str(empty), str(tmp_path / "nope"))
    assert out.returncode == 1
    assert b"Traceback" not in out.stderr
    rows = [json.loads(line) for line in out.stdout.decode().splitlines()]
    assert [r["ok"] for r in rows] == [True, False, False, False, False, False]
    for row in rows[1:]:
        assert row["error"].startswith("offset "), row


def test_human_tree_shows_names_and_offsets(rtds_files: list[Path]) -> None:
    target = next(f for f in rtds_files if "ECS17b" in f.name and f.name.endswith("_RESPONSE_GBCS.HEX"))
    out = run("parse", str(target))
    text = out.stdout.decode()
    assert out.returncode == 0
    assert "ECS17b Read ESME Energy Registers" in text and "access-response" in text
    assert "00000" in text and "general-signing APDU" in text


@pytest.mark.parametrize("line", ["not json", "[1,2]", '{"cra": "command"}', '{"ok": false, "error": "x"}'])
def test_build_reports_bad_lines(tmp_path: Path, line: str) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(line + "\n")
    out = run("build", str(bad))
    assert out.returncode == 1 and b"line 1" in out.stderr and b"Traceback" not in out.stderr


def test_help_teaches() -> None:
    out = run("parse", "--help")
    assert out.returncode == 0 and b"INPUT" in out.stdout and b"--json" in out.stdout


def _rows(out: subprocess.CompletedProcess[bytes]) -> list[dict]:
    return [json.loads(line) for line in out.stdout.decode().splitlines()]


def test_parse_with_keys_verifies_and_decrypts(corpus: Path, tmp_path: Path) -> None:
    folder = corpus / "rtds" / "4.1.1_ECS17b"
    out = run("parse", "--json", "--keys", str(corpus / "rtds-keystore"), str(folder))
    rows = _rows(out)
    assert out.returncode == 0 and rows
    assert all(r["mac_valid"] is True for r in rows if r["mac"])
    responses = [r for r in rows if r["cra"] == "response" and "SUCCESS" in r["source"]]
    assert responses and all(r["decrypted"] and "decoded" in r["decrypted"][0] for r in responses)
    # one flipped byte in the MAC'd part turns the MAC check false
    raw = bytearray(bytes.fromhex(Path(rows[0]["source"]).read_text().strip()))
    raw[-20] ^= 0x01
    tampered = tmp_path / "tampered.HEX"
    tampered.write_text(raw.hex().upper())
    bad = _rows(run("parse", "--json", "--keys", str(corpus / "rtds-keystore"), str(tampered)))
    assert bad[0]["ok"] is False or bad[0]["mac_valid"] is False


def test_keys_init_then_build_with_keys_verifies(rtds_files: list[Path], tmp_path: Path) -> None:
    pki = tmp_path / "pki"
    init = run("keys", "init", str(pki), "--device", "00DB1234567890A0", "--device", "00DB1234567890A1")
    assert init.returncode == 0, init.stderr.decode()
    assert run("keys", "init", str(pki)).returncode != 0  # refuses to overwrite silently
    listing = run("keys", "list", "--json", str(pki))
    kinds = {row["eui"]: row["kind"] for row in _rows(listing)}
    assert kinds["90B3D51F30000002"] == "role 4" and kinds["00DB1234567890A0"] == "device"
    picked = [f for f in rtds_files if f.parent.name in ("4.1.1_ECS17b", "1.1.1_ECS01a")
              and f.name.endswith(("_COMMAND_GBCS.HEX", "_RESPONSE_GBCS.HEX"))]
    parsed = run("parse", "--json", *map(str, picked))
    jsonl = tmp_path / "msgs.jsonl"
    jsonl.write_bytes(parsed.stdout)
    built = run("build", "--keys", str(pki), str(jsonl))
    assert built.returncode == 0, built.stderr.decode()
    again = tmp_path / "rebuilt.txt"
    again.write_bytes(built.stdout)
    rows = _rows(run("parse", "--json", "--keys", str(pki), str(again)))
    assert len(rows) == len(picked)
    for row in rows:
        assert row["ok"]
        assert row["mac_valid"] in (True, None) and row["signature_valid"] in (True, None)
        assert row["mac_valid"] or row["signature_valid"]


def test_keys_errors_are_clear(tmp_path: Path) -> None:
    out = run("parse", "--keys", str(tmp_path / "missing"), "-", stdin=b"")
    assert out.returncode == 2 and b"Traceback" not in out.stderr
    out = run("parse", "--acb", "00", "-", stdin=b"")
    assert out.returncode == 2 and b"--acb" in out.stderr


def test_replay_contract(corpus: Path, tmp_path: Path) -> None:
    folder = corpus / "rtds" / "4.1.1_ECS17b"
    out = tmp_path / "out"
    done = run("replay", str(folder), "--keys", str(corpus / "rtds-keystore"),
               "--premises", str(corpus / "rtds-premises.toml"), "--out", str(out))
    assert done.returncode == 0, done.stderr.decode()
    commands = sorted(folder.glob("*_COMMAND_GBCS.HEX"))
    for command in commands:
        stem = command.name[: -len("_COMMAND_GBCS.HEX")]
        response = out / folder.name / f"{stem}_RESPONSE_GBCS.HEX"
        assert response.is_file(), response
        assert json.loads(run("parse", "--json", str(response)).stdout)["cra"] == "response"
    assert (out / "keys" / "00db1234567890a0-ds.pem").is_file() and (out / "keys" / "00db1234567890a0-ka.pem").is_file()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["commands"] == len(commands)
    bad = run("replay", str(tmp_path), "--keys", str(corpus / "rtds-keystore"),
              "--premises", str(corpus / "rtds-premises.toml"), "--out", str(out))
    assert bad.returncode == 2 and b"no *_COMMAND_GBCS.HEX" in bad.stderr


def test_codec_defects_are_reported_per_message(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in a codec must not stop a run: the message gets ok false and an 'internal error'."""
    from smetsim import cli

    def broken(data: bytes, source: str | None = None) -> dict:
        raise KeyError("surprise")

    monkeypatch.setattr(cli, "decode_message", broken)
    result = cli._parse_one("x.HEX", b"\xdf", None)
    assert result["ok"] is False and result["error"].startswith("offset 0: internal error KeyError")
    assert cli._json_default(b"\x01\xab") == "01AB" and cli._json_default(object()).startswith("<object")
