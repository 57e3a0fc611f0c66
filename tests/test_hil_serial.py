"""The serial bridge: framing, the bridge against the fake meter over real pseudo-terminals, faults, the CLI."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hil.fake_meter import FakeMeter, Faults, PtyEndpoint, TcpEndpoint, answer, inventory, premises_over
from hil.serial_bridge import SerialTransport
from hil.serial_framing import (
    SOF,
    BinaryDecoder,
    TextDecoder,
    crc16,
    decode_line,
    encode_binary,
    encode_text,
)
from hil.transport import (
    BridgedPremises,
    DeviceInfo,
    Frame,
    Kind,
    RetryPolicy,
    Status,
    TransportLost,
    bridged_dcc,
    done_frame,
    parse_done,
)
from proving.client import PpClient
from proving.embedded import EmbeddedDcc, embedded_dcc
from proving.entry import run_entry_tests
from proving.identities import user
from proving.premises import DEFAULT_DEVICES, EmulatedPremises
from proving.run import run_items
from proving.suites import SuiteItem, builtin_items

ESME = bytes.fromhex(DEFAULT_DEVICES[0][0])
FAST_RETRY = RetryPolicy(attempts=8, delay=0.05, backoff=2.0, max_delay=0.4)
START = datetime.now(UTC).replace(microsecond=0)
ROLES = ("IS", "GS", "ED", "GT", "ES", "OU")

# ---------------------------------------------------------------------- framing (no I/O)

kinds = st.sampled_from(list(Kind))
ascii_payload = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40).map(str.encode)


@st.composite
def frames(draw: st.DrawFn) -> Frame:
    kind = draw(kinds)
    if kind in (Kind.DATA, Kind.ALERT):
        return Frame(kind, draw(st.binary(min_size=1, max_size=300)))
    if kind is Kind.IDENT:
        return Frame(kind)
    return Frame(kind, draw(ascii_payload))


def _chunks(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


def _decode(decoder: BinaryDecoder | TextDecoder, pieces: list[bytes]) -> list[Frame]:
    return [frame for piece in pieces for frame in decoder.feed(piece)]


def test_crc16_check_value() -> None:
    assert crc16(b"123456789") == 0x29B1
    assert encode_binary(Frame(Kind.IDENT)) == bytes((SOF, 4, 0, 0)) + crc16(b"\x04\x00\x00").to_bytes(2, "big") \
        + crc16(b"\x04\x00\x00").to_bytes(2, "big")


def test_text_lines_look_like_gfi() -> None:
    assert encode_text(Frame(Kind.DATA, b"\xd9\x00\x01")) == b"GBCS:DATA#D90001\r\n"
    assert decode_line(b"noise GBCS:DATA#d90001\r") == Frame(Kind.DATA, b"\xd9\x00\x01")
    assert decode_line(b"GBCS:DATA#D9000") is None  # odd number of digits
    assert decode_line(b"GBCS:DATA#D9XX01") is None
    assert decode_line(b"GBCS:NOPE#00") is None
    assert parse_done(done_frame(Status.NO_RESPONSE, 0x1234)) == (Status.NO_RESPONSE, 0x1234)
    info = DeviceInfo(ESME, "ESME", "generic-esme", "electricity")
    assert DeviceInfo.from_frame(info.to_frame()) == info
    assert DeviceInfo.from_frame(Frame(Kind.DEVICE, b"00DB1234567BA000,ESME")) == DeviceInfo(ESME, "ESME")


@settings(max_examples=60, deadline=None)
@given(st.lists(frames(), max_size=6), st.lists(st.integers(0, 5000), max_size=6),
       st.sampled_from(["binary", "text"]))
def test_round_trip_in_any_chunking(sent: list[Frame], cuts: list[int], mode: str) -> None:
    encode, decoder = (encode_binary, BinaryDecoder()) if mode == "binary" else (encode_text, TextDecoder())
    stream = b"".join(encode(f) for f in sent)
    assert _decode(decoder, _chunks(stream, cuts)) == sent
    assert decoder.stats.rejected == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.binary(max_size=30), frames()), min_size=1, max_size=5), st.binary(max_size=30))
def test_binary_resynchronises_after_garbage(parts: list[tuple[bytes, Frame]], tail: bytes) -> None:
    clean = [(garbage.replace(bytes((SOF,)), b""), frame) for garbage, frame in parts]
    stream = b"".join(garbage + encode_binary(frame) for garbage, frame in clean) + tail.replace(bytes((SOF,)), b"")
    assert _decode(BinaryDecoder(), [stream]) == [frame for _, frame in clean]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.binary(max_size=30), frames()), min_size=1, max_size=5))
def test_text_resynchronises_after_garbage(parts: list[tuple[bytes, Frame]]) -> None:
    clean = [(garbage.replace(b"\n", b""), frame) for garbage, frame in parts]
    stream = b"".join(garbage + encode_text(frame) for garbage, frame in clean)
    assert _decode(TextDecoder(), [stream]) == [frame for _, frame in clean]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(frames(), min_size=2, max_size=5), st.data(), st.booleans())
def test_binary_corruption_loses_only_the_damaged_frame(sent: list[Frame], data: st.DataObject, drop: bool) -> None:
    encoded = [encode_binary(f) for f in sent]
    victim = data.draw(st.integers(0, len(sent) - 1))
    where = data.draw(st.integers(0, len(encoded[victim]) - 1))
    damaged = bytearray(encoded[victim])
    if drop:
        del damaged[where]
    else:
        damaged[where] ^= data.draw(st.integers(1, 255))
    encoded[victim] = bytes(damaged)
    decoder = BinaryDecoder()
    sentinel = Frame(Kind.DONE, b"0")  # the frame after the damage always comes through
    got = _decode(decoder, [b"".join(encoded) + encode_binary(sentinel)])
    assert got == [*sent[:victim], *sent[victim + 1:], sentinel]
    assert decoder.stats.discarded > 0


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([Kind.DATA, Kind.ALERT]), st.binary(min_size=1, max_size=60)),
                min_size=2, max_size=5), st.data(), st.booleans())
def test_text_damage_never_yields_a_wrong_message(parts: list[tuple[Kind, bytes]], data: st.DataObject,
                                                   drop: bool) -> None:
    sent = [Frame(kind, payload) for kind, payload in parts]
    lines = [encode_text(f) for f in sent]
    victim = data.draw(st.integers(0, len(sent) - 1))
    where = data.draw(st.integers(0, len(lines[victim]) - 1))
    damaged = bytearray(lines[victim])
    if drop:
        del damaged[where]
    else:
        damaged[where] = ord("Z") if damaged[where] != ord("Z") else ord("?")
    lines[victim] = bytes(damaged)
    sentinel = Frame(Kind.DONE, b"0")
    got = _decode(TextDecoder(), [b"".join(lines) + encode_text(sentinel)])
    others = [*sent[:victim], *sent[victim + 1:], sentinel]
    assert got in (others, [*sent, sentinel])  # a lost CR changes nothing; other damage loses that line only


# ---------------------------------------------------------------------- shared set-up


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One PKI (PP Users, the DCC's parties, the default devices) shared by the meters and the DCCs."""
    directory = tmp_path_factory.mktemp("hil-pki")
    EmulatedPremises(directory)
    return directory


