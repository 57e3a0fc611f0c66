"""The simulated HAN: joining, the link model, power, sleepy GSME with the GPF, HAN-only traffic, storms, premises."""

from __future__ import annotations

import pytest
from test_emulator_gsme import component, read

from emulator.clock import VirtualClock
from emulator.device import Device
from emulator.han.device_log import HISTORIC, HistoricTiming
from emulator.han.install_codes import link_key_for_code
from emulator.han.link import Link, LinkModel
from emulator.han.network import ALERT, RESPONSE, HanNetwork, Premises
from emulator.han.sleepy import WakeSchedule
from emulator.kinds import create_device
from emulator.testkit import RemoteParties
from gbcs.crypto import secure_message
from gbcs.framing import parse_frame
from gbcs.gbz import encode_gbz

START = "2020-06-01T12:00:00Z"
CHF = bytes.fromhex("00DB1234567890A0")
GPF = bytes.fromhex("00DB1234567890A3")
GSME = bytes.fromhex("00DB1234567890A1")
PPMID = bytes.fromhex("00DB1234567890A4")
ESME = bytes.fromhex("00DB1234567890A2")
CODE = {GSME: bytes.fromhex("83FED3407A939723A5C639B26916D505"), PPMID: bytes(range(16)), ESME: bytes(range(1, 17))}
PREPAYMENT, BASIC = 0x0705, 0x0000
PCS02, GBZ_READ, CS14 = 0x0090, 0x0082, 0x0018
TAMPER = 0x8F75


def gbz(*components: dict) -> bytes:
    comps = list(components)
    comps[-1]["control"] |= 1
    return encode_gbz({"profile": 0x0109, "components": comps})


def premises_with(network: HanNetwork, parties: RemoteParties, name: str = "p1", *, link: LinkModel | None = None,
                  kinds: dict[bytes, str] | None = None, wake: WakeSchedule | None = None,
                  **options: object) -> Premises:
    clock = network.clock
    chf = create_device("CHF", CHF, clock, parties.anchors)
    gpf = create_device("GPF", GPF, clock, parties.anchors)
    premises = network.add_premises(name, chf, gpf, link=link, **options)
    for eui, kind in (kinds or {GSME: "GSME"}).items():
        device = create_device(kind, eui, clock, parties.anchors)
        premises.add_device(device, install_code=CODE[eui], wake=wake if kind == "GSME" else None)
    return premises


def commission(premises: Premises, eui: bytes, timeout: int = 600) -> None:
    kind = premises.node(eui).device.profile.kind
    premises.log.add(eui, kind, CODE[eui], timeout)
    assert premises.join(eui).admitted


@pytest.fixture
def network() -> HanNetwork:
    return HanNetwork(VirtualClock(START), seed=7)


# ---------------------------------------------------------------------------- joining


def test_join_window_enforced(network: HanNetwork, parties: RemoteParties) -> None:
    premises = premises_with(network, parties)
    assert premises.join(GSME).reason == "not in the CHF device log"
    premises.log.add(GSME, "GSME", CODE[GSME], 60)
    assert not premises.join(GSME, bytes(16)).admitted  # a key the install code does not give
    network.clock.advance(61)
    assert premises.join(GSME).reason == "join window closed"
    premises.send_command(b"\x01", recipient=GSME)
    network.clock.run_until_idle()
    assert premises.trace[-1].event == "dropped" and premises.trace[-1].detail == "not joined"
    premises.log.remove(GSME)
    premises.log.add(GSME, "GSME", CODE[GSME], 60)
    network.clock.advance(30)
    admission = premises.join(GSME)
    assert admission.admitted and admission.source == "install-code"
    assert premises.node(GSME).link_key == link_key_for_code(CODE[GSME])
    assert premises.log.entry(GSME).link_key == premises.node(GSME).link_key
    premises.send_command(b"\x01", recipient=GSME)
    network.clock.run_until_idle()
    assert [e.event for e in premises.trace if e.message == b"\x01"][-2:] == ["send", "deliver"]


def test_removed_device_is_dropped_and_rejoins_with_its_historic_key(network: HanNetwork,
                                                                     parties: RemoteParties) -> None:
    premises = premises_with(network, parties, timing=HistoricTiming.FULL)
    commission(premises, GSME)
    assert premises.log.remove(GSME)
    assert not premises.node(GSME).joined
    premises.log.add(GSME, "GSME", bytes(16), 100)  # a different install code: only the historic key can work
    admission = premises.join(GSME)
    assert admission.admitted and admission.source == HISTORIC


