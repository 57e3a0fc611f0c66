"""Zigbee HIL: ASH/ZCL/Tunneling/CBKE codecs, and the real bellows stack against the fake NCP over a pty.

The codec tests need no bellows.  The stack tests run bellows' own ControllerApplication and
EZSP classes, unmodified, against :class:`hil.zigbee.ezsp_fake.FakeNcp` on a real
pseudo-terminal; they are skipped with a reason when bellows/zigpy are not installed.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.han.install_codes import link_key_for_code
from emulator.testkit import access_request
from gbcs.framing import parse_frame
from hil.zigbee import ash, bellows_available, cbke, tunnel, zcl
from hil.zigbee.air import default_install_code

needs_bellows = pytest.mark.skipif(not bellows_available(),
                                   reason="bellows/zigpy not installed (pip install 'smetsim[hil]')")

START = datetime(2026, 1, 1, tzinfo=UTC)
ESME = bytes.fromhex("00DB1234567BA000")
TAMPER = bytes((0, 0, 94, 44, 0, 4))


# ---------------------------------------------------------------------- ASH codec


def test_ash_known_vectors() -> None:
    assert ash.crc_ccitt(b"123456789") == 0x29B1  # CRC-16/CCITT-FALSE check value
    assert ash.encode(ash.Frame("RST")) == bytes.fromhex("C038BC7E")  # UG101 examples
    assert ash.encode(ash.rstack(ash.RESET_POWER_ON)) == bytes.fromhex("C102029B7B7E")
    assert ash.encode(ash.ack(1)) == bytes.fromhex("8160597E")
    assert ash.encode(ash.nak(6)) == bytes.fromhex("A634DC7E")
    assert ash.PSEUDO_RANDOM[:5] == bytes.fromhex("4221A854 2A".replace(" ", ""))


frames = st.one_of(
    st.builds(ash.data_frame, st.integers(0, 7), st.integers(0, 7), st.binary(min_size=3, max_size=200), st.booleans()),
    st.builds(ash.ack, st.integers(0, 7)), st.builds(ash.nak, st.integers(0, 7)),
    st.builds(ash.rstack, st.integers(0, 255)), st.just(ash.Frame("RST")),
)


@given(st.binary(max_size=300))
def test_stuffing_round_trips_and_hides_reserved_bytes(data: bytes) -> None:
    stuffed = ash.stuff(data)
    assert ash.unstuff(stuffed) == data
    assert not set(stuffed) & (ash.RESERVED - {ash.ESCAPE}) and stuffed.count(ash.ESCAPE) >= data.count(ash.ESCAPE)


@given(st.binary(max_size=256))
def test_randomisation_is_an_involution(data: bytes) -> None:
    assert ash.randomise(ash.randomise(data)) == data


@given(st.lists(frames, min_size=1, max_size=6), st.integers(1, 17))
def test_decoder_recovers_frames_from_any_chunking(sent: list[ash.Frame], chunk: int) -> None:
    wire = b"".join(ash.encode(f) for f in sent)
    decoder, got = ash.AshDecoder(), []
    for i in range(0, len(wire), chunk):
        got += decoder.feed(wire[i:i + chunk])
    assert got == sent and not decoder.errors


@given(frames, st.data())
def test_a_corrupted_byte_never_yields_a_wrong_frame(frame: ash.Frame, data: st.DataObject) -> None:
    body = bytearray(ash.frame_body(frame))
    index = data.draw(st.integers(0, len(body) - 1))
    body[index] ^= data.draw(st.integers(1, 255))
    decoder = ash.AshDecoder()
    got = decoder.feed(ash.stuff(bytes(body)) + bytes((ash.FLAG,)))
    assert got == []  # CRC-CCITT catches every single-byte error


def test_cancel_and_substitute_discard_the_frame_in_progress() -> None:
    good = ash.encode(ash.ack(3))
    decoder = ash.AshDecoder()
    assert decoder.feed(b"\x12\x34" + bytes((ash.CANCEL,)) + good) == [ash.ack(3)]
    assert decoder.feed(b"\x12" + bytes((ash.SUBSTITUTE,)) + b"\x34\x7e" + good) == [ash.ack(3)]


# ---------------------------------------------------------------------- ZCL, Tunneling, CBKE


@given(st.integers(0, 255), st.binary(max_size=60), st.integers(0, 255), st.booleans(), st.booleans(),
       st.one_of(st.none(), st.integers(0, 0xFFFF)))
def test_zcl_frames_round_trip(command: int, payload: bytes, tsn: int, specific: bool, s2c: bool,
                               manufacturer: int | None) -> None:
    frame = zcl.ZclFrame(command, payload, tsn, specific, s2c, False, manufacturer)
    assert zcl.ZclFrame.decode(frame.encode()) == frame


def test_time_and_keep_alive_read_attributes() -> None:
    request = zcl.read_attributes([0x0000, 0x0001, 0x0099], tsn=7)
    reply = zcl.read_attributes_response(request, zcl.time_attributes(zcl.ZIGBEE_EPOCH + 1000))
    assert reply.tsn == 7 and reply.server_to_client
    assert zcl.parse_read_attributes_response(reply.payload) == {0x0000: 1000, 0x0001: 0x03, 0x0099: None}
    keep = zcl.read_attributes_response(zcl.read_attributes([0, 1]), zcl.keep_alive_attributes(10, 60))
    assert zcl.parse_read_attributes_response(keep.payload) == {0: 10, 1: 60}


@given(st.binary(max_size=700), st.integers(1, 90))
def test_tunnel_fragmentation_round_trips(message: bytes, size: int) -> None:
    parts = tunnel.fragment(message, size)
    assert all(len(p) <= size + 1 for p in parts)
    reassembler = tunnel.Reassembler()
    results = [reassembler.feed(p) for p in parts]
    assert results[-1] == message and all(r is None for r in results[:-1])


def test_tunnel_commands_and_gaps() -> None:
    request = tunnel.RequestTunnel(max_incoming=1500).frame(3)
    assert tunnel.RequestTunnel.parse(zcl.ZclFrame.decode(request.encode()).payload).protocol == 6
    response = tunnel.RequestTunnelResponse(9, 0, 1500).frame(3)
    assert tunnel.RequestTunnelResponse.parse(response.payload) == tunnel.RequestTunnelResponse(9, 0, 1500)
    data = tunnel.transfer_data(9, b"\x80abc", 4, from_server=True)
    assert data.command == tunnel.TRANSFER_DATA_FROM_SERVER
    assert tunnel.parse_transfer_data(data.payload) == (9, b"\x80abc")
    parts = tunnel.fragment(bytes(200), 64)
    reassembler = tunnel.Reassembler()
    reassembler.feed(parts[0])
    with pytest.raises(tunnel.TunnelError):
        reassembler.feed(parts[2])
    assert [reassembler.feed(p) for p in parts][-1] == bytes(200)  # fragment 0 starts a new message


@pytest.mark.parametrize("suite", [cbke.SUITE_163K1, cbke.SUITE_283K1])
def test_cbke_stub_exchange_agrees_on_a_link_key(suite: int) -> None:
    device, hub = bytes.fromhex("00DB1234567BA000"), bytes.fromhex("00DB1234567BA0FF")
    initiator = cbke.KeyEstablishment(cbke.StubBackend(device, suite), device, initiator=True)
    responder = cbke.KeyEstablishment(cbke.StubBackend(hub, suite), hub, initiator=False)
    message: tuple[int, bytes] | None = initiator.start()
    turn = responder
    while message is not None:
        message = turn.receive(*message)
        turn = initiator if turn is responder else responder
    assert initiator.state == responder.state == "done"
    assert initiator.link_key == responder.link_key and len(initiator.link_key or b"") == 16
    assert initiator.peer_eui == hub and responder.peer_eui == device


def test_cbke_rejects_a_bad_confirmation_and_an_unsupported_suite() -> None:
    device, hub = bytes(8), bytes(range(8))
    initiator = cbke.KeyEstablishment(cbke.StubBackend(device), device, initiator=True)
    responder = cbke.KeyEstablishment(cbke.StubBackend(hub), hub, initiator=False)
    reply = responder.receive(*initiator.start())
    assert reply is not None
    reply = responder.receive(*initiator.receive(*reply))  # type: ignore[misc]
    confirm = initiator.receive(*reply)  # type: ignore[misc]
    assert confirm is not None and confirm[0] == cbke.CONFIRM_KEY
    command, payload = responder.receive(cbke.CONFIRM_KEY, bytes(16)) or (None, b"")
    assert command == cbke.TERMINATE and payload[0] == cbke.BAD_KEY_CONFIRM and responder.state == "terminated"
    other = cbke.KeyEstablishment(cbke.StubBackend(hub, cbke.SUITE_163K1), hub, initiator=False)
    command, payload = other.receive(*cbke.KeyEstablishment(cbke.StubBackend(device), device, True).start()) \
        or (None, b"")
    assert command == cbke.TERMINATE and payload[0] == cbke.UNSUPPORTED_SUITE


def test_bridge_takes_install_codes_with_or_without_crc_and_refuses_bad_ones() -> None:
    from emulator.han.install_codes import InstallCodeError, with_crc
    from hil.zigbee.bridge import ZigbeeBridge, install_code_key

    code = default_install_code(ESME)
    assert install_code_key(code) == install_code_key(with_crc(code)) == link_key_for_code(code)
    damaged = bytearray(with_crc(code))
    damaged[-1] ^= 0xFF
    with pytest.raises(InstallCodeError):
        install_code_key(bytes(damaged))  # CRC wrong
    with pytest.raises(InstallCodeError):
        ZigbeeBridge("/dev/null", {ESME: code[:12]})  # SMETS2 codes are 16 octets


# ---------------------------------------------------------------------- bellows cross-checks


@needs_bellows
@settings(max_examples=60)
@given(frames)
def test_ash_frames_agree_with_bellows(frame: ash.Frame) -> None:
    from bellows import ash as bash

    body = ash.frame_body(frame)
    parsed = bash.parse_frame(body)
    if frame.kind == "DATA":
        assert (parsed.frm_num, parsed.ack_num, bool(parsed.re_tx), parsed.ezsp_frame) == \
            (frame.frm_num, frame.ack_num, frame.re_tx, frame.data)
    assert parsed.to_bytes() == body
    assert bash.AshProtocol._stuff_bytes(body) == ash.stuff(body)


# ---------------------------------------------------------------------- the stack end to end


def _premises(directory: Path, *, reuse_keys: bool = False) -> object:
    import proving.premises as premises_module

    if reuse_keys:  # a twin of existing premises: same PKI, same clock and seed
        original = premises_module.make_pki
        premises_module.make_pki = lambda *a, **k: None  # type: ignore[assignment]
        try:
            return premises_module.EmulatedPremises(directory, start=START, seed=1)
        finally:
            premises_module.make_pki = original
    return premises_module.EmulatedPremises(directory, start=START, seed=1)


class Commands:
    """GBCS commands from the PP import supplier to the ESME, MAC'd by the ACB."""

    def __init__(self, premises: object) -> None:
        self.view = premises.keystore.view()  # type: ignore[attr-defined]
        self.counter = 1000

    def build(self, code: int, content: bytes | None = None) -> bytes:
        from gbcs.crypto import secure_message
        from proving.identities import ACB, PP_USERS

        self.counter += 1
        if content is None:
            content = access_request(self.counter, [("get", 1, TAMPER, 2, {"type": "null"})])
        return secure_message(cra=1, counter=self.counter, originator=PP_USERS[0].eui, recipient=ESME,
                              other_information=code.to_bytes(2, "big"), content=content,
                              keystore_view=self.view, acb_eui=ACB, signature_form="null", mac_header=True)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    if not bellows_available():
        pytest.skip("bellows/zigpy not installed (pip install 'smetsim[hil]')")
    from hil.zigbee.bridge import ZigbeeBridge
    from hil.zigbee.ezsp_fake import FakeNcp

    directory = tmp_path_factory.mktemp("hil-zigbee")
    premises = _premises(directory)
    twin = _premises(directory, reuse_keys=True)
    ncp = FakeNcp(premises, version=13)
    path = ncp.start_thread()
    codes = {eui: default_install_code(eui) for eui in premises.devices}  # type: ignore[attr-defined]
    bridge = ZigbeeBridge(path, codes, reconnect_interval=0.2, response_timeout=3.0, ack_timeout=2.0)
    started = time.monotonic()
    missing = bridge.start(wait_devices=20)
    yield {"ncp": ncp, "bridge": bridge, "premises": premises, "twin": twin, "missing": missing,
           "startup": time.monotonic() - started, "commands": Commands(premises)}
    bridge.stop()
    ncp.stop_thread()