@pytest.fixture(scope="module")
def xsd(corpus: Path) -> Path:
    return corpus / "duis" / "xsd"


@pytest.fixture(scope="module")
def items(xsd: Path) -> list[SuiteItem]:
    return builtin_items(xsd)


def _state(pki: Path, into: Path) -> Path:
    """A DCC state directory holding a copy of the shared PKI (each DCC keeps its own audit trail)."""
    shutil.copytree(pki, into)
    return into


def _meter(pki: Path, framing: str = "binary", **kwargs: object) -> FakeMeter:
    endpoint = kwargs.pop("endpoint", None) or PtyEndpoint()
    meter = FakeMeter(premises_over(pki, start=START), framing=framing, endpoint=endpoint, **kwargs)  # type: ignore[arg-type]
    meter.start()
    return meter


@pytest.fixture
def meters() -> Iterator[list[FakeMeter]]:
    started: list[FakeMeter] = []
    yield started
    for meter in started:
        meter.stop()


@pytest.fixture(scope="module")
def esme_commands(pki: Path, xsd: Path, items: list[SuiteItem], tmp_path_factory: pytest.TempPathFactory
                  ) -> list[bytes]:
    """GBCS commands the DCC builds for the ESME (non-critical reads), recorded over an in-memory link."""
    recorder = BridgedPremises(MemoryTransport(premises_over(pki, start=START)))
    dcc = bridged_dcc(_state(pki, tmp_path_factory.mktemp("rec") / "state"), xsd, recorder, production=False)
    client = PpClient(dcc)
    commands = []
    for item in _esme_reads(items)[:4]:
        assert item.request is not None and item.role is not None
        sent = client.send(item.request, user(item.role), ESME, retarget_body=item.request.request_id.target)
        assert sent.outcome == "I0", sent.error
        commands.append(sent.gbcs[0])
    dcc.audit.close()
    return commands