def test_log_changes_raise_cs14_at_the_chf(network: HanNetwork, parties: RemoteParties) -> None:
    premises = premises_with(network, parties)
    seen: list[str] = []
    premises.on_log_change = lambda _, change: seen.append(change.reason)
    commission(premises, GSME)
    premises.log.remove(GSME)
    alerts = premises.upstream_of(ALERT, CHF)
    assert seen == ["added", "key-established", "removed"] and len(alerts) == 3
    for alert in alerts:
        frame = parse_frame(alert.message)
        assert frame.cra == 3 and frame.message_code == CS14
        assert parties.check(premises.chf, alert.message)["mac_valid"] is True
    quiet = premises_with(HanNetwork(VirtualClock(START)), parties, cs14=False)
    commission(quiet, GSME)
    assert quiet.upstream == []


# ---------------------------------------------------------------------------- the link model


LOSSY = LinkModel(latency=0.05, jitter=0.02, loss=0.2, duplicate=0.2, reorder=0.2, reorder_delay=0.3)


def lossy_run(seed: int, parties: RemoteParties, other_traffic: bool = False) -> list[tuple]:
    network = HanNetwork(VirtualClock(START), seed=seed)
    premises = premises_with(network, parties, link=LOSSY, kinds={ESME: "ESME"})
    commission(premises, ESME)
    if other_traffic:
        other = premises_with(network, parties, "p2", link=LOSSY, kinds={ESME: "ESME"})
        commission(other, ESME)
    for i in range(60):
        premises.send_command(bytes([0xE0, i]), recipient=ESME)
        if other_traffic:
            other.send_command(bytes([0xE0, i]), recipient=ESME)
            other.send_command(bytes([0xE1, i]), recipient=ESME)
        network.clock.advance(0.1)
    network.clock.run_until_idle()
    return [(round(e.time, 9), e.event, e.message, e.detail) for e in premises.trace
            if e.message[:1] == b"\xe0"]


def test_link_loss_duplication_reordering_are_deterministic(parties: RemoteParties) -> None:
    first = lossy_run(3, parties)
    assert lossy_run(3, parties) == first
    assert lossy_run(4, parties) != first
    delivered = [m for _, event, m, _ in first if event == "deliver"]
    lost = [m for _, event, m, detail in first if event == "lost" and detail == "link loss"]
    assert lost and len(set(delivered)) + len(lost) == 60  # every message either arrives or is lost
    assert len(delivered) > len(set(delivered))  # duplicates
    order = [m[1] for m in dict.fromkeys(delivered)]
    assert order != sorted(order)  # overtaken


def test_perfect_link_delivers_everything_in_order(network: HanNetwork, parties: RemoteParties) -> None:
    premises = premises_with(network, parties, link=LinkModel(latency=0.25), kinds={ESME: "ESME"})
    commission(premises, ESME)
    sent = network.clock.now()
    for i in range(20):
        premises.send_command(bytes([0xE0, i]), recipient=ESME)
    network.clock.run_until_idle()
    deliveries = [e for e in premises.trace if e.event == "deliver"]
    assert [e.message[1] for e in deliveries] == list(range(20))
    assert {e.time for e in deliveries} == {sent + 0.25}


def test_link_model_draws() -> None:
    assert Link(LinkModel(loss=1.0), "s").delays() == []
    assert Link(LinkModel(latency=0.1, duplicate=1.0, duplicate_gap=0.2), "s").delays() == pytest.approx([0.1, 0.3])
    assert Link(LinkModel(latency=0.1, reorder=1.0, reorder_delay=2.0), "s").delays() == pytest.approx([2.1])
    with pytest.raises(ValueError):
        LinkModel(loss=1.5)
    with pytest.raises(ValueError):
        LinkModel(latency=-1)


# ---------------------------------------------------------------------------- power and radio


def test_power_off_means_no_delivery(network: HanNetwork, parties: RemoteParties) -> None:
    premises = premises_with(network, parties, link=LinkModel(latency=1.0), kinds={ESME: "ESME"})
    commission(premises, ESME)
    esme = premises.node(ESME).device
    premises.send_command(b"\xe0\x01", recipient=ESME)  # in flight when the power goes
    network.clock.advance(0.5)
    premises.power_off(ESME)
    premises.send_command(b"\xe0\x02", recipient=ESME)
    network.clock.run_until_idle()
    assert len(esme.security_log) == 0  # nothing reached the device
    dropped = [(e.message, e.detail) for e in premises.trace if e.event == "dropped"]
    assert sorted(dropped) == [(b"\xe0\x01", "powered off"), (b"\xe0\x02", "powered off")]
    assert premises.power_on(ESME).admitted  # rejoins with its established key
    premises.send_command(b"\xe0\x03", recipient=ESME)
    network.clock.run_until_idle()
    assert len(esme.security_log) == 1  # the garbage command reached it and was refused