def _comparable(message: bytes | None) -> bytes | None:
    """A GBCS message without its ECDSA signature (random per signing); everything else must match."""
    if message is None:
        return None
    frame = parse_frame(message)
    return message if not frame.signature else frame.signed_bytes


def _same_as_direct(stack: dict, command: bytes) -> object:
    """Deliver through the radio and directly to the twin premises; both must agree byte for byte."""
    through = stack["bridge"].deliver(command)
    direct = stack["twin"].deliver(command)
    assert _comparable(through.response) == _comparable(direct.response)
    assert [_comparable(a) for a in through.alerts] == [_comparable(a) for a in direct.alerts]
    assert through.reachable == direct.reachable
    return through


@needs_bellows
def test_bellows_forms_the_network_and_registers_the_se_endpoint(stack: dict) -> None:
    ncp = stack["ncp"]
    assert stack["startup"] < 15
    assert ncp.ezsp.formed and "formNetwork" in ncp.ezsp.seen and "startScan" in ncp.ezsp.seen
    se = [ep for ep in ncp.ezsp.endpoints.values() if int(ep["profileId"]) == zcl.SE_PROFILE]
    assert se and zcl.TUNNELING in [int(c) for c in se[0]["inputClusterList"]]
    assert stack["bridge"].app.state.node_info.logical_type == 0  # coordinator