def _esme_reads(items: list[SuiteItem]) -> list[SuiteItem]:
    return [i for i in items if i.device_type == "ESME" and i.profile is None and i.role and i.request is not None
            and i.refusal is None and i.request.command_variant == 1 and i.srv.startswith("4.")]


class MemoryTransport:
    """A Transport straight into emulated premises (no bytes): the bridge logic on its own."""

    name = "memory"

    def __init__(self, premises: EmulatedPremises) -> None:
        self.premises = premises
        self.queue: list[Frame] = []

    def send(self, frame: Frame) -> None:
        self.queue.extend(answer(self.premises, frame))

    def receive(self, timeout: float) -> Frame | None:
        return self.queue.pop(0) if self.queue else None

    def discard_input(self) -> None:
        self.queue.clear()

    def reconnect(self) -> None:
        pass

    def close(self) -> None:
        pass


class NoDoneTransport(MemoryTransport):
    """A device that answers with the response only (GFI-style meters send no DONE)."""

    def send(self, frame: Frame) -> None:
        super().send(frame)
        self.queue = [f for f in self.queue if f.kind is not Kind.DONE]


def test_devices_without_done_frames_end_the_exchange_after_settling(pki: Path, esme_commands: list[bytes]) -> None:
    premises = premises_over(pki, start=START)
    bridge = BridgedPremises(NoDoneTransport(premises), inventory=inventory(premises), timeout=5, settle=0.1)
    started = time.monotonic()
    assert bridge.deliver(esme_commands[0]).response is not None
    assert time.monotonic() - started < 2
    assert bridge.first_of("GSME") == bytes.fromhex(DEFAULT_DEVICES[1][0])


# ---------------------------------------------------------------------- bridge <-> fake meter


@pytest.mark.parametrize("framing", ["binary", "text"])
def test_bridge_gives_exactly_the_devices_response(pki: Path, esme_commands: list[bytes], framing: str,
                                                   meters: list[FakeMeter]) -> None:
    meter = _meter(pki, framing)
    meters.append(meter)
    bridge = BridgedPremises(SerialTransport(meter.path, framing=framing), timeout=5)
    try:
        assert {eui: d.info for eui, d in bridge.devices.items()} == {i.eui: i for i in inventory(meter.premises)}
        assert bridge.device_type(ESME) == "ESME" and bridge.first_of("ESME", "esme-apc") is not None
        direct = premises_over(pki, start=START)
        for command in esme_commands:
            expected = direct.deliver(command)
            got = bridge.deliver(command)
            assert expected.response is not None
            assert got.response == expected.response
            assert got.alerts == expected.alerts and got.reachable
        assert bridge.deliver(esme_commands[0].replace(ESME, bytes(8))).reachable is False  # nobody there: E20
        assert [e.event for e in bridge.log].count("response") == len(esme_commands)
    finally:
        bridge.close()