def test_radio_outage(network: HanNetwork, parties: RemoteParties) -> None:
    premises = premises_with(network, parties, kinds={ESME: "ESME"})
    commission(premises, ESME)
    premises.radio_outage(10.0)
    network.clock.advance(1)
    premises.send_command(b"\xe0\x01", recipient=ESME)
    network.clock.advance(10)
    premises.send_command(b"\xe0\x02", recipient=ESME)
    network.clock.run_until_idle()
    events = [(e.event, e.message, e.detail) for e in premises.trace if e.message[:1] == b"\xe0"]
    assert ("lost", b"\xe0\x01", "radio outage") in events and ("deliver", b"\xe0\x02", "command") in events
    assert ("deliver", b"\xe0\x01", "command") not in events


# ---------------------------------------------------------------------------- sleepy GSME and the GPF


def test_sleepy_gsme_queue_delivered_at_wake_gpf_answers_meanwhile(network: HanNetwork,
                                                                   parties: RemoteParties) -> None:
    start = network.clock.now()
    wake = WakeSchedule(interval=30, phase=start + 10, awake=1)
    premises = premises_with(network, parties, wake=wake)
    commission(premises, GSME)
    gsme = premises.node(GSME).device
    gpf = premises.gpf
    premises.send_command(parties.command(gsme, GBZ_READ, gbz(read(PREPAYMENT, 0x0031)), 1))
    premises.send_command(parties.command(gsme, GBZ_READ, gbz(read(PREPAYMENT, 0x0001)), 2))
    premises.send_command(parties.command(gpf, GBZ_READ, gbz(read(BASIC, 0x0005)), 3))
    network.clock.advance(5)
    assert [u.source for u in premises.upstream_of(RESPONSE)] == [GPF]  # the GPF answered at once
    assert len(premises.node(GSME).queue) == 2
    network.clock.advance(4.9)  # just before the wake-up
    assert [u.source for u in premises.upstream_of(RESPONSE)] == [GPF]
    network.clock.advance(1)
    responses = premises.upstream_of(RESPONSE, GSME)
    assert len(responses) == 2 and not premises.node(GSME).queue
    assert [parse_frame(r.message).counter for r in responses] == [1, 2]  # in the order queued
    assert all(r.time >= start + 10 for r in responses)
    assert all(parties.check(gsme, r.message)["mac_valid"] is True for r in responses)
    wakes = [e.time for e in premises.trace if e.event == "wake"]
    assert wakes == [start + 10]
    # awake now: a command is delivered without queueing
    premises.send_command(parties.command(gsme, GBZ_READ, gbz(read(PREPAYMENT, 0x0031)), 4))
    network.clock.run_until_idle()
    assert len(premises.upstream_of(RESPONSE, GSME)) == 3


def test_wake_schedule() -> None:
    wake = WakeSchedule(interval=30, phase=10, awake=2)
    assert wake.is_awake(40) and wake.is_awake(41.5) and not wake.is_awake(42.5)
    assert wake.next_wake(11) == 40 and wake.next_wake(40) == 40
    with pytest.raises(ValueError):
        WakeSchedule(interval=0)


# ---------------------------------------------------------------------------- HAN-only traffic


def test_ppmid_to_gsme_is_delivered_device_to_device(network: HanNetwork, parties: RemoteParties) -> None:
    start = network.clock.now()
    premises = premises_with(network, parties, kinds={GSME: "GSME", PPMID: "PPMID"},
                             wake=WakeSchedule(interval=60, phase=start + 20))
    commission(premises, GSME)
    commission(premises, PPMID)
    premises.bind(PPMID, GSME)
    ppmid, gsme = premises.node(PPMID).device, premises.node(GSME).device
    select = component(PREPAYMENT, 0x01, 1, 0x00, fields={"command_issue_date_time": 0, "originating_device": 0})
    command = secure_message(cra=1, counter=0x10, originator=PPMID, recipient=GSME,
                             other_information=PCS02.to_bytes(2, "big"), content=gbz(select),
                             keystore_view=ppmid.security.view, acb_eui=parties.acb)
    premises.send(PPMID, GSME, command)
    network.clock.advance(10)
    assert premises.node(PPMID).inbox == [] and len(premises.node(GSME).queue) == 1  # the GSME sleeps
    network.clock.run_until_idle()
    assert len(gsme.security_log) == 0
    inbox = premises.node(PPMID).inbox
    assert len(inbox) == 1 and inbox[0][1] == GSME
    frame = parse_frame(inbox[0][2])
    assert (frame.cra, frame.originator, frame.recipient, frame.counter) == (2, GSME, PPMID, 0x10)
    assert premises.upstream_of(RESPONSE) == []  # HAN-only: nothing went to the WAN


