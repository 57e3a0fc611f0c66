"""Persistence (issue 8.3): the input journal, exact restarts, replay protection across restarts, kill -9."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from emulator import cosem_time
from emulator.cosem_classes import node, structure
from emulator.device import Device
from emulator.faults import HardwareFault
from emulator.journal import DELIVER, Journal
from emulator.testkit import access_request
from emulator.usecases.asn1_common import state as asn1_state
from gbcs.asn1 import encode_asn1
from gbcs.crypto import secure_message
from gbcs.framing import parse_frame
from gbcs.message import decode_message
from proving.eui import eui_str
from proving.identities import ACB
from proving.persistence_load import CHF, CREDIT, ESME, SUPPLIER, credit_command, prepare_dcc, read_request
from proving.persistent_premises import (
    JOURNAL_FILE,
    JournalDivergence,
    PersistenceError,
    PersistentPremises,
    persistent_dcc,
    state_fingerprint,
    state_snapshot,
)

START = "2026-01-01T00:00:00Z"
CALENDAR = bytes((0, 0, 13, 0, 0, 255))
REPO = Path(__file__).resolve().parents[1]


def _esme(premises: PersistentPremises) -> Device:
    return premises.devices[ESME].device


def _credit(premises: PersistentPremises) -> int:
    return _esme(premises).read_attribute(112, CREDIT, 2)["value"]  # type: ignore[attr-defined]


def _command(premises: PersistentPremises, code: int, counter: int, content: bytes, recipient: bytes = ESME) -> bytes:
    """A signed command from the PP import supplier, MAC'd by the ACB."""
    return secure_message(cra=1, counter=counter, originator=SUPPLIER.eui, recipient=recipient,
                          other_information=code.to_bytes(2, "big"), content=content,
                          keystore_view=premises.keystore.view(), acb_eui=ACB, signature_form="present",
                          mac_header=True)


def _future_activation(premises: PersistentPremises, counter: int, seconds: float) -> bytes:
    """ECS... 0x0019: a passive calendar activated ``seconds`` from now (a future-dated instruction)."""
    later = cosem_time.encode(_esme(premises).now() + seconds)
    passive = node("array", [structure(node("octet-string", "01"), node("octet-string", "07E40101FF000000008000FF"),
                                       node("octet-string", "01"))])
    content = access_request(counter, [("set", 20, CALENDAR, 7, passive),
                                       ("set", 20, CALENDAR, 10, node("octet-string", later.hex()))])
    return _command(premises, 0x0019, counter, content)


# ---------------------------------------------------------------------- the journal