def test_socket_url(pki: Path, esme_commands: list[bytes], meters: list[FakeMeter]) -> None:
    meter = _meter(pki, endpoint=TcpEndpoint())
    meters.append(meter)
    assert meter.path.startswith("socket://127.0.0.1:")
    bridge = BridgedPremises(SerialTransport(meter.path), timeout=5)
    try:
        assert len(bridge.devices) == len(DEFAULT_DEVICES)
        assert bridge.deliver(esme_commands[0]).response is not None
    finally:
        bridge.close()


def test_silence_is_reported_as_no_response_in_bounded_time(pki: Path, esme_commands: list[bytes],
                                                            meters: list[FakeMeter]) -> None:
    meter = _meter(pki)
    meters.append(meter)
    bridge = BridgedPremises(SerialTransport(meter.path), timeout=5)
    bridge.timeout = 0.4
    meter.silent = True
    started = time.monotonic()
    delivery = bridge.deliver(esme_commands[0])
    assert time.monotonic() - started < 2.0
    assert delivery.response is None and delivery.reachable  # the front end reports E21
    assert bridge.log[-1].event == "timeout" and bridge.log[-1].eui == ESME.hex().upper()
    meter.silent = False
    assert bridge.deliver(esme_commands[1]).response is not None
    bridge.close()


def test_nothing_to_open_fails_fast() -> None:
    started = time.monotonic()
    with pytest.raises(TransportLost):
        SerialTransport("/nonexistent/tty-hil")
    assert time.monotonic() - started < 1.0


def test_corrupted_bytes_never_yield_a_wrong_response(pki: Path, esme_commands: list[bytes],
                                                      meters: list[FakeMeter]) -> None:
    meter = _meter(pki, faults=Faults(corrupt_rate=0.0005, drop_rate=0.0005, seed=7))
    meters.append(meter)
    bridge = BridgedPremises(SerialTransport(meter.path), inventory=inventory(meter.premises), timeout=0.5)
    direct = premises_over(pki, start=START)
    answered = 0
    for command in esme_commands * 2:
        expected = direct.deliver(command).response
        got = bridge.deliver(command)
        assert got.response in (None, expected)
        answered += got.response is not None
    assert answered >= 1
    bridge.close()


def test_port_loss_between_requests_is_retried(pki: Path, esme_commands: list[bytes], meters: list[FakeMeter],
                                               tmp_path: Path) -> None:
    meter = _meter(pki, endpoint=PtyEndpoint(tmp_path / "meter"))
    meters.append(meter)
    bridge = BridgedPremises(SerialTransport(meter.path), timeout=3, policy=FAST_RETRY)
    assert bridge.deliver(esme_commands[0]).response is not None
    meter.lose_port(down_for=0.3)
    deadline = time.monotonic() + 5
    while meter.losses == 0 and time.monotonic() < deadline:  # the port is gone: the bridge reopens it, sends again
        time.sleep(0.01)
    assert bridge.deliver(esme_commands[1]).response is not None
    events = [e.event for e in bridge.log]
    assert "lost" in events and "reconnected" in events
    assert meter.losses == 1 and os.path.exists(meter.path)  # a new pty behind the same link
    bridge.close()


def _production_dcc(state: Path, xsd: Path, target: BridgedPremises | None = None) -> EmbeddedDcc:
    dcc = bridged_dcc(state, xsd, target) if target is not None else embedded_dcc(state, xsd)
    dcc.approve_default_thresholds()
    for role in ROLES:
        dcc.entry_tests.record(role, f"run-{role}", passed=True, completed_at="2026-11-21T00:00:00Z")
    return dcc