# ---------------------------------------------------------------------------- alert storms


def test_alert_storm_count_and_timing(network: HanNetwork, parties: RemoteParties) -> None:
    latency = 0.02
    premises = premises_with(network, parties, link=LinkModel(latency=latency))
    commission(premises, GSME)
    start = network.clock.now()
    storm = premises.alert_storm(GSME, TAMPER, every_ms=250, count=12)
    network.clock.run_until_idle()
    alerts = premises.upstream_of(ALERT, GSME)
    assert storm.done and storm.fired == storm.sent == 12 and len(alerts) == 12
    assert storm.times == pytest.approx([start + 0.25 * k for k in range(1, 13)])
    assert [a.time for a in alerts] == pytest.approx([start + 0.25 * k + latency for k in range(1, 13)])
    assert all(parties.check(premises.node(GSME).device, a.message)["signature_valid"] is True for a in alerts[:2])
    assert premises.node(GSME).device.outbox == []  # the network carried them


def test_alert_storm_power_off_and_cancel(network: HanNetwork, parties: RemoteParties) -> None:
    premises = premises_with(network, parties)
    commission(premises, GSME)
    storm = premises.alert_storm(GSME, TAMPER, every_ms=1000, count=10)
    network.clock.advance(3.5)
    premises.power_off(GSME)
    network.clock.advance(2)
    storm.cancel()
    network.clock.run_until_idle()
    assert storm.fired == 5 and storm.sent == 3 and len(premises.upstream_of(ALERT, GSME)) == 3
    with pytest.raises(ValueError):
        premises.alert_storm(GSME, TAMPER, every_ms=0, count=1)


# ---------------------------------------------------------------------------- premises isolation


def test_two_premises_are_isolated(parties: RemoteParties) -> None:
    alone = lossy_run(5, parties)
    assert lossy_run(5, parties, other_traffic=True) == alone  # another premises' traffic changes nothing here
    network = HanNetwork(VirtualClock(START), seed=1)
    a = premises_with(network, parties, "a", kinds={ESME: "ESME"})
    b = premises_with(network, parties, "b", kinds={ESME: "ESME"})
    commission(a, ESME)
    assert ESME not in b.log and b.upstream == []  # a's CS14 stayed in a
    assert b.join(ESME).reason == "not in the CHF device log"
    a.send_command(b"\xe0\x01", recipient=ESME)
    network.clock.run_until_idle()
    assert len(a.node(ESME).device.security_log) == 1 and len(b.node(ESME).device.security_log) == 0
    assert [e for e in b.trace if e.message == b"\xe0\x01"] == []
    with pytest.raises(ValueError):
        network.add_premises("a", a.chf)


def test_devices_must_share_the_network_clock(network: HanNetwork, parties: RemoteParties) -> None:
    stranger: Device = create_device("CHF", CHF, VirtualClock(START), parties.anchors)
    with pytest.raises(ValueError, match="another clock"):
        network.add_premises("x", stranger)


def test_premises_draw_different_fates_and_unknown_traffic_is_dropped(parties: RemoteParties) -> None:
    network = HanNetwork(VirtualClock(START), seed=1)
    a = premises_with(network, parties, "a", kinds={ESME: "ESME"})
    b = premises_with(network, parties, "b", kinds={ESME: "ESME"})
    draws = [[p.node(ESME).down.rng.random() for _ in range(4)] for p in (a, b)]
    assert draws[0] != draws[1]  # same device, same network seed: independent links per premises
    a.send_command(b"\x00")  # not a GBCS frame
    a.send_command(b"\xe0", recipient=bytes(8))
    assert [(e.event, e.detail.split(":")[0]) for e in a.trace[-2:]] == [
        ("dropped", "unreadable command"), ("dropped", "not on these premises")]
    commission(a, ESME)
    assert a.leave(ESME) and not a.leave(ESME)
    a.send_command(b"\xe0", recipient=ESME)
    assert a.trace[-1].detail == "not joined"
    with pytest.raises(ValueError, match="already"):
        a.add_device(a.node(ESME).device)
