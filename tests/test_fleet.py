"""The fleet at small scale: every premises materialises and answers, premises are independent, memory is measured."""

from __future__ import annotations

import itertools
import random
import sys
from pathlib import Path

import pytest

from emulator.cosem_model import ObjectModel, state_template
from emulator.profiles import load_profile
from emulator.zcl_model import ZclModel
from gbcs.framing import parse_frame
from gbcs.gbz import encode_gbz
from proving import mqtt_topics as topics
from proving.fleet import Fleet, PremisesClock, fleet_eui, locate
from proving.identities import PP_USERS
from proving.mqtt_bridge import MessageHandler

COUNT = 200
SLOTS = ("ESME", "GSME", "CHF", "GPF")
PREPAYMENT, CREDIT = 0x0705, 0x0031  # a writable GSME attribute (ZCL u32)
TAMPER = bytes((0, 0, 94, 44, 0, 4))
COUNTERS = itertools.count(1)


class _Dcc:
    """GBCS commands need only the premises behind the handler."""

    def __init__(self, fleet: Fleet) -> None:
        self.frontend = None
        self.premises = fleet


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("fleet-state")
    Fleet(directory, 1)  # the PKI, once for the module
    return directory


@pytest.fixture(scope="module")
def fleet(state: Path) -> Fleet:
    return Fleet(state, COUNT)


@pytest.fixture(scope="module")
def handler(fleet: Fleet) -> MessageHandler:
    return MessageHandler(_Dcc(fleet))  # type: ignore[arg-type]


def _read(handler: MessageHandler, fleet: Fleet, premises: int, slot: int) -> bytes | None:
    """The device's GBCS response to a cheap read through the MQTT route, None when it did not answer."""
    eui = fleet_eui(premises, slot)
    out = handler.handle(topics.gbcs_command(premises, eui), fleet.read_command(premises, slot, next(COUNTERS)))
    answers = [o.payload for o in out if o.topic == topics.gbcs_response(eui)]
    return answers[0] if answers else None


def test_every_premises_materialises_and_each_device_answers(fleet: Fleet, handler: MessageHandler) -> None:
    assert [device_type for _, _, device_type, _ in fleet.slots] == list(SLOTS)
    assert not fleet.built(0)
    for premises in range(COUNT):
        for slot in range(len(SLOTS)):
            response = _read(handler, fleet, premises, slot)
            assert response is not None, (premises, slot)
            frame = parse_frame(response)
            assert frame.originator == fleet_eui(premises, slot) and frame.cra == 2
    assert all(fleet.built(i) for i in range(COUNT))
    site = fleet.premises(COUNT - 1)
    assert [entry.device_type for entry in site.devices.values()] == list(SLOTS)
    assert all(len(entry.device.security.han_peers) == len(SLOTS) - 1 for entry in site.devices.values())
    with pytest.raises(KeyError):
        fleet.premises(COUNT)


def test_distinct_premises_have_distinct_device_euis(fleet: Fleet) -> None:
    euis = [fleet_eui(i, slot) for i in range(COUNT) for slot in range(len(SLOTS))]
    assert len(set(euis)) == len(euis)
    built = {eui for i in range(COUNT) for eui in fleet.premises(i).devices}
    assert built == set(euis)
    for i in random.Random(3).sample(range(COUNT), 20):
        for slot in range(len(SLOTS)):
            eui = fleet_eui(i, slot)
            assert locate(eui) == (i, slot) == fleet.slot_of(eui)
            assert fleet.premises(i).devices[eui].device.eui == eui
    assert fleet.slot_of(fleet_eui(COUNT, 0)) is None


