"""The emulated CHF drives the HAN device log (CCS01/02/03) and the GPF mirror follows the waking GSME."""

from __future__ import annotations

import pytest

from emulator.chf import Chf
from emulator.clock import VirtualClock
from emulator.cosem_classes import node, structure
from emulator.han.device_log import HISTORIC, INSTALL_CODE, hash_link_key
from emulator.han.install_codes import link_key_for_code
from emulator.han.network import ALERT, HanNetwork, Premises
from emulator.han.sleepy import WakeSchedule
from emulator.kinds import create_device
from emulator.testkit import RemoteParties, access_request
from gbcs.message import decode_message

START = "2020-06-01T12:00:00Z"
CHF_EUI = bytes.fromhex("00DB1234567890B0")
GPF_EUI = bytes.fromhex("00DB1234567890B3")
GSME = bytes.fromhex("00DB1234567890B1")
ESME = bytes.fromhex("00DB1234567890B2")
CODE = {GSME: bytes.fromhex("83FED3407A939723A5C639B26916D505"), ESME: bytes(range(1, 17))}
TYPE = {GSME: 1, ESME: 0}
HAN = bytes((0, 0, 30, 3, 0, 255))
PREPAYMENT = 0x0705


class Site:
    """A CHF with its GPF on premises that use the CHF's own device log; CCS commands from the ACB."""

    def __init__(self, parties: RemoteParties, wake: WakeSchedule | None = None) -> None:
        self.parties = parties
        self.network = HanNetwork(VirtualClock(START), seed=3)
        clock = self.network.clock
        self.chf: Chf = create_device("CHF", CHF_EUI, clock, parties.anchors)  # type: ignore[assignment]
        self.gpf = create_device("GPF", GPF_EUI, clock, parties.anchors)
        self.premises: Premises = self.network.add_premises("p", self.chf, self.gpf, log=self.chf.device_log)
        for eui, kind in ((GSME, "GSME"), (ESME, "ESME")):
            device = create_device(kind, eui, clock, parties.anchors)
            self.premises.add_device(device, install_code=CODE[eui], wake=wake if kind == "GSME" else None)
        self.counter = 100

    def command(self, code: int, instructions: list) -> list[int]:
        """Send a CCS command through the premises; the DLMS results of its response."""
        self.counter += 1
        raw = self.parties.command(self.chf, code, access_request(self.counter, instructions), self.counter, role=4)
        before = len(self.premises.upstream_of("response"))
        self.premises.send_command(raw)
        self.network.clock.advance(0.001)
        responses = self.premises.upstream_of("response")[before:]
        assert len(responses) == 1
        return [r["result"] for r in decode_message(responses[0].message)["payload"]["results"]]

    def ccs01(self, eui: bytes, join_timeout: int = 90, key: bytes | None = None) -> list[int]:
        entry = structure(node("octet-string", eui.hex().upper()), node("enum", 1),
                          node("octet-string", (CODE[eui] if key is None else key).hex().upper()),
                          node("enum", TYPE[eui]))
        return self.command(0x0001, [("action", 104, HAN, 1, entry),
                                     ("set", 104, HAN, 3, node("long-unsigned", join_timeout)),
                                     ("set", 104, HAN, 2, node("boolean", True))])

    def ccs02(self, eui: bytes) -> list[int]:
        return self.command(0x0002, [("action", 104, HAN, 2, node("octet-string", eui.hex().upper()))])

    def ccs03(self, *euis: bytes) -> list[int]:
        backup = structure(node("octet-string", CHF_EUI.hex().upper()), node("array", [
            structure(node("octet-string", eui.hex().upper()), node("octet-string", CODE[eui].hex().upper()))
            for eui in euis]))
        return self.command(0x0003, [("action", 104, HAN, 5, backup)])

    def cs14(self) -> list[list[tuple[str, str]]]:
        """Every CS14 alert so far: the (EUI, key) entries it carries."""
        out = []
        for item in self.premises.upstream_of(ALERT, CHF_EUI):
            tree = decode_message(item.message)
            code, _, log = tree["payload"]["notification"]["value"]
            assert (tree["message_code"], code["value"]) == (0x0018, 0x8F12)
            out.append([(e["value"][0]["value"], e["value"][1]["value"]) for e in log["value"][2]["value"]])
        return out

    def active_devices(self) -> list[str]:
        return [e["value"][0]["value"] for e in self.chf.read_attribute(104, HAN, 4)["value"]]


@pytest.fixture
def site(parties: RemoteParties) -> Site:
    return Site(parties)


def test_ccs01_adds_to_the_device_log_with_the_commands_join_window(site: Site) -> None:
    assert site.ccs01(GSME, join_timeout=30) == [0, 0, 0]
    entry = site.chf.device_log.entry(GSME)
    assert entry is not None and entry.device_type == "GSME" and entry.join_timeout == 30
    assert entry.install_key == link_key_for_code(CODE[GSME])
    assert site.active_devices() == [GSME.hex().upper()]  # the COSEM view as before
    assert site.cs14() == [[(GSME.hex().upper(), CODE[GSME].hex().upper())]]  # exactly one CS14
    site.network.clock.advance(31)
    assert site.premises.join(GSME).reason == "join window closed"  # 30 s from the command, not a default


def test_ccs01_for_a_logged_device_ignores_the_key_and_raises_nothing(site: Site) -> None:
    site.ccs01(GSME)
    assert site.ccs01(GSME, key=bytes(16)) == [0, 0, 0]
    assert site.chf.device_log.entry(GSME).install_key == link_key_for_code(CODE[GSME])
    assert len(site.cs14()) == 1