def test_port_loss_mid_exchange_gives_e21_then_reconnects_and_loses_no_audit_record(
        pki: Path, xsd: Path, items: list[SuiteItem], meters: list[FakeMeter], tmp_path: Path) -> None:
    meter = _meter(pki, endpoint=PtyEndpoint(tmp_path / "meter"), lose_after=3, down_for=0.3)
    meters.append(meter)
    bridge = BridgedPremises(SerialTransport(meter.path), timeout=3, policy=FAST_RETRY)
    dcc = _production_dcc(_state(pki, tmp_path / "state"), xsd, bridge)
    client = PpClient(dcc)
    outcomes, documents = [], []
    for item in _esme_reads(items)[:6]:
        assert item.request is not None and item.role is not None
        sent = client.send(item.request, user(item.role), ESME, retarget_body=item.request.request_id.target)
        outcomes.append(sent.outcome)
        documents.extend(sent.responses)
    assert outcomes == ["I0", "I0", "E21", "I0", "I0", "I0"]  # the third command was in flight when the port went
    events = [e.event for e in bridge.log]
    assert events.count("lost") == 1 and "reconnected" in events
    records = dcc.audit.records()
    recorded = {dcc.audit.payloads(r.seq)[1] for r in records if r.direction == "out"}
    assert all(document in recorded for document in documents)
    assert sum(r.direction == "in" for r in records) == len(outcomes)
    assert dcc.audit.verify_chain().ok and dcc.audit.awaiting_response() == []
    dcc.audit.close()
    bridge.close()


def _prove(dcc: EmbeddedDcc, items: list[SuiteItem], work: Path, xsd: Path) -> dict[str, object]:
    dcc.approve_default_thresholds()
    run_entry_tests(dcc, items, work / "test-environment", xsd)
    report = run_items(dcc, items, work / "responses")
    dcc.audit.close()
    return report


@pytest.fixture(scope="module")
def embedded_report(xsd: Path, items: list[SuiteItem], tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The built-in suite against the embedded premises (the reference outcomes)."""
    work = tmp_path_factory.mktemp("embedded")
    return _prove(embedded_dcc(work / "state", xsd), items, work, xsd)


@pytest.mark.parametrize("framing", ["binary", "text"])
def test_prove_suite_has_the_same_outcomes_over_the_serial_bridge(pki: Path, xsd: Path, items: list[SuiteItem],
                                                                  embedded_report: dict[str, object], framing: str,
                                                                  meters: list[FakeMeter], tmp_path: Path) -> None:
    embedded = embedded_report
    meter = _meter(pki, framing)
    meters.append(meter)
    bridge = BridgedPremises(SerialTransport(meter.path, framing=framing), timeout=5)
    bridged = _prove(bridged_dcc(_state(pki, tmp_path / "bridged"), xsd, bridge), items, tmp_path / "b", xsd)
    bridge.close()
    per_request = [(r["file"], r["outcome"], r["status"]) for r in embedded["requests"]]  # type: ignore[index]
    assert [(r["file"], r["outcome"], r["status"]) for r in bridged["requests"]] == per_request  # type: ignore[index]
    assert embedded["summary"]["passed"] > 100  # type: ignore[index]
    assert [e for e in bridge.log if e.event in ("timeout", "lost", "stale")] == [] and meter.errors == []


# ---------------------------------------------------------------------- the command line


def _commands() -> list[list[str]]:
    commands = [[sys.executable, "-m", "smetsim.hil_serial_cli"]]
    wired = subprocess.run([sys.executable, "-m", "smetsim.cli", "hil", "fake-meter", "--help"],
                           capture_output=True, timeout=30)
    if wired.returncode == 0:
        commands.append([sys.executable, "-m", "smetsim.cli", "hil", "fake-meter"])
    return commands


def test_fake_meter_command_prints_the_path_first_and_stops_on_sigterm(pki: Path, tmp_path: Path) -> None:
    for command in _commands():
        state = _state(pki, tmp_path / f"state-{len(command)}")
        process = subprocess.Popen([*command, "--state", str(state), "--framing", "text"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert process.stdout is not None
            path = process.stdout.readline().decode().strip()
            assert os.path.exists(path), path
            bridge = BridgedPremises(SerialTransport(path, framing="text"), timeout=10)
            assert bridge.device_type(ESME) == "ESME"
            bridge.close()
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