@needs_bellows
def test_devices_join_with_install_code_keys_and_open_tunnels(stack: dict) -> None:
    ncp, bridge, premises = stack["ncp"], stack["bridge"], stack["premises"]
    assert stack["missing"] == []
    for eui, entry in premises.devices.items():
        assert ncp.ezsp.transient_keys[eui] == link_key_for_code(default_install_code(eui))
        assert bridge.device_type(eui) == entry.device_type == premises.device_type(eui)
        assert eui in bridge.hub.tunnels
    assert "importTransientKey" in ncp.ezsp.seen and "permitJoining" in ncp.ezsp.seen
    assert bridge.device_type(bytes(8)) is None


@needs_bellows
def test_a_gbcs_command_round_trips_through_the_tunnel(stack: dict) -> None:
    command = stack["commands"].build(0x00F9)
    assert len(command) > tunnel.DEFAULT_FRAGMENT  # fragmented on the way out
    delivery = _same_as_direct(stack, command)
    assert delivery.response is not None and delivery.response[:1] == b"\xdd"


@needs_bellows
def test_alerts_come_back_with_the_delivery(stack: dict) -> None:
    delivery = _same_as_direct(stack, stack["commands"].build(0x0074, bytes.fromhex("010901")))
    assert delivery.response is None and len(delivery.alerts) == 1