def test_ccs01_with_a_short_install_code_is_refused(site: Site) -> None:
    assert site.ccs01(GSME, key=bytes(8))[0] == 12  # type-unmatched: SMETS2+ needs 16 octets
    assert GSME not in site.chf.device_log and site.active_devices() == [] and site.cs14() == []


def test_ccs01_join_timeout_out_of_range_is_refused(site: Site) -> None:
    assert site.ccs01(GSME, join_timeout=0)[:2] == [0, 250]


def test_ccs02_keeps_the_established_key_in_the_historic_log(site: Site) -> None:
    site.ccs01(GSME)
    assert site.premises.join(GSME).source == INSTALL_CODE
    assert site.ccs02(GSME) == [0]
    assert not site.premises.node(GSME).joined and site.active_devices() == []
    historic = site.chf.device_log.historic.get(GSME)
    assert historic is not None and historic.link_key == link_key_for_code(CODE[GSME])
    assert [len(log) for log in site.cs14()] == [1, 1, 0]  # added, key established, removed: once each
    assert site.ccs02(GSME) == [0] and len(site.cs14()) == 3  # not in the log: no change, no alert


def test_readmission_with_the_historic_key_shows_its_hash(site: Site) -> None:
    old_key = bytes(range(16, 32))
    site.ccs01(GSME)
    site.premises.join(GSME, link_key_for_code(CODE[GSME]))
    site.chf.device_log.entry(GSME).link_key = old_key  # a key established by CBKE, not the install code's
    site.ccs02(GSME)
    site.ccs01(GSME, join_timeout=100)
    assert site.premises.join(GSME, old_key).source == HISTORIC
    assert site.cs14()[-1] == [(GSME.hex().upper(), hash_link_key(old_key).hex().upper())]


def test_ccs03_restores_the_log_and_keeps_install_code_keys(site: Site) -> None:
    site.ccs01(GSME)
    site.premises.join(GSME)
    site.ccs01(ESME)
    assert site.ccs03(GSME) == [0]
    assert [e.eui for e in site.chf.device_log.entries()] == [GSME] and site.active_devices() == [GSME.hex().upper()]
    assert site.chf.device_log.entry(GSME).device_type == "GSME"  # the type the CHF saw in CCS01
    assert site.premises.node(GSME).joined  # its install-code key is the restored one
    assert len(site.cs14()) == 4 and site.cs14()[-1] == [(GSME.hex().upper(), CODE[GSME].hex().upper())]
    assert site.premises.join(ESME).reason == "not in the CHF device log"


def test_direct_changes_keep_the_cosem_view_and_alert_once(site: Site) -> None:
    assert site.chf.register_device(ESME, "ESME", CODE[ESME], 60)
    assert not site.chf.register_device(ESME, "ESME", CODE[ESME], 60)
    assert site.active_devices() == [ESME.hex().upper()] and len(site.cs14()) == 1
    site.chf.restore_devices([(ESME, CODE[ESME]), (GSME, None)])
    assert site.active_devices() == [ESME.hex().upper(), GSME.hex().upper()] and len(site.cs14()) == 2
    assert site.chf.unregister_device(ESME) and site.active_devices() == [GSME.hex().upper()]
    assert len(site.cs14()) == 3 and site.chf.outbox == []  # the premises carried them upstream


def test_premises_with_their_own_log_still_raise_cs14(parties: RemoteParties) -> None:
    network = HanNetwork(VirtualClock(START))
    chf = create_device("CHF", CHF_EUI, network.clock, parties.anchors)
    premises = network.add_premises("own", chf)
    premises.add_device(create_device("ESME", ESME, network.clock, parties.anchors), install_code=CODE[ESME])
    premises.log.add(ESME, "ESME", CODE[ESME], 60)
    assert len(premises.upstream_of(ALERT, CHF_EUI)) == 1 and ESME not in chf.device_log


def test_gpf_mirror_follows_the_gsme_at_wake(parties: RemoteParties) -> None:
    clock_start = VirtualClock(START).now()
    site = Site(parties, wake=WakeSchedule(interval=30, phase=clock_start + 10, awake=1))
    site.ccs01(GSME)
    site.premises.join(GSME)
    gsme = site.premises.node(GSME).device
    gsme.zcl.write(PREPAYMENT, 0x0031, 0x23, 424242, site.network.clock.now())
    assert site.gpf.mirror.get(PREPAYMENT, 0x0031, site.network.clock.now()) != 424242
    site.premises.send_command(b"\xe0\x01", recipient=GSME)  # queued: the GSME sleeps
    site.network.clock.advance(5)
    assert site.gpf.mirror.get(PREPAYMENT, 0x0031, site.network.clock.now()) != 424242
    site.network.clock.advance(6)  # the wake-up at +10 s
    assert site.gpf.mirror.get(PREPAYMENT, 0x0031, site.network.clock.now()) == 424242
    assert [e.event for e in site.premises.trace if e.event in ("wake", "mirror")] == ["wake", "mirror"]
    gsme.zcl.write(PREPAYMENT, 0x0031, 0x23, 7, site.network.clock.now())
    site.premises.wake(GSME)  # out of schedule
    assert site.gpf.mirror.get(PREPAYMENT, 0x0031, site.network.clock.now()) == 7


def test_unregister_all_devices_empties_both_views(site: Site) -> None:
    site.ccs01(GSME)
    site.ccs01(ESME)
    site.premises.join(GSME)
    assert site.command(0x0002, [("action", 104, HAN, 3, node("integer", 0))]) == [0]
    assert len(site.chf.device_log) == 0 and site.active_devices() == []
    assert GSME in site.chf.device_log.historic and ESME not in site.chf.device_log.historic  # never joined
    assert [len(log) for log in site.cs14()[-2:]] == [1, 0]  # one CS14 per device removed