def test_the_journal_is_durable_and_append_only(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with Journal(path) as journal:
        assert journal.pragma("journal_mode") == "wal" and journal.pragma("synchronous") == 2  # FULL
        assert journal.append(DELIVER, 10.0, recipient=ESME, data=b"\x01", args={"answered": True}) == 1
        assert journal.append("advance", 10.0, args={"to": 70.5}) == 2
        with pytest.raises(ValueError):
            journal.append("nonsense", 0.0)
    with Journal(path) as journal:
        entries = list(journal.entries())
        assert [(e.seq, e.kind, e.at, e.recipient, e.data) for e in entries] == [
            (1, DELIVER, 10.0, ESME, b"\x01"), (2, "advance", 10.0, None, None)]
        assert entries[1].args == {"to": 70.5} and journal.get(2) == entries[1] and len(journal) == 2
        assert list(journal.entries(chunk=1)) == entries and list(journal.entries(1)) == entries[1:]
    raw = sqlite3.connect(path)
    for statement in ("UPDATE journal SET at = 0", "DELETE FROM journal",
                      "INSERT INTO journal (seq, kind, at, recorded_at) VALUES (7, 'advance', 0, 0)"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            raw.execute(statement)
    raw.close()


# ---------------------------------------------------------------------- exact restarts


def test_a_restart_resumes_exactly_with_pending_future_dated_instructions(tmp_path: Path) -> None:
    state = tmp_path / "state"
    premises = PersistentPremises(state, start=START, seed=7, run_until_idle=False)
    assert premises.deliver(credit_command(premises.keystore.view(), 10, 5)).response is not None
    second = credit_command(premises.keystore.view(), 11, 7)
    assert premises.deliver(second).response is not None
    assert premises.deliver(_future_activation(premises, 12, 3600)).response is not None
    assert premises.deliver(second).response is None  # replay: refused, logged
    premises.arm_fault(ESME, HardwareFault("first"), 0x001C)
    assert premises.deliver(credit_command(premises.keystore.view(), 13, 100)).response is not None  # faulted
    assert premises.advance(60) == []
    assert premises.deliver(b"\x00 not a frame").response is None
    assert premises.deliver(second.replace(ESME, bytes.fromhex("00DB1234567BAFFF"), 1)).reachable is False
    before = state_snapshot(premises)
    assert len(_esme(premises).future) == 1 and premises.last_seq == 9
    premises.close()

    restarted = PersistentPremises(state)
    assert restarted.replayed == 9 and restarted.config.run_until_idle is False
    assert state_snapshot(restarted) == before
    esme = _esme(restarted)
    assert _credit(restarted) == 12  # 5 + 7; the faulted adjustment did not take effect
    assert esme.security.counters[SUPPLIER.eui] == 13
    assert esme.security_log.entries()[-1].detail.startswith("replay")
    assert len(esme.future) == 1  # still pending, at its time
    assert restarted.advance(3600 - 60 - 1) == [] and len(esme.future) == 1  # it was due 3600 s after t0
    alerts = restarted.advance(1)
    assert len(alerts) == 1 and len(esme.future) == 0
    assert decode_message(alerts[0])["payload"]["notification"]["value"][0]["value"] == 0x8F66
    after = state_snapshot(restarted)
    restarted.close()
    with PersistentPremises(state) as again:  # and once more, with the advances journaled
        assert state_snapshot(again) == after


def test_a_command_replayed_after_restart_is_still_refused(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with PersistentPremises(state, start=START) as premises:
        command = credit_command(premises.keystore.view(), 20, 3)
        assert premises.deliver(command).response is not None
    with PersistentPremises(state) as restarted:
        assert restarted.deliver(command).response is None
        assert _esme(restarted).security_log.entries()[-1].detail.startswith("replay: counter 20")
        assert restarted.deliver(credit_command(restarted.keystore.view(), 21, 1)).response is not None
        assert _credit(restarted) == 4
        changed = state_fingerprint(restarted)
    with PersistentPremises(state) as again:  # the refusal is journaled too (it changed the security log)
        assert again.replayed == 3 and _credit(again) == 4 and state_fingerprint(again) == changed
        again.deliver(credit_command(again.keystore.view(), 22, 1))
        assert state_fingerprint(again) != changed


def test_a_key_the_device_generated_survives_a_restart(tmp_path: Path) -> None:
    """CS02c makes the device generate a key pair: the one non-deterministic input, journaled."""
    state = tmp_path / "state"
    request = encode_asn1({"asn1_type": "IssueSecurityCredentialsCommand", "value": {"keyUsage": {"hex": "80",
                                                                                                  "bits": 1}}})
    with PersistentPremises(state, start=START) as premises:
        response = premises.deliver(_command(premises, 0x000A, 30, request)).response
        assert response is not None
        csr = x509.load_der_x509_csr(parse_frame(response).content)
        fingerprint = state_fingerprint(premises)
    with PersistentPremises(state) as restarted:
        pending = asn1_state(_esme(restarted)).new_keys["ds"]
        point = serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        assert pending.public_key().public_bytes(*point) == csr.public_key().public_bytes(*point)
        assert state_fingerprint(restarted) == fingerprint


def test_a_journal_that_does_not_replay_is_an_error(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with PersistentPremises(state, start=START) as premises:
        premises.deliver(credit_command(premises.keystore.view(), 40))
        premises.deliver(credit_command(premises.keystore.view(), 41))
    raw = sqlite3.connect(state / JOURNAL_FILE)
    raw.execute("DROP TRIGGER journal_no_update")
    raw.execute("UPDATE journal SET args = '{\"alerts\":0,\"answered\":false}' WHERE seq = 2")
    raw.commit()
    raw.close()
    with pytest.raises(JournalDivergence, match="entry 2"):
        PersistentPremises(state)
    with PersistentPremises(state, strict=False) as lenient:
        assert lenient.replayed == 2 and len(lenient.divergences) == 1 and _credit(lenient) == 2


def test_the_stored_configuration_wins_and_is_checked(tmp_path: Path) -> None:
    state = tmp_path / "state"
    PersistentPremises(state, start=START, seed=3).close()
    key = (state / f"{ESME.hex()}-ds.key").read_bytes()
    with PersistentPremises(state, seed=3) as premises:  # the PKI is reused, not remade
        assert premises.clock.now() == premises.config.start and premises.config.seed == 3
    assert (state / f"{ESME.hex()}-ds.key").read_bytes() == key
    with pytest.raises(PersistenceError, match="seed"):
        PersistentPremises(state, seed=4)
    (state / "premises.json").unlink()
    with pytest.raises(PersistenceError, match="journal without"):
        PersistentPremises(state)


def test_the_builtin_suite_restarts_to_the_same_state_in_another_process(tmp_path: Path, corpus: Path) -> None:
    """Every use case the PP suite reaches replays exactly, under another hash seed too."""
    from proving.run import run_items
    from proving.suites import builtin_items

    state, xsd = tmp_path / "state", corpus / "duis" / "xsd"
    dcc = persistent_dcc(state, xsd, start=datetime(2026, 3, 1, tzinfo=UTC))
    try:
        prepare_dcc(dcc)
        report = run_items(dcc, builtin_items(xsd), tmp_path / "responses")
        assert report["summary"]["passed"] > 100
        fingerprint = state_fingerprint(dcc.premises)
        journaled = dcc.premises.last_seq  # type: ignore[attr-defined]
    finally:
        dcc.audit.close()
        dcc.premises.close()  # type: ignore[attr-defined]
    script = ("import sys; from proving.persistent_premises import PersistentPremises, state_fingerprint; "
              "p = PersistentPremises(sys.argv[1]); print(p.replayed, state_fingerprint(p))")
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", script, str(state)], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=60, check=True).stdout.split()
    assert out == [str(journaled), fingerprint]


# ---------------------------------------------------------------------- kill -9 under load


def _load_until_killed(args: list[str], acks: int, timeout: float = 40.0) -> list[list[str]]:
    """Run proving.persistence_load, SIGKILL it after ``acks`` acknowledgements; every ACK line it printed."""
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    process = subprocess.Popen([sys.executable, "-m", "proving.persistence_load", *args], cwd=REPO, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watchdog = threading.Timer(timeout, process.kill)  # a child that hangs without output
    watchdog.start()
    lines: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if line.startswith("ACK") and len(lines) > acks:  # START, then ``acks`` ACK lines
                break
        process.send_signal(signal.SIGKILL)  # mid-run: the script still has work queued
    finally:
        process.kill()
        rest, stderr = process.communicate(timeout=30)  # lines printed before the kill, not read yet
        watchdog.cancel()
    assert process.returncode == -signal.SIGKILL, stderr
    complete = ("".join(lines) + rest).split("\n")[:-1]  # a last line cut by the kill is no acknowledgement
    acked = [line.split()[1:] for line in complete if line.startswith("ACK")]
    assert len(acked) >= acks, stderr
    return acked


def test_kill_9_under_load_loses_nothing_acknowledged(tmp_path: Path) -> None:
    state = tmp_path / "state"
    acked: list[list[str]] = []
    for _ in range(3):  # crash, restart (replay) and carry on under load, crash again ...
        acked += _load_until_killed([str(state), "1000000"], acks=150)
    with PersistentPremises(state) as premises:
        journal = {entry.seq: entry for entry in premises.journal.entries()}
        for seq, counter in acked:
            entry = journal[int(seq)]  # every acknowledged command is in the journal ...
            assert entry.kind == DELIVER and parse_frame(entry.data or b"").counter == int(counter)
        assert premises.replayed == len(journal) >= len(acked)
        assert _credit(premises) == len(journal)  # ... and its effect is there (one +1 per journaled command)
        esme = _esme(premises)
        last = int(acked[-1][1])
        assert esme.security.counters[SUPPLIER.eui] >= last
        last_command = journal[int(acked[-1][0])].data or b""
        assert premises.deliver(last_command).response is None  # replayed after the crash: refused
        assert esme.security_log.entries()[-1].detail.startswith(f"replay: counter {last}")
        following = max(premises.originator_counters[SUPPLIER.eui], last) + 1
        assert premises.deliver(credit_command(premises.keystore.view(), following)).response is not None


def test_kill_9_under_load_through_the_dcc(tmp_path: Path, corpus: Path) -> None:
    state, xsd = tmp_path / "state", corpus / "duis" / "xsd"
    acked = _load_until_killed([str(state), "1000000", "--dcc", str(xsd)], acks=40)
    assert all(outcome == "I0" for _, outcome, _ in acked)
    dcc = persistent_dcc(state, xsd)
    try:
        prepare_dcc(dcc)
        report = dcc.audit.verify_chain()
        assert report.ok, report
        premises = dcc.premises
        assert isinstance(premises, PersistentPremises)
        journaled = [parse_frame(e.data or b"") for e in premises.journal.entries() if e.kind == DELIVER]
        esme_counters = {f.counter for f in journaled if f.recipient == ESME and f.originator == SUPPLIER.eui}
        chf_commands = [f for f in journaled if f.recipient == CHF and f.originator == ACB]
        for counter, _, target in acked:
            request_id = f"{eui_str(SUPPLIER.eui)}:{eui_str(bytes.fromhex(target))}:{counter}"
            records = dcc.audit.by_request(request_id)
            assert [r.kind for r in records][:1] == ["request"]
            assert "I0" in {r.response_code for r in records if r.kind == "response"}
            if bytes.fromhex(target) == ESME:
                assert int(counter) in esme_counters
        assert len(chf_commands) >= sum(1 for *_, target in acked if bytes.fromhex(target) == CHF)
        last_esme = max(int(c) for c, _, target in acked if bytes.fromhex(target) == ESME)
        replayed = dcc.frontend.submit(read_request(dcc, last_esme), service="S")  # same RequestID and counter
        assert replayed.outcome == "E21"
        assert _esme(premises).security_log.entries()[-1].detail.startswith(f"replay: counter {last_esme}")
        fresh = max(esme_counters | {int(c) for c, *_ in acked}) + 1
        chf = dcc.frontend.submit(read_request(dcc, fresh, CHF), service="S")
        assert chf.outcome == "I0"  # the ACB's counter carried on above the journal's
        assert dcc.audit.verify_chain().ok
    finally:
        dcc.audit.close()
        dcc.premises.close()  # type: ignore[attr-defined]