@needs_bellows
def test_unknown_recipient_is_unreachable(stack: dict) -> None:
    command = stack["commands"].build(0x00F9).replace(ESME, bytes.fromhex("00DB1234567BA0EE"))
    delivery = _same_as_direct(stack, command)
    assert delivery.reachable is False


@needs_bellows
@pytest.mark.parametrize("fault", ["corrupt", "drop", "nak", "garbage"])
def test_line_faults_are_recovered_by_ash(stack: dict, fault: str) -> None:
    ncp = stack["ncp"]
    before = ncp.stats
    {"corrupt": lambda: ncp.corrupt_next(2), "drop": lambda: ncp.drop_next(1), "nak": lambda: ncp.nak_next(2),
     "garbage": ncp.garbage}[fault]()
    delivery = _same_as_direct(stack, stack["commands"].build(0x00F9))
    assert delivery.response is not None
    after = ncp.stats
    if fault in ("corrupt", "drop"):
        assert after["retransmits"] > before["retransmits"]
    if fault == "nak":
        assert after["naks_sent"] >= before["naks_sent"] + 2


@needs_bellows
def test_spontaneous_ncp_reset_reconnects(stack: dict) -> None:
    ncp, bridge = stack["ncp"], stack["bridge"]
    lost = bridge.events.count("lost")
    ncp.reset()
    time.sleep(0.1)
    delivery = _same_as_direct(stack, stack["commands"].build(0x00F9))
    assert delivery.response is not None
    assert bridge.events.count("lost") > lost and bridge.events[-1] == "reconnected"


@needs_bellows
def test_port_loss_between_requests_reconnects(stack: dict) -> None:
    ncp, bridge = stack["ncp"], stack["bridge"]
    reconnected = bridge.events.count("reconnected")
    ncp.port_loss(0.3)
    time.sleep(0.1)
    delivery = _same_as_direct(stack, stack["commands"].build(0x00F9))
    assert delivery.response is not None and bridge.events.count("reconnected") == reconnected + 1