def test_premises_have_independent_state(fleet: Fleet, handler: MessageHandler) -> None:
    first, second = fleet.premises(11), fleet.premises(12)
    gsme1, gsme2 = (site.devices[fleet_eui(i, 1)].device for site, i in ((first, 11), (second, 12)))
    before = gsme2.zcl.get(PREPAYMENT, CREDIT, second.clock.now())
    # a ZCL write over GBCS to premises 11's GSME
    counter = next(COUNTERS)
    write = {"control": 1, "cluster": PREPAYMENT, "zcl": {"frame_control": 0, "sequence": 1, "command": 0x02,
                                                          "records": [{"attribute": CREDIT, "type": 0x23,
                                                                       "value": before + 4242}]}}
    command = fleet.command(fleet_eui(11, 1), 0x0082, encode_gbz({"profile": 0x0109, "components": [write]}), counter,
                            originator=PP_USERS[1].eui)
    out = handler.handle(topics.gbcs_command(11, fleet_eui(11, 1)), command)
    assert out[0].topic == topics.gbcs_response(fleet_eui(11, 1))
    assert gsme1.zcl.get(PREPAYMENT, CREDIT, first.clock.now()) == before + 4242
    assert gsme2.zcl.get(PREPAYMENT, CREDIT, second.clock.now()) == before
    assert fleet.premises(13).devices[fleet_eui(13, 1)].device.zcl.get(PREPAYMENT, CREDIT, 0.0) == before
    # COSEM values shared with the profile are copied before a change, never changed for everyone
    esme1, esme2 = (site.devices[fleet_eui(i, 0)].device for site, i in ((first, 11), (second, 12)))
    shared = esme2.model.find(1, TAMPER).read(2)
    esme1.model.find(1, TAMPER).write(2, {"type": "unsigned", "value": 7})
    assert esme1.read_attribute(1, TAMPER, 2) == {"type": "unsigned", "value": 7}
    assert esme2.read_attribute(1, TAMPER, 2) == shared != {"type": "unsigned", "value": 7}
    # counters, logs and clocks are each premises' own
    assert gsme1.security.counters[PP_USERS[1].eui] == counter
    assert gsme2.security.counters[PP_USERS[1].eui] < counter
    esme1.event_log.add(0.0, 0x8F69, "only here")
    assert len(esme2.event_log) == 0
    when = second.clock.now()
    first.clock.advance(3600)
    assert second.clock.now() == when and first.clock is not second.clock


def test_memory_per_premises_is_measured(tmp_path: Path, state: Path) -> None:
    root = str(Path(__file__).resolve().parents[1])
    if root not in sys.path:  # benches/ is not an installed package
        sys.path.insert(0, root)
    from benches.fleet_scale import run_size, summary

    result = run_size(COUNT, state, None, commands=200, passes=1, seed=1)  # a fresh process
    assert result["premises"] == COUNT and result["devices"] == COUNT * len(SLOTS)
    assert isinstance(result["bytes_per_premises"], int) and result["bytes_per_premises"] > 0
    assert result["rss_after_bytes"] > result["rss_before_bytes"] > 0
    assert result["commands_per_second"] > 0
    assert summary([result])["throughput_drop"] == 0


def test_shared_templates_copy_on_write() -> None:
    profile = load_profile("generic-esme")
    assert load_profile("generic-esme") is profile  # parsed once while the file is unchanged
    template = state_template(profile.state)
    assert state_template(profile.state) is template and template
    obis, shared = next(iter(template.items()))
    attribute, value = next(iter(shared.values.items()))
    one, two = ObjectModel(template=template), ObjectModel(template=template)
    assert obis in one.objects and not dict.__contains__(one.objects, obis)
    mine = one.objects.get(obis)
    assert mine is not shared and mine.read(attribute) is value  # shared until changed
    changed = mine.mutable(attribute)
    assert changed == value and changed is not value
    assert two.objects[obis].read(attribute) is value and shared.read(attribute) is value
    gsme = ZclModel.from_tables({"0705/0031": 5}, {}, 10.0, [])
    other = gsme.copy()
    other.keep(0x0700, 0x05, {"command_index": 1})
    assert gsme.commands == {} and other.kept(0x0700, 0x05) == [{"command_index": 1}]
    assert ZclModel.from_tables({"0705/0031": 5}, {}, 20.0).epoch == 20.0


def test_premises_clock_draws_what_a_seeded_clock_draws() -> None:
    lazy = PremisesClock(1_600_000_000.0, seed=42)
    assert lazy._rng is None  # no Mersenne Twister state until something draws
    seeded = random.Random(42)
    assert [lazy.rng.random() for _ in range(3)] == [seeded.random() for _ in range(3)]
    assert lazy.now() == 1_600_000_000.0