@needs_bellows
def test_port_loss_before_the_device_saw_the_command_is_retried(stack: dict) -> None:
    ncp, bridge = stack["ncp"], stack["bridge"]
    retries = bridge.events.count("retry")
    ncp.port_loss_during_delivery(0.3, after_fragments=0)
    delivery = _same_as_direct(stack, stack["commands"].build(0x00F9))
    assert delivery.response is not None and bridge.events.count("retry") == retries + 1


@needs_bellows
def test_port_loss_mid_command_is_reported_without_a_response(stack: dict) -> None:
    ncp, bridge, commands = stack["ncp"], stack["bridge"], stack["commands"]
    ncp.port_loss_during_delivery(0.3, after_fragments=1)
    lost = commands.build(0x00F9)
    delivery = bridge.deliver(lost)
    assert delivery.response is None and delivery.reachable  # DUIS E21: not resent (the device may have acted)
    later = _same_as_direct(stack, commands.build(0x00F9))
    assert later.response is not None and bridge.events[-1] == "reconnected"


@needs_bellows
@pytest.mark.parametrize(("version", "formed", "key_command"), [(8, False, "addTransientLinkKey"),
                                                                (13, True, "importTransientKey")])
def test_other_ezsp_versions_and_warm_start(version: int, formed: bool, key_command: str) -> None:
    from hil.zigbee.bridge import ZigbeeBridge
    from hil.zigbee.ezsp_fake import FakeNcp

    async def run() -> tuple[list[str], bool]:
        ncp = FakeNcp(None, version=version, formed=formed)
        path = await ncp.start()
        bridge = ZigbeeBridge(path, {ESME: default_install_code(ESME)})
        try:
            await bridge.astart()
            return ncp.ezsp.seen, ncp.ezsp.transient_keys.get(ESME) == link_key_for_code(default_install_code(ESME))
        finally:
            await bridge.astop()
            await ncp.stop()

    seen, key_ok = asyncio.run(run())
    assert key_command in seen and key_ok
    assert ("formNetwork" in seen) is not formed  # a formed network is started, not formed again


# ---------------------------------------------------------------------- acceptance: the prove suite both ways


def _proving_run(directory: Path, xsd: Path, items: list, *, through_radio: bool, fault: str | None = None) -> dict:
    """Run the built-in suite against the embedded premises, or the same device models behind the fake NCP."""
    from proving.embedded import embedded_dcc
    from proving.entry import run_entry_tests
    from proving.run import run_items

    dcc = embedded_dcc(directory / "production", xsd, start=START, seed=3)
    dcc.approve_default_thresholds()
    run_entry_tests(dcc, items, directory / "test-environment", xsd)
    if not through_radio:
        report = run_items(dcc, items, directory / "responses")
        report["audit"] = (len(dcc.audit.records()), dcc.audit.verify_chain().ok)
        dcc.audit.close()
        return report
    from hil.zigbee.target import open_target

    target = open_target("fake", dcc.premises, reconnect_interval=0.2)  # what --target hil:zigbee:fake does
    try:
        dcc.frontend.target = target.bridge
        if fault == "port-loss":
            target.fake.port_loss_during_delivery(0.3, after_fragments=1)
        report = run_items(dcc, items, directory / "responses")
        report["events"] = list(target.bridge.events)
    finally:
        target.close()
    report["audit"] = (len(dcc.audit.records()), dcc.audit.verify_chain().ok)
    dcc.audit.close()
    return report


@pytest.fixture(scope="module")
def suite(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list, dict]:
    if not bellows_available():
        pytest.skip("bellows/zigpy not installed (pip install 'smetsim[hil]')")
    from proving.suites import builtin_items

    xsd = corpus / "duis" / "xsd"
    items = builtin_items(xsd, now=START)
    embedded = _proving_run(tmp_path_factory.mktemp("embedded"), xsd, items, through_radio=False)
    return xsd, items, embedded


@needs_bellows
def test_prove_suite_has_identical_outcomes_through_the_fake_ncp(suite: tuple[Path, list, dict],
                                                                  tmp_path: Path) -> None:
    xsd, items, embedded = suite
    radio = _proving_run(tmp_path, xsd, items, through_radio=True)
    assert [r["outcome"] for r in radio["requests"]] == [r["outcome"] for r in embedded["requests"]]
    assert [len(r["gbcs"]) for r in radio["requests"]] == [len(r["gbcs"]) for r in embedded["requests"]]
    assert embedded["summary"]["passed"] > 100
    assert radio["audit"] == embedded["audit"] and radio["audit"][1] is True


@needs_bellows
def test_port_loss_mid_run_reconnects_reports_e21_and_keeps_every_audit_record(suite: tuple[Path, list, dict],
                                                                               tmp_path: Path) -> None:
    xsd, items, embedded = suite
    radio = _proving_run(tmp_path, xsd, items, through_radio=True, fault="port-loss")
    pairs = list(zip(embedded["requests"], radio["requests"], strict=True))
    first = next(i for i, (a, b) in enumerate(pairs) if a["outcome"] != b["outcome"])
    assert pairs[first][1]["outcome"] == "E21"  # the request the port loss cut: reported, not resent
    assert "lost" in radio["events"] and radio["events"][-1] == "reconnected"
    affected = [b for a, b in pairs if a["outcome"] != b["outcome"]]
    assert len(affected) <= 3  # later requests run normally once the radio is back
    assert radio["audit"][1] is True and radio["audit"][0] == embedded["audit"][0]  # nothing lost


@needs_bellows
def test_cbke_time_and_keep_alive_over_the_stack(tmp_path: Path) -> None:
    from hil.zigbee.bridge import ZigbeeBridge
    from hil.zigbee.ezsp_fake import FakeNcp
    from proving.premises import DEFAULT_DEVICES, EmulatedPremises

    premises = EmulatedPremises(tmp_path, start=START, devices=DEFAULT_DEVICES[:1])
    backend = cbke.StubBackend

    async def run() -> None:
        ncp = FakeNcp(premises, version=13, ke_backend=backend)
        path = await ncp.start()
        bridge = ZigbeeBridge(path, {ESME: default_install_code(ESME)}, ke_backend=backend,
                              clock=lambda: zcl.ZIGBEE_EPOCH + 123456)
        try:
            await bridge.astart()
            assert await bridge.await_devices(timeout=10) == []
            assert ncp.air is not None and bridge.hub is not None
            session = ncp.air.key_establishment[ESME]
            assert session.state == "done" and bridge.hub.link_keys[ESME] == session.link_key
            node = ncp.air.nodes[ESME]
            ncp.air.read_from_hub(node, zcl.TIME, [0x0000, 0x0001])
            ncp.air.read_from_hub(node, zcl.KEEP_ALIVE, [0x0000, 0x0001])
            for _ in range(100):
                if len(node.from_hub) == 2:
                    break
                await asyncio.sleep(0.02)
            assert node.from_hub[zcl.TIME] == {0x0000: 123456, 0x0001: 0x03}
            assert node.from_hub[zcl.KEEP_ALIVE] == {0x0000: 10, 0x0001: 60}
        finally:
            await bridge.astop()
            await ncp.stop()

    asyncio.run(run())


@needs_bellows
def test_a_wrong_install_code_keeps_the_device_off_the_network(tmp_path: Path) -> None:
    from hil.zigbee.bridge import ZigbeeBridge
    from hil.zigbee.ezsp_fake import FakeNcp
    from proving.premises import DEFAULT_DEVICES, EmulatedPremises

    premises = EmulatedPremises(tmp_path, start=START, devices=DEFAULT_DEVICES[:2])
    gsme = bytes.fromhex(DEFAULT_DEVICES[1][0])
    commands = Commands(premises)

    async def run() -> None:
        ncp = FakeNcp(premises, version=13)
        path = await ncp.start()
        codes = {ESME: default_install_code(ESME), gsme: bytes(16)}
        bridge = ZigbeeBridge(path, codes)
        try:
            await bridge.astart()
            assert await bridge.await_devices(timeout=1.5) == [gsme]
            assert bridge.device_type(ESME) == "ESME" and bridge.device_type(gsme) is None
            assert ncp.air is not None and any("wrong link key" in line for line in ncp.air.log)
            command = commands.build(0x00F9).replace(ESME, gsme)
            assert (await bridge.adeliver(command)).reachable is False
        finally:
            await bridge.astop()
            await ncp.stop()

    asyncio.run(run())
